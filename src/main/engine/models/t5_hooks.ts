// The attention bias of T5 with key/value prefixes in front (relative positions kept).
import * as tf from '@tensorflow/tfjs-core';
import { positionBias } from './t5_attention';
import type { T5Config } from './types';

/**
 * The scores' bias of one attention and, on demand, the same bias with P prefix slots in front.
 * Prefix slots sit at positions −P…−1 (the queries are offset by P, as with a key/value cache),
 * so the relative positions among real tokens are unchanged; no prefix slot is ever masked.
 */
export class AttentionBias {
  private readonly withPrefix = new Map<number, tf.Tensor>();

  constructor(
    readonly main: tf.Tensor,
    private readonly batch: number,
    private readonly relative: { table: tf.Tensor2D; config: T5Config; queries: number; queryOffset: number; bidirectional: boolean } | null,
  ) {}

  /** main with P always-visible key slots in front: (B, H|1, T, P + S). Call inside tf.tidy. */
  prefixed(P: number): tf.Tensor {
    const cached = this.withPrefix.get(P);
    if (cached) return cached;
    const [, , T] = this.main.shape;
    const r = this.relative;
    const front = r === null
      ? tf.zeros([this.batch, 1, T, P]) // cross-attention: no position bias
      : tf.add(positionBias(r.table, {
        queries: r.queries, queryOffset: r.queryOffset + P, keys: P, bidirectional: r.bidirectional,
        numBuckets: r.config.relativeAttentionNumBuckets, maxDistance: r.config.relativeAttentionMaxDistance,
      }), tf.zeros([this.batch, 1, 1, 1])); // (B, H, T, P)
    const rows = front.shape[1]!;
    const main = tf.add(this.main, tf.zeros([this.batch, rows, T, 1])); // broadcast to (B, rows, T, S)
    const out = tf.concat([front, main], 3);
    this.withPrefix.set(P, out);
    return out;
  }
}
