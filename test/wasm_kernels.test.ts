// The wasm kernel fixes against the cpu backend and a float64 reference: every matMul form,
// tf.fused.matMul, UnsortedSegmentSum and the gradient of tf.gather; and no leaks.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/main/engine/backend';
import { registerWasmKernels } from '../src/main/engine/wasm_kernels';
import { makeRng } from '../src/main/engine/util/rng';

const rng = makeRng(7);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);

/** Runs `f` on the cpu backend with copies of `inputs`, back on wasm afterwards. */
async function onCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<Float32Array> {
  const data = inputs.map((x) => ({ values: x.dataSync().slice(), shape: x.shape, dtype: x.dtype }));
  await tf.setBackend('cpu');
  try {
    return tf.tidy(() => {
      const xs = data.map((d) => tf.tensor(d.values, d.shape, d.dtype));
      return Float32Array.from(f(...xs).dataSync());
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  assert.ok(err <= 1e-5 * Math.max(scale, 1e-30), `${what}: max error ${err} vs max |value| ${scale}`);
}

/** float64 matMul with tf.matMul's shapes: transposes on the last two dims, batch dims broadcast. */
function referenceMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): { shape: number[]; values: Float64Array } {
  const [av, bv] = [a.dataSync(), b.dataSync()];
  const ra = a.rank;
  const rb = b.rank;
  const [M, K] = ta ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const batchIndex = (i: number, shape: number[]) => {
    let flat = 0;
    let stride = 1;
    let rest = i;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      const coord = rest % outBatch[d];
      rest = Math.floor(rest / outBatch[d]);
      const di = d - (outBatch.length - shape.length);
      if (di >= 0) {
        flat += (shape[di] === 1 ? 0 : coord) * stride;
        stride *= shape[di];
      }
    }
    return flat;
  };
  const size = outBatch.reduce((p, d) => p * d, 1);
  const out = new Float64Array(size * M * N);
  for (let i = 0; i < size; i++) {
    const ao = batchIndex(i, aBatch) * M * K;
    const bo = batchIndex(i, bBatch) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += av[ao + (ta ? k * M + m : m * K + k)] * bv[bo + (tb ? n * K + k : k * N + n)];
        }
        out[(i * M + m) * N + n] = s;
      }
    }
  }
  return { shape: [...outBatch, M, N], values: out };
}

// [a shape, b shape, transposeA, transposeB]; the stored shapes already include transposes.
type Case = [number[], number[], boolean, boolean];
const NN_FORMS: Case[] = [
  [[33, 20], [20, 17], false, false], // 2-D
  [[20, 33], [20, 17], true, false],
  [[33, 20], [17, 20], false, true],
  [[20, 33], [17, 20], true, true],
  [[4, 33, 20], [20, 17], false, false], // 3-D x 2-D, flattened to one product
  [[4, 20, 33], [17, 20], true, true],
  [[3, 40, 30], [3, 30, 40], false, false], // batched, one product per batch
  [[3, 40, 30], [3, 40, 30], false, true], // attention scores Q K^T
  [[3, 30, 40], [3, 30, 40], true, false],
  [[3, 20, 1], [20, 40], true, false], // M = 1: the transpose is a copy
  [[3, 5, 7], [3, 7, 4], false, false], // batched and small: the original kernel
  [[3, 7, 5], [3, 4, 7], true, true],
];
const BROADCAST_FORMS: Case[] = [
  [[2, 3, 40, 30], [3, 30, 40], false, false], // missing leading dim
  [[2, 1, 30, 40], [1, 3, 30, 40], true, false], // both sides broadcast
  [[40, 30], [3, 30, 40], false, false], // 2-D A, batched B
  [[2, 1, 40, 30], [2, 3, 40, 30], false, true],
  [[5, 1, 6, 7], [7, 4], false, false], // B broadcast over A's batch
  [[5, 7], [3, 7, 4], false, false], // small, B batched only: the original kernel
];

describe('wasm kernels', () => {
  before(async () => {
    await initBackend({ force: 'wasm' });
  });

  test('registerWasmKernels is idempotent and keeps the override', () => {
    const kernel = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    registerWasmKernels();
    assert.equal(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, kernel);
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
  });

  for (const [sa, sb, ta, tb] of NN_FORMS) {
    test(`matMul ${JSON.stringify(sa)} x ${JSON.stringify(sb)} transposeA=${ta} transposeB=${tb} equals cpu`, async () => {
      const a = tf.tensor(randn(sa.reduce((p, d) => p * d)), sa);
      const b = tf.tensor(randn(sb.reduce((p, d) => p * d)), sb);
      const got = tf.matMul(a, b, ta, tb);
      const want = await onCpu((x, y) => tf.matMul(x, y, ta, tb), [a, b]);
      assert.deepEqual(got.shape, referenceMatMul(a, b, ta, tb).shape);
      assertClose(got.dataSync(), want, 'wasm vs cpu');
      assertClose(got.dataSync(), referenceMatMul(a, b, ta, tb).values, 'wasm vs float64');
      tf.dispose([a, b, got]);
    });
  }

  for (const [sa, sb, ta, tb] of BROADCAST_FORMS) {
    test(`matMul broadcasts ${JSON.stringify(sa)} x ${JSON.stringify(sb)} transposeA=${ta} transposeB=${tb}`, () => {
      const a = tf.tensor(randn(sa.reduce((p, d) => p * d)), sa);
      const b = tf.tensor(randn(sb.reduce((p, d) => p * d)), sb);
      const got = tf.matMul(a, b, ta, tb);
      const want = referenceMatMul(a, b, ta, tb);
      assert.deepEqual(got.shape, want.shape);
      assertClose(got.dataSync(), want.values, 'wasm vs float64');
      tf.dispose([a, b, got]);
    });
  }

  test('fused matMul with bias and activation equals cpu', async () => {
    const cases: [Case, 'full' | 'one', tf.fused.Activation][] = [
      [NN_FORMS[0], 'full', 'relu'], // already the fast path
      [NN_FORMS[1], 'full', 'relu'], // transposed A, materialised
      [NN_FORMS[4], 'full', 'leakyrelu'], // batched A flattened
      [NN_FORMS[5], 'full', 'linear'],
      [NN_FORMS[7], 'full', 'relu'], // truly batched: composed kernels
      [NN_FORMS[4], 'one', 'sigmoid'], // bias of one value: composed kernels
    ];
    for (const [[sa, sb, ta, tb], biasKind, activation] of cases) {
      const a = tf.tensor(randn(sa.reduce((p, d) => p * d)), sa);
      const b = tf.tensor(randn(sb.reduce((p, d) => p * d)), sb);
      const bias = tf.tensor1d(randn(biasKind === 'one' ? 1 : tb ? sb[sb.length - 2] : sb[sb.length - 1]));
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.fused.matMul({
        a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: z, activation, leakyreluAlpha: 0.1,
      });
      const got = f(a, b, bias);
      assertClose(got.dataSync(), await onCpu(f, [a, b, bias]), `fused ${sa} x ${sb} ${activation} bias ${biasKind}`);
      tf.dispose([a, b, bias, got]);
    }
  });

  test('matMul with an empty inner dimension gives zeros', () => {
    const got = tf.matMul(tf.zeros([2, 3, 0]), tf.zeros([2, 0, 4]));
    assert.deepEqual(got.shape, [2, 3, 4]);
    assert.ok(got.dataSync().every((v) => v === 0));
  });

  test('UnsortedSegmentSum equals cpu, dropping ids outside [0, numSegments)', async () => {
    const x = tf.tensor(randn(6 * 3 * 2), [6, 3, 2]);
    const ids = tf.tensor1d([0, 2, 2, -1, 5, 1], 'int32');
    const got = tf.unsortedSegmentSum(x, ids, 4);
    assert.deepEqual(got.shape, [4, 3, 2]);
    assertClose(got.dataSync(), await onCpu((a, b) => tf.unsortedSegmentSum(a, b as tf.Tensor1D, 4), [x, ids]), 'float32');
    const xi = tf.tensor([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32');
    const gotInt = tf.unsortedSegmentSum(xi, tf.tensor1d([1, 0, 1], 'int32'), 2);
    assert.equal(gotInt.dtype, 'int32');
    assert.deepEqual(Array.from(gotInt.dataSync()), [3, 4, 6, 8]);
  });

  test('UnsortedSegmentSum with 2-D segment ids sums over both id dims', () => {
    // The cpu kernel cannot broadcast 2-D ids, so this compares with a plain sum.
    const xs = randn(2 * 3 * 4);
    const idList = [0, 1, 0, 2, 2, 1];
    const ids = tf.tensor2d(idList, [2, 3], 'int32') as unknown as tf.Tensor1D;
    const got = tf.unsortedSegmentSum(tf.tensor(xs, [2, 3, 4]), ids, 3);
    const want = new Float64Array(3 * 4);
    idList.forEach((s, i) => { for (let j = 0; j < 4; j++) want[s * 4 + j] += xs[i * 4 + j]; });
    assert.deepEqual(got.shape, [3, 4]);
    assertClose(got.dataSync(), want, '2-D ids');
  });

  test('gradient of tf.gather (embedding lookup) equals cpu', async () => {
    const table = tf.tensor2d(randn(10 * 6), [10, 6]); // (V, D)
    const ids = tf.tensor2d([[1, 3, 3, 0], [9, 1, 2, 3]], [2, 4], 'int32'); // (B, T)
    const w = tf.tensor3d(randn(2 * 4 * 6), [2, 4, 6]); // (B, T, D)
    const loss = (t: tf.Tensor, i: tf.Tensor, v: tf.Tensor) =>
      tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, i as tf.Tensor2D), v)))(t);
    const got = loss(table, ids, w);
    assert.deepEqual(got.shape, [10, 6]);
    assertClose(got.dataSync(), await onCpu(loss, [table, ids, w]), 'd loss / d table');
  });

  test('Identity shares the buffer: a clone outlives its source and frees the buffer with the last reference', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffers = backend.numDataIds();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    assert.equal(backend.numDataIds(), buffers + 1, 'the clone has no buffer of its own');
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
    y.dispose();
    assert.equal(backend.numDataIds(), buffers, 'the buffer is freed with its last tensor');
    // A variable assigned from a clone keeps its value when the clone's source changes hands.
    const v = tf.variable(tf.tensor1d([5, 6]));
    const kept = tf.clone(v);
    tf.tidy(() => v.assign(tf.tensor1d([7, 8])));
    assert.deepEqual(Array.from(kept.dataSync()), [5, 6]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8]);
    tf.dispose([kept, v]);
  });

  test('no tensors or backend buffers leak across repeated calls', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const inputs = [...NN_FORMS, ...BROADCAST_FORMS].map(([sa, sb, ta, tb]) =>
      [tf.randomNormal(sa), tf.randomNormal(sb), ta, tb] as const);
    const table = tf.randomNormal([10, 6]);
    const ids = tf.tensor1d([1, 3, 3, 9], 'int32');
    const round = () => tf.tidy(() => {
      for (const [a, b, ta, tb] of inputs) {
        tf.matMul(a, b, ta, tb);
        if (a.rank <= 3 && b.rank <= 3) tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb });
      }
      tf.grad((e: tf.Tensor) => tf.sum(tf.gather(e, ids)))(table);
      tf.grad((e: tf.Tensor) => tf.sum(tf.exp(tf.clone(e))))(table); // exp saves its output: a clone under the tape
    });
    round();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) round();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backend.numDataIds(), buffers);
  });
});
