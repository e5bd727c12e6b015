// Opens a Hugging Face model folder (config.json + model.safetensors + tokenizer.json) and
// writes one back, with errors that say which file is wrong and what to do.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSafetensorsFile, writeSafetensorsFile } from '../safetensors';
import { T5Model } from './t5';
import { t5ParamSpecs } from './t5_params';
import { parseT5Config, toHfConfig } from './t5_config';
import { loadTokenizer } from './tokenizer';
import type { Seq2SeqModel, T5Config, TextTokenizer } from './types';

export interface LoadedModel {
  model: Seq2SeqModel;
  tokenizer: TextTokenizer;
  config: T5Config;
  dir: string;
}

/** Reads and checks config.json only: cheap, for validating a comparison before it starts. */
export function readModelConfig(dir: string): T5Config {
  const file = path.join(dir, 'config.json');
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  if (!existsSync(file)) throw new Error(`${file} is missing: a model folder needs config.json, model.safetensors and tokenizer.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
  return parseT5Config(json, file);
}

/**
 * Checks a model folder without allocating weights: config, tokenizer, and that the
 * safetensors header is sound and holds every tensor the config needs, with the right shape.
 */
export function checkModelFolder(dir: string): T5Config {
  const config = readModelConfig(dir);
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!existsSync(weightsFile)) throw new Error(`${weightsFile} is missing: the model folder has no weights`);
  loadTokenizer(dir);
  const file = readSafetensorsFile(weightsFile);
  try {
    const shapes = new Map(file.tensors.map((t) => [t.name, t.shape]));
    for (const spec of t5ParamSpecs(config)) {
      const alias = spec.name === 'shared.weight' ? ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'] : [];
      const found = [spec.name, ...alias].map((n) => shapes.get(n)).find((s) => s !== undefined);
      if (!found) throw new Error(`${weightsFile}: tensor "${spec.name}" is missing (config.json describes a model this file does not hold)`);
      if (found.join() !== spec.shape.join()) {
        throw new Error(`${weightsFile}: tensor "${spec.name}" has shape [${found}] but config.json implies [${spec.shape}]`);
      }
    }
  } finally {
    file.close();
  }
  return config;
}

export function loadModel(dir: string): LoadedModel {
  const config = readModelConfig(dir);
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!existsSync(weightsFile)) throw new Error(`${weightsFile} is missing: the model folder has no weights`);
  const tokenizer = loadTokenizer(dir);
  const file = readSafetensorsFile(weightsFile);
  try {
    const weights = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    for (const t of file.tensors) {
      weights.set(t.name, Float32Array.from(file.read(t.name)));
      shapes.set(t.name, t.shape);
    }
    const model = T5Model.fromWeights(config, weights, shapes);
    return { model, tokenizer, config, dir };
  } catch (err) {
    throw new Error(`${weightsFile}: ${(err as Error).message}`);
  } finally {
    file.close();
  }
}

/** Writes config.json and model.safetensors (checkpoint names and layouts) into `dir`. */
export function saveModel(dir: string, model: T5Model): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(toHfConfig(model.config), null, 2) + '\n');
  const tensors = model.checkpointNames().map((name) => {
    const t = model.checkpointTensor(name);
    try {
      return { name, dtype: 'F32' as const, shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    } finally {
      t.dispose();
    }
  });
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}
