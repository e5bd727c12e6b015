// Hugging Face `config.json` ⇄ T5Config, the one place where T5's configuration is read or written.
import { ConfigReader, readTokenId, type Json } from './config_reader';
import type { T5Config } from './types';

/** Feed-forward variants the model implements, with the activation transformers derives for each. */
const FEED_FORWARD_ACT: Record<T5Config['feedForwardProj'], string> = {
  relu: 'relu', // T5 v1.0: wi → relu → wo
  'gated-gelu': 'gelu_new', // T5 v1.1, Flan-T5: gelu_new(wi_0) * wi_1 → wo
};

function readFeedForward(r: ConfigReader): T5Config['feedForwardProj'] {
  const proj = r.str('feed_forward_proj', 'relu');
  if (proj !== 'relu' && proj !== 'gated-gelu') {
    r.fail(
      'feed_forward_proj',
      `is ${JSON.stringify(proj)}, which this engine does not implement`,
      `use "relu" (T5 v1.0) or "gated-gelu" (T5 v1.1, Flan-T5)`,
    );
  }
  const act = FEED_FORWARD_ACT[proj];
  if (r.has('dense_act_fn') && r.str('dense_act_fn') !== act) {
    r.fail('dense_act_fn', `must be "${act}" with feed_forward_proj "${proj}"`, 'remove dense_act_fn or set it to match');
  }
  return proj;
}

/**
 * Reads a Hugging Face T5 `config.json` (already JSON-parsed). Sizes are required; fields
 * transformers defaults (num_decoder_layers, relative_attention_max_distance, dropout_rate,
 * layer_norm_epsilon, feed_forward_proj, tie_word_embeddings, pad/eos ids) take its defaults.
 * `file` is only used in error messages.
 */
export function parseT5Config(json: unknown, file: string): T5Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${file}: expected a JSON object at the top level; give the model folder's config.json`);
  }
  const r = new ConfigReader(json as Json, file);
  const modelType = r.str('model_type');
  if (modelType !== 't5' && modelType !== 'mt5') r.fail('model_type', `is ${JSON.stringify(modelType)}, not "t5" or "mt5"`, 'load a T5 checkpoint');
  const vocabSize = r.int('vocab_size', 2);
  const numLayers = r.int('num_layers', 1);
  const numBuckets = r.int('relative_attention_num_buckets', 4);
  const maxDistance = r.int('relative_attention_max_distance', 1, 128);
  // Unidirectional buckets are exact below numBuckets/2 and logarithmic up to max_distance.
  if (maxDistance <= Math.floor(numBuckets / 2)) {
    const half = Math.floor(numBuckets / 2);
    const problem = `(${maxDistance}) must exceed relative_attention_num_buckets / 2 (${half})`;
    r.fail('relative_attention_max_distance', problem, 'raise it (T5 uses 128)');
  }
  const padTokenId = readTokenId(r, 'pad_token_id', vocabSize, 0);
  return {
    modelType: modelType === 'mt5' ? 'mt5' : 't5',
    vocabSize,
    dModel: r.int('d_model', 1),
    dKv: r.int('d_kv', 1),
    dFf: r.int('d_ff', 1),
    numLayers,
    numDecoderLayers: r.int('num_decoder_layers', 1, numLayers),
    numHeads: r.int('num_heads', 1),
    relativeAttentionNumBuckets: numBuckets,
    relativeAttentionMaxDistance: maxDistance,
    dropoutRate: r.num('dropout_rate', 0, 1, 0.1),
    layerNormEpsilon: r.num('layer_norm_epsilon', Number.MIN_VALUE, 1, 1e-6),
    feedForwardProj: readFeedForward(r),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    padTokenId,
    eosTokenId: readTokenId(r, 'eos_token_id', vocabSize, 1),
    decoderStartTokenId: readTokenId(r, 'decoder_start_token_id', vocabSize),
  };
}

/** The `config.json` transformers would load as the same T5ForConditionalGeneration (MT5… for mT5). */
export function toHfConfig(c: T5Config): Record<string, unknown> {
  return {
    architectures: [c.modelType === 'mt5' ? 'MT5ForConditionalGeneration' : 'T5ForConditionalGeneration'],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    d_kv: c.dKv,
    d_ff: c.dFf,
    num_layers: c.numLayers,
    num_decoder_layers: c.numDecoderLayers,
    num_heads: c.numHeads,
    relative_attention_num_buckets: c.relativeAttentionNumBuckets,
    relative_attention_max_distance: c.relativeAttentionMaxDistance,
    dropout_rate: c.dropoutRate,
    layer_norm_epsilon: c.layerNormEpsilon,
    initializer_factor: 1.0,
    feed_forward_proj: c.feedForwardProj,
    dense_act_fn: FEED_FORWARD_ACT[c.feedForwardProj],
    is_gated_act: c.feedForwardProj === 'gated-gelu',
    tie_word_embeddings: c.tieWordEmbeddings,
    is_encoder_decoder: true,
    use_cache: true,
    pad_token_id: c.padTokenId,
    eos_token_id: c.eosTokenId,
    decoder_start_token_id: c.decoderStartTokenId,
  };
}
