// The contract between model families and everything that trains, adapts or measures them.
// Models hold their weights as tf.Variables named exactly as in the Hugging Face checkpoint;
// PEFT methods reach in only through linear hooks and the parameter map.
import type * as tf from '@tensorflow/tfjs-core';

/** One Linear layer of the model, as a PEFT method sees it. */
export interface LinearSite {
  /** Checkpoint module name without `.weight`, e.g. `encoder.block.0.layer.0.SelfAttention.q`. */
  name: string;
  /** Last path component: q, k, v, o, wi, wi_0, wi_1, wo. */
  module: string;
  stack: 'encoder' | 'decoder';
  block: number;
  /** Which attention the layer belongs to; null for feed-forward layers. */
  attention: 'self' | 'cross' | null;
  inFeatures: number;
  outFeatures: number;
}

/** y = x·W of the frozen layer, x: (N, in) → (N, out). */
export type LinearForward = (x: tf.Tensor2D) => tf.Tensor2D;
/** A PEFT method's replacement for a Linear: gets the input and the base forward. */
export type LinearHook = (x: tf.Tensor2D, base: LinearForward) => tf.Tensor2D;

/** A batch for an encoder-decoder model. All int32. */
export interface Seq2SeqBatch {
  /** (B, S) token ids, right-padded with pad_token_id. */
  inputIds: tf.Tensor2D;
  /** (B, S) 1 for real tokens, 0 for padding. */
  attentionMask: tf.Tensor2D;
  /** (B, T) target ids ending in eos, padding positions set to -100 (ignored by the loss). */
  labels: tf.Tensor2D;
}

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation, parity). */
  training: boolean;
  /** Seed for this step's dropout masks, so a run repeats exactly. */
  dropoutSeed?: number;
}

export interface T5Config {
  modelType: 't5';
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  dropoutRate: number;
  layerNormEpsilon: number;
  /** 'relu' (T5 v1.0) or 'gated-gelu' (v1.1, Flan-T5). */
  feedForwardProj: 'relu' | 'gated-gelu';
  tieWordEmbeddings: boolean;
  padTokenId: number;
  eosTokenId: number;
  decoderStartTokenId: number;
}

/**
 * An encoder-decoder language model. Linear weights are stored as (in, out) so the forward
 * pass is a plain 2-D product; `checkpointTensor()` gives the checkpoint's (out, in) layout.
 */
export interface Seq2SeqModel {
  readonly config: T5Config;
  /** Every weight, keyed by checkpoint name (e.g. `shared.weight`, `...SelfAttention.q.weight`). */
  readonly params: Map<string, tf.Variable>;
  linearSites(): LinearSite[];
  /** Names of the layer-norm scale parameters (`...layer_norm.weight`, `...final_layer_norm.weight`). */
  normParams(): string[];
  /** Install (or remove, with null) the hook for the Linear named `site`. */
  setLinearHook(site: string, hook: LinearHook | null): void;
  /** (B, T, V) logits, teacher-forced on `batch.labels` shifted right. */
  logits(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Tensor3D;
  /** Mean token cross-entropy over labels != -100. */
  loss(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Scalar;
  /** Greedy decoding with a key/value cache; stops at eos or maxNewTokens. Ids exclude the start token. */
  generate(inputIds: number[][], maxNewTokens: number): number[][];
  /** A weight in the checkpoint's own layout (Linear: (out, in)). Caller disposes. */
  checkpointTensor(name: string): tf.Tensor;
  /** Sets a weight from a tensor in the checkpoint's own layout (the inverse of checkpointTensor). */
  assignCheckpointTensor(name: string, value: tf.Tensor): void;
  /** Total number of distinct parameters (tied weights counted once). */
  numParams(): number;
  dispose(): void;
}

export interface TextTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  /** Token ids of `text` followed by eos, as T5's tokenizer does. */
  encode(text: string): number[];
  /** Text of `ids`, special tokens skipped. */
  decode(ids: number[]): string;
}
