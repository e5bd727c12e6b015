// The recipe of the committed default model (resources/default-model): architecture, data
// and schedule in one place, so the model card and `npm run pretrain-default` agree.
import type { T5Config } from '../models/types';
import type { PretrainConfig } from './pretrain_loop';
import { T5_SPAN_CORRUPTION } from './span_corruption';

export const PRETRAINED_MODEL_NAME = 't5-pretrained-mini';

/** Sentinels `<extra_id_0>` … at the top of the vocabulary. */
export const NUM_SENTINELS = 100;

// T5 v1.1 shape (gated-GELU feed-forward, separate output head, no dropout while pretraining)
// at a size a 2-core CPU pretrains for 1000 updates in under 20 minutes.
export const PRETRAINED_T5_CONFIG: T5Config = {
  modelType: 't5',
  vocabSize: 6000,
  dModel: 128,
  dKv: 32,
  dFf: 384,
  numLayers: 2,
  numDecoderLayers: 2,
  numHeads: 4,
  relativeAttentionNumBuckets: 32,
  relativeAttentionMaxDistance: 128,
  dropoutRate: 0.1, // for fine-tuning; pretraining runs with dropout off
  layerNormEpsilon: 1e-6,
  feedForwardProj: 'gated-gelu',
  tieWordEmbeddings: false,
  padTokenId: 0,
  eosTokenId: 1,
  decoderStartTokenId: 0,
};

// Why each choice, with the measurements, in docs/pretraining.md: the relative step lets the
// embedding move at all; whole-block targets for half the blocks make the decoder read the
// encoder; the spam task's train e-mails widen the corpus; and the embedding starts from the
// corpus's PPMI-SVD word vectors, which an hour of span corruption alone does not learn.
export const DEFAULT_PRETRAIN: PretrainConfig = {
  model: PRETRAINED_T5_CONFIG,
  seed: 0,
  steps: 1000,
  batchSize: 16,
  learningRate: 3e-2,
  relativeStep: true,
  inputLength: 64,
  warmupSteps: 50,
  weightDecay: 0.01,
  clipNorm: 1.0,
  noise: T5_SPAN_CORRUPTION,
  reconstructFraction: 0.5,
  checkpointEvery: 50,
  emails: true,
  reconstructLead: false,
  embeddingInit: 'ppmi-svd',
};
