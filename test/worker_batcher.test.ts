// The worker's metric batching: points wait at most one interval, progress is coalesced
// within a phase, and a phase change or flush sends everything in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricBatcher } from '../src/main/worker/batcher';
import type { WorkerMessage } from '../src/main/worker/protocol';

const point = (step: number) => ({ step, name: 'loss', value: 1 / step, time: step });

test('points go out in batches, one per interval', () => {
  let clock = 0;
  const sent: WorkerMessage[] = [];
  const b = new MetricBatcher((m) => sent.push(m), 100, () => clock);
  for (let step = 1; step <= 10; step++) {
    clock += 30;
    b.addPoints([point(step)]);
    b.addProgress({ type: 'progress', phase: 'training', step, totalSteps: 10 });
  }
  b.flush();
  const batches = sent.filter((m) => m.type === 'metrics');
  assert.ok(batches.length >= 2 && batches.length <= 4, `${batches.length} batches for 10 steps`);
  assert.deepEqual(batches.flatMap((m) => m.points.map((p) => p.step)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const last = sent.at(-1);
  assert.equal(last?.type === 'progress' && last.step, 10);
});

test('a new phase flushes at once', () => {
  const sent: WorkerMessage[] = [];
  const b = new MetricBatcher((m) => sent.push(m), 1e9, () => 0);
  b.addProgress({ type: 'progress', phase: 'loading', step: 0, totalSteps: 5 });
  assert.equal(sent.length, 1);
  b.addPoints([point(1)]);
  b.addProgress({ type: 'progress', phase: 'training', step: 1, totalSteps: 5 });
  assert.deepEqual(sent.map((m) => m.type), ['progress', 'metrics', 'progress']);
  b.addPoints([point(2)]);
  b.addProgress({ type: 'progress', phase: 'training', step: 2, totalSteps: 5 });
  assert.equal(sent.length, 3, 'within a phase, nothing before the interval');
  b.addProgress({ type: 'progress', phase: 'measuring', step: 5, totalSteps: 5 });
  assert.deepEqual(sent.slice(3).map((m) => m.type), ['metrics', 'progress', 'progress']);
});
