// The hooks installed on a T5, by kind, each checked against the model's own sites, and the
// attention bias for key/value prefixes. The forward pass asks here; with no hook installed it
// pays one map lookup per site.
import * as tf from '@tensorflow/tfjs-core';
import { positionBias } from './t5_attention';
import type { LinearHook, ModelShape, PrefixHook, PromptHook, SublayerHook, T5Config } from './types';

export class T5Hooks {
  readonly linear = new Map<string, LinearHook>();
  readonly sublayer = new Map<string, SublayerHook>();
  readonly prefix = new Map<string, PrefixHook>();
  prompt: PromptHook | null = null;
  private readonly names: { linear: Set<string>; sublayer: Set<string>; attention: Set<string> };

  constructor(shape: ModelShape) {
    this.names = {
      linear: new Set(shape.linears.map((s) => s.name)),
      sublayer: new Set(shape.sublayers.map((s) => s.name)),
      attention: new Set(shape.attentions.map((s) => s.name)),
    };
  }

  set<H>(kind: 'linear' | 'sublayer' | 'attention', site: string, hook: H | null): void {
    const names = this.names[kind];
    if (!names.has(site)) {
      const example = names.values().next().value;
      throw new Error(`T5: no ${kind === 'linear' ? 'Linear' : kind} named "${site}"; use a name from shape(), e.g. "${example}"`);
    }
    const map = (kind === 'linear' ? this.linear : kind === 'sublayer' ? this.sublayer : this.prefix) as Map<string, H>;
    if (hook === null) map.delete(site);
    else map.set(site, hook);
  }

  setPrompt(hook: PromptHook | null): void {
    if (hook !== null && (!Number.isInteger(hook.length) || hook.length < 1)) {
      throw new Error(`T5: a prompt hook needs a positive integer length, got ${hook.length}`);
    }
    this.prompt = hook;
  }

  clear(): void {
    this.linear.clear();
    this.sublayer.clear();
    this.prefix.clear();
    this.prompt = null;
  }
}

/** Prepends the soft prompt to the embeddings (B, S, D) and ones to the mask (B, S). */
export function withPrompt(hook: PromptHook | null, embeds: tf.Tensor3D, mask: tf.Tensor2D) {
  if (hook === null) return { embeds, mask };
  const [B] = embeds.shape;
  const prompt = hook.prompt(); // (P, D)
  const tiled = tf.tile(tf.expandDims(prompt, 0), [B, 1, 1]) as tf.Tensor3D; // (B, P, D)
  const ones = tf.ones([B, hook.length], mask.dtype) as tf.Tensor2D; // (B, P)
  return { embeds: tf.concat([tiled, embeds], 1), mask: tf.concat([ones, mask], 1) };
}

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
