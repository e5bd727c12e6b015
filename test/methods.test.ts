// The conformance suite: every registered method on every model family's tiny model.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch } from '../src/main/engine/data/batching';
import { T5Model } from '../src/main/engine/models/t5';
import type { MethodOptions } from '../src/main/engine/peft/method';
import { METHODS } from '../src/main/engine/peft/registry';
import { AdamW } from '../src/main/engine/train/adamw';
import { relError, TINY_T5, TINY_T5_GATED, tinyBatch, values } from './helpers';

type Config = typeof TINY_T5;
interface Case {
  identityAtInit: boolean;
  merges: boolean;
  /** Options for the tiny models (defaults where the tiny width allows). */
  options?: MethodOptions;
  /** The trainable count, written out independently of the method's code; -1: every parameter. */
  trainable: (c: Config) => number;
  /** Refused on these tiny T5s (at validation), with this message. */
  refused?: RegExp;
}

const gated = (c: Config) => c.feedForwardProj === 'gated-gelu';
const attn = (c: Config) => c.numLayers + 2 * c.numDecoderLayers; // attention modules
const ffn = (c: Config) => c.numLayers + c.numDecoderLayers; // feed-forwards
const inner = (c: Config) => c.numHeads * c.dKv;
/** Bottleneck adapters (W_down, b_down, W_up, b_up) of width m at n sites. */
const adapters = (c: Config, n: number, m: number, extra = 0) => n * (2 * c.dModel * m + m + c.dModel + extra);
const selfAndFfn = (c: Config) => c.numLayers * 2 + c.numDecoderLayers * 2;
/** Prefixes through an MLP of width b at the 3 locations (encoder self, decoder self, decoder cross). */
const prefixMlp = (c: Config, P: number, b: number) =>
  3 * (P * c.dModel + c.dModel * b + b) + attn(c) * (b + 1) * 2 * inner(c);
const PREFIX = { prefix_length: 3, bottleneck_size: 8 };

/** What each method promises; one row per method. */
const CASES: Record<string, Case> = {
  full: { identityAtInit: true, merges: true, trainable: () => -1 },
  houlsby: { identityAtInit: false, merges: false, trainable: (c) => adapters(c, selfAndFfn(c), c.dModel / 16) },
  pfeiffer: { identityAtInit: false, merges: false, trainable: (c) => adapters(c, ffn(c), c.dModel / 16) },
  parallel_adapter: { identityAtInit: true, merges: false, trainable: (c) => adapters(c, ffn(c), c.dModel / 2, 1) },
  ia3: { identityAtInit: true, merges: true, trainable: (c) => attn(c) * 2 * inner(c) + ffn(c) * c.dFf },
  ln_tuning: { identityAtInit: true, merges: true, trainable: (c) => (5 * c.numLayers + 2) * c.dModel },
  lora_qv: { identityAtInit: true, merges: true, trainable: (c) => attn(c) * 2 * 8 * (c.dModel + inner(c)) },
  lora_all: {
    identityAtInit: true, merges: true,
    trainable: (c) => attn(c) * 4 * 8 * (c.dModel + inner(c)) + ffn(c) * (gated(c) ? 3 : 2) * 8 * (c.dModel + c.dFf),
  },
  prefix_tuning: { identityAtInit: false, merges: false, options: PREFIX, trainable: (c) => prefixMlp(c, 3, 8) },
  prompt_tuning: { identityAtInit: false, merges: false, options: { num_virtual_tokens: 3 }, trainable: (c) => 3 * c.dModel },
  // d = 16 factors as 4·4 on both sides; r 8 ≥ 4/2 keeps w2 whole: 16 + 16 per Linear.
  krona: { identityAtInit: true, merges: true, trainable: (c) => attn(c) * 2 * (16 + 16) },
  dora: { identityAtInit: true, merges: true, trainable: (c) => attn(c) * 2 * (8 * (c.dModel + inner(c)) + inner(c)) },
  mam: {
    identityAtInit: false, merges: false, options: PREFIX,
    trainable: (c) => prefixMlp(c, 3, 8) + adapters(c, ffn(c), c.dModel / 2),
  },
  unipelt: {
    identityAtInit: false, merges: false, options: { ...PREFIX, reduction_factor: 4 },
    trainable: (c) => attn(c) * 2 * (8 * (c.dModel + inner(c)) + c.dModel + 1) // gated LoRA
      + prefixMlp(c, 3, 8) + attn(c) * (c.dModel + 1) // gated prefixes
      + adapters(c, ffn(c), c.dModel / 4, c.dModel + 1), // gated adapters
  },
  bitfit: { identityAtInit: true, merges: true, trainable: () => 0, refused: /bitfit: a T5 model has no bias parameters.*BERT/ },
  compacter: {
    identityAtInit: false, merges: false, options: { reduction_factor: 4 },
    trainable: (c) => selfAndFfn(c) * 3 * (c.dModel + c.dModel / 4) + 4 ** 3,
  },
  compacter_pp: {
    identityAtInit: false, merges: false, options: { reduction_factor: 4 },
    trainable: (c) => ffn(c) * 3 * (c.dModel + c.dModel / 4) + 4 ** 3,
  },
};

const FAMILIES = { 't5 relu tied': TINY_T5, 't5 gated untied': TINY_T5_GATED };

before(async () => {
  await initBackend();
});

test('every registry key equals its method id, and every method has a test row', () => {
  for (const [key, m] of Object.entries(METHODS)) assert.equal(key, m.id);
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(METHODS).sort());
});

for (const [family, config] of Object.entries(FAMILIES)) {
  for (const [id, expect] of Object.entries(CASES)) {
    if (expect.refused) {
      test(`${id} on ${family} is refused with the reason`, () => {
        assert.throws(() => METHODS[id].validate(expect.options ?? {}, config), expect.refused!);
      });
      continue;
    }
    describe(`${id} on ${family}`, () => {
      test('counts, identity at init, one step changes only its own variables, no leak', () => {
        const model = T5Model.random(config, 3);
        const batch = tinyBatch();
        const method = METHODS[id];
        const base = () => tf.tidy(() => values(model.logits(batch, { training: false })).slice());
        const before = base();
        const baseWeights = new Map([...model.params].map(([n, v]) => [n, values(v).slice()]));
        const attached = method.attach(model, method.validate(expect.options ?? {}, config), 7);
        try {
          const trainable = expect.trainable(config);
          assert.equal(attached.trainableParams, trainable < 0 ? model.numParams() : trainable);
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
        const batch = tinyBatch();
        const trained = T5Model.random(config, 3);
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
        const fresh = T5Model.random(config, 3);
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
