// A worker that is killed, throws or runs out of memory: the run is marked failed with the
// reason, this process keeps going and the next run still trains.
import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseComparison } from '../src/main/comparison/config';
import { runComparison } from '../src/main/comparison/runner';
import { initBackend } from '../src/main/engine/backend';
import { forkLauncher, type WorkerLauncher } from '../src/main/worker/launch';
import { Store } from '../src/main/store/store';
import { makeTinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-worker-fail-'));
let ws: ReturnType<typeof makeTinyWorkspace>;
let store: Store;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'store.db'));
});
after(() => store.close());

function comparison(seeds: number[], steps = 4) {
  return parseComparison({ ...ws.config, seeds, budget: { ...ws.config.budget, steps } }, dir, 'failures');
}

async function run(c: ReturnType<typeof comparison>, launcher?: WorkerLauncher, planned?: () => void) {
  const { experimentId } = await runComparison(c, store, {
    artifactsRoot: path.join(dir, 'artifacts'), launcher, events: { planned },
  });
  return store.listRuns({ experimentId });
}

test('a killed worker fails its run with the signal; the next run trains', async () => {
  const fork = forkLauncher();
  let first = true;
  const killFirst: WorkerLauncher = (callbacks) => {
    const kill = first;
    first = false;
    const handle = fork({ ...callbacks, message: (msg) => {
      callbacks.message(msg);
      if (kill && msg.type === 'metrics') handle.kill();
    } });
    return handle;
  };
  const runs = await run(comparison([0, 1], 40), killFirst);
  assert.equal(runs[0].status, 'failed');
  assert.match(runs[0].reason ?? '', /worker killed by SIGKILL/);
  assert.ok(store.metrics(runs[0].id, 'loss').length > 0, 'the points stored before the kill are kept');
  assert.equal(runs[1].status, 'done', runs[1].reason ?? '');
});

test('an error thrown in the engine fails the run with its message', async () => {
  const runs = await run(comparison([0]), undefined, () => truncateSync(path.join(ws.modelDir, 'model.safetensors'), 10));
  ws.restoreModel();
  assert.equal(runs[0].status, 'failed');
  assert.match(runs[0].reason ?? '', /safetensors/);
});

test('an uncaught throw in the worker fails the run with its message', async () => {
  const runs = await run(comparison([0]), forkLauncher({ modulePath: path.join(import.meta.dirname, 'workers/crash_worker.ts') }));
  assert.equal(runs[0].status, 'failed');
  assert.match(runs[0].reason ?? '', /kaboom in a timer/);
});

test('a worker out of memory fails the run saying so', async () => {
  const launcher = forkLauncher({ modulePath: path.join(import.meta.dirname, 'workers/oom_worker.ts'), execArgv: ['--max-old-space-size=24'] });
  const runs = await run(comparison([0]), launcher);
  assert.equal(runs[0].status, 'failed');
  assert.match(runs[0].reason ?? '', /worker ran out of memory/);
});
