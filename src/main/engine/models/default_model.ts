// The default model. When the pretrained model committed under resources/default-model is
// present (made by `npm run pretrain-default`, see its README.md), that is the default.
// Otherwise the fallback is a small T5 made on the spot, with a Unigram tokenizer learned from
// the training split of the built-in spam task and random weights (seed 0). The fallback is
// NOT pretrained, so PEFT methods that rely on a pretrained backbone have little to work with.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSpamAssassin } from '../data/spam_assassin';
import { findResource } from '../util/resources';
import { checkModelFolder, readModelConfig, saveModel } from './load';
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

const REBUILD = 'restore it with `git checkout -- resources/default-model` or rebuild it with `npm run pretrain-default` (about 20 minutes on 2 CPU cores)';

/**
 * resources/default-model of this checkout (source tree or built app), or null when absent.
 * Searched upward from this module, as the built main process lives a few folders deeper.
 */
export function pretrainedModelDir(): string | null {
  return findResource('default-model', import.meta.url);
}

/** The committed pretrained model, checked; throws with the way to rebuild it when damaged. */
function checkedPretrained(dir: string): string {
  try {
    checkModelFolder(dir);
  } catch (err) {
    throw new Error(`the pretrained default model in ${dir} is damaged (${(err as Error).message}); ${REBUILD}`);
  }
  return dir;
}

/**
 * The default model's folder: the committed pretrained model when present (`pretrained`,
 * found by pretrainedModelDir() unless given), else the fallback built in `dir` unless it is
 * already there. Deterministic: same files every time.
 */
export function ensureDefaultModel(
  dir: string, log: (line: string) => void = () => {}, pretrained: string | null = pretrainedModelDir(),
): string {
  if (pretrained !== null) return checkedPretrained(pretrained);
  log(`the pretrained default model (resources/default-model) is missing; ${REBUILD}. Using the untrained fallback.`);
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

/** Whether the twin in `dir` still has the pretrained model's config and tokenizer (the default model may have been replaced since). */
function sameShapeAndTokenizer(dir: string, pretrained: string): boolean {
  const file = (d: string) => readFileSync(path.join(d, 'tokenizer.json'));
  return JSON.stringify(readModelConfig(dir)) === JSON.stringify(readModelConfig(pretrained)) && file(dir).equals(file(pretrained));
}

/** Name of the untrained twin: the default model's architecture and tokenizer, random weights. */
export const UNTRAINED_TWIN_NAME = 't5-pretrained-mini-untrained';

/**
 * The baseline that shows what pretraining adds: the committed default model's config and
 * tokenizer with freshly initialised weights (seed 0), built in `dir` unless already there.
 */
export function ensureUntrainedTwin(dir: string, log: (line: string) => void = () => {}, pretrained: string | null = pretrainedModelDir()): string {
  if (pretrained === null) throw new Error(`model: default-untrained needs the pretrained default model (resources/default-model); ${REBUILD}`);
  checkedPretrained(pretrained);
  if (isModelFolder(dir)) {
    if (sameShapeAndTokenizer(dir, pretrained)) return dir;
    log(`${UNTRAINED_TWIN_NAME} in ${dir} was built for another default model (its config or tokenizer differs); rebuilding it`);
  }
  log(`building ${UNTRAINED_TWIN_NAME} in ${dir}: the default model's architecture and tokenizer, random weights (seed 0)`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  const model = T5Model.random(readModelConfig(pretrained) as T5Config, 0);
  try {
    saveModel(staging, model);
  } finally {
    model.dispose();
  }
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    if (existsSync(path.join(pretrained, f))) copyFileSync(path.join(pretrained, f), path.join(staging, f));
  }
  writeFileSync(path.join(staging, 'README.md'), `# ${UNTRAINED_TWIN_NAME}\n\nThe architecture and tokenizer of resources/default-model with randomly initialised weights\n(transformers' T5 scheme, seed 0): the baseline that shows what pretraining adds. **Not pretrained.**\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  return dir;
}
