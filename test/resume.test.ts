// A run whose worker is killed at random updates and which is then resumed from its checkpoint
// ends with the same loss curve, validation scores and final scores as a run never interrupted
// (same backend, same seed); no step is stored twice and none is missing.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseComparison } from '../src/main/comparison/config';
import { resumeExperiment, runComparison } from '../src/main/comparison/runner';
import { initBackend } from '../src/main/engine/backend';
import { makeRng } from '../src/main/engine/util/rng';
import { forkLauncher, type WorkerLauncher } from '../src/main/worker/launch';
import { ComparisonService } from '../src/main/comparisons';
import { handleInvoke, makeHandlers } from '../src/main/handlers';
import { Store } from '../src/main/store/store';
import type { RunRecord } from '../src/shared/types';
import { makeTinyWorkspace } from './ui/tiny_workspace';

const STEPS = 24;
const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-resume-'));
const artifactsRoot = path.join(dir, 'artifacts');
let ws: ReturnType<typeof makeTinyWorkspace>;
let store: Store;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'store.db'));
});
after(() => store.close());

function comparison() {
  const budget = { ...ws.config.budget, steps: STEPS, eval_every: 6, checkpoint_every: 4 };
  return parseComparison({ ...ws.config, methods: ['lora_qv'], learning_rates: [3e-2], budget }, dir, 'resume');
}

/** Kills the worker once a stored batch reaches update `at` (batches are what a crash leaves behind). */
function killingAt(at: number, killed: number[]): WorkerLauncher {
  const fork = forkLauncher();
  return (callbacks) => {
    let done = false;
    const handle = fork({ ...callbacks, message: (msg) => {
      callbacks.message(msg);
      if (!done && msg.type === 'metrics' && Math.max(...msg.points.map((p) => p.step)) >= at) {
        done = true;
        killed.push(Math.max(...msg.points.map((p) => p.step)));
        handle.kill();
      }
    } });
    return handle;
  };
}

function curve(run: RunRecord, name: string): [number, number][] {
  return store.metrics(run.id, name).map((p) => [p.step, p.value]);
}

test('a run killed at random updates and resumed ends as if never interrupted', { timeout: 180_000 }, async () => {
  const { experimentId } = await runComparison(comparison(), store, { artifactsRoot });
  const [reference] = store.listRuns({ experimentId });
  assert.equal(reference.status, 'done', reference.reason ?? '');
  assert.equal(curve(reference, 'loss').length, STEPS);

  const rng = makeRng(2024);
  for (const kills of [1, 2]) {
    const killed: number[] = [];
    const stops = Array.from({ length: kills }, () => 2 + Math.floor(rng() * (STEPS - 6)));
    const { experimentId: id } = await runComparison(comparison(), store, { artifactsRoot, launcher: killingAt(stops[0], killed) });
    const [run] = store.listRuns({ experimentId: id });
    assert.equal(run.status, 'failed');
    assert.match(run.reason ?? '', /SIGKILL/);
    const resumed: number[] = [];
    const events = { message: (_: number, msg: { type: string; step?: number }) => void (msg.type === 'resumed' && resumed.push(msg.step!)) };
    for (const at of stops.slice(1)) await resumeExperiment(id, store, { artifactsRoot, runId: run.id, launcher: killingAt(at, killed), events });
    if (kills === 1) {
      // The app's Resume: through the IPC handler and the comparison service.
      const emitted: string[] = [];
      const service = new ComparisonService({ store, artifactsRoot, launcher: forkLauncher(), emit: (channel) => void emitted.push(channel) });
      const handlers = makeHandlers({ store, comparisons: service, dbPath: store.path });
      assert.deepEqual(await handleInvoke(handlers, 'runs:resume', { id: run.id }), { experimentId: id });
      assert.throws(() => handleInvoke(handlers, 'runs:resume', { id: run.id }), /runs:resume: field 'id': a comparison is running/);
      await service.whenIdle();
      assert.ok(emitted.includes('experiment:status'));
    } else {
      await resumeExperiment(id, store, { artifactsRoot, runId: run.id, events });
    }
    const final = store.getRun(run.id)!;
    const what = `killed after updates ${killed.join(', ')}, resumed after ${resumed.join(', ')}`;
    assert.equal(final.status, 'done', `${what}: ${final.reason}`);
    assert.equal(final.resumes, kills, what);
    // (The app's path does not show worker messages; the command line's does.)
    if (kills > 1) assert.equal(resumed.length, kills, `${what}: every resume continued from a checkpoint`);
    assert.deepEqual(curve(final, 'loss'), curve(reference, 'loss'), `${what}: the loss curve`);
    assert.deepEqual(curve(final, 'lr'), curve(reference, 'lr'), what);
    assert.deepEqual(curve(final, 'val_score'), curve(reference, 'val_score'), what);
    for (const field of ['score', 'validationScore', 'finalLoss', 'trainableParams', 'storageBytes'] as const) {
      assert.equal(final.result![field], reference.result![field], `${what}: ${field}`);
    }
    assert.equal(store.getExperiment(id)!.status, 'done');
  }
});

test('a diverging run stops with the step named and the rest of the queue trains', { timeout: 60_000 }, async () => {
  const budget = { ...ws.config.budget, steps: 6 };
  const c = parseComparison({ ...ws.config, methods: ['full'], learning_rates: [1e30, 3e-2], seeds: [0], budget }, dir, 'diverge');
  const { experimentId, failed } = await runComparison(c, store, { artifactsRoot });
  const [diverged, next] = store.listRuns({ experimentId });
  assert.equal(failed, 1);
  assert.equal(diverged.status, 'failed');
  assert.match(diverged.reason ?? '', /^diverged at step \d+: loss is (NaN|Infinity); try a lower learning rate$/);
  assert.equal(next.status, 'done', next.reason ?? '');
  assert.equal(store.lrChoices(experimentId)[0].learningRate, 3e-2, 'the sweep chose among the runs that finished');
  assert.equal(store.getExperiment(experimentId)!.status, 'done');
});
