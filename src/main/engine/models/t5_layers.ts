// Small building blocks of the families: RMS and mean-centred layer norms, the GELUs, seeded dropout,
// label shifting and the loss. Each follows transformers' modeling code (T5's, then BERT's for
// layerNorm and the exact GELU); all are synchronous and meant to run inside tf.tidy.
import * as tf from '@tensorflow/tfjs-core';

/** T5LayerNorm: scale-only RMS norm, no mean subtraction and no bias. x: (..., D), w: (D). */
export function rmsNorm<T extends tf.Tensor>(x: T, w: tf.Tensor1D, eps: number): T {
  const variance = tf.mean(tf.square(x), -1, true); // (..., 1), float32 as in HF
  return tf.mul(w, tf.mul(x, tf.rsqrt(tf.add(variance, eps)))) as T;
}

/** LayerNorm of BERT and RoBERTa: (x − mean) / √(var + eps) · w + b over the last axis, biased variance. */
export function layerNorm<T extends tf.Tensor>(x: T, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true); // (..., 1) each
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w), b) as T;
}

/** The exact GELU of BERT and RoBERTa ("gelu"): x · Φ(x) = 0.5·x·(1 + erf(x / √2)). */
export function geluErf<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T;
}

/** gelu_new, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluNew<T extends tf.Tensor>(x: T): T {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner))) as T;
}

/**
 * Dropout for one forward pass. Off when `seed` is null (evaluation). Each call draws its mask
 * from `${seed}/${n}` where n counts calls in this pass, so a step with the same seed repeats
 * exactly and the masks do not depend on the backend (TF.js draws them on the CPU).
 */
export class Dropout {
  private calls = 0;

  constructor(
    private readonly rate: number,
    private readonly seed: number | null,
    /** Tells apart the masks of several dropouts of one pass that share its seed (BERT's attention and hidden). */
    private readonly stream = '',
  ) {}

  /** Training dropout with `seed`, or a fresh random seed when none is given. */
  static forPass(rate: number, training: boolean, seed?: number, stream = ''): Dropout {
    if (!training) return new Dropout(rate, null);
    return new Dropout(rate, seed ?? Math.floor(Math.random() * 2 ** 31), stream);
  }

  apply<T extends tf.Tensor>(x: T): T {
    if (this.seed === null || this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, `${this.seed}/${this.stream}${this.calls++}`) as T;
  }
}

/** Decoder inputs from labels: prepend the start token, drop the last, -100 → pad. (B, T) int32. */
export function shiftRight(labels: tf.Tensor2D, decoderStartTokenId: number, padTokenId: number): tf.Tensor2D {
  const [B, T] = labels.shape;
  const start = tf.fill([B, 1], decoderStartTokenId, 'int32'); // (B, 1)
  const shifted = tf.concat([start, tf.slice(labels, [0, 0], [B, T - 1])], 1); // (B, T)
  return tf.where(tf.equal(shifted, -100), tf.fill([B, T], padTokenId, 'int32'), shifted) as tf.Tensor2D;
}

/** Mean cross-entropy over positions whose label is not -100 (0 when there are none). */
export function maskedCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  const [B, T, V] = logits.shape;
  const flat = tf.reshape(labels, [B * T]); // (N)
  const valid = tf.notEqual(flat, -100); // (N)
  const safe = tf.where(valid, flat, tf.zerosLike(flat)); // (N), -100 → any valid index
  const logProbs = tf.logSoftmax(tf.reshape(logits, [B * T, V])); // (N, V)
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(safe, V)), -1); // (N)
  const mask = tf.cast(valid, 'float32'); // (N)
  return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1));
}
