// BERT / RoBERTa parity against the PyTorch reference (test/fixtures/gen_encoder_fixture.py): label
// logits of padded batches, the cross-entropy and gradients; loading old and pretraining checkpoints,
// a head the checkpoint lacks, and config errors.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch, makeBatch } from '../src/main/engine/data/batching';
import { EncoderModel } from '../src/main/engine/models/encoder';
import { parseEncoderConfig } from '../src/main/engine/models/encoder_config';
import { describeModelFolder } from '../src/main/engine/models/discover';
import { modelShape } from '../src/main/engine/models/families';
import { loadWeights, openCheckpoint } from '../src/main/engine/models/load';
import { mapSource } from '../src/main/engine/models/params';
import type { EncoderConfig } from '../src/main/engine/models/types';
import { relError, TINY_BERT, values } from './helpers';
import { checkLossAndGrads, readEncoderFixture } from './parity_fixture';

const TOLERANCE = 1e-4;

before(async () => {
  await initBackend();
});

for (const name of ['bert_tiny', 'roberta_tiny']) {
  describe(`${name} parity`, () => {
    const fx = readEncoderFixture(name);
    const batchOf = () => makeBatch(fx.ref.rows.map((r, i) => ({ input: r, target: [fx.ref.labels[i]] })), fx.config.padTokenId);

    test('label logits of a padded batch, the loss and gradients equal the unpadded reference', () => {
      const model = loadWeights(fx.dir, fx.config) as EncoderModel;
      const batch = batchOf();
      try {
        const logits = tf.tidy(() => values(model.logits(batch, { training: false })).slice()); // (B, 1, N)
        assert.ok(relError(logits, fx.ref.logits.values) < TOLERANCE, `logits: relative error ${relError(logits, fx.ref.logits.values)}`);
        checkLossAndGrads(model, batch, fx.ref, TOLERANCE);
      } finally {
        disposeBatch(batch);
        model.dispose();
      }
    });

    test('classify is the argmax of the reference logits, with no tensor leak', () => {
      const model = loadWeights(fx.dir, fx.config) as EncoderModel;
      try {
        const N = fx.config.numLabels;
        const expected = fx.ref.rows.map((_, b) => {
          const row = fx.ref.logits.values.slice(b * N, (b + 1) * N);
          return row.indexOf(Math.max(...row));
        });
        assert.deepEqual(model.classify(fx.ref.rows), expected);
        const before = tf.memory().numTensors;
        model.classify(fx.ref.rows);
        assert.equal(tf.memory().numTensors, before);
      } finally {
        model.dispose();
      }
    });
  });
}

test('loading reads old names and skips what a classifier does not use', () => {
  const bert = readEncoderFixture('bert_tiny');
  const checkpoint = openCheckpoint(bert.dir);
  try {
    const names = checkpoint.source.names();
    assert.ok(names.includes('bert.embeddings.LayerNorm.gamma') && names.includes('cls.seq_relationship.weight'));
    assert.ok(names.includes('bert.embeddings.position_ids'), 'the I64 buffer is in the file and ignored');
  } finally {
    checkpoint.close();
  }
  assert.equal(bert.config.numLabels, 3, 'from id2label');
  const listed = describeModelFolder(bert.dir, 'bert_tiny', 'folder');
  const shape = modelShape(bert.config);
  assert.equal(listed.problem, null);
  assert.equal(listed.params, shape.totalParams - (32 * 3 + 3), 'discovery counts the base model: the head is the task’s');
  assert.match(listed.summary!, /^BERT: 2 layers, hidden 32, 4 heads, vocabulary 64$/);
  const roberta = readEncoderFixture('roberta_tiny');
  assert.equal(roberta.config.numLabels, 2, 'transformers’ default without id2label');
  assert.equal(roberta.config.layerNormEps, 1e-5);
});

/** A tiny BERT's checkpoint tensors (checkpoint layout) without the classifier, as a base model's folder has. */
function baseWeights(config: EncoderConfig) {
  const model = EncoderModel.random(config, 5);
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  try {
    for (const name of model.checkpointNames().filter((n) => !n.startsWith('classifier.'))) {
      const t = model.checkpointTensor(name);
      weights.set(name.replace(/^bert\./, ''), (t.dataSync() as Float32Array).slice()); // a bare BertModel: no prefix
      shapes.set(name.replace(/^bert\./, ''), t.shape.slice());
      t.dispose();
    }
  } finally {
    model.dispose();
  }
  return { weights, shapes };
}

test('a head absent from the checkpoint is initialised from the seed with the task’s labels', () => {
  const { weights, shapes } = baseWeights(TINY_BERT);
  const config = { ...TINY_BERT, numLabels: 4 };
  const head = (seed: number) => {
    const m = EncoderModel.fromWeights(config, weights, shapes, seed);
    try {
      assert.deepEqual(m.params.get('classifier.weight')!.shape, [TINY_BERT.hiddenSize, 4]);
      return values(m.params.get('classifier.weight')!).slice();
    } finally {
      m.dispose();
    }
  };
  const a = head(1);
  assert.equal(relError(head(1), a), 0, 'the same seed gives the same head');
  assert.ok(relError(head(2), a) > 0.1, 'another seed another head');
  const std = Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
  assert.ok(std > 0.01 && std < 0.04, `N(0, 0.02) init, got std ${std}`);
});

test('a stored head with another label count is refused with both shapes', () => {
  const model = EncoderModel.random(TINY_BERT, 1);
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const name of model.checkpointNames()) {
    const t = model.checkpointTensor(name);
    weights.set(name, (t.dataSync() as Float32Array).slice());
    shapes.set(name, t.shape.slice());
    t.dispose();
  }
  model.dispose();
  assert.throws(() => EncoderModel.fromSource({ ...TINY_BERT, numLabels: 3 }, mapSource(weights, shapes)),
    /tensor classifier\.weight has shape \[2,16\], the config expects \[3,16\].*number of labels/);
});

test('configs the engine does not implement are refused by field', () => {
  const base = { model_type: 'bert', hidden_size: 16, num_attention_heads: 4 };
  assert.throws(() => parseEncoderConfig({ ...base, position_embedding_type: 'relative_key' }, 'c.json'), /c\.json: position_embedding_type is "relative_key"/);
  assert.throws(() => parseEncoderConfig({ ...base, is_decoder: true }, 'c.json'), /is_decoder is true/);
  assert.throws(() => parseEncoderConfig({ ...base, hidden_act: 'swish' }, 'c.json'), /hidden_act is "swish".*gelu, gelu_new, relu/);
  assert.throws(() => parseEncoderConfig({ ...base, hidden_size: 18 }, 'c.json'), /hidden_size \(18\) is not a multiple of num_attention_heads \(4\)/);
  assert.throws(() => parseEncoderConfig({ model_type: 'roberta', max_position_embeddings: 2 }, 'c.json'), /max_position_embeddings \(2\) leaves no position/);
});

test('an input longer than the position table is refused, not read past its end', () => {
  const model = EncoderModel.random(TINY_BERT, 1);
  try {
    const long = [Array.from({ length: TINY_BERT.maxPositionEmbeddings + 1 }, (_, i) => 2 + (i % 40))];
    assert.throws(() => model.classify(long), /BERT: 33 tokens \(soft prompt included\) exceed the 32 positions of max_position_embeddings/);
  } finally {
    model.dispose();
  }
});

test('training dropout repeats with its seed and is off in evaluation', () => {
  const model = EncoderModel.random({ ...TINY_BERT, hiddenDropout: 0.2, attentionDropout: 0.2, classifierDropout: 0.2 }, 1);
  const batch = makeBatch([{ input: [2, 5, 6, 7, 3], target: [1] }, { input: [2, 9, 3], target: [0] }], 0);
  try {
    const run = (training: boolean, seed?: number) => tf.tidy(() => values(model.logits(batch, { training, dropoutSeed: seed })).slice());
    assert.equal(relError(run(true, 7), run(true, 7)), 0);
    assert.ok(relError(run(true, 7), run(false)) > 1e-3);
    assert.equal(relError(run(false), run(false)), 0);
  } finally {
    disposeBatch(batch);
    model.dispose();
  }
});
