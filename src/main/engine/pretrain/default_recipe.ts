// The recipe of the committed default model (resources/default-model): architecture, data
// and schedule in one place, so the model card and `npm run pretrain-default` agree.
import type { T5Config } from '../models/types';
import type { PretrainConfig } from './pretrain_loop';
import { T5_SPAN_CORRUPTION } from './span_corruption';

export const PRETRAINED_MODEL_NAME = 't5-pretrained-mini';

/** Sentinels `<extra_id_0>` … at the top of the vocabulary. */
export const NUM_SENTINELS = 100;

// T5 v1.1 shape (gated-GELU feed-forward, no dropout while pretraining) at a size a 2-core
// CPU can pretrain in well under an hour; the head stays tied to the embedding (v1.0) to keep
// the parameter count and the per-update optimiser work small.
export const PRETRAINED_T5_CONFIG: T5Config = {
  modelType: 't5',
  vocabSize: 6000,
  dModel: 192,
  dKv: 48,
  dFf: 512,
  numLayers: 4,
  numDecoderLayers: 4,
  numHeads: 4,
  relativeAttentionNumBuckets: 32,
  relativeAttentionMaxDistance: 128,
  dropoutRate: 0.1, // for fine-tuning; pretraining runs with dropout off
  layerNormEpsilon: 1e-6,
  feedForwardProj: 'gated-gelu',
  tieWordEmbeddings: true,
  padTokenId: 0,
  eosTokenId: 1,
  decoderStartTokenId: 0,
};

export const DEFAULT_PRETRAIN: PretrainConfig = {
  model: PRETRAINED_T5_CONFIG,
  seed: 0,
  steps: 1000,
  batchSize: 16,
  learningRate: 2e-3,
  relativeStep: false,
  inputLength: 128,
  warmupSteps: 50,
  weightDecay: 0.01,
  clipNorm: 1.0,
  noise: T5_SPAN_CORRUPTION,
  reconstructFraction: 0,
  checkpointEvery: 50,
  emails: false,
  reconstructLead: false,
  embeddingInit: 'random',
};
