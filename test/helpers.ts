// Shared test fixtures: tiny T5 configs and batches, so every suite builds the same small things.
import * as tf from '@tensorflow/tfjs-core';
import type { DecoderConfig, EncoderConfig, T5Config } from '../src/main/engine/models/types';
import { makeBatch, type EncodedExample } from '../src/main/engine/data/batching';

export const TINY_T5: T5Config = {
  modelType: 't5', vocabSize: 48, dModel: 16, dKv: 4, dFf: 32, numLayers: 2, numDecoderLayers: 2, numHeads: 4,
  relativeAttentionNumBuckets: 8, relativeAttentionMaxDistance: 16, dropoutRate: 0.1, layerNormEpsilon: 1e-6,
  feedForwardProj: 'relu', tieWordEmbeddings: true, padTokenId: 0, eosTokenId: 1, decoderStartTokenId: 0,
};

export const TINY_T5_GATED: T5Config = { ...TINY_T5, feedForwardProj: 'gated-gelu', tieWordEmbeddings: false };

/** A tiny LLaMA: grouped-query attention (4 query heads over 2 key/value heads), untied head, no biases. */
export const TINY_LLAMA: DecoderConfig = {
  modelType: 'llama', vocabSize: 48, hiddenSize: 16, intermediateSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2,
  headDim: 4, rmsNormEps: 1e-6, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false,
  slidingWindow: null, tieWordEmbeddings: false, bosTokenId: null, eosTokenIds: [1], padTokenId: 0,
};

/** A tiny Qwen2: biases on q, k and v, tied head. */
export const TINY_QWEN2: DecoderConfig = { ...TINY_LLAMA, modelType: 'qwen2', qkvBias: true, tieWordEmbeddings: true };

/** A tiny BERT: two token types, a 32-position table, a tanh pooler and a 2-label classifier. */
export const TINY_BERT: EncoderConfig = {
  modelType: 'bert', vocabSize: 48, hiddenSize: 16, intermediateSize: 32, numLayers: 2, numHeads: 4,
  maxPositionEmbeddings: 32, typeVocabSize: 2, layerNormEps: 1e-12, hiddenAct: 'gelu', hiddenDropout: 0.1,
  attentionDropout: 0.1, classifierDropout: 0.1, padTokenId: 0, numLabels: 2,
};

/** A tiny RoBERTa: positions from padding_idx + 1 = 2, one token type, the dense + out_proj head, 3 labels. */
export const TINY_ROBERTA: EncoderConfig = {
  ...TINY_BERT, modelType: 'roberta', maxPositionEmbeddings: 34, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, numLabels: 3,
};

/** Deterministic examples with ids in [2, vocab). */
export function tinyExamples(n: number, vocab = TINY_T5.vocabSize, seed = 1): EncodedExample[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + (i % 5);
    const input = Array.from({ length: len }, () => 2 + Math.floor(next() * (vocab - 2)));
    return { input: [...input, 1], target: [2 + (input[0] % 2), 1] };
  });
}

export function tinyBatch(n = 4) {
  return makeBatch(tinyExamples(n), 0);
}

/** max |a − b| / max |b|: the relative error used by the parity tests. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
