// BERT and RoBERTa with a sequence-classification head (BertForSequenceClassification and
// RobertaForSequenceClassification of transformers) in TF.js: one post-LN encoder, the two differ
// in config, position numbering and head.
//
//   ids ─ word + position + type ─ LN ─ [self-attn → (+) → LN] [GELU FFN → (+) → LN] ×L ─ h₀ (first token)
//   BERT:    h₀ ─ pooler.dense ─ tanh ─ classifier                      ─ logits (B, labels)
//   RoBERTa: h₀ ─ classifier.dense ─ tanh ─ classifier.out_proj          ─ logits (B, labels)
//
// Fine-tuning is classification: the batch's labels are (B, 1) label indices, `logits` is
// (B, 1, labels) and the loss their cross-entropy; `classify` is the argmax, so nothing is generated.
// Hook points: every Linear of the layers, the residual add before each LayerNorm, key/value
// prefixes (no position, always visible) and a soft prompt in front of the word embeddings, which
// then takes positions like any token (so prompt + input must fit max_position_embeddings).
import * as tf from '@tensorflow/tfjs-core';
import { encoderMaxPositions, positionOffset } from './encoder_config';
import { basePrefix, encoderLoadRules, encoderParamSpecs, encoderShape } from './encoder_params';
import { withPrompt } from './hooks';
import { HookedModel } from './hooked_model';
import { initParams, loadParams, mapSource, type TensorSource } from './params';
import { attend, paddingBias, splitHeads } from './t5_attention';
import { Dropout, geluErf, geluNew, layerNorm, maskedCrossEntropy } from './t5_layers';
import type { EncoderConfig, ForwardOptions, LanguageModel, Seq2SeqBatch } from './types';

/** The dropouts of one pass: on hidden states, on attention weights, before the classifier. */
type Drops = { hidden: Dropout; attention: Dropout; classifier: Dropout };

export class EncoderModel extends HookedModel implements LanguageModel {
  private readonly prefix: string;

  private constructor(readonly config: EncoderConfig, params: Map<string, tf.Variable>) {
    super(params, encoderLabel(config), encoderParamSpecs(config), encoderShape(config));
    this.prefix = basePrefix(config);
  }

  /** From checkpoint tensors; a classifier the checkpoint lacks is initialised from `seed`. */
  static fromSource(config: EncoderConfig, source: TensorSource, seed = 0): EncoderModel {
    return new EncoderModel(config, loadParams(encoderParamSpecs(config), source, encoderLoadRules(config), seed));
  }

  static fromWeights(config: EncoderConfig, weights: Map<string, Float32Array>, shapes: Map<string, number[]>, seed = 0): EncoderModel {
    return EncoderModel.fromSource(config, mapSource(weights, shapes), seed);
  }

  static random(config: EncoderConfig, seed: number): EncoderModel {
    return new EncoderModel(config, initParams(encoderParamSpecs(config), seed));
  }

  /** Label logits (B, 1, labels): the classifier on each row's first token. */
  logits(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Tensor3D {
    checkBatch(batch, this.label);
    return tf.tidy(() => {
      const drops = this.dropouts(opts);
      const logits = this.classifierLogits(batch.inputIds, batch.attentionMask, drops); // (B, labels)
      return tf.expandDims(logits, 1) as tf.Tensor3D;
    });
  }

  /** Cross-entropy of the (B, 1) label indices (−100 rows ignored). */
  loss(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Scalar {
    return tf.tidy(() => maskedCrossEntropy(this.logits(batch, opts), batch.labels));
  }

  /** The argmax label of each unpadded row: how an encoder is scored. */
  classify(inputIds: number[][]): number[] {
    if (inputIds.length === 0) return [];
    checkRows(inputIds, this.config.vocabSize, this.label);
    const S = Math.max(...inputIds.map((r) => r.length));
    const ids = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? r[j] : this.config.padTokenId)));
    const mask = inputIds.flatMap((r) => Array.from({ length: S }, (_, j) => (j < r.length ? 1 : 0)));
    const best = tf.tidy(() => {
      const B = inputIds.length;
      const logits = this.classifierLogits(tf.tensor2d(ids, [B, S], 'int32'), tf.tensor2d(mask, [B, S], 'int32'), this.dropouts({ training: false }));
      return tf.argMax(logits, -1); // (B)
    });
    try {
      return Array.from(best.dataSync()); // device sync, once per batch
    } finally {
      best.dispose();
    }
  }

  generate(): number[][] {
    throw new Error(`${this.label}: an encoder with a classification head does not generate text; it is scored by classify() (argmax over the labels)`);
  }

  // ---- forward pieces (synchronous, inside tf.tidy) ----

  private dropouts(opts: ForwardOptions): Drops {
    const c = this.config, seed = opts.dropoutSeed;
    return {
      hidden: Dropout.forPass(c.hiddenDropout, opts.training, seed, 'h'),
      attention: Dropout.forPass(c.attentionDropout, opts.training, seed, 'a'),
      classifier: Dropout.forPass(c.classifierDropout, opts.training, seed, 'c'),
    };
  }

  /** (B, S) ids and mask → (B, labels). */
  private classifierLogits(ids: tf.Tensor2D, inputMask: tf.Tensor2D, drops: Drops): tf.Tensor2D {
    const hidden = this.encode(ids, inputMask, drops); // (B, P + S, D)
    const [B, , D] = hidden.shape;
    const first = tf.slice(hidden, [0, 0, 0], [B, 1, D]); // (B, 1, D): [CLS] / <s>, or the first soft-prompt slot
    return tf.reshape(this.head(first, drops), [B, this.config.numLabels]);
  }

  /** BERT: tanh pooler, dropout, classifier. RoBERTa: dropout, dense, tanh, dropout, out_proj. (B, 1, D) → (B, 1, labels). */
  private head(first: tf.Tensor3D, drops: Drops): tf.Tensor3D {
    if (this.config.modelType === 'bert') {
      const pooled = tf.tanh(this.linear('bert.pooler.dense', first)) as tf.Tensor3D;
      return this.linear('classifier', drops.classifier.apply(pooled));
    }
    const x = tf.tanh(this.linear('classifier.dense', drops.classifier.apply(first))) as tf.Tensor3D;
    return this.linear('classifier.out_proj', drops.classifier.apply(x));
  }

  /** Embeddings and the layer stack; the soft prompt, if any, goes in front before positions are added. */
  private encode(ids: tf.Tensor2D, inputMask: tf.Tensor2D, drops: Drops): tf.Tensor3D {
    const words = tf.gather(this.param(`${this.prefix}.embeddings.word_embeddings.weight`), ids) as tf.Tensor3D; // (B, S, D)
    const { embeds, mask } = withPrompt(this.hooks.prompt, words, tf.cast(inputMask, 'float32') as tf.Tensor2D);
    const L = mask.shape[1];
    const limit = encoderMaxPositions(this.config);
    if (L > limit) {
      throw new Error(`${this.label}: ${L} tokens (soft prompt included) exceed the ${limit} positions of max_position_embeddings; lower budget.max_input_tokens`);
    }
    const e = `${this.prefix}.embeddings`;
    const positions = tf.gather(this.param(`${e}.position_embeddings.weight`), this.positionIds(mask)); // (B, L, D)
    const type0 = tf.slice(this.param<tf.Rank.R2>(`${e}.token_type_embeddings.weight`), [0, 0], [1, -1]); // (1, D): every token is segment 0
    const sum = tf.add(tf.add(embeds, positions), type0) as tf.Tensor3D;
    let h = drops.hidden.apply(this.norm(`${e}.LayerNorm`, sum)); // (B, L, D)
    const bias = paddingBias(mask); // (B, 1, 1, L)
    for (let i = 0; i < this.config.numLayers; i++) {
      const p = `${this.prefix}.encoder.layer.${i}`;
      const a = drops.hidden.apply(this.linear(`${p}.attention.output.dense`, this.selfAttention(p, h, bias, drops))); // (B, L, D)
      h = this.norm(`${p}.attention.output.LayerNorm`, this.residual(`${p}.attention.output`, h, a));
      const inner = this.activation(this.linear(`${p}.intermediate.dense`, h)); // (B, L, F)
      const f = drops.hidden.apply(this.linear(`${p}.output.dense`, inner)); // (B, L, D)
      h = this.norm(`${p}.output.LayerNorm`, this.residual(`${p}.output`, h, f));
    }
    return h;
  }

  /** BERT counts every column from 0; RoBERTa counts real tokens from padding_idx + 1, padding at padding_idx. */
  private positionIds(mask: tf.Tensor2D): tf.Tensor2D {
    const [B, L] = mask.shape;
    if (this.config.modelType === 'bert') return tf.tile(tf.expandDims(tf.range(0, L, 1, 'int32'), 0), [B, 1]) as tf.Tensor2D;
    const counted = tf.mul(tf.cumsum(mask, 1), mask); // (B, L): 1, 2, … on real tokens, 0 on padding
    return tf.cast(tf.add(counted, positionOffset(this.config) - 1), 'int32') as tf.Tensor2D;
  }

  /** Multi-head self-attention with an optional key/value prefix: (B, L, D) → context (B, L, D). */
  private selfAttention(p: string, x: tf.Tensor3D, bias: tf.Tensor4D, drops: Drops): tf.Tensor3D {
    const site = `${p}.attention.self`, H = this.config.numHeads;
    const q = splitHeads(this.linear(`${site}.query`, x), H); // (B, H, L, dh)
    let k = splitHeads(this.linear(`${site}.key`, x), H);
    let v = splitHeads(this.linear(`${site}.value`, x), H);
    let allBias: tf.Tensor = bias;
    const prefix = this.hooks.prefix.get(site);
    if (prefix) {
      const kv = prefix.keyValues(x); // (B, H, P, dh) each, always visible
      [k, v] = [tf.concat([kv.k, k], 2) as tf.Tensor4D, tf.concat([kv.v, v], 2) as tf.Tensor4D];
      allBias = tf.concat([tf.zeros([bias.shape[0], 1, 1, prefix.length]), bias], 3);
    }
    const scaled = tf.mul(q, (this.config.hiddenSize / H) ** -0.5) as tf.Tensor4D;
    return attend(scaled, k, v, allBias, drops.attention); // (B, L, H·dh)
  }

  private activation(x: tf.Tensor3D): tf.Tensor3D {
    const act = this.config.hiddenAct;
    return act === 'gelu' ? geluErf(x) : act === 'gelu_new' ? geluNew(x) : tf.relu(x);
  }

  private norm(name: string, x: tf.Tensor3D): tf.Tensor3D {
    return layerNorm(x, this.param<tf.Rank.R1>(`${name}.weight`), this.param<tf.Rank.R1>(`${name}.bias`), this.config.layerNormEps);
  }
}

export function encoderLabel(c: EncoderConfig): string {
  return c.modelType === 'bert' ? 'BERT' : 'RoBERTa';
}

function checkRows(rows: number[][], vocab: number, label: string): void {
  rows.forEach((row, b) => {
    if (row.length === 0) throw new Error(`${label}.classify: input ${b} is empty; give at least the [CLS]/<s> token`);
    const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined) throw new Error(`${label}.classify: input ${b} holds token ${bad}, outside the vocabulary [0, ${vocab})`);
  });
}

function checkBatch(batch: Seq2SeqBatch, label: string): void {
  const [B, S] = batch.inputIds.shape;
  const [mb, ms] = batch.attentionMask.shape;
  if (mb !== B || ms !== S) throw new Error(`${label} batch: attentionMask is [${mb}, ${ms}] but inputIds is [${B}, ${S}]; they must match`);
  if (batch.labels.shape[0] !== B || batch.labels.shape[1] !== 1) {
    throw new Error(`${label} batch: labels is [${batch.labels.shape}], expected [${B}, 1]: one label index per row`);
  }
}
