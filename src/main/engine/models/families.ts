// The model families, chosen from config.json's `model_type`: one row per family says how to read
// its config, build its structure without weights, and build the model from checkpoint tensors.
import { DECODER_TYPES, decoderToHfConfig, parseDecoderConfig } from './decoder_config';
import { DecoderModel } from './decoder';
import { decoderParamSpecs, decoderShape } from './decoder_params';
import { decoderLoadRules } from './decoder';
import { EncoderModel, encoderLabel } from './encoder';
import { ENCODER_TYPES, encoderToHfConfig, parseEncoderConfig } from './encoder_config';
import { encoderLoadRules, encoderParamSpecs, encoderShape } from './encoder_params';
import type { LoadRules, ParamSpec, TensorSource } from './params';
import { T5Model } from './t5';
import { parseT5Config, toHfConfig } from './t5_config';
import { t5LoadRules, t5ParamSpecs, t5Shape } from './t5_params';
import type { DecoderConfig, EncoderConfig, LanguageModel, ModelConfig, ModelShape, T5Config } from './types';

/** seq2seq and decoder generate text; an encoder classifies with a label head. */
export type FamilyKind = 'seq2seq' | 'decoder' | 'encoder';

interface Family<C extends ModelConfig> {
  kind: FamilyKind;
  /** Hugging Face model_type values this row reads. */
  modelTypes: readonly string[];
  /** Example checkpoints, for messages and docs. */
  examples: string;
  parse(json: unknown, file: string): C;
  toHf(config: C): Record<string, unknown>;
  specs(config: C): ParamSpec[];
  shape(config: C): ModelShape;
  loadRules(config: C): LoadRules;
  /** One line for pickers and listings. */
  describe(config: C): string;
  /** `seed` initialises what the checkpoint may lack (an encoder's classification head). */
  fromSource(config: C, source: TensorSource, seed: number): LanguageModel;
  random(config: C, seed: number): LanguageModel;
}

const T5: Family<T5Config> = {
  kind: 'seq2seq',
  modelTypes: ['t5', 'mt5'],
  examples: 't5-small … t5-11b, google/t5-v1_1-*, google/flan-t5-*, google/byt5-* (t5); google/mt5-* (mt5)',
  parse: parseT5Config,
  toHf: toHfConfig,
  specs: t5ParamSpecs,
  shape: t5Shape,
  loadRules: t5LoadRules,
  describe: (c) => `${c.modelType === 'mt5' ? 'mT5' : 'T5'}: ${c.numLayers}+${c.numDecoderLayers} layers, d_model ${c.dModel}, ${c.numHeads} heads, vocabulary ${c.vocabSize}`,
  fromSource: (c, s) => T5Model.fromSource(c, s),
  random: (c, seed) => T5Model.random(c, seed),
};

const DECODER: Family<DecoderConfig> = {
  kind: 'decoder',
  modelTypes: DECODER_TYPES,
  examples: 'LLaMA 2/3, SmolLM (llama), Qwen2/2.5 (qwen2), Mistral (mistral)',
  parse: parseDecoderConfig,
  toHf: decoderToHfConfig,
  specs: decoderParamSpecs,
  shape: decoderShape,
  loadRules: decoderLoadRules,
  describe: (c) => `${c.modelType}: ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads} heads / ${c.numKvHeads} kv, vocabulary ${c.vocabSize}`,
  fromSource: (c, s) => DecoderModel.fromSource(c, s),
  random: (c, seed) => DecoderModel.random(c, seed),
};

const ENCODER: Family<EncoderConfig> = {
  kind: 'encoder',
  modelTypes: ENCODER_TYPES,
  examples: 'BERT (bert), RoBERTa (roberta), with a sequence-classification head',
  parse: parseEncoderConfig,
  toHf: encoderToHfConfig,
  specs: encoderParamSpecs,
  shape: encoderShape,
  loadRules: encoderLoadRules,
  describe: (c) => `${encoderLabel(c)}: ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads} heads, vocabulary ${c.vocabSize}`,
  fromSource: (c, s, seed) => EncoderModel.fromSource(c, s, seed),
  random: (c, seed) => EncoderModel.random(c, seed),
};

const FAMILIES = [T5, DECODER, ENCODER] as Family<ModelConfig>[];

/** Every model_type this engine opens. */
export const SUPPORTED_MODEL_TYPES: string[] = FAMILIES.flatMap((f) => [...f.modelTypes]);

function byType(modelType: string): Family<ModelConfig> | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

/** The family of a config object, or an error naming the model_type and listing the supported ones. */
export function familyOfJson(json: unknown, file: string): Family<ModelConfig> {
  const type = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).model_type : undefined;
  if (typeof type !== 'string') {
    throw new Error(`${file}: model_type is missing; a Hugging Face config.json names its architecture (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  const family = byType(type);
  if (!family) {
    const known = FAMILIES.map((f) => `${f.modelTypes.join('/')} (${f.examples})`).join('; ');
    throw new Error(`${file}: model_type "${type}" is not supported; supported: ${known}`);
  }
  return family;
}

/** Reads any supported family's config.json object into its typed config. */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  return familyOfJson(json, file).parse(json, file);
}

function familyOf(config: ModelConfig): Family<ModelConfig> {
  const family = byType(config.modelType);
  if (!family) throw new Error(`model_type "${config.modelType}" has no family`);
  return family;
}

export const familyKind = (c: ModelConfig): FamilyKind => familyOf(c).kind;
export const modelShape = (c: ModelConfig): ModelShape => familyOf(c).shape(c);
export const paramSpecs = (c: ModelConfig): ParamSpec[] => familyOf(c).specs(c);
export const hfConfigOf = (c: ModelConfig): Record<string, unknown> => familyOf(c).toHf(c);
export const modelFromSource = (c: ModelConfig, s: TensorSource, seed = 0): LanguageModel => familyOf(c).fromSource(c, s, seed);
export const randomModel = (c: ModelConfig, seed: number): LanguageModel => familyOf(c).random(c, seed);
export const loadRulesOf = (c: ModelConfig): LoadRules => familyOf(c).loadRules(c);
export const describeConfig = (c: ModelConfig): string => familyOf(c).describe(c);
