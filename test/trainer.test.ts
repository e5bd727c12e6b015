import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { T5Model } from '../src/main/engine/models/t5';
import { METHODS } from '../src/main/engine/peft/registry';
import { AdamW, linearSchedule } from '../src/main/engine/train/adamw';
import { train, type TrainConfig } from '../src/main/engine/train/trainer';
import { TINY_T5, tinyExamples } from './helpers';

before(async () => {
  await initBackend();
});

test('linear schedule: warm-up from 0, then decay to 0 (transformers semantics)', () => {
  const lrs = Array.from({ length: 10 }, (_, s) => linearSchedule(s, 10, 2, 1));
  assert.deepEqual(lrs.map((x) => +x.toFixed(4)), [0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]);
  assert.equal(linearSchedule(0, 10, 0, 1), 1);
});

test('AdamW matches torch.optim.AdamW arithmetic', () => {
  const p = tf.variable(tf.tensor1d([1, -2, 0.5]));
  const opt = new AdamW([p], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 }, ['w']);
  const grads = [[0.1, -0.2, 0.3], [0.05, 0.1, -0.3]];
  // Reference computed by hand with the same formulas as torch: decay, then the corrected step.
  const ref = [1, -2, 0.5];
  const m = [0, 0, 0], v = [0, 0, 0];
  grads.forEach((g, t) => {
    for (let i = 0; i < 3; i++) {
      ref[i] *= 1 - 0.01 * 0.1;
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
      ref[i] -= (0.01 * (m[i] / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v[i] / (1 - 0.999 ** (t + 1))) + 1e-8);
    }
    const gt = tf.tensor1d(g);
    opt.step([gt], 0.01);
    gt.dispose();
  });
  const got = p.dataSync();
  ref.forEach((r, i) => assert.ok(Math.abs(got[i] - r) < 1e-6, `param ${i}: ${got[i]} vs ${r}`));
  opt.dispose();
  p.dispose();
});

test('AdamW relative step: each tensor moves by lr times its own RMS (floored at 1e-3), as Adafactor scales steps', () => {
  const big = tf.variable(tf.tensor1d([3, -4])); // RMS √12.5
  const tiny = tf.variable(tf.tensor1d([1e-5, -1e-5])); // RMS below the floor
  const opt = new AdamW([big, tiny], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, relativeStep: true }, ['a', 'b']);
  const g = [tf.tensor1d([1, 1]), tf.tensor1d([1, 1])];
  opt.step(g, 0.01); // the first Adam step is ±1 per element
  const moved = (x: tf.Variable, before: number[]) => Array.from(x.dataSync()).map((v, i) => before[i] - v);
  moved(big, [3, -4]).forEach((d) => assert.ok(Math.abs(d - 0.01 * Math.sqrt(12.5)) < 1e-5, `big moved ${d}`));
  moved(tiny, [1e-5, -1e-5]).forEach((d) => assert.ok(Math.abs(d - 0.01 * 1e-3) < 1e-8, `tiny moved ${d}`));
  tf.dispose([...g, big, tiny]);
  opt.dispose();
});

const CFG: TrainConfig = { steps: 12, microBatch: 4, effectiveBatch: 8, learningRate: 3e-3, warmupRatio: 0.1, weightDecay: 0.01, seed: 5 };

async function losses(cfg: TrainConfig, method = 'full'): Promise<number[]> {
  const model = T5Model.random(TINY_T5, 11);
  const m = METHODS[method];
  const attached = m.attach(model, m.validate({}, TINY_T5), cfg.seed);
  const seen: number[] = [];
  try {
    await train(model, attached, tinyExamples(40), 0, cfg, { onStep: (s) => void seen.push(s.loss) });
  } finally {
    attached.dispose();
    model.dispose();
  }
  return seen;
}

test('a seed makes a run repeat exactly; another seed changes it', async () => {
  const a = await losses(CFG);
  const b = await losses(CFG);
  const c = await losses({ ...CFG, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('training lowers the loss, accumulates, and reports its measurements', async () => {
  const model = T5Model.random(TINY_T5, 11);
  const attached = METHODS.full.attach(model, {}, 0);
  const tensorsBefore = tf.memory().numTensors;
  const seen: number[] = [];
  try {
    const out = await train(model, attached, tinyExamples(64), 0, { ...CFG, steps: 30, learningRate: 1e-2 }, { onStep: (s) => void seen.push(s.loss) });
    assert.ok(seen.at(-1)! < seen[0] * 0.7, `loss went from ${seen[0]} to ${seen.at(-1)}`);
    assert.ok(out.trainTokensPerSec > 0 && Number.isFinite(out.trainTokensPerSec));
    const weightBytes = model.numParams() * 4;
    assert.ok(out.peakTensorBytes > 3 * weightBytes, 'peak should hold weights, two Adam moments and activations');
    assert.ok(out.peakRssBytes > 0);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'training left tensors behind');
  } finally {
    attached.dispose();
    model.dispose();
  }
});

test('a diverging run stops with the step named', async () => {
  const model = T5Model.random(TINY_T5, 11);
  const attached = METHODS.full.attach(model, {}, 0);
  try {
    await assert.rejects(train(model, attached, tinyExamples(40), 0, { ...CFG, learningRate: 1e30 }), /diverged at step \d+: loss is (NaN|Infinity)/);
  } finally {
    attached.dispose();
    model.dispose();
  }
});

test('too few examples for one microbatch is a clear error', async () => {
  const model = T5Model.random(TINY_T5, 11);
  const attached = METHODS.ln_tuning.attach(model, {}, 0);
  try {
    await assert.rejects(train(model, attached, tinyExamples(2), 0, CFG), /2 examples, fewer than one microbatch of 4/);
  } finally {
    attached.dispose();
    model.dispose();
  }
});
