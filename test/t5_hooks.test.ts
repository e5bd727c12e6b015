// The hook points of the model contract on T5: sublayer residuals, key/value prefixes, soft prompts.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch, makeBatch } from '../src/main/engine/data/batching';
import { T5Model } from '../src/main/engine/models/t5';
import { relError, TINY_T5, tinyBatch, values } from './helpers';

before(async () => {
  await initBackend();
});

const logits = (m: T5Model, b: ReturnType<typeof tinyBatch>) => tf.tidy(() => values(m.logits(b, { training: false })).slice());

test('a sublayer hook returning x + h changes nothing; one dropping h does', () => {
  const model = T5Model.random(TINY_T5, 2);
  const batch = tinyBatch();
  try {
    const before = logits(model, batch);
    const sites = model.shape().sublayers;
    assert.equal(sites.length, 2 * TINY_T5.numLayers + 3 * TINY_T5.numDecoderLayers);
    for (const s of sites) model.setSublayerHook(s.name, (x, h) => tf.add(x, h) as tf.Tensor3D);
    assert.equal(relError(logits(model, batch), before), 0);
    model.setSublayerHook(sites[0].name, (x) => x);
    assert.ok(relError(logits(model, batch), before) > 1e-3);
    assert.throws(() => model.setSublayerHook('encoder.block.7.layer.0', null), /no sublayer named "encoder\.block\.7\.layer\.0"/);
  } finally {
    model.dispose();
    disposeBatch(batch);
  }
});

test('a soft prompt equals prepending those embeddings as tokens', () => {
  const model = T5Model.random(TINY_T5, 2);
  const promptIds = [5, 9, 11];
  const rows = [[7, 8, 1], [12, 3, 4, 1]];
  const plain = makeBatch(rows.map((input) => ({ input, target: [2, 1] })), 0);
  const spelled = makeBatch(rows.map((input) => ({ input: [...promptIds, ...input], target: [2, 1] })), 0);
  const table = tf.tidy(() => tf.gather(model.params.get('shared.weight')!, promptIds)) as tf.Tensor2D; // (P, D)
  try {
    const expected = logits(model, spelled);
    model.setPromptHook({ length: promptIds.length, prompt: () => table });
    assert.ok(relError(logits(model, plain), expected) < 1e-5);
  } finally {
    table.dispose();
    model.dispose();
    disposeBatch(plain);
    disposeBatch(spelled);
  }
});

test('with prefixes and a prompt, cached greedy decoding agrees with the teacher-forced argmax', () => {
  const model = T5Model.random(TINY_T5, 4);
  const H = TINY_T5.numHeads, dk = TINY_T5.dKv, P = 2;
  const kv = tf.tidy(() => tf.variable(tf.randomNormal([2, 1, H, P, dk], 0, 1, 'float32', 3)));
  const prompt = tf.tidy(() => tf.variable(tf.randomNormal([3, TINY_T5.dModel], 0, 1, 'float32', 5)));
  const inputs = [[7, 8, 9, 1], [12, 3, 1]];
  try {
    for (const s of model.shape().attentions) {
      model.setPrefixHook(s.name, {
        length: P,
        keyValues: (x) => {
          const [k, v] = tf.unstack(kv).map((t) => tf.tile(t, [x.shape[0], 1, 1, 1]) as tf.Tensor4D);
          return { k, v };
        },
      });
    }
    model.setPromptHook({ length: 3, prompt: () => prompt as tf.Tensor as tf.Tensor2D });
    const start = tf.memory().numTensors;
    const generated = model.generate(inputs, 5);
    assert.equal(tf.memory().numTensors, start, 'generation leaks tensors');
    const T = Math.max(...generated.map((g) => g.length));
    const batch = makeBatch(inputs.map((input, b) => ({ input, target: generated[b] })), 0);
    const argmax = tf.tidy(() => tf.argMax(model.logits(batch, { training: false }), -1).arraySync() as number[][]);
    generated.forEach((g, b) => assert.deepEqual(argmax[b].slice(0, g.length), g, `row ${b} (T ${T})`));
    disposeBatch(batch);
  } finally {
    tf.dispose([kv, prompt]);
    model.dispose();
  }
});
