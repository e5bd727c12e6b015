// The queue over a real store file, with the real comparison service and runner and stand-in
// workers the test finishes or fails by hand: order and reorder, pause (runs in flight finish,
// no new one starts), cancel (queued, and running: workers stopped, runs failed as cancelled),
// retry (a new attempt, the failed records kept) and restart (reopen the store, same queue).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ComparisonRequest } from '../src/shared/comparison_request';
import type { EventChannel } from '../src/shared/ipc';
import { ComparisonService } from '../src/main/comparisons';
import { initBackend } from '../src/main/engine/backend';
import { ComparisonQueue, LEFT_RUNNING } from '../src/main/queue/queue';
import { CANCELLED } from '../src/main/queue/launch_control';
import { Store } from '../src/main/store/store';
import { FakeWorkers } from './ui/fake_workers';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await tick();
  assert.ok(ok(), `timed out waiting for ${what}`);
}

describe('the queue of comparisons', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-queue-'));
  const dbFile = path.join(dir, 'workbench.db');
  let ws: TinyWorkspace;
  let store: Store;
  let workers: FakeWorkers;
  let queue: ComparisonQueue;
  let service: ComparisonService;
  const events: EventChannel[] = [];

  const request = (name: string, seeds = [0]): ComparisonRequest => ({
    name, models: [ws.modelDir], tasks: [{ name: 'colours', folder: ws.taskDir }], methods: [{ id: 'full', options: {} }],
    learningRates: [1e-2], seeds, budget: { steps: 4, micro_batch: 4, effective_batch: 8 },
  });

  function open(): void {
    store = Store.open(dbFile);
    workers = new FakeWorkers();
    const emit = (channel: EventChannel) => void events.push(channel);
    service = new ComparisonService({ store, launcher: workers.launcher, artifactsRoot: path.join(dir, 'artifacts'), emit });
    queue = new ComparisonQueue({ store, runner: service, emit, devices: [{ id: 'cpu', label: 'CPU' }] });
    queue.open();
  }
  const names = () => queue.snapshot().items.map((i) => `${i.name}:${i.status}`);

  before(async () => {
    await initBackend();
    ws = makeTinyWorkspace(dir);
    open();
  });
  after(async () => {
    workers.endAll();
    await queue.whenIdle();
    store.close();
  });

  test('items wait in order, move, and the order and pause survive a restart', async () => {
    queue.pause();
    const a = queue.add({ request: request('a') }).itemId;
    queue.add({ request: request('b') });
    const c = queue.add({ request: request('c') }).itemId;
    assert.deepEqual(names(), ['a:queued', 'b:queued', 'c:queued']);
    queue.move(c, 0);
    queue.move(a, 5); // past the end: last
    assert.deepEqual(names(), ['c:queued', 'b:queued', 'a:queued']);
    assert.throws(() => queue.add({ request: { ...request('d'), models: [path.join(dir, 'nowhere')] } }), /field 'models\[0\]': models\[0\]: no model .*nowhere does not exist/);
    assert.throws(() => queue.add({ request: request('d'), device: 1 }), /field 'device': GPU 1 is not on this machine/);
    assert.equal(workers.started, 0, 'a paused queue starts nothing');
    assert.ok(events.includes('queue:changed'));

    store.close();
    open();
    assert.equal(queue.snapshot().paused, true);
    assert.deepEqual(names(), ['c:queued', 'b:queued', 'a:queued']);
    assert.equal(queue.snapshot().items[0].device, 'cpu');
    assert.equal(queue.snapshot().items[0].runs, 1);
  });

  test('cancel a waiting item; resume starts the next one; pause lets the runs in flight finish', async () => {
    const [c, b, a] = queue.snapshot().items.map((i) => i.id);
    queue.cancel(b);
    assert.equal(store.queue.get(b)?.status, 'cancelled');
    queue.resume();
    await until('c to start', () => workers.live.length === 1);
    assert.deepEqual(names().slice(0, 2), ['a:queued', 'c:running']);
    assert.throws(() => queue.move(c, 0), /only waiting items move/);
    queue.pause();
    workers.endAll();
    await until('c to end', () => store.queue.get(c)?.status === 'done');
    await tick();
    assert.equal(store.queue.get(a)?.status, 'queued', 'paused: the next item waits');
    assert.equal(workers.started, 1);
    queue.resume();
    await until('a to start', () => workers.live.length === 1);
    workers.endAll();
    await until('a to end', () => store.queue.get(a)?.status === 'done');
  });

  test('pause inside a comparison holds its next runs until resume', async () => {
    const seeds = Array.from({ length: os.availableParallelism() + 1 }, (_, i) => i);
    const id = queue.add({ request: request('wide', seeds) }).itemId;
    await until('the first runs to start', () => workers.live.length === seeds.length - 1);
    queue.pause();
    const before = workers.started;
    workers.endAll();
    await until('the runs in flight to end', () => store.listRuns({ status: 'done' }).length >= 2 + seeds.length - 1);
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(workers.started, before, 'no run starts while paused');
    assert.equal(store.queue.get(id)?.status, 'running');
    queue.resume();
    await until('the held run to start', () => workers.live.length === 1);
    workers.endAll();
    await until('the item to end', () => store.queue.get(id)?.status === 'done');
  });

  test('cancel a running comparison: workers stopped, unfinished runs failed as cancelled', async () => {
    const id = queue.add({ request: request('stopped', [0, 1]) }).itemId;
    await until('its runs to start', () => workers.live.length === 2);
    const live = [...workers.live];
    queue.cancel(id);
    await until('the item to end', () => store.queue.get(id)?.status === 'cancelled');
    assert.ok(live.every((w) => w.killed), 'every worker was stopped');
    const experimentId = store.queue.get(id)!.experimentId!;
    const runs = store.listRuns({ experimentId });
    assert.deepEqual(runs.map((r) => [r.status, r.reason]), [['failed', CANCELLED], ['failed', CANCELLED]]);
    assert.throws(() => queue.cancel(id), /is cancelled already/);
  });

  test('retry queues the failed runs as a new attempt and keeps the failed records', async () => {
    const id = queue.add({ request: request('flaky', [0, 1]) }).itemId;
    await until('its runs to start', () => workers.live.length === 2);
    workers.endAll((seed) => seed === 1);
    await until('the item to end', () => store.queue.get(id)?.status === 'done');
    const experimentId = store.queue.get(id)!.experimentId!;
    const failed = store.listRuns({ experimentId }).find((r) => r.status === 'failed')!;

    const retry = queue.retry({ experimentId }).itemId;
    await until('the retry to start', () => workers.live.length === 1);
    assert.equal(workers.live[0].start.input.spec.seed, 1, 'only the failed run trains again');
    assert.throws(() => queue.retry({ experimentId }), /already in the queue/);
    workers.endAll();
    await until('the retry to end', () => store.queue.get(retry)?.status === 'done');
    const runs = store.listRuns({ experimentId });
    assert.deepEqual(runs.map((r) => [r.seed, r.status]), [[0, 'done'], [1, 'failed'], [1, 'done']]);
    assert.equal(store.getRun(failed.id)?.reason, 'diverged', 'the failed record is kept');
    assert.equal(store.queue.attempt(runs[2].id), 2);
    assert.throws(() => queue.retry({ experimentId }), /no failed run left to retry/);
    assert.throws(() => queue.retry({ experimentId: 999 }), /field 'experimentId': experiment 999 does not exist/);
  });

  test('an item running when the app stopped is interrupted at the next start', async () => {
    const id = queue.add({ request: request('cut') }).itemId;
    await until('it to start', () => workers.live.length === 1);
    const reopened = Store.open(dbFile); // a second process would see it running
    assert.equal(reopened.queue.get(id)?.status, 'running');
    reopened.close();
    workers.endAll();
    await queue.whenIdle();
    // Simulate the stop: the stored status is what a killed app leaves behind.
    store.queue.started(id, store.queue.get(id)!.experimentId!);
    store.close();
    open();
    assert.deepEqual([store.queue.get(id)?.status, store.queue.get(id)?.reason], ['interrupted', LEFT_RUNNING]);
  });
});
