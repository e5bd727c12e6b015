// T5 encoder-decoder (T5ForConditionalGeneration of transformers' modeling_t5.py) in TF.js.
//
//   input ids ─ shared ─ [norm → self-attn(+bias) → +] [norm → FFN → +] ×L ─ norm ─┐ encoded (B, S, D)
//   labels ─ shift right ─ shared ─ [norm → causal self-attn → +] [norm → cross-attn → +]
//                                   [norm → FFN → +] ×L ─ norm ─ (×D^-½ if tied) ─ head ─ logits (B, T, V)
//
// Every Linear runs through `linear()`, every residual add through `residual()`, every attention
// may get key/value prefixes and the encoder input a soft prompt: the hook points of PEFT methods.
import * as tf from '@tensorflow/tfjs-core';
import { attend, causalBias, paddingBias, positionBias, splitHeads } from './t5_attention';
import { Dropout, geluNew, maskedCrossEntropy, rmsNorm, shiftRight } from './t5_layers';
import { withPrompt } from './hooks';
import { HookedModel } from './hooked_model';
import { AttentionBias } from './t5_hooks';
import { mapSource, type TensorSource } from './params';
import { initT5Params, loadT5Params, t5ParamSpecs, t5Shape } from './t5_params';
import type { ForwardOptions, Seq2SeqBatch, Seq2SeqModel, T5Config } from './types';

/** Keys and values of one attention, (B, H, S, dk) each. */
type KeyValue = { k: tf.Tensor4D; v: tf.Tensor4D };
/** What the decoder attends to: per-block cross-attention keys/values and the encoder padding bias. */
type CrossContext = { cross: KeyValue[]; bias: tf.Tensor4D };
type Encoded = { hidden: tf.Tensor3D; mask: tf.Tensor2D };

export class T5Model extends HookedModel implements Seq2SeqModel {
  private constructor(
    readonly config: T5Config,
    params: Map<string, tf.Variable>,
  ) {
    super(params, 'T5', t5ParamSpecs(config), t5Shape(config));
  }

  /** From checkpoint tensors keyed by HF name; Linear weights (out, in) as in the checkpoint. */
  static fromWeights(config: T5Config, weights: Map<string, Float32Array>, shapes: Map<string, number[]>): T5Model {
    return new T5Model(config, loadT5Params(config, mapSource(weights, shapes)));
  }

  /** From a tensor source (safetensors files), streamed one tensor at a time. */
  static fromSource(config: T5Config, source: TensorSource): T5Model {
    return new T5Model(config, loadT5Params(config, source));
  }

  /** Fresh weights with transformers' T5 initialisation, reproducible from `seed`. */
  static random(config: T5Config, seed: number): T5Model {
    return new T5Model(config, initT5Params(config, seed));
  }

  logits(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Tensor3D {
    checkBatch(batch);
    const c = this.config;
    return tf.tidy(() => {
      const drop = Dropout.forPass(c.dropoutRate, opts.training, opts.dropoutSeed);
      const encoded = this.encode(batch.inputIds, batch.attentionMask, drop); // (B, S, D)
      const context = { cross: this.crossKeyValues(encoded.hidden), bias: paddingBias(encoded.mask) };
      const decoderIds = shiftRight(batch.labels, c.decoderStartTokenId, c.padTokenId); // (B, T)
      return this.head(this.decode(decoderIds, context, drop, null).hidden); // (B, T, V)
    });
  }

  loss(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Scalar {
    return tf.tidy(() => maskedCrossEntropy(this.logits(batch, opts), batch.labels));
  }

  generate(inputIds: number[][], maxNewTokens: number): number[][] {
    this.checkPrompts(inputIds);
    const out: number[][] = inputIds.map(() => []);
    if (inputIds.length === 0 || maxNewTokens <= 0) return out;
    const context = this.encodePrompts(inputIds);
    let past: KeyValue[] | null = null;
    try {
      const B = inputIds.length;
      const last = new Int32Array(B).fill(this.config.decoderStartTokenId);
      const done = new Array<boolean>(B).fill(false);
      for (let t = 0; t < maxNewTokens && !done.every(Boolean); t++) {
        const step = this.greedyStep(last, context, past);
        disposeKeyValues(past);
        past = step.kv;
        const next = step.next.dataSync(); // device sync, once per generated position
        step.next.dispose();
        for (let b = 0; b < B; b++) {
          if (!done[b]) out[b].push(next[b]);
          done[b] = done[b] || next[b] === this.config.eosTokenId;
          last[b] = next[b];
        }
      }
    } finally {
      disposeKeyValues(past);
      disposeKeyValues(context.cross);
      context.bias.dispose();
    }
    return out;
  }

  // ---- forward pieces (synchronous, called inside tf.tidy) ----

  /** Keys or values with the attention's prefix in front, and the bias that goes with them. */
  private prefixed(site: string, x: tf.Tensor3D, k: tf.Tensor4D, v: tf.Tensor4D, bias: AttentionBias) {
    const hook = this.hooks.prefix.get(site);
    if (!hook) return { k, v, bias: bias.main };
    const p = hook.keyValues(x); // (B, H, P, dk) each
    return {
      k: tf.concat([p.k, k], 2) as tf.Tensor4D, // (B, H, P + S, dk)
      v: tf.concat([p.v, v], 2) as tf.Tensor4D,
      bias: bias.prefixed(hook.length),
    };
  }

  private norm<T extends tf.Tensor>(name: string, x: T): T {
    return rmsNorm(x, this.param<tf.Rank.R1>(name), this.config.layerNormEpsilon);
  }

  private heads(site: string, x: tf.Tensor3D): tf.Tensor4D {
    return splitHeads(this.linear(site, x), this.config.numHeads); // (B, H, T, dk)
  }

  /** T5LayerSelfAttention: h + dropout(o(attention(norm(h)))); keys/values appended to `past`. */
  private selfAttention(prefix: string, h: tf.Tensor3D, bias: AttentionBias, drop: Dropout, past: KeyValue | null) {
    const x = this.norm(`${prefix}.layer_norm.weight`, h); // (B, T, D)
    const site = `${prefix}.SelfAttention`;
    let k = this.heads(`${site}.k`, x); // (B, H, T, dk)
    let v = this.heads(`${site}.v`, x);
    if (past !== null) {
      k = tf.concat([past.k, k], 2) as tf.Tensor4D; // (B, H, past + T, dk)
      v = tf.concat([past.v, v], 2) as tf.Tensor4D;
    }
    const all = this.prefixed(site, x, k, v, bias); // the cache keeps only the real positions
    const context = attend(this.heads(`${site}.q`, x), all.k, all.v, all.bias, drop); // (B, T, H·dk)
    return { h: this.residual(prefix, h, drop.apply(this.linear(`${site}.o`, context))), kv: { k, v } };
  }

  /** T5LayerCrossAttention over precomputed encoder keys/values. */
  private crossAttention(prefix: string, h: tf.Tensor3D, kv: KeyValue, bias: AttentionBias, drop: Dropout): tf.Tensor3D {
    const x = this.norm(`${prefix}.layer_norm.weight`, h); // (B, T, D)
    const site = `${prefix}.EncDecAttention`;
    const all = this.prefixed(site, x, kv.k, kv.v, bias);
    const context = attend(this.heads(`${site}.q`, x), all.k, all.v, all.bias, drop); // (B, T, H·dk)
    return this.residual(prefix, h, drop.apply(this.linear(`${site}.o`, context)));
  }

  /** T5LayerFF: h + dropout(wo(dropout(act(norm(h))))), act = relu(wi) or gelu_new(wi_0)·wi_1. */
  private feedForward(prefix: string, h: tf.Tensor3D, drop: Dropout): tf.Tensor3D {
    const x = this.norm(`${prefix}.layer_norm.weight`, h); // (B, T, D)
    const site = `${prefix}.DenseReluDense`;
    const inner: tf.Tensor3D =
      this.config.feedForwardProj === 'gated-gelu'
        ? tf.mul(geluNew(this.linear(`${site}.wi_0`, x)), this.linear(`${site}.wi_1`, x)) // (B, T, F)
        : tf.relu(this.linear(`${site}.wi`, x)); // (B, T, F)
    return this.residual(prefix, h, drop.apply(this.linear(`${site}.wo`, drop.apply(inner))));
  }

  private embed(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.param('shared.weight'), ids) as tf.Tensor3D; // (B, T, D)
  }

  /** Encoder stack; the mask comes back grown when a soft prompt is installed. */
  private encode(ids: tf.Tensor2D, inputMask: tf.Tensor2D, drop: Dropout): Encoded {
    const c = this.config;
    const { embeds, mask } = withPrompt(this.hooks.prompt, this.embed(ids), inputMask); // (B, S, D), (B, S)
    const [B, S] = mask.shape;
    const table = this.param<tf.Rank.R2>('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
    const relative = positionBias(table, {
      queries: S, queryOffset: 0, keys: S, bidirectional: true,
      numBuckets: c.relativeAttentionNumBuckets, maxDistance: c.relativeAttentionMaxDistance,
    }); // (1, H, S, S)
    const main = tf.add(relative, paddingBias(mask)); // (B, H, S, S), block 0's bias reused by all blocks
    const bias = new AttentionBias(main, B, { table, config: c, queries: S, queryOffset: 0, bidirectional: true });
    let h = drop.apply(embeds); // (B, S, D)
    for (let i = 0; i < c.numLayers; i++) {
      h = this.selfAttention(`encoder.block.${i}.layer.0`, h, bias, drop, null).h;
      h = this.feedForward(`encoder.block.${i}.layer.1`, h, drop);
    }
    return { hidden: drop.apply(this.norm('encoder.final_layer_norm.weight', h)), mask };
  }

  private crossKeyValues(encoded: tf.Tensor3D): KeyValue[] {
    const kv: KeyValue[] = [];
    for (let i = 0; i < this.config.numDecoderLayers; i++) {
      const site = `decoder.block.${i}.layer.1.EncDecAttention`;
      kv.push({ k: this.heads(`${site}.k`, encoded), v: this.heads(`${site}.v`, encoded) }); // (B, H, S, dk)
    }
    return kv;
  }

  /** Decoder stack on `ids` (B, T) placed after the positions cached in `past`. */
  private decode(ids: tf.Tensor2D, context: CrossContext, drop: Dropout, past: KeyValue[] | null) {
    const c = this.config;
    const T = ids.shape[1];
    const offset = past === null ? 0 : past[0].k.shape[2];
    const table = this.param<tf.Rank.R2>('decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
    const relative = positionBias(table, {
      queries: T, queryOffset: offset, keys: offset + T, bidirectional: false,
      numBuckets: c.relativeAttentionNumBuckets, maxDistance: c.relativeAttentionMaxDistance,
    }); // (1, H, T, offset + T)
    const B = ids.shape[0];
    const selfBias = new AttentionBias(tf.add(relative, causalBias(T, offset)), B, {
      table, config: c, queries: T, queryOffset: offset, bidirectional: false,
    });
    const crossBias = new AttentionBias(context.bias, B, null);
    let h = drop.apply(this.embed(ids)); // (B, T, D)
    const kv: KeyValue[] = [];
    for (let i = 0; i < c.numDecoderLayers; i++) {
      const p = `decoder.block.${i}.layer`;
      const self = this.selfAttention(`${p}.0`, h, selfBias, drop, past === null ? null : past[i]);
      kv.push(self.kv);
      h = this.crossAttention(`${p}.1`, self.h, context.cross[i], crossBias, drop);
      h = this.feedForward(`${p}.2`, h, drop);
    }
    return { hidden: drop.apply(this.norm('decoder.final_layer_norm.weight', h)), kv };
  }

  /** LM head: tied → (h·D^-½)·sharedᵀ, untied → h·lm_head. (B, T, D) → (B, T, V). */
  private head(hidden: tf.Tensor3D): tf.Tensor3D {
    const c = this.config;
    const [B, T, D] = hidden.shape;
    const x = tf.reshape(hidden, [B * T, D]); // (N, D)
    const logits = c.tieWordEmbeddings
      ? tf.matMul(tf.mul(x, D ** -0.5), tf.transpose(this.param<tf.Rank.R2>('shared.weight'))) // (N, V)
      : tf.matMul(x, this.param<tf.Rank.R2>('lm_head.weight')); // (N, V)
    return tf.reshape(logits, [B, T, c.vocabSize]);
  }

  // ---- generation ----

  private checkPrompts(inputIds: number[][]): void {
    inputIds.forEach((row, b) => {
      if (row.length === 0) throw new Error(`T5.generate: input ${b} is empty; give at least one token (e.g. eos)`);
      const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= this.config.vocabSize);
      if (bad !== undefined) {
        throw new Error(`T5.generate: input ${b} holds token ${bad}, outside the vocabulary [0, ${this.config.vocabSize})`);
      }
    });
  }

  /** Right-pads the prompts, encodes them once and projects the cross-attention keys/values. */
  private encodePrompts(inputIds: number[][]): CrossContext {
    const S = Math.max(...inputIds.map((r) => r.length));
    const pad = this.config.padTokenId;
    const ids = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? r[j] : pad)));
    const mask = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? 1 : 0)));
    return tf.tidy(() => {
      const maskT = tf.tensor2d(mask, [inputIds.length, S], 'int32');
      const encoded = this.encode(tf.tensor2d(ids, [inputIds.length, S], 'int32'), maskT, new Dropout(0, null));
      return { cross: this.crossKeyValues(encoded.hidden), bias: paddingBias(encoded.mask) };
    });
  }

  /** One decoding position: the argmax token per row (B, 1) and the grown self-attention cache. */
  private greedyStep(last: Int32Array, context: CrossContext, past: KeyValue[] | null) {
    return tf.tidy(() => {
      const ids = tf.tensor2d(last, [last.length, 1], 'int32'); // (B, 1)
      const { hidden, kv } = this.decode(ids, context, new Dropout(0, null), past);
      return { next: tf.argMax(this.head(hidden), -1) as tf.Tensor2D, kv }; // (B, 1)
    });
  }
}

function disposeKeyValues(kv: KeyValue[] | null): void {
  for (const { k, v } of kv ?? []) tf.dispose([k, v]);
}

function checkBatch(batch: Seq2SeqBatch): void {
  const [B, S] = batch.inputIds.shape;
  const [mb, ms] = batch.attentionMask.shape;
  if (mb !== B || ms !== S) {
    throw new Error(`T5 batch: attentionMask is [${mb}, ${ms}] but inputIds is [${B}, ${S}]; they must match`);
  }
  if (batch.labels.shape[0] !== B || batch.labels.shape[1] < 1) {
    throw new Error(`T5 batch: labels is [${batch.labels.shape}], expected [${B}, T ≥ 1] to match inputIds`);
  }
}
