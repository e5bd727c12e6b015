// The conformance suite: every registered method on every model family's tiny model.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch, makeBatch } from '../src/main/engine/data/batching';
import { modelShape as randomShape, randomModel } from '../src/main/engine/models/families';
import type { DecoderConfig, EncoderConfig, ModelConfig, Seq2SeqBatch, T5Config } from '../src/main/engine/models/types';
import type { MethodOptions } from '../src/main/engine/peft/method';
import { METHODS } from '../src/main/engine/peft/registry';
import { AdamW } from '../src/main/engine/train/adamw';
import { relError, TINY_BERT, TINY_LLAMA, TINY_QWEN2, TINY_ROBERTA, TINY_T5, TINY_T5_GATED, tinyBatch, tinyExamples, values } from './helpers';

/** The sizes a method's count depends on, written out per family independently of the models' code. */
interface Dims {
  D: number;
  /** Output widths of q (and input of o), and of k and v (narrower under grouped-query attention). */
  q: number;
  kv: number;
  F: number;
  gated: boolean;
  /** Attention modules (T5: encoder self, decoder self and cross), feed-forwards, adapter sites (self + ffn). */
  attn: number;
  ffn: number;
  selfAndFfn: number;
  /** Prefix locations: distinct (stack, kind) of attentions. */
  prefixLocations: number;
  normParams: number;
  /** KronA on q and v: factor pairs of the tiny widths (see krona.ts's factorization). */
  krona: number;
  biasParams: number;
  /** The task head (an encoder's classifier), trained with every method; 0 where there is none. */
  head: number;
}

function t5Dims(c: T5Config): Dims {
  const inner = c.numHeads * c.dKv, attn = c.numLayers + 2 * c.numDecoderLayers;
  return {
    D: c.dModel, q: inner, kv: inner, F: c.dFf, gated: c.feedForwardProj === 'gated-gelu', attn,
    ffn: c.numLayers + c.numDecoderLayers, selfAndFfn: 2 * (c.numLayers + c.numDecoderLayers), prefixLocations: 3,
    normParams: (5 * c.numLayers + 2) * c.dModel,
    krona: attn * 2 * (16 + 16), // d = 16 = 4·4 on both sides; r 8 ≥ 4/2 keeps w2 whole
    biasParams: 0,
    head: 0,
  };
}

function decoderDims(c: DecoderConfig): Dims {
  const q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, L = c.numLayers;
  return {
    D: c.hiddenSize, q, kv, F: c.intermediateSize, gated: true, attn: L, ffn: L, selfAndFfn: 2 * L, prefixLocations: 1,
    normParams: (2 * L + 1) * c.hiddenSize,
    krona: L * ((4 * 4 + 4 * 4) + (2 * 4 + 4 * 4)), // q 16→16: 4·4 | 4·4; v 16→8: out 2·4, in 4·4
    biasParams: c.qkvBias ? L * (q + 2 * kv) : 0,
    head: 0,
  };
}

function encoderDims(c: EncoderConfig): Dims {
  const D = c.hiddenSize, F = c.intermediateSize, L = c.numLayers, N = c.numLabels;
  return {
    D, q: D, kv: D, F, gated: false, attn: L, ffn: L, selfAndFfn: 2 * L, prefixLocations: 1,
    normParams: (2 * L + 1) * 2 * D, // LayerNorm scales and biases: embeddings + two per layer
    krona: L * 2 * (16 + 16),
    // q, k, v, o, intermediate, output and the two LayerNorm biases per layer; the embeddings' LayerNorm; BERT's pooler
    biasParams: L * (4 * D + F + D + 2 * D) + D + (c.modelType === 'bert' ? D : 0),
    head: c.modelType === 'bert' ? D * N + N : D * D + D + D * N + N,
  };
}

interface Case {
  identityAtInit: boolean;
  merges: boolean;
  /** Options for the tiny models (defaults where the tiny width allows). */
  options?: MethodOptions;
  /** The trainable count, written out independently of the method's code; -1: every parameter. */
  trainable: (d: Dims) => number;
  /** Refused where this holds (at validation), with this message. */
  refused?: (d: Dims, family: string) => RegExp | null;
}

/** Bottleneck adapters (W_down, b_down, W_up, b_up) of width m at n sites. */
const adapters = (d: Dims, n: number, m: number, extra = 0) => n * (2 * d.D * m + m + d.D + extra);
/** LoRA of rank r on q and v. */
const loraQv = (d: Dims, r: number) => d.attn * r * (2 * d.D + d.q + d.kv);
/** Prefixes through an MLP of width b at every prefix location; slots are 2 · kv wide per layer. */
const prefixMlp = (d: Dims, P: number, b: number) =>
  d.prefixLocations * (P * d.D + d.D * b + b) + d.attn * (b + 1) * 2 * d.kv;
const PREFIX = { prefix_length: 3, bottleneck_size: 8 };

/** What each method promises; one row per method. */
const CASES: Record<string, Case> = {
  full: { identityAtInit: true, merges: true, trainable: () => -1 },
  houlsby: { identityAtInit: false, merges: false, trainable: (d) => adapters(d, d.selfAndFfn, d.D / 16) },
  pfeiffer: { identityAtInit: false, merges: false, trainable: (d) => adapters(d, d.ffn, d.D / 16) },
  parallel_adapter: { identityAtInit: true, merges: false, trainable: (d) => adapters(d, d.ffn, d.D / 2, 1) },
  ia3: { identityAtInit: true, merges: true, trainable: (d) => d.attn * 2 * d.kv + d.ffn * d.F },
  ln_tuning: { identityAtInit: true, merges: true, trainable: (d) => d.normParams },
  lora_qv: { identityAtInit: true, merges: true, trainable: (d) => loraQv(d, 8) },
  lora_all: {
    identityAtInit: true, merges: true,
    trainable: (d) => d.attn * 8 * (4 * d.D + 2 * d.q + 2 * d.kv) + d.ffn * (d.gated ? 3 : 2) * 8 * (d.D + d.F),
  },
  prefix_tuning: { identityAtInit: false, merges: false, options: PREFIX, trainable: (d) => prefixMlp(d, 3, 8) },
  prompt_tuning: { identityAtInit: false, merges: false, options: { num_virtual_tokens: 3 }, trainable: (d) => 3 * d.D },
  krona: { identityAtInit: true, merges: true, trainable: (d) => d.krona },
  dora: { identityAtInit: true, merges: true, trainable: (d) => loraQv(d, 8) + d.attn * (d.q + d.kv) },
  mam: {
    identityAtInit: false, merges: false, options: PREFIX,
    trainable: (d) => prefixMlp(d, 3, 8) + adapters(d, d.ffn, d.D / 2),
  },
  unipelt: {
    identityAtInit: false, merges: false, options: { ...PREFIX, reduction_factor: 4 },
    trainable: (d) => loraQv(d, 8) + d.attn * 2 * (d.D + 1) // gated LoRA
      + prefixMlp(d, 3, 8) + d.attn * (d.D + 1) // gated prefixes
      + adapters(d, d.ffn, d.D / 4, d.D + 1), // gated adapters
  },
  bitfit: {
    identityAtInit: true, merges: true, trainable: (d) => d.biasParams,
    refused: (d, family) => (d.biasParams === 0 ? new RegExp(`bitfit: a ${family.toUpperCase()} model has no bias parameters.*BERT`) : null),
  },
  compacter: {
    identityAtInit: false, merges: false, options: { reduction_factor: 4 },
    trainable: (d) => d.selfAndFfn * 3 * (d.D + d.D / 4) + 4 ** 3,
  },
  compacter_pp: {
    identityAtInit: false, merges: false, options: { reduction_factor: 4 },
    trainable: (d) => d.ffn * 3 * (d.D + d.D / 4) + 4 ** 3,
  },
};

/** Label indices in place of text targets: an encoder's batch. */
const labelBatch = (c: EncoderConfig) => () => makeBatch(tinyExamples(4).map((e, i) => ({ input: e.input, target: [i % c.numLabels] })), c.padTokenId);

const FAMILIES: Record<string, { config: ModelConfig; dims: Dims; batch: () => Seq2SeqBatch }> = {
  't5 relu tied': { config: TINY_T5, dims: t5Dims(TINY_T5), batch: tinyBatch },
  't5 gated untied': { config: TINY_T5_GATED, dims: t5Dims(TINY_T5_GATED), batch: tinyBatch },
  'llama gqa untied': { config: TINY_LLAMA, dims: decoderDims(TINY_LLAMA), batch: tinyBatch },
  'qwen2 biases tied': { config: TINY_QWEN2, dims: decoderDims(TINY_QWEN2), batch: tinyBatch },
  'bert classifier': { config: TINY_BERT, dims: encoderDims(TINY_BERT), batch: labelBatch(TINY_BERT) },
  'roberta classifier': { config: TINY_ROBERTA, dims: encoderDims(TINY_ROBERTA), batch: labelBatch(TINY_ROBERTA) },
};

before(async () => {
  await initBackend();
});

test('every registry key equals its method id, and every method has a test row', () => {
  for (const [key, m] of Object.entries(METHODS)) assert.equal(key, m.id);
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(METHODS).sort());
});

for (const [family, { config, dims, batch: familyBatch }] of Object.entries(FAMILIES)) {
  for (const [id, expect] of Object.entries(CASES)) {
    const refusal = expect.refused?.(dims, config.modelType) ?? null;
    if (refusal) {
      test(`${id} on ${family} is refused with the reason`, () => {
        assert.throws(() => METHODS[id].validate(expect.options ?? {}, config), refusal);
        assert.throws(() => METHODS[id].count(randomShape(config), {}), refusal);
      });
      continue;
    }
    describe(`${id} on ${family}`, () => {
      test('counts, identity at init, one step changes only its own variables, no leak', () => {
        const model = randomModel(config, 3);
        const batch = familyBatch();
        const method = METHODS[id];
        const base = () => tf.tidy(() => values(model.logits(batch, { training: false })).slice());
        const before = base();
        const baseWeights = new Map([...model.params].map(([n, v]) => [n, values(v).slice()]));
        const attached = method.attach(model, method.validate(expect.options ?? {}, config), 7);
        try {
          const trainable = expect.trainable(dims);
          assert.equal(attached.trainableParams, trainable < 0 ? model.numParams() : trainable + dims.head);
          const counted = method.count(model.shape(), method.validate(expect.options ?? {}, config));
          assert.equal(counted.trainable, attached.trainableParams, 'count() disagrees with attach()');
          assert.equal(counted.changed, attached.changedParams, 'count() disagrees with attach() on changed');
          assert.equal(attached.trainable.reduce((n, v) => n + v.size, 0), attached.trainableParams);
          if (expect.identityAtInit) assert.equal(relError(base(), before), 0);
          const opt = new AdamW(attached.trainable);
          const step = () => tf.tidy(() => {
            const { grads } = tf.variableGrads(() => model.loss(batch, { training: false }), attached.trainable);
            opt.step(attached.trainable.map((v) => grads[v.name]), 1e-2);
          });
          step();
          const tensors = tf.memory().numTensors;
          step();
          assert.equal(tf.memory().numTensors, tensors, 'a training step leaks tensors');
          const own = new Set(attached.trainable);
          for (const [name, v] of model.params) {
            const same = relError(values(v), baseWeights.get(name)!) === 0;
            assert.equal(same, !own.has(v), `${name}: ${own.has(v) ? 'trainable but unchanged' : 'frozen but changed'}`);
          }
          opt.dispose();
        } finally {
          attached.dispose();
          model.dispose();
          disposeBatch(batch);
        }
      });

      test('save then load reproduces outputs; merged equals unmerged', () => {
        const batch = familyBatch();
        const trained = randomModel(config, 3);
        const method = METHODS[id];
        const opts = method.validate(expect.options ?? {}, config);
        const a = method.attach(trained, opts, 7);
        // Move the method's variables away from their initial values.
        tf.tidy(() => a.trainable.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', i)))));
        const out = tf.tidy(() => values(trained.logits(batch, { training: false })).slice());
        const delta = a.save();
        const stored = delta.reduce((n, d) => n + d.data.length, 0);
        assert.equal(stored, method.count(trained.shape(), opts).stored, 'count().stored disagrees with save()');
        for (const d of delta) assert.equal(d.data.length, d.shape.reduce((x, y) => x * y, 1), `${d.name}: shape and data disagree`);
        const fresh = randomModel(config, 3);
        const b = method.attach(fresh, opts, 99);
        try {
          b.load(delta);
          const reloaded = tf.tidy(() => values(fresh.logits(batch, { training: false })).slice());
          assert.ok(relError(reloaded, out) < 1e-6, `save/load changed outputs by ${relError(reloaded, out)}`);
          assert.equal(a.merge !== null, expect.merges, `${id} ${expect.merges ? 'should' : 'cannot'} merge`);
          assert.equal(method.mergeable, expect.merges);
          if (a.merge) {
            a.merge();
            const merged = tf.tidy(() => values(trained.logits(batch, { training: false })).slice());
            assert.ok(relError(merged, out) < 1e-5, `merged differs from unmerged by ${relError(merged, out)}`);
          }
        } finally {
          [a, b].forEach((m) => m.dispose());
          [trained, fresh].forEach((m) => m.dispose());
          disposeBatch(batch);
        }
      });
    });
  }
}

test('bad options are refused with the field named', () => {
  assert.throws(() => METHODS.lora_qv.validate({ r: 0 }, TINY_T5), /lora_qv\.r must be a positive integer, got 0/);
  assert.throws(() => METHODS.lora_qv.validate({ alpha: -1 }, TINY_T5), /lora_qv\.alpha must be a positive number/);
  assert.throws(() => METHODS.full.validate({ r: 4 }, TINY_T5), /full\.r is not an option of full; known options: none/);
});
