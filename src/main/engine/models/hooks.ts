// The hooks installed on a model, by kind, each checked against the model's own sites. The forward
// pass asks here; with no hook installed it pays one map lookup per site. Family-neutral.
import * as tf from '@tensorflow/tfjs-core';
import type { LinearHook, ModelShape, PrefixHook, PromptHook, SublayerHook } from './types';

export class ModelHooks {
  readonly linear = new Map<string, LinearHook>();
  readonly sublayer = new Map<string, SublayerHook>();
  readonly prefix = new Map<string, PrefixHook>();
  prompt: PromptHook | null = null;
  private readonly names: { linear: Set<string>; sublayer: Set<string>; attention: Set<string> };

  constructor(
    shape: ModelShape,
    private readonly family = shape.family.toUpperCase(),
  ) {
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
      throw new Error(`${this.family}: no ${kind === 'linear' ? 'Linear' : kind} named "${site}"; use a name from shape(), e.g. "${example}"`);
    }
    const map = (kind === 'linear' ? this.linear : kind === 'sublayer' ? this.sublayer : this.prefix) as Map<string, H>;
    if (hook === null) map.delete(site);
    else map.set(site, hook);
  }

  setPrompt(hook: PromptHook | null): void {
    if (hook !== null && (!Number.isInteger(hook.length) || hook.length < 1)) {
      throw new Error(`${this.family}: a prompt hook needs a positive integer length, got ${hook.length}`);
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
