// Rank scoring of classification on generative models: the prediction is the label whose ids the
// model finds most likely, checked against each label's loss computed the ordinary way.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { disposeBatch, makeBatch } from '../src/main/engine/data/batching';
import { evaluate } from '../src/main/engine/measure/evaluate';
import { rankLabels } from '../src/main/engine/measure/rank';
import { DecoderModel } from '../src/main/engine/models/decoder';
import { T5Model } from '../src/main/engine/models/t5';
import type { Seq2SeqModel, TextTokenizer } from '../src/main/engine/models/types';
import { parseBudget, DEFAULT_BUDGET } from '../src/main/comparison/budget';
import { TINY_LLAMA, TINY_T5 } from './helpers';

before(async () => {
  await initBackend();
});

/** Summed log-likelihood of `target` after `input`, from the model's own mean loss. */
function logLikelihood(model: Seq2SeqModel, input: number[], target: number[]): number {
  const batch = makeBatch([{ input, target }], 0);
  try {
    return -tf.tidy(() => model.loss(batch, { training: false }).dataSync()[0]) * target.length;
  } finally {
    disposeBatch(batch);
  }
}

const INPUTS = [[5, 9, 3, 1], [7, 7, 2, 8, 1], [4, 1], [11, 12, 13, 14, 15, 1]];
const TARGETS = [[6, 1], [8, 3, 1], [10, 1]]; // labels of different lengths

for (const [family, make] of [
  ['t5', () => T5Model.random(TINY_T5, 3)],
  ['decoder', () => DecoderModel.random(TINY_LLAMA, 3)],
] as const) {
  test(`rank scoring on ${family}: each input's pick is the label of highest summed log-likelihood`, () => {
    const model = make();
    try {
      const before = tf.memory().numTensors;
      const picks = rankLabels(model, INPUTS, TARGETS, 0);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      INPUTS.forEach((input, b) => {
        const ll = TARGETS.map((t) => logLikelihood(model, input, t));
        const best = ll.indexOf(Math.max(...ll));
        assert.equal(picks[b], best, `input ${b}: log-likelihoods ${ll.map((x) => x.toFixed(4)).join(', ')}`);
      });
    } finally {
      model.dispose();
    }
  });
}

test('evaluate with rank targets predicts only label words; without them it generates', () => {
  const model = T5Model.random(TINY_T5, 4);
  const tok = { decode: (ids: number[]) => ids.join(' '), padId: 0 } as unknown as TextTokenizer;
  try {
    const items = INPUTS.map((input) => ({ input, target: TARGETS[0] }));
    const refs = INPUTS.map(() => ['yes']);
    const labels = ['yes', 'no', 'maybe'];
    const opts = { batchSize: 2, maxNewTokens: 3, metric: 'accuracy' as const, warmup: false, labels };
    const ranked = evaluate(model, tok, items, refs, { ...opts, rankTargets: TARGETS });
    assert.ok(ranked.predictions.every((p) => labels.includes(p)), ranked.predictions.join(' | '));
    assert.equal(ranked.score, ranked.predictions.filter((p) => p === 'yes').length / items.length);
    const generated = evaluate(model, tok, items, refs, opts);
    assert.ok(generated.predictions.every((p) => !labels.includes(p)), 'random weights do not generate the label words');
    assert.throws(() => evaluate(model, tok, items, refs, { ...opts, rankTargets: TARGETS.slice(1) }), /one target per label/);
  } finally {
    model.dispose();
  }
});

test('budget.scoring: generate by default, rank on request, anything else refused by name', () => {
  assert.equal(parseBudget(undefined, DEFAULT_BUDGET).scoring, 'generate');
  assert.equal(parseBudget({ scoring: 'rank' }, DEFAULT_BUDGET).scoring, 'rank');
  assert.throws(() => parseBudget({ scoring: 'argmax' }, DEFAULT_BUDGET), /budget\.scoring must be generate .* or rank/);
});
