// Rank classification: a generative model's prediction is the label whose target ids it gives the
// highest log-likelihood (summed over the label's tokens, eos included), as T0 and the usual
// evaluation harnesses score multiple choice. Nothing is generated, so every prediction is a label.
import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, makeBatch } from '../data/batching';
import type { Seq2SeqModel } from '../models/types';

/** Summed log-probability of each row's labels under teacher forcing: (B) values. */
function sequenceLogLikelihood(model: Seq2SeqModel, inputs: number[][], target: number[], padId: number): Float32Array {
  const batch = makeBatch(inputs.map((input) => ({ input, target })), padId);
  try {
    return tf.tidy(() => {
      const logits = model.logits(batch, { training: false }); // (B, T, V)
      const V = logits.shape[2];
      const valid = tf.notEqual(batch.labels, -100); // (B, T)
      const safe = tf.where(valid, batch.labels, tf.zerosLike(batch.labels)); // (B, T)
      const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(safe, V)), -1); // (B, T)
      return tf.sum(tf.mul(picked, tf.cast(valid, 'float32')), -1).dataSync() as Float32Array; // (B)
    });
  } finally {
    disposeBatch(batch);
  }
}

/** Index into `targets` of the most likely label for each input. */
export function rankLabels(model: Seq2SeqModel, inputs: number[][], targets: number[][], padId: number): number[] {
  if (targets.length === 0) throw new Error('rank scoring needs at least one label');
  const scores = targets.map((t) => sequenceLogLikelihood(model, inputs, t, padId));
  return inputs.map((_, b) => {
    let best = 0;
    for (let l = 1; l < targets.length; l++) if (scores[l][b] > scores[best][b]) best = l;
    return best;
  });
}
