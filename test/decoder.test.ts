// LLaMA / Qwen2 / Mistral parity against the PyTorch reference (test/fixtures/gen_decoder_fixture.py):
// per-position logits of padded prompts, the prompt-masked loss and its target logits, gradients,
// and greedy generations with the key/value cache; plus config errors and leaks.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch, makeBatch } from '../src/main/engine/data/batching';
import { DecoderModel } from '../src/main/engine/models/decoder';
import { parseDecoderConfig } from '../src/main/engine/models/decoder_config';
import { checkLossAndGrads, readDecoderFixture } from './parity_fixture';
import { inverseFrequencies } from '../src/main/engine/models/rope';
import type { DecoderConfig } from '../src/main/engine/models/types';
import { relError, values } from './helpers';

const TOLERANCE = 1e-4;
const NAMES = ['llama_tiny_gqa', 'llama_tiny_tied', 'qwen2_tiny', 'mistral_tiny'];

/** Right-padded ids and mask of rows of different lengths. */
function padded(rows: number[][], pad: number) {
  const L = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...new Array(L - r.length).fill(pad)]);
  const mask = rows.map((r) => r.map(() => 1).concat(new Array(L - r.length).fill(0)));
  return { ids: tf.tensor2d(ids, undefined, 'int32'), mask: tf.tensor2d(mask, undefined, 'int32'), L };
}

before(async () => {
  await initBackend();
});

for (const name of NAMES) {
  describe(`${name} parity`, () => {
    const fx = readDecoderFixture(name);
    const batchOf = () => makeBatch(fx.ref.prompts.map((p, i) => ({ input: p, target: fx.ref.labels[i] })), fx.config.padTokenId);

    test('logits of padded prompts equal the unpadded reference at every real position', () => {
      const model = DecoderModel.fromWeights(fx.config, fx.weights, fx.shapes);
      const { ids, mask, L } = padded(fx.ref.prompts, fx.config.padTokenId);
      try {
        const logits = tf.tidy(() => values(model.causalLogits(ids, mask)).slice()); // (B, L, V)
        const V = fx.config.vocabSize;
        fx.ref.prompts.forEach((row, b) => {
          const ours = logits.slice(b * L * V, (b * L + row.length) * V);
          const err = relError(ours, fx.ref.prompt_logits[b].values);
          assert.ok(err < TOLERANCE, `row ${b}: relative error ${err}`);
        });
      } finally {
        tf.dispose([ids, mask]);
        model.dispose();
      }
    });

    test('prompt ‖ labels: target logits, the prompt-masked loss and gradients match', () => {
      const model = DecoderModel.fromWeights(fx.config, fx.weights, fx.shapes);
      const batch = batchOf();
      try {
        const logits = tf.tidy(() => values(model.logits(batch, { training: false })).slice()); // (B, T, V)
        const T = batch.labels.shape[1], V = fx.config.vocabSize;
        fx.ref.labels.forEach((row, b) => {
          const err = relError(logits.slice(b * T * V, (b * T + row.length) * V), fx.ref.target_logits[b].values);
          assert.ok(err < TOLERANCE, `row ${b}: relative error ${err}`);
        });
        checkLossAndGrads(model, batch, fx.ref, TOLERANCE);
      } finally {
        disposeBatch(batch);
        model.dispose();
      }
    });

    test('greedy generation with the cache equals the reference, and leaks nothing', () => {
      const model = DecoderModel.fromWeights(fx.config, fx.weights, fx.shapes);
      try {
        const g = fx.ref.generate;
        model.generate(g.input_ids, 1);
        const before = tf.memory().numTensors;
        assert.deepEqual(model.generate(g.input_ids, g.max_new_tokens), g.output);
        assert.equal(tf.memory().numTensors, before, 'generate leaks tensors');
        // Batched rows of different lengths give what each row gives alone.
        assert.deepEqual(model.generate([g.input_ids[1]], g.max_new_tokens), [g.output[1]]);
      } finally {
        model.dispose();
      }
    });
  });
}

test('the configs read as the fixtures intend', () => {
  const gqa = readDecoderFixture('llama_tiny_gqa').config;
  assert.deepEqual([gqa.numHeads, gqa.numKvHeads, gqa.headDim, gqa.ropeScaling?.type, gqa.tieWordEmbeddings], [4, 2, 16, 'llama3', false]);
  const qwen = readDecoderFixture('qwen2_tiny').config;
  assert.deepEqual([qwen.qkvBias, qwen.outputBias, qwen.tieWordEmbeddings], [true, false, true]);
  assert.equal(readDecoderFixture('mistral_tiny').config.slidingWindow, 4);
});

test('llama3 rope scaling keeps high frequencies, divides low ones, blends between', () => {
  const s = { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 };
  const plain = inverseFrequencies(8, 10000, null); // wavelengths 6.3, 63, 628, 6283
  const scaled = inverseFrequencies(8, 10000, s);
  assert.equal(scaled[0], plain[0]);
  assert.ok(Math.abs(scaled[3] - plain[3] / 8) < 1e-12);
  assert.ok(scaled[1] < plain[1] && scaled[1] > plain[1] / 8);
});

test('bad decoder configs are refused with the field and the fix', () => {
  const base = readDecoderFixture('llama_tiny_gqa').configJson;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ num_key_value_heads: 3 }, /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/],
    [{ rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_type is "yarn".*supported: default, linear, llama3/],
    [{ hidden_act: 'gelu' }, /hidden_act is "gelu"/],
    [{ mlp_bias: true }, /mlp_bias is true/],
    [{ hidden_size: undefined }, /hidden_size is missing/],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /rope_scaling: low_freq_factor is missing; add it to rope_scaling/],
  ];
  for (const [patch, pattern] of cases) {
    assert.throws(() => parseDecoderConfig({ ...base, ...patch }, 'm/config.json'), pattern);
  }
  const qwen = readDecoderFixture('qwen2_tiny').configJson;
  assert.throws(() => parseDecoderConfig({ ...qwen, use_sliding_window: true }, 'q/config.json'), /use_sliding_window is true/);
});

test('config and weights that disagree name the tensor and both shapes', () => {
  const fx = readDecoderFixture('llama_tiny_gqa');
  const wrong: DecoderConfig = { ...fx.config, intermediateSize: 40 };
  assert.throws(() => DecoderModel.fromWeights(wrong, fx.weights, fx.shapes), /gate_proj\.weight has shape \[48,32\], the config expects \[40,32\]/);
  const tied = readDecoderFixture('llama_tiny_tied');
  const untied: DecoderConfig = { ...tied.config, tieWordEmbeddings: false };
  assert.throws(() => DecoderModel.fromWeights(untied, tied.weights, tied.shapes), /lm_head\.weight is missing \(expected shape \[64,32\]\)/);
  const fewer: DecoderConfig = { ...fx.config, numLayers: 1 };
  assert.throws(() => DecoderModel.fromWeights(fewer, fx.weights, fx.shapes), /unexpected tensors model\.layers\.1\..*num_hidden_layers/);
});
