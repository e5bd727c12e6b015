// Start-up recovery: runs left 'running' by a process that died are marked interrupted with the
// time, but only once no live process writes the database; the reasons runs fail with.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Store } from '../src/main/store/store';
import { exitReason, failureReason, StderrTail } from '../src/main/worker/launch';
import type { RunSpec } from '../src/shared/types';

const SPEC: RunSpec = {
  modelDir: '/models/t5', task: 'colours', method: 'lora_qv', methodOptions: {}, learningRate: 1e-3, seed: 0,
  microBatch: 4, effectiveBatch: 8, steps: 10, warmupRatio: 0, weightDecay: 0, maxInputTokens: 16,
  maxTargetTokens: 4, evalEvery: 5, evalExamples: 0, testExamples: 0, checkpointEvery: 2,
};

test('runs left running are marked interrupted with the time once their writer is gone', async () => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'peft-recover-')), 'workbench.db');
  const crashed = Store.open(db);
  const experimentId = crashed.createExperiment('crashed', {});
  const [running, queued, done] = [crashed.createRun(experimentId, SPEC), crashed.createRun(experimentId, SPEC), crashed.createRun(experimentId, SPEC)];
  for (const id of [running, done]) crashed.startRun(id, {} as never);
  crashed.failRun(done, 'stopped by hand');
  crashed.close(); // as if its process had died: the runs stay as they were

  // Another process holds the writer lock: it may be running these runs, so nothing is marked.
  const holder = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'children', 'store_writer.ts'), db, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('run ') && resolve()));
  const store = Store.open(db);
  try {
    assert.throws(() => store.recoverInterrupted(), /being written by another process \(pid \d+/);
    assert.equal(store.getRun(running)!.status, 'running');
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));

    const before = Date.now();
    const recovered = store.recoverInterrupted();
    assert.deepEqual(recovered.runs, [running]);
    assert.deepEqual(recovered.experiments, [experimentId, experimentId + 1], "this one and the dead holder's");
    const run = store.getRun(running)!;
    assert.equal(run.status, 'interrupted');
    assert.ok(Date.parse(run.interruptedAt!) >= before - 1000, `interrupted at ${run.interruptedAt}`);
    assert.match(run.reason!, /^interrupted: the process running it ended before the run did .*resume it/);
    assert.equal(store.getRun(queued)!.status, 'queued', 'the queue is kept');
    assert.equal(store.getRun(done)!.status, 'failed');
    assert.equal(store.getExperiment(experimentId)!.status, 'interrupted');
    assert.deepEqual(store.recoverInterrupted(), { runs: [], experiments: [] }, 'a second start-up finds nothing');

    store.requeueRun(running);
    const again = store.getRun(running)!;
    assert.deepEqual([again.status, again.resumes, again.reason], ['queued', 1, null]);
    assert.throws(() => store.requeueRun(9999), /run 9999 does not exist/);
  } finally {
    store.close();
  }
});

test('a run that ran out of memory fails saying so, with a smaller microbatch suggested', () => {
  const tail = new StderrTail();
  tail.push('<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
  assert.match(exitReason(null, 'SIGABRT', tail), /^worker ran out of memory; try a smaller budget\.micro_batch .*: FATAL ERROR: Reached heap limit/);
  assert.match(exitReason(null, 'SIGKILL', new StderrTail()), /SIGKILL .*if it ran out of memory, try a smaller budget\.micro_batch/);
  assert.match(failureReason('OOM when allocating tensor with shape[64,512,32128]'), /^ran out of memory \(OOM when allocating .*\); try a smaller budget\.micro_batch/);
  assert.equal(failureReason('diverged at step 3: loss is NaN; try a lower learning rate'), 'diverged at step 3: loss is NaN; try a lower learning rate');
});
