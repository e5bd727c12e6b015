// T5 parity against the PyTorch reference (test/fixtures/gen_t5_fixture.py), plus the model's
// contract: leaks, dropout seeding, hooks, loading errors and config parsing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { T5Model } from '../src/main/engine/models/t5';
import { parseT5Config, toHfConfig } from '../src/main/engine/models/t5_config';
import type { Seq2SeqBatch, T5Config } from '../src/main/engine/models/types';
import { readFixtureFolder } from './parity_fixture';

/** Max abs difference over max abs reference value. */
const TOLERANCE = 1e-4;

interface Values {
  shape: number[];
  values: number[];
}
interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  logits: Values;
  loss: number;
  grads: Record<string, Values>;
  generate: { input_ids: number[][]; max_new_tokens: number; output: number[][] };
}
interface Fixture {
  configJson: Record<string, unknown>;
  config: T5Config;
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
  names: string[];
  ref: Reference;
}

function readFixture(name: string): Fixture {
  const { configJson, weights, shapes, names, ref } = readFixtureFolder<Reference>(name);
  return { configJson, config: parseT5Config(configJson, `${name}/config.json`), weights, shapes, names, ref };
}

function batchOf(ref: Reference): Seq2SeqBatch {
  return {
    inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(ref.attention_mask, undefined, 'int32'),
    labels: tf.tensor2d(ref.labels, undefined, 'int32'),
  };
}

function disposeBatch(b: Seq2SeqBatch): void {
  tf.dispose([b.inputIds, b.attentionMask, b.labels]);
}

function relativeError(actual: ArrayLike<number>, expected: number[]): number {
  assert.equal(actual.length, expected.length, 'size');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

/** Gradients of the eval loss w.r.t. `names`, in checkpoint layout. */
function checkpointGrads(model: T5Model, batch: Seq2SeqBatch, names: string[]): Map<string, tf.Tensor> {
  const vars = names.map((n) => model.params.get(n)!);
  const linear = new Set(model.linearSites().map((s) => `${s.name}.weight`));
  const { value, grads } = tf.variableGrads(() => model.loss(batch, { training: false }), vars);
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  names.forEach((n, i) => {
    const g = grads[vars[i].name];
    out.set(n, linear.has(n) ? tf.transpose(g) : g.clone());
  });
  tf.dispose(Object.values(grads));
  return out;
}

before(async () => {
  await initBackend();
});

for (const name of ['t5_tiny_relu', 't5_tiny_gated']) {
  describe(`T5 parity: ${name}`, () => {
    let fx: Fixture;
    let model: T5Model;
    let batch: Seq2SeqBatch;
    before(() => {
      fx = readFixture(name);
      model = T5Model.fromWeights(fx.config, fx.weights, fx.shapes);
      batch = batchOf(fx.ref);
    });
    after(() => {
      disposeBatch(batch);
      model.dispose();
    });

    test('logits and loss match the reference', () => {
      const logits = model.logits(batch, { training: false });
      assert.deepEqual(logits.shape, fx.ref.logits.shape);
      const err = relativeError(logits.dataSync(), fx.ref.logits.values);
      logits.dispose();
      assert.ok(err < TOLERANCE, `logits relative error ${err}`);
      const loss = model.loss(batch, { training: false });
      const lossErr = Math.abs(loss.dataSync()[0] - fx.ref.loss) / Math.abs(fx.ref.loss);
      loss.dispose();
      assert.ok(lossErr < TOLERANCE, `loss relative error ${lossErr}`);
    });

    test('gradients match the reference', () => {
      const grads = checkpointGrads(model, batch, Object.keys(fx.ref.grads));
      for (const [n, g] of grads) {
        assert.deepEqual(g.shape, fx.ref.grads[n].shape, n);
        const err = relativeError(g.dataSync(), fx.ref.grads[n].values);
        assert.ok(err < TOLERANCE, `${n}: gradient relative error ${err}`);
      }
      tf.dispose([...grads.values()]);
    });

    test('greedy generation equals the reference, batched and row by row', () => {
      const { input_ids, max_new_tokens, output } = fx.ref.generate;
      assert.deepEqual(model.generate(input_ids, max_new_tokens), output);
      input_ids.forEach((row, b) => assert.deepEqual(model.generate([row], max_new_tokens), [output[b]]));
    });

    test('checkpoint names and tensors reproduce the file', () => {
      assert.deepEqual(model.checkpointNames(), fx.names);
      for (const n of fx.names) {
        const t = model.checkpointTensor(n);
        assert.deepEqual(t.shape, fx.shapes.get(n), n);
        assert.deepEqual(t.dataSync(), fx.weights.get(n), n);
        t.dispose();
      }
      const total = [...fx.weights.values()].reduce((a, w) => a + w.length, 0);
      assert.equal(model.numParams(), total);
    });
  });
}

describe('T5 model behaviour', () => {
  let fx: Fixture;
  let model: T5Model;
  let batch: Seq2SeqBatch;
  before(() => {
    fx = readFixture('t5_tiny_gated');
    model = T5Model.fromWeights(fx.config, fx.weights, fx.shapes);
    batch = batchOf(fx.ref);
  });
  after(() => {
    disposeBatch(batch);
    model.dispose();
  });

  test('forward + backward leaks no tensor', () => {
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => model.loss(batch, { training: true, dropoutSeed: 3 }));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(); // warm-up: backends may allocate once
    const before = tf.memory().numTensors;
    step();
    model.generate(fx.ref.generate.input_ids, 4);
    assert.equal(tf.memory().numTensors, before);
  });

  test('dropout repeats with its seed, differs with another, and is off in evaluation', () => {
    const lossOf = (training: boolean, dropoutSeed?: number): number => {
      const l = model.loss(batch, { training, dropoutSeed });
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    const a = lossOf(true, 11);
    assert.equal(lossOf(true, 11), a);
    assert.notEqual(lossOf(true, 12), a);
    assert.notEqual(lossOf(false), a);
    assert.equal(lossOf(false, 12), lossOf(false, 13));
  });

  test('generation stops per row at eos', () => {
    // The reference's second row is [58, 54, 5, ...]: with 5 as eos it stops after 3 tokens,
    // while the first row keeps its reference prefix.
    const stopAt5 = T5Model.fromWeights({ ...fx.config, eosTokenId: 5 }, fx.weights, fx.shapes);
    try {
      const [row0, row1] = stopAt5.generate(fx.ref.generate.input_ids, 6);
      assert.deepEqual(row1, fx.ref.generate.output[1].slice(0, 3));
      assert.deepEqual(row0.slice(0, 4), fx.ref.generate.output[0]);
    } finally {
      stopAt5.dispose();
    }
  });

  test('linear hooks replace exactly their site', () => {
    const site = 'decoder.block.1.layer.1.EncDecAttention.v';
    const plain = model.logits(batch, { training: false });
    let calls = 0;
    model.setLinearHook(site, (x, base) => (calls++, base(x)));
    const same = model.logits(batch, { training: false });
    model.setLinearHook(site, (x, base) => tf.mul(base(x), 0));
    const changed = model.logits(batch, { training: false });
    model.setLinearHook(site, null);
    assert.equal(calls, 1);
    assert.deepEqual(same.dataSync(), plain.dataSync());
    assert.ok(relativeError(changed.dataSync(), [...plain.dataSync()]) > 1e-3);
    tf.dispose([plain, same, changed]);
    assert.throws(() => model.setLinearHook('decoder.block.9.q', null), /decoder\.block\.9\.q/);
  });

  test('assignCheckpointTensor is the inverse of checkpointTensor', () => {
    const name = 'decoder.block.0.layer.2.DenseReluDense.wi_1.weight';
    const original = model.checkpointTensor(name); // (out, in)
    const before = tf.memory().numTensors;
    tf.tidy(() => model.assignCheckpointTensor(name, tf.mul(original, 2)));
    assert.equal(tf.memory().numTensors, before);
    const doubled = model.checkpointTensor(name);
    assert.deepEqual(doubled.dataSync(), tf.tidy(() => tf.mul(original, 2).dataSync()));
    model.assignCheckpointTensor(name, original);
    const flipped = tf.transpose(original);
    assert.throws(() => model.assignCheckpointTensor(name, flipped), /wi_1\.weight has checkpoint shape \[64,32\], got \[32,64\]/);
    tf.dispose([original, doubled, flipped]);
  });

  test('sites and norms cover every block', () => {
    const c = fx.config;
    const sites = model.linearSites();
    // encoder: 4 attention + 3 gated FFN per block; decoder: 8 attention + 3 FFN per block
    assert.equal(sites.length, c.numLayers * 7 + c.numDecoderLayers * 11);
    const cross = sites.find((s) => s.name === 'decoder.block.0.layer.1.EncDecAttention.o')!;
    assert.deepEqual(cross, {
      name: 'decoder.block.0.layer.1.EncDecAttention.o', module: 'o', role: 'attention_output', stack: 'decoder', block: 0,
      attention: 'cross', inFeatures: c.numHeads * c.dKv, outFeatures: c.dModel,
    });
    assert.equal(sites.find((s) => s.module === 'wi_1')!.attention, null);
    assert.equal(sites.find((s) => s.module === 'wi_1')!.role, 'ffn_up');
    assert.equal(sites.find((s) => s.module === 'wi_0')!.role, 'ffn_gate');
    assert.equal(model.normParams().length, c.numLayers * 2 + c.numDecoderLayers * 3 + 2);
  });
});

describe('T5 weights', () => {
  test('random init follows HF scales and its seed', () => {
    const { config } = readFixture('t5_tiny_relu');
    const a = T5Model.random(config, 5);
    const b = T5Model.random(config, 5);
    try {
      const std = (n: string): number => tf.tidy(() => tf.sqrt(tf.moments(a.params.get(n)!).variance).dataSync()[0]);
      const q = 'encoder.block.0.layer.0.SelfAttention.q.weight';
      assert.ok(Math.abs(std(q) / (config.dModel * config.dKv) ** -0.5 - 1) < 0.1, `q std ${std(q)}`);
      assert.ok(Math.abs(std('shared.weight') - 1) < 0.1);
      assert.ok(Math.abs(std('decoder.block.0.layer.2.DenseReluDense.wo.weight') / config.dFf ** -0.5 - 1) < 0.1);
      assert.deepEqual(a.params.get(q)!.dataSync(), b.params.get(q)!.dataSync());
      assert.deepEqual([...new Set(a.params.get('encoder.final_layer_norm.weight')!.dataSync())], [1]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('missing and mis-shaped tensors are named with both shapes', () => {
    const fx = readFixture('t5_tiny_gated');
    const q = 'encoder.block.1.layer.0.SelfAttention.q.weight';
    const missing = new Map(fx.weights);
    missing.delete('lm_head.weight');
    assert.throws(() => T5Model.fromWeights(fx.config, missing, fx.shapes), /lm_head\.weight is missing.*\[64,32\]/);
    const shapes = new Map(fx.shapes).set(q, [8, 128]);
    assert.throws(() => T5Model.fromWeights(fx.config, fx.weights, shapes), /q\.weight has shape \[8,128\].*\[32,32\]/);
    const aliased = new Map(fx.weights);
    aliased.set('encoder.embed_tokens.weight', aliased.get('shared.weight')!).delete('shared.weight');
    const aliasShapes = new Map(fx.shapes).set('encoder.embed_tokens.weight', fx.shapes.get('shared.weight')!);
    T5Model.fromWeights(fx.config, aliased, aliasShapes).dispose();
    const fewerLayers = { ...fx.config, numLayers: 1 };
    assert.throws(() => T5Model.fromWeights(fewerLayers, fx.weights, fx.shapes), /unexpected tensors encoder\.block\.1/);
  });
});

describe('T5 config', () => {
  const base = (): Record<string, unknown> => readFixture('t5_tiny_relu').configJson;

  test('round-trips through the Hugging Face config.json', () => {
    const c = parseT5Config(base(), 'config.json');
    assert.deepEqual(parseT5Config(toHfConfig(c), 'config.json'), c);
    assert.equal(c.numDecoderLayers, 2);
    const { num_decoder_layers: _n, relative_attention_max_distance: _m, tie_word_embeddings: _t, ...rest } = base();
    const defaults = parseT5Config({ ...rest, num_layers: 3 }, 'config.json');
    assert.equal(defaults.numDecoderLayers, 3);
    assert.equal(defaults.relativeAttentionMaxDistance, 128);
    assert.equal(defaults.tieWordEmbeddings, true);
  });

  test('bad values name the file, the field and the fix', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ d_model: undefined }, /m\/config\.json: d_model is missing; add it/],
      [{ vocab_size: 0 }, /vocab_size must be an integer ≥ 2, got 0/],
      [{ feed_forward_proj: 'gated-silu' }, /feed_forward_proj is "gated-silu".*use "relu".*"gated-gelu"/],
      [{ dense_act_fn: 'gelu' }, /dense_act_fn must be "relu"/],
      [{ pad_token_id: 64 }, /pad_token_id is 64, outside the vocabulary/],
      [{ dropout_rate: 1 }, /dropout_rate must be a number in \[0, 1\)/],
      [{ model_type: 'bart' }, /model_type is "bart", not "t5"/],
      [{ relative_attention_max_distance: 16 }, /relative_attention_max_distance \(16\) must exceed/],
      [{ tie_word_embeddings: 'yes' }, /tie_word_embeddings must be true or false/],
      [{ decoder_start_token_id: undefined }, /decoder_start_token_id is missing/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => parseT5Config({ ...base(), ...change }, 'm/config.json'), message);
    }
    assert.throws(() => parseT5Config([], 'm/config.json'), /m\/config\.json: expected a JSON object/);
  });
});
