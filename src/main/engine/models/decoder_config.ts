// Hugging Face `config.json` ⇄ DecoderConfig for LLaMA 2/3, Qwen2/2.5, Mistral and SmolLM: the one
// place where these decoders' configuration is read or written. Defaults are transformers'.
import { ConfigReader, configObject, hfSizeFields, readTokenId, type Json } from './config_reader';
import type { DecoderConfig, RopeScaling } from './types';

export const DECODER_TYPES = ['llama', 'qwen2', 'mistral'] as const;
const ARCHITECTURES: Record<DecoderConfig['modelType'], string> = {
  llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM',
};
/** transformers' rope_theta default per family. */
const ROPE_THETA: Record<DecoderConfig['modelType'], number> = { llama: 10000, qwen2: 10000, mistral: 10000 };

/** rope_scaling (or, in newer configs, rope_parameters) as one of the scalings we implement. */
function readRopeScaling(r: ConfigReader, json: Json): RopeScaling | null {
  const field = json.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
  const raw = json[field];
  if (raw == null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail(field, 'must be an object', 'correct it in config.json');
  const s = raw as Json;
  const type = s.rope_type ?? s.type ?? 'default';
  const sub = new ConfigReader(s, `config.json ${field}`);
  const need = (f: string) => {
    if (!sub.has(f)) sub.fail(f, 'is missing', `add it to ${field} in config.json`);
    return sub.num(f, Number.MIN_VALUE, Infinity, NaN);
  };
  if (type === 'default') return null;
  if (type === 'linear') return { type, factor: need('factor') };
  if (type === 'llama3') {
    return {
      type, factor: need('factor'), lowFreqFactor: need('low_freq_factor'), highFreqFactor: need('high_freq_factor'),
      originalMaxPositionEmbeddings: sub.int('original_max_position_embeddings', 1),
    };
  }
  return r.fail(`${field}.rope_type`, `is ${JSON.stringify(type)}, which this engine does not implement`,
    'supported: default, linear, llama3');
}

/** eos_token_id is an integer or a list of them (LLaMA 3 instruct). */
function readEosIds(r: ConfigReader, json: Json, vocabSize: number): number[] {
  const raw = json.eos_token_id;
  if (raw == null) return [];
  const ids = Array.isArray(raw) ? raw : [raw];
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      r.fail('eos_token_id', `must be token ids in [0, ${vocabSize}), got ${JSON.stringify(raw)}`, 'correct it in config.json');
    }
  }
  return ids as number[];
}

function readSlidingWindow(r: ConfigReader, type: DecoderConfig['modelType']): number | null {
  if (type === 'qwen2' && r.has('use_sliding_window') && r.bool('use_sliding_window', false)) {
    r.fail('use_sliding_window', 'is true, which this engine does not implement for Qwen2', 'set it to false (the released Qwen2 models do)');
  }
  if (type !== 'mistral' || !r.has('sliding_window')) return null;
  return r.int('sliding_window', 1);
}

/** Reads a LLaMA-family `config.json` (already JSON-parsed); `file` only names it in errors. */
export function parseDecoderConfig(raw: unknown, file: string): DecoderConfig {
  const json = configObject(raw, file);
  const r = new ConfigReader(json, file);
  const modelType = r.str('model_type') as DecoderConfig['modelType'];
  if (!DECODER_TYPES.includes(modelType)) r.fail('model_type', `is ${JSON.stringify(modelType)}`, `use one of ${DECODER_TYPES.join(', ')}`);
  if (r.has('mlp_bias') && r.bool('mlp_bias', false)) r.fail('mlp_bias', 'is true, which this engine does not implement', 'use a checkpoint without MLP biases');
  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu') r.fail('hidden_act', `is ${JSON.stringify(act)}`, 'these decoders use "silu" (SwiGLU)');
  const vocabSize = r.int('vocab_size', 2);
  const hiddenSize = r.int('hidden_size', 1);
  const numHeads = r.int('num_attention_heads', 1);
  const numKvHeads = r.int('num_key_value_heads', 1, numHeads);
  if (numHeads % numKvHeads !== 0) {
    r.fail('num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`, 'correct it in config.json');
  }
  if (!r.has('head_dim') && hiddenSize % numHeads !== 0) {
    r.fail('hidden_size', `(${hiddenSize}) is not a multiple of num_attention_heads (${numHeads})`, 'add head_dim to config.json');
  }
  const headDim = r.int('head_dim', 1, Math.floor(hiddenSize / numHeads));
  if (headDim % 2 !== 0) r.fail('head_dim', `(${headDim}) must be even for rotary embeddings`, 'correct it in config.json');
  const ropeScaling = readRopeScaling(r, json);
  const ropeParams = json.rope_parameters as Json | undefined;
  const ropeTheta = typeof ropeParams?.rope_theta === 'number' ? ropeParams.rope_theta : r.num('rope_theta', 1, Infinity, ROPE_THETA[modelType]);
  const eosTokenIds = readEosIds(r, json, vocabSize);
  const attentionBias = modelType === 'llama' && r.bool('attention_bias', false);
  return {
    modelType, vocabSize, hiddenSize,
    intermediateSize: r.int('intermediate_size', 1),
    numLayers: r.int('num_hidden_layers', 1),
    numHeads, numKvHeads, headDim,
    rmsNormEps: r.num('rms_norm_eps', Number.MIN_VALUE, 1, 1e-6),
    ropeTheta, ropeScaling,
    qkvBias: modelType === 'qwen2' || attentionBias,
    outputBias: attentionBias,
    slidingWindow: readSlidingWindow(r, modelType),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    bosTokenId: r.has('bos_token_id') ? readTokenId(r, 'bos_token_id', vocabSize) : null,
    eosTokenIds,
    padTokenId: r.has('pad_token_id') ? readTokenId(r, 'pad_token_id', vocabSize) : (eosTokenIds[0] ?? 0),
  };
}

/** The `config.json` transformers would load as the same model. */
export function decoderToHfConfig(c: DecoderConfig): Record<string, unknown> {
  const rope = c.ropeScaling === null ? null
    : c.ropeScaling.type === 'linear' ? { rope_type: 'linear', factor: c.ropeScaling.factor }
      : {
        rope_type: 'llama3', factor: c.ropeScaling.factor, low_freq_factor: c.ropeScaling.lowFreqFactor,
        high_freq_factor: c.ropeScaling.highFreqFactor, original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
      };
  return {
    ...hfSizeFields(c, ARCHITECTURES[c.modelType]),
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: rope,
    ...(c.modelType === 'llama' ? { attention_bias: c.qkvBias, mlp_bias: false } : {}),
    ...(c.modelType === 'mistral' ? { sliding_window: c.slidingWindow } : {}),
    ...(c.modelType === 'qwen2' ? { use_sliding_window: false } : {}),
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    pad_token_id: c.padTokenId,
  };
}
