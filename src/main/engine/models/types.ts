// The contract between model families and everything that trains, adapts or measures them.
// Models hold their weights as tf.Variables named exactly as in the Hugging Face checkpoint;
// PEFT methods reach in only through the hooks below and the parameter map. The hook kinds are
// family-neutral: every transformer has Linear layers with roles, sublayers with a residual add,
// attentions with keys and values, and input embeddings.
import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a Linear does in its block, the same across families. T5 relu: wi = ffn_up; gated T5:
 * wi_0 = ffn_gate, wi_1 = ffn_up; wo = ffn_down. LLaMA: gate_proj, up_proj, down_proj.
 */
export type LinearRole = 'query' | 'key' | 'value' | 'attention_output' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

/** One Linear layer of the model, as a PEFT method sees it. */
export interface LinearSite {
  /** Checkpoint module name without `.weight`, e.g. `encoder.block.0.layer.0.SelfAttention.q`. */
  name: string;
  /** Last path component: q, k, v, o, wi, wi_0, wi_1, wo (T5); q_proj … down_proj (LLaMA). */
  module: string;
  role: LinearRole;
  stack: 'encoder' | 'decoder';
  block: number;
  /** Which attention the layer belongs to; null for feed-forward layers. */
  attention: 'self' | 'cross' | null;
  inFeatures: number;
  outFeatures: number;
}

/** y = x·W (+ b where the layer has a bias) of the frozen layer, x: (N, in) → (N, out). */
export type LinearForward = (x: tf.Tensor2D) => tf.Tensor2D;
/**
 * A PEFT method's replacement for a Linear: gets the input (N, in) with N = batch·tokens, the
 * base forward, and the batch size B (for per-example gates that average over tokens).
 */
export type LinearHook = (x: tf.Tensor2D, base: LinearForward, batch: number) => tf.Tensor2D;

/** One sublayer (attention or feed-forward) whose output is added to the residual stream. */
export interface SublayerSite {
  /** Checkpoint prefix of the sublayer, e.g. `encoder.block.0.layer.1`. */
  name: string;
  kind: 'self_attention' | 'cross_attention' | 'feed_forward';
  stack: 'encoder' | 'decoder';
  block: number;
  /** Width of the residual stream (d_model). */
  dim: number;
}

/**
 * Replaces the residual add of a sublayer: x is the sublayer's un-normalised input (the residual
 * stream), h its output after dropout, both (B, T, D); the default is x + h. Serial and parallel
 * adapters live here (Houlsby: x + h + A(h); parallel: x + h + s·A(x)).
 */
export type SublayerHook = (x: tf.Tensor3D, h: tf.Tensor3D) => tf.Tensor3D;

/** One attention module, where prefixes may be put in front of the keys and values. */
export interface AttentionSite {
  /** Module name, e.g. `decoder.block.0.layer.1.EncDecAttention`. */
  name: string;
  kind: 'self' | 'cross';
  stack: 'encoder' | 'decoder';
  block: number;
  /** Heads of the keys and values (the key/value heads under grouped-query attention). */
  numHeads: number;
  /** Width of one head's keys and values. */
  headDim: number;
  /** Width of the query-side input (d_model). */
  queryDim: number;
}

/**
 * Extra key/value slots in front of an attention's own (prefix tuning). `keyValues` gets the
 * attention's query-side input x (B, T, D), after the pre-norm, and returns k and v of shape
 * (B, H, length, headDim). Every query sees every prefix slot; relative positions place the
 * slots just before the first token.
 */
export interface PrefixHook {
  length: number;
  keyValues(x: tf.Tensor3D): { k: tf.Tensor4D; v: tf.Tensor4D };
}

/**
 * Trainable vectors put in front of the input embeddings (prompt tuning). `prompt()` is
 * (length, D); the model prepends it to every row and grows the attention mask with ones.
 * On an encoder-decoder it applies to the encoder input.
 */
export interface PromptHook {
  length: number;
  prompt(): tf.Tensor2D;
}

/** Everything about a model's structure a method needs to count parameters, without weights. */
export interface ModelShape {
  family: string;
  dModel: number;
  /** Distinct parameters of the base model (tied weights once). */
  totalParams: number;
  linears: LinearSite[];
  sublayers: SublayerSite[];
  attentions: AttentionSite[];
  /** Layer-norm parameters (scales, and biases where the family has them). */
  norms: { name: string; size: number }[];
  /**
   * Bias vectors (none in T5 or LLaMA; q, k, v in Qwen2; every Linear and LayerNorm bias of the
   * base model in BERT/RoBERTa). The task head's biases are in `head`, not here.
   */
  biases: { name: string; size: number }[];
  /**
   * The task head (an encoder's classifier, sized by the task's labels): trained with every
   * method, as in the GLUE setting; empty where the head is the pretrained LM head.
   */
  head: { name: string; size: number }[];
  /**
   * Positions the model can embed (learned absolute position embeddings): the input, with any
   * soft prompt in front, must fit. null where positions are relative or rotary (no hard limit).
   */
  maxPositions: { limit: number; field: string } | null;
}

/**
 * A batch of (input, target) pairs. All int32. An encoder-decoder encodes `inputIds` and predicts
 * `labels`; a decoder-only model reads each row's prompt then its labels as one sequence.
 */
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
  /** mT5 is T5 v1.1 (gated-gelu, untied head) with a 250k vocabulary; ByT5 is a t5 over bytes. */
  modelType: 't5' | 'mt5';
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

/** Rotary scalings of the decoder families (transformers' `rope_scaling` / `rope_parameters`). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

/** LLaMA 2/3, Qwen2/2.5, Mistral and SmolLM (a LLaMA): one pre-norm decoder with variations. */
export interface DecoderConfig {
  modelType: 'llama' | 'qwen2' | 'mistral';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention: key/value heads, each shared by numHeads / numKvHeads query heads. */
  numKvHeads: number;
  /** Width of one head (an explicit `head_dim`, else hidden_size / num_attention_heads). */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on q, k and v (Qwen2 always; LLaMA with attention_bias, which also puts one on o). */
  qkvBias: boolean;
  outputBias: boolean;
  /** Mistral: keys further back than this many positions are not attended to; null: no window. */
  slidingWindow: number | null;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  /** Generation stops at any of these. */
  eosTokenIds: number[];
  /** Id used to fill padding (pad_token_id, else the first eos). */
  padTokenId: number;
}

/** BERT and RoBERTa: a post-LN encoder with a sequence-classification head. */
export interface EncoderConfig {
  modelType: 'bert' | 'roberta';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** 'gelu' is the exact (erf) GELU of BERT and RoBERTa; 'gelu_new' the tanh approximation. */
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
  hiddenDropout: number;
  attentionDropout: number;
  /** Dropout before the classifier (classifier_dropout, else hidden_dropout_prob). */
  classifierDropout: number;
  padTokenId: number;
  /** Labels of the classification head (the task's, else id2label / num_labels of config.json, else 2). */
  numLabels: number;
}

/** Every family's config; `modelType` tells them apart. */
export type ModelConfig = T5Config | DecoderConfig | EncoderConfig;

/**
 * The structure a PEFT method works on: weights by checkpoint name and the hook points.
 * Linear weights are stored as (in, out) so the forward pass is a plain 2-D product;
 * `checkpointTensor()` gives the checkpoint's (out, in) layout.
 */
export interface HookableModel {
  /** Every weight, keyed by checkpoint name (e.g. `shared.weight`, `...SelfAttention.q.weight`). */
  readonly params: Map<string, tf.Variable>;
  linearSites(): LinearSite[];
  /** Names of the norm scale parameters (and norm biases where the family has them). */
  normParams(): string[];
  /** Install (or remove, with null) the hook for the Linear named `site`. */
  setLinearHook(site: string, hook: LinearHook | null): void;
  /** The model's structure: sites of every hook kind, norms, biases, parameter total. */
  shape(): ModelShape;
  /** Install (or remove) the residual hook of the sublayer named `site` (see `shape().sublayers`). */
  setSublayerHook(site: string, hook: SublayerHook | null): void;
  /** Install (or remove) a key/value prefix for the attention named `site` (see `shape().attentions`). */
  setPrefixHook(site: string, hook: PrefixHook | null): void;
  /** Install (or remove) a soft prompt in front of the (encoder) input embeddings. */
  setPromptHook(hook: PromptHook | null): void;
  /** A weight in the checkpoint's own layout (Linear: (out, in)). Caller disposes. */
  checkpointTensor(name: string): tf.Tensor;
  /** Sets a weight from a tensor in the checkpoint's own layout (the inverse of checkpointTensor). */
  assignCheckpointTensor(name: string, value: tf.Tensor): void;
  /** Total number of distinct parameters (tied weights counted once). */
  numParams(): number;
  dispose(): void;
}

/**
 * A language model trained on (input, target) pairs: T5 reads the input with its encoder and
 * produces the target with its decoder; a decoder-only model reads input then target as one
 * sequence and is scored on the target only (the prompt is masked out of the loss).
 */
export interface LanguageModel extends HookableModel {
  readonly config: ModelConfig;
  /** (B, T, V) logits predicting `batch.labels` (teacher forcing). */
  logits(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Tensor3D;
  /** Mean token cross-entropy over labels != -100. */
  loss(batch: Seq2SeqBatch, opts: ForwardOptions): tf.Scalar;
  /** Greedy decoding with a key/value cache; stops at eos or maxNewTokens. Ids exclude the prompt / start token. */
  generate(inputIds: number[][], maxNewTokens: number): number[][];
  /**
   * Classifiers only (an encoder with a label head, whose `logits` are (B, 1, labels) predicting
   * a (B, 1) label index): the argmax label of each unpadded row. Absent on generative models.
   */
  classify?(inputIds: number[][]): number[];
}

/** The name the training loop uses for a model it can train (every family of LanguageModel). */
export type Seq2SeqModel = LanguageModel;

export interface TextTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  /** The id a decoder's prompt starts with; null where the model or its tokenizer adds none. */
  readonly bosId: number | null;
  /** Token ids of `text` followed by eos, as T5's tokenizer does. */
  encode(text: string): number[];
  /** Token ids of `text` alone, no special tokens added. */
  encodeText(text: string): number[];
  /** Text of `ids`, special tokens skipped. */
  decode(ids: number[]): string;
}
