// Decoder-only causal LMs of the LLaMA family (LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM
// of transformers) in TF.js: one model, the families differ only in config.
//
//   ids ─ embed ─ [RMSNorm → GQA self-attn (RoPE) → +] [RMSNorm → SwiGLU → +] ×L ─ RMSNorm ─ head ─ logits
//
// Fine-tuning reads each row as prompt ‖ target and scores only the target: the batch's inputIds
// (right-padded) and labels are laid side by side, the gap of padding is masked out and positions
// count real tokens only, which is the same computation as the unpadded sequence. The hook points
// are those of T5: every Linear, each residual add, key/value prefixes and a soft prompt.
import * as tf from '@tensorflow/tfjs-core';
import { decoderParamSpecs, decoderShape } from './decoder_params';
import { withPrompt } from './hooks';
import { HookedModel } from './hooked_model';
import { initParams, loadParams, mapSource, type LoadRules, type TensorSource } from './params';
import { applyRotary, inverseFrequencies, rotaryTables } from './rope';
import { attend, causalBias, paddingBias } from './t5_attention';
import { Dropout, maskedCrossEntropy, rmsNorm } from './t5_layers';
import type { DecoderConfig, ForwardOptions, LanguageModel, Seq2SeqBatch } from './types';

type KeyValue = { k: tf.Tensor4D; v: tf.Tensor4D };
/** What decoding has seen: rotated keys and values per layer (B, Hkv, K, dh), the key mask and positions (B, K). */
type Cache = { kv: KeyValue[]; mask: tf.Tensor2D; positions: tf.Tensor2D };
const MASKED = -1e9;
const NO_DROPOUT = new Dropout(0, null);

export class DecoderModel extends HookedModel implements LanguageModel {
  private readonly invFreq: Float32Array;

  private constructor(readonly config: DecoderConfig, params: Map<string, tf.Variable>) {
    super(params, familyLabel(config), decoderParamSpecs(config), decoderShape(config));
    this.invFreq = inverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling);
  }

  static fromSource(config: DecoderConfig, source: TensorSource): DecoderModel {
    return new DecoderModel(config, loadParams(decoderParamSpecs(config), source, decoderLoadRules(config)));
  }

  static fromWeights(config: DecoderConfig, weights: Map<string, Float32Array>, shapes: Map<string, number[]>): DecoderModel {
    return DecoderModel.fromSource(config, mapSource(weights, shapes));
  }

  static random(config: DecoderConfig, seed: number): DecoderModel {
    return new DecoderModel(config, initParams(decoderParamSpecs(config), seed));
  }

  /** Logits at every position of right-padded sequences: (B, L, V). The parity tests' view. */
  causalLogits(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const { embeds, mask: m } = withPrompt(this.hooks.prompt, this.embed(ids), tf.cast(mask, 'float32') as tf.Tensor2D);
      const { hidden } = this.run(embeds, m, null);
      const P = embeds.shape[1] - ids.shape[1];
      return this.head(tf.slice(hidden, [0, P, 0], [-1, -1, -1])); // (B, L, V)
    });
  }

  /** Logits predicting each label from prompt ‖ labels: (B, T, V). */
  logits(batch: Seq2SeqBatch, _opts: ForwardOptions): tf.Tensor3D {
    checkBatch(batch);
    return tf.tidy(() => {
      const B = batch.inputIds.shape[0];
      const T = batch.labels.shape[1];
      const valid = tf.notEqual(batch.labels, -100); // (B, T)
      const labels = tf.where(valid, batch.labels, tf.fill([B, T], this.config.padTokenId, 'int32')) as tf.Tensor2D;
      const ids = tf.concat([batch.inputIds, labels], 1) as tf.Tensor2D; // (B, S + T)
      const mask = tf.concat([tf.cast(batch.attentionMask, 'float32'), tf.cast(valid, 'float32')], 1) as tf.Tensor2D;
      const grown = withPrompt(this.hooks.prompt, this.embed(ids), mask);
      const { hidden } = this.run(grown.embeds, grown.mask, null); // (B, P + S + T, D)
      const prompt = grown.embeds.shape[1] - T; // soft prompt + input columns
      const last = lastRealToken(tf.slice(grown.mask, [0, 0], [B, prompt]) as tf.Tensor2D); // (B, 1, P + S)
      const first = tf.matMul(last, tf.slice(hidden, [0, 0, 0], [B, prompt, -1])); // (B, 1, D): predicts label 0
      const rest = tf.slice(hidden, [0, prompt, 0], [B, T - 1, -1]); // (B, T − 1, D): predict labels 1…
      return this.head(tf.concat([first, rest], 1) as tf.Tensor3D); // (B, T, V)
    });
  }

  loss(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Scalar {
    return tf.tidy(() => maskedCrossEntropy(this.logits(batch, opts), batch.labels));
  }

  generate(inputIds: number[][], maxNewTokens: number): number[][] {
    checkPrompts(inputIds, this.config.vocabSize);
    const out: number[][] = inputIds.map(() => []);
    if (inputIds.length === 0 || maxNewTokens <= 0) return out;
    const B = inputIds.length, eos = new Set(this.config.eosTokenIds);
    let step = this.prefill(inputIds);
    try {
      const done = new Array<boolean>(B).fill(false);
      for (let t = 0; ; t++) {
        const next = step.next.dataSync(); // device sync, once per generated position
        for (let b = 0; b < B; b++) {
          if (!done[b]) out[b].push(next[b]);
          done[b] = done[b] || eos.has(next[b]);
        }
        if (t + 1 >= maxNewTokens || done.every(Boolean)) break;
        const previous = step;
        step = this.extend(Int32Array.from(next), previous.cache);
        disposeStep(previous);
      }
    } finally {
      disposeStep(step);
    }
    return out;
  }

  // ---- forward pieces (synchronous, inside tf.tidy) ----

  private heads(site: string, x: tf.Tensor3D, heads: number): tf.Tensor4D {
    const [B, T] = x.shape;
    return tf.transpose(tf.reshape(this.linear(site, x), [B, T, heads, this.config.headDim]), [0, 2, 1, 3]); // (B, h, T, dh)
  }

  /** Grouped-query self-attention; returns the sublayer output and this block's grown cache. */
  private attention(i: number, x: tf.Tensor3D, rope: { cos: tf.Tensor4D; sin: tf.Tensor4D }, bias: tf.Tensor4D, past: KeyValue | null) {
    const c = this.config, site = `model.layers.${i}.self_attn`;
    const q = applyRotary(this.heads(`${site}.q_proj`, x, c.numHeads), rope.cos, rope.sin); // (B, H, T, dh)
    let k = applyRotary(this.heads(`${site}.k_proj`, x, c.numKvHeads), rope.cos, rope.sin); // (B, Hkv, T, dh)
    let v = this.heads(`${site}.v_proj`, x, c.numKvHeads);
    if (past) {
      k = tf.concat([past.k, k], 2) as tf.Tensor4D; // (B, Hkv, K, dh)
      v = tf.concat([past.v, v], 2) as tf.Tensor4D;
    }
    const prefix = this.hooks.prefix.get(site);
    let [kAll, vAll, biasAll] = [k, v, bias as tf.Tensor];
    if (prefix) {
      const p = prefix.keyValues(x); // (B, Hkv, P, dh): unrotated, always visible
      [kAll, vAll] = [tf.concat([p.k, k], 2) as tf.Tensor4D, tf.concat([p.v, v], 2) as tf.Tensor4D];
      biasAll = tf.concat([tf.zeros([bias.shape[0], 1, bias.shape[2], prefix.length]), bias], 3);
    }
    const scaledQ = tf.mul(q, c.headDim ** -0.5) as tf.Tensor4D;
    const context = attend(scaledQ, this.repeatKv(kAll), this.repeatKv(vAll), biasAll, NO_DROPOUT); // (B, T, H·dh)
    return { h: this.linear(`${site}.o_proj`, context), kv: { k, v } };
  }

  /** (B, Hkv, K, dh) → (B, H, K, dh): kv head j serves query heads j·r … j·r + r − 1. */
  private repeatKv(x: tf.Tensor4D): tf.Tensor4D {
    const rep = this.config.numHeads / this.config.numKvHeads;
    if (rep === 1) return x;
    const [B, Hkv, K, dh] = x.shape;
    const flat = tf.reshape(x, [B, Hkv, 1, K * dh]); // rank 4: TF.js has no rank-5 tile gradient
    return tf.reshape(tf.tile(flat, [1, 1, rep, 1]), [B, Hkv * rep, K, dh]);
  }

  /** SwiGLU: down(silu(gate(x)) ⊙ up(x)). */
  private mlp(i: number, x: tf.Tensor3D): tf.Tensor3D {
    const site = `model.layers.${i}.mlp`;
    const gate = this.linear(`${site}.gate_proj`, x); // (B, T, F)
    const inner = tf.mul(tf.mul(gate, tf.sigmoid(gate)), this.linear(`${site}.up_proj`, x)) as tf.Tensor3D;
    return this.linear(`${site}.down_proj`, inner);
  }

  private norm(name: string, x: tf.Tensor3D): tf.Tensor3D {
    return rmsNorm(x, this.param<tf.Rank.R1>(name), this.config.rmsNormEps);
  }

  private embed(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.param('model.embed_tokens.weight'), ids) as tf.Tensor3D; // (B, T, D)
  }

  /** The stack over embeds (B, T, D) with mask (B, T) after what `cache` holds. */
  private run(embeds: tf.Tensor3D, mask: tf.Tensor2D, cache: Cache | null): { hidden: tf.Tensor3D; cache: Cache } {
    const c = this.config;
    const seen = cache ? tf.sum(cache.mask, 1, true) : tf.zeros([mask.shape[0], 1]); // (B, 1) real tokens so far
    const positions = tf.cast(tf.relu(tf.sub(tf.add(seen, tf.cumsum(mask, 1)), 1)), 'int32') as tf.Tensor2D; // (B, T)
    const keyMask = (cache ? tf.concat([cache.mask, mask], 1) : mask) as tf.Tensor2D; // (B, K)
    const keyPositions = (cache ? tf.concat([cache.positions, positions], 1) : positions) as tf.Tensor2D;
    const bias = this.attentionBias(positions, keyPositions, keyMask, cache ? cache.mask.shape[1] : 0);
    const rope = rotaryTables(positions, this.invFreq);
    let h = embeds;
    const kv: KeyValue[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      const a = this.attention(i, this.norm(`${p}.input_layernorm.weight`, h), rope, bias, cache ? cache.kv[i] : null);
      kv.push(a.kv);
      h = this.residual(`${p}.self_attn`, h, a.h);
      h = this.residual(`${p}.mlp`, h, this.mlp(i, this.norm(`${p}.post_attention_layernorm.weight`, h)));
    }
    return { hidden: this.norm('model.norm.weight', h), cache: { kv, mask: keyMask, positions: keyPositions } };
  }

  /** Causal by index, padding keys masked, Mistral's window by position: (B, 1, T, K). */
  private attentionBias(positions: tf.Tensor2D, keyPositions: tf.Tensor2D, keyMask: tf.Tensor2D, past: number): tf.Tensor4D {
    const T = positions.shape[1];
    let bias = tf.add(causalBias(T, past), paddingBias(keyMask)) as tf.Tensor4D; // (B, 1, T, K)
    const w = this.config.slidingWindow;
    if (w !== null) {
      const distance = tf.sub(tf.expandDims(positions, 2), tf.expandDims(keyPositions, 1)); // (B, T, K)
      bias = tf.add(bias, tf.expandDims(tf.mul(tf.cast(tf.greaterEqual(distance, w), 'float32'), MASKED), 1));
    }
    return bias;
  }

  /** (B, T, D) → (B, T, V): tied heads reuse the embedding (no rescaling, unlike T5). */
  private head(hidden: tf.Tensor3D): tf.Tensor3D {
    const [B, T, D] = hidden.shape;
    const x = tf.reshape(hidden, [B * T, D]) as tf.Tensor2D;
    const logits = this.config.tieWordEmbeddings
      ? tf.matMul(x, this.param<tf.Rank.R2>('model.embed_tokens.weight'), false, true)
      : tf.matMul(x, this.param<tf.Rank.R2>('lm_head.weight'));
    return tf.reshape(logits, [B, T, this.config.vocabSize]);
  }

  // ---- generation ----

  /** Runs the right-padded prompts; the first token comes from each row's last real position. */
  private prefill(inputIds: number[][]) {
    const S = Math.max(...inputIds.map((r) => r.length));
    const ids = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? r[j] : this.config.padTokenId)));
    const mask = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? 1 : 0)));
    return tf.tidy(() => {
      const B = inputIds.length;
      const grown = withPrompt(this.hooks.prompt, this.embed(tf.tensor2d(ids, [B, S], 'int32')), tf.tensor2d(mask, [B, S]));
      const { hidden, cache } = this.run(grown.embeds, grown.mask, null);
      const last = tf.matMul(lastRealToken(grown.mask), hidden) as tf.Tensor3D; // (B, 1, D)
      return { next: tf.argMax(this.head(last), -1) as tf.Tensor2D, cache }; // (B, 1)
    });
  }

  private extend(last: Int32Array, cache: Cache) {
    return tf.tidy(() => {
      const B = last.length;
      const { hidden, cache: grown } = this.run(this.embed(tf.tensor2d(last, [B, 1], 'int32')), tf.ones([B, 1]), cache);
      return { next: tf.argMax(this.head(hidden), -1) as tf.Tensor2D, cache: grown };
    });
  }
}

/** One-hot of each row's last 1 in a right-padded mask (B, L) → (B, 1, L). */
function lastRealToken(mask: tf.Tensor2D): tf.Tensor3D {
  const [B, L] = mask.shape;
  const after = tf.concat([tf.slice(mask, [0, 1], [B, L - 1]), tf.zeros([B, 1])], 1); // mask shifted left
  return tf.expandDims(tf.mul(mask, tf.sub(1, after)), 1) as tf.Tensor3D;
}

function disposeStep(step: { next: tf.Tensor; cache: Cache }): void {
  tf.dispose([step.next, step.cache.mask, step.cache.positions, ...step.cache.kv.flatMap((x) => [x.k, x.v])]);
}

export function familyLabel(c: DecoderConfig): string {
  return { llama: 'LLaMA', qwen2: 'Qwen2', mistral: 'Mistral' }[c.modelType];
}

/** A written-out tied head equals the embedding; older checkpoints carry rotary caches. */
export function decoderLoadRules(c: DecoderConfig): LoadRules {
  return {
    family: familyLabel(c),
    ignored: (n: string) => n.endsWith('rotary_emb.inv_freq') || (c.tieWordEmbeddings && n === 'lm_head.weight'),
    fields: 'num_hidden_layers, num_key_value_heads, head_dim, intermediate_size and tie_word_embeddings',
  };
}

function checkPrompts(inputIds: number[][], vocab: number): void {
  inputIds.forEach((row, b) => {
    if (row.length === 0) throw new Error(`generate: input ${b} is empty; give at least one token (e.g. bos)`);
    const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined) throw new Error(`generate: input ${b} holds token ${bad}, outside the vocabulary [0, ${vocab})`);
  });
}

function checkBatch(batch: Seq2SeqBatch): void {
  const [B, S] = batch.inputIds.shape;
  const [mb, ms] = batch.attentionMask.shape;
  if (mb !== B || ms !== S) throw new Error(`decoder batch: attentionMask is [${mb}, ${ms}] but inputIds is [${B}, ${S}]; they must match`);
  if (batch.labels.shape[0] !== B || batch.labels.shape[1] < 1) {
    throw new Error(`decoder batch: labels is [${batch.labels.shape}], expected [${B}, T ≥ 1] to match inputIds`);
  }
}
