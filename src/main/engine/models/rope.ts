// Rotary position embeddings of the LLaMA family (transformers' modeling_rope_utils.py): inverse
// frequencies θ^(−2i/d), optionally rescaled (linear, llama3), and the rotation of queries and keys.
import * as tf from '@tensorflow/tfjs-core';
import type { RopeScaling } from './types';

/** Inverse frequencies (headDim / 2), computed in float64 and rounded once to float32. */
export function inverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float32Array {
  const half = headDim / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  if (scaling === null) return Float32Array.from(inv);
  if (scaling.type === 'linear') return Float32Array.from(inv, (f) => f / scaling.factor);
  // llama3: keep high frequencies, divide low ones by factor, blend in between.
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: ctx } = scaling;
  return Float32Array.from(inv, (f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < ctx / high) return f;
    if (wavelen > ctx / low) return f / factor;
    const smooth = (ctx / wavelen - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin of position·frequency, each (B, 1, L, headDim) with the halves repeated, from positions (B, L). */
export function rotaryTables(positions: tf.Tensor2D, inv: Float32Array): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const [B, L] = positions.shape;
  const freqs = tf.mul(tf.expandDims(tf.cast(positions, 'float32'), 2), tf.tensor1d(inv)); // (B, L, d/2)
  const emb = tf.reshape(tf.concat([freqs, freqs], 2), [B, 1, L, 2 * inv.length]); // (B, 1, L, d)
  return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] over the halves. x: (B, H, L, d). */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [B, H, L, d] = x.shape;
  const x1 = tf.slice(x, [0, 0, 0, 0], [B, H, L, d / 2]);
  const x2 = tf.slice(x, [0, 0, 0, d / 2], [B, H, L, d / 2]);
  const rotated = tf.concat([tf.neg(x2), x1], 3); // (B, H, L, d)
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}
