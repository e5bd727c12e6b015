// Parallel runs: how many train at once, and the pool that bounds them.
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { makePool, workerCount } from '../src/main/comparison/workers';
import { parseComparison } from '../src/main/comparison/config';

describe('parallel workers', () => {
  it('one run per core on wasm and cpu, one at a time on native backends, never more than the runs', () => {
    const cores = os.availableParallelism();
    assert.equal(workerCount(null, 'wasm', 100), cores);
    assert.equal(workerCount(null, 'cpu', 1), 1);
    assert.equal(workerCount(null, 'tensorflow-gpu', 100), 1);
    assert.equal(workerCount(null, 'tensorflow', 100), 1);
    assert.equal(workerCount(3, 'tensorflow-gpu', 100), 3, 'an explicit count wins');
    assert.equal(workerCount(8, 'wasm', 2), 2);
  });

  it('the pool never has more than its limit in flight and returns each task its own result', async () => {
    const run = makePool(2);
    let inFlight = 0, most = 0;
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => run(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5 + (i % 3) * 3));
      inFlight--;
      if (i === 3) throw new Error('task 3 failed');
      return i * 10;
    }).catch((err: Error) => err.message)));
    assert.equal(most, 2);
    assert.deepEqual(results, [0, 10, 20, 'task 3 failed', 40, 50, 60]);
  });

  it('the config takes workers: auto or 1-64 and names the field otherwise', () => {
    const base = { methods: ['full'] };
    assert.equal(parseComparison({ ...base, workers: 'auto' }, '/', 'x').workers, null);
    assert.equal(parseComparison({ ...base, workers: 2 }, '/', 'x').workers, 2);
    for (const bad of [0, 1.5, -1, 65, 'two']) {
      assert.throws(() => parseComparison({ ...base, workers: bad }, '/', 'x'), /workers must be "auto" or a whole number/);
    }
  });
});
