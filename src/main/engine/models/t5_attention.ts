// T5 attention maths: relative position buckets and bias, masks, and the unscaled attention core.
// Projections (q, k, v, o) are done by the model so that PEFT hooks see them.
import * as tf from '@tensorflow/tfjs-core';
import type { Dropout } from './t5_layers';

/** Added to the scores of masked positions; exp() of it underflows to exactly 0 in float32. */
const MASKED = -1e9;

/**
 * transformers' `_relative_position_bucket` for one relative position (key − query).
 * Bidirectional (encoder): half the buckets for keys after the query. Unidirectional (decoder):
 * only the distance back. Distances below half the buckets are exact, then logarithmic up to
 * `maxDistance`; the logarithmic part is computed in float32, as torch does.
 */
export function relativePositionBucket(
  relativePosition: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): number {
  let bucket = 0;
  let buckets = numBuckets;
  let distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relativePosition > 0) bucket += buckets;
    distance = Math.abs(relativePosition);
  } else {
    distance = -Math.min(relativePosition, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return bucket + distance;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(distance / maxExact))) / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), buckets - 1);
}

export interface BiasShape {
  /** Number of queries and the absolute position of the first one (> 0 when decoding with a cache). */
  queries: number;
  queryOffset: number;
  keys: number;
  bidirectional: boolean;
  numBuckets: number;
  maxDistance: number;
}

/** Bucket ids, (queries, keys) row-major. */
export function bucketGrid(s: BiasShape): Int32Array {
  const grid = new Int32Array(s.queries * s.keys);
  for (let i = 0; i < s.queries; i++) {
    for (let j = 0; j < s.keys; j++) {
      grid[i * s.keys + j] = relativePositionBucket(j - (i + s.queryOffset), s.bidirectional, s.numBuckets, s.maxDistance);
    }
  }
  return grid;
}

/** Learned relative position bias from `table` (numBuckets, H): (1, H, queries, keys). */
export function positionBias(table: tf.Tensor2D, s: BiasShape): tf.Tensor4D {
  const buckets = tf.tensor2d(bucketGrid(s), [s.queries, s.keys], 'int32');
  const values = tf.gather(table, buckets); // (Tq, Tk, H)
  return tf.expandDims(tf.transpose(values, [2, 0, 1]), 0) as tf.Tensor4D; // (1, H, Tq, Tk)
}

/** 0 for real keys, MASKED for padding: (B, 1, 1, S) from a (B, S) 1/0 mask. */
export function paddingBias(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [B, S] = attentionMask.shape;
  const pad = tf.sub(1, tf.cast(attentionMask, 'float32')); // (B, S)
  return tf.reshape(tf.mul(pad, MASKED), [B, 1, 1, S]);
}

/** Causal mask for `queries` new positions after `past` cached ones: (1, 1, queries, past + queries). */
export function causalBias(queries: number, past: number): tf.Tensor4D {
  const keys = past + queries;
  const values = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) values.fill(MASKED, i * keys + past + i + 1, (i + 1) * keys);
  return tf.tensor4d(values, [1, 1, queries, keys]);
}

/** (B, T, H·dk) → (B, H, T, dk). */
export function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [B, T, inner] = x.shape;
  return tf.transpose(tf.reshape(x, [B, T, heads, inner / heads]), [0, 2, 1, 3]);
}

/**
 * softmax(q·kᵀ + bias)·v with no 1/√dk scaling (T5 folds it into the init of q).
 * q: (B, H, T, dk), k, v: (B, H, S, dk), bias broadcastable to (B, H, T, S) → (B, T, H·dk).
 */
export function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor, drop: Dropout): tf.Tensor3D {
  const [B, H, T, dk] = q.shape;
  const S = k.shape[2];
  const q3 = tf.reshape(q, [B * H, T, dk]); // (B·H, T, dk)
  const kT = tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [B * H, dk, S]); // (B·H, dk, S)
  const scores = tf.add(tf.reshape(tf.matMul(q3, kT), [B, H, T, S]), bias); // (B, H, T, S)
  const weights = drop.apply(tf.softmax(scores)); // (B, H, T, S)
  const context = tf.matMul(tf.reshape(weights, [B * H, T, S]), tf.reshape(v, [B * H, S, dk])); // (B·H, T, dk)
  const merged = tf.transpose(tf.reshape(context, [B, H, T, dk]), [0, 2, 1, 3]); // (B, T, H, dk)
  return tf.reshape(merged, [B, T, H * dk]);
}
