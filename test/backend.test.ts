// Backend selection: order and skipped reasons, memoisation, forcing, and the threaded wasm option.
// The backend is chosen once per process, so forcing a working backend and the threaded wasm
// binary are checked in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { backendChoice, initBackend } from '../src/main/engine/backend';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BACKEND_TS = new URL('../src/main/engine/backend.ts', import.meta.url).href;

const installed = (name: string) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};

/** Runs an ES module snippet under tsx in a fresh Node process and parses its last stdout line. */
async function inChild(code: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: REPO, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
}

test('backendChoice throws before initBackend', () => {
  assert.throws(() => backendChoice(), /not initialised yet.*initBackend/);
});

test('bad options are rejected with the field name', async () => {
  await assert.rejects(initBackend({ force: 'gpu' as never }), /backend must be one of .*got 'gpu'/);
  await assert.rejects(initBackend({ wasmThreads: 0 }), /wasmThreads must be a positive integer, got 0/);
});

test('forcing an unavailable backend throws naming it and why', async (t) => {
  if (installed('@tensorflow/tfjs-node')) return t.skip('@tensorflow/tfjs-node is installed here');
  await assert.rejects(
    initBackend({ force: 'tensorflow' }),
    /backend 'tensorflow' \(forced with --backend\) could not start: @tensorflow\/tfjs-node is not installed/,
  );
  await assert.rejects(initBackend({ force: 'tensorflow-gpu' }), /backend 'tensorflow-gpu' \(forced with --backend\) could not start: \S/);
});

test('the default picks the first backend that starts and records why the others were skipped', async () => {
  const choice = await initBackend();
  const expected = installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm';
  assert.equal(choice.name, expected);
  assert.equal(choice.forced, false);
  assert.equal(tf.getBackend(), choice.name === 'wasm' ? 'wasm' : 'tensorflow');
  const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  assert.deepEqual(choice.skipped.map((s) => s.name), order.slice(0, order.indexOf(choice.name)));
  for (const s of choice.skipped) assert.match(s.reason, /\S{3}/, `reason for ${s.name}`);
  if (!installed('@tensorflow/tfjs-node')) {
    assert.match(choice.skipped[1].reason, /@tensorflow\/tfjs-node is not installed \(optional dependency/);
  }
});

test('initBackend is memoised; forcing another backend afterwards throws', async () => {
  const first = backendChoice();
  assert.equal(await initBackend(), first);
  assert.equal(await initBackend({ force: first.name }), first);
  const other = first.name === 'cpu' ? 'wasm' : 'cpu';
  await assert.rejects(initBackend({ force: other }), new RegExp(`'${other}' was requested .* already runs on '${first.name}'`));
});

test("force: 'cpu' starts the cpu backend with nothing skipped", async () => {
  const result = await inChild(`
    import * as tf from '@tensorflow/tfjs-core';
    const { initBackend } = await import(${JSON.stringify(BACKEND_TS)});
    const choice = await initBackend({ force: 'cpu' });
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0];
    console.log(JSON.stringify({ choice, backend: tf.getBackend(), y }));
  `);
  assert.deepEqual(result, { choice: { name: 'cpu', skipped: [], forced: true }, backend: 'cpu', y: 11 });
});

test('wasmThreads: 2 runs the multi-threaded wasm binary correctly and lets the process exit', async () => {
  const result = await inChild(`
    import * as tf from '@tensorflow/tfjs-core';
    import * as wasm from '@tensorflow/tfjs-backend-wasm';
    const { initBackend } = await import(${JSON.stringify(BACKEND_TS)});
    await initBackend({ force: 'wasm', wasmThreads: 2 });
    const a = tf.div(tf.reshape(tf.range(0, 64 * 48), [64, 48]), 1000);
    const b = tf.div(tf.reshape(tf.range(0, 48 * 32), [48, 32]), 1000);
    const got = tf.matMul(a, b, false, false).dataSync();
    const [av, bv] = [a.dataSync(), b.dataSync()];
    let err = 0;
    for (let i = 0; i < 64; i++) for (let j = 0; j < 32; j++) {
      let s = 0;
      for (let k = 0; k < 48; k++) s += av[i * 48 + k] * bv[k * 32 + j];
      err = Math.max(err, Math.abs(got[i * 32 + j] - s) / Math.abs(s || 1));
    }
    console.log(JSON.stringify({ threads: wasm.getThreadsCount(), err }));
  `);
  const { threads, err } = result as { threads: number; err: number };
  assert.equal(threads, 2);
  assert.ok(err < 1e-5, `relative error ${err}`);
});
