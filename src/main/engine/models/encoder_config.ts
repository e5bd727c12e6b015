// Hugging Face `config.json` ⇄ EncoderConfig for BERT and RoBERTa: the one place where the
// encoders' configuration is read or written. Defaults are transformers' BertConfig / RobertaConfig.
import { ConfigReader, configObject, hfSizeFields, readTokenId, type Json } from './config_reader';
import type { EncoderConfig } from './types';

export const ENCODER_TYPES = ['bert', 'roberta'] as const;
const ARCHITECTURES: Record<EncoderConfig['modelType'], string> = {
  bert: 'BertForSequenceClassification', roberta: 'RobertaForSequenceClassification',
};
const DEFAULTS: Record<EncoderConfig['modelType'], { vocab: number; pad: number }> = {
  bert: { vocab: 30522, pad: 0 }, roberta: { vocab: 50265, pad: 1 },
};
const ACTIVATIONS: EncoderConfig['hiddenAct'][] = ['gelu', 'gelu_new', 'relu'];

/** Labels from id2label (what save_pretrained writes), else num_labels, else transformers' 2. */
function readNumLabels(r: ConfigReader, json: Json): number {
  const id2label = json.id2label;
  if (id2label != null) {
    if (typeof id2label !== 'object' || Array.isArray(id2label) || Object.keys(id2label).length === 0) {
      r.fail('id2label', 'must be an object of label names by index', 'correct it in config.json or remove it');
    }
    return Object.keys(id2label).length;
  }
  return r.int('num_labels', 1, 2);
}

/** Reads a BERT or RoBERTa `config.json` (already JSON-parsed); `file` only names it in errors. */
export function parseEncoderConfig(raw: unknown, file: string): EncoderConfig {
  const json = configObject(raw, file);
  const r = new ConfigReader(json, file);
  const modelType = r.str('model_type') as EncoderConfig['modelType'];
  if (!ENCODER_TYPES.includes(modelType)) r.fail('model_type', `is ${JSON.stringify(modelType)}`, `use one of ${ENCODER_TYPES.join(', ')}`);
  const kind = r.str('position_embedding_type', 'absolute');
  if (kind !== 'absolute') r.fail('position_embedding_type', `is ${JSON.stringify(kind)}, which this engine does not implement`, 'use a checkpoint with "absolute" positions');
  if (r.bool('is_decoder', false) || r.bool('add_cross_attention', false)) {
    r.fail('is_decoder', 'is true (or add_cross_attention is)', 'the workbench reads BERT/RoBERTa as bidirectional encoders; use an encoder checkpoint');
  }
  const act = r.str('hidden_act', 'gelu');
  const hiddenAct = act === 'gelu_pytorch_tanh' ? 'gelu_new' : act;
  if (!ACTIVATIONS.includes(hiddenAct as EncoderConfig['hiddenAct'])) r.fail('hidden_act', `is ${JSON.stringify(act)}`, `supported: ${ACTIVATIONS.join(', ')}`);
  const vocabSize = r.int('vocab_size', 2, DEFAULTS[modelType].vocab);
  const hiddenSize = r.int('hidden_size', 1, 768);
  const numHeads = r.int('num_attention_heads', 1, 12);
  if (hiddenSize % numHeads !== 0) r.fail('hidden_size', `(${hiddenSize}) is not a multiple of num_attention_heads (${numHeads})`, 'correct it in config.json');
  const padTokenId = readTokenId(r, 'pad_token_id', vocabSize, DEFAULTS[modelType].pad);
  const maxPositionEmbeddings = r.int('max_position_embeddings', 1, 512);
  if (modelType === 'roberta' && maxPositionEmbeddings <= padTokenId + 1) {
    r.fail('max_position_embeddings', `(${maxPositionEmbeddings}) leaves no position: RoBERTa's positions start at pad_token_id + 1 (${padTokenId + 1})`, 'correct it in config.json');
  }
  const hiddenDropout = r.num('hidden_dropout_prob', 0, 1, 0.1);
  return {
    modelType, vocabSize, hiddenSize, numHeads, padTokenId, maxPositionEmbeddings, hiddenDropout,
    intermediateSize: r.int('intermediate_size', 1, 3072),
    numLayers: r.int('num_hidden_layers', 1, 12),
    typeVocabSize: r.int('type_vocab_size', 1, 2),
    layerNormEps: r.num('layer_norm_eps', Number.MIN_VALUE, 1, 1e-12),
    hiddenAct: hiddenAct as EncoderConfig['hiddenAct'],
    attentionDropout: r.num('attention_probs_dropout_prob', 0, 1, 0.1),
    classifierDropout: r.num('classifier_dropout', 0, 1, hiddenDropout),
    numLabels: readNumLabels(r, json),
  };
}

/** First position id: RoBERTa numbers positions from padding_idx + 1, BERT from 0. */
export function positionOffset(c: EncoderConfig): number {
  return c.modelType === 'roberta' ? c.padTokenId + 1 : 0;
}

/** The longest input (soft prompt included) whose positions the model can embed. */
export function encoderMaxPositions(c: EncoderConfig): number {
  return c.maxPositionEmbeddings - positionOffset(c);
}

/** The `config.json` transformers would load as the same model. */
export function encoderToHfConfig(c: EncoderConfig): Record<string, unknown> {
  const labels = Array.from({ length: c.numLabels }, (_, i) => `LABEL_${i}`);
  return {
    ...hfSizeFields(c, ARCHITECTURES[c.modelType]),
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropout,
    attention_probs_dropout_prob: c.attentionDropout,
    classifier_dropout: c.classifierDropout,
    position_embedding_type: 'absolute',
    pad_token_id: c.padTokenId,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}
