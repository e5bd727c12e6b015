// The default model until a pretrained one ships: a small T5 made on the spot, with a
// Unigram tokenizer learned from the training split of the built-in spam task and random
// weights (seed 0). It is NOT pretrained, so PEFT methods that rely on a pretrained backbone
// have little to work with; full fine-tuning learns the task from scratch.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSpamAssassin } from '../data/spam_assassin';
import { saveModel } from './load';
import { T5Model } from './t5';
import { buildUnigramTokenizer } from './tokenizer';
import type { T5Config } from './types';

export const DEFAULT_MODEL_NAME = 'scratch-t5-mini';

export const DEFAULT_T5_CONFIG: T5Config = {
  modelType: 't5',
  vocabSize: 2000,
  dModel: 128,
  dKv: 32,
  dFf: 512,
  numLayers: 2,
  numDecoderLayers: 2,
  numHeads: 4,
  relativeAttentionNumBuckets: 32,
  relativeAttentionMaxDistance: 128,
  dropoutRate: 0.1,
  layerNormEpsilon: 1e-6,
  feedForwardProj: 'relu',
  tieWordEmbeddings: true,
  padTokenId: 0,
  eosTokenId: 1,
  decoderStartTokenId: 0,
};

const FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

export function isModelFolder(dir: string): boolean {
  return FILES.every((f) => existsSync(path.join(dir, f)));
}

/** Builds the default model in `dir` unless it is already there. Deterministic: same files every time. */
export function ensureDefaultModel(dir: string, log: (line: string) => void = () => {}): string {
  if (isModelFolder(dir)) return dir;
  log(`building the default model ${DEFAULT_MODEL_NAME} in ${dir} (tokenizer from the spam_assassin training split, random init, seed 0)`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const task = loadSpamAssassin();
  const texts = task.train.flatMap((ex) => [ex.input, ex.target]);
  const tokenizer = buildUnigramTokenizer(texts, { vocabSize: DEFAULT_T5_CONFIG.vocabSize });
  writeFileSync(path.join(staging, 'tokenizer.json'), JSON.stringify(tokenizer));
  const model = T5Model.random(DEFAULT_T5_CONFIG, 0);
  try {
    saveModel(staging, model);
  } finally {
    model.dispose();
  }
  writeFileSync(path.join(staging, 'README.md'), MODEL_CARD);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  return dir;
}

const MODEL_CARD = `# ${DEFAULT_MODEL_NAME}

A small T5 (v1.0 layout: ReLU feed-forward, tied head) built by peft-bench as the default model
until a pretrained one ships: d_model ${DEFAULT_T5_CONFIG.dModel}, ${DEFAULT_T5_CONFIG.numHeads} heads of ${DEFAULT_T5_CONFIG.dKv},
d_ff ${DEFAULT_T5_CONFIG.dFf}, ${DEFAULT_T5_CONFIG.numLayers} encoder and ${DEFAULT_T5_CONFIG.numDecoderLayers} decoder blocks, vocabulary ${DEFAULT_T5_CONFIG.vocabSize}.

- Tokenizer: Unigram, learned deterministically from the training split of the built-in
  spam_assassin task (inputs and targets); validation and test text was not used.
- Weights: random, Hugging Face's T5 initialisation, seed 0. **Not pretrained.**

Rebuild: delete this folder and run \`npm run compare\`.
`;
