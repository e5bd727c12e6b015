// Opens a Hugging Face model folder (config.json + model.safetensors or sharded
// model-0000x-of-0000n.safetensors with model.safetensors.index.json + tokenizer.json) of any
// supported family, and writes one back, with errors that say which file is wrong and what to do.
// Weights stream tensor by tensor (F16/BF16/F64 converted to float32 one tensor at a time).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSafetensorsFile, writeSafetensorsFile, type SafetensorsFile, type TensorInfo } from '../safetensors';
import { familyKind, hfConfigOf, loadRulesOf, modelFromSource, paramSpecs, parseModelConfig } from './families';
import { resolveTensors, type TensorSource } from './params';
import { loadEncoderTokenizer, loadTokenizer } from './tokenizer';
import type { DecoderConfig, EncoderConfig, LanguageModel, ModelConfig, TextTokenizer } from './types';

export interface LoadedModel {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  config: ModelConfig;
  dir: string;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** How a folder is opened for a task: an encoder's head gets the task's labels, initialised from `seed` when absent. */
export interface LoadOptions {
  /** Labels of the classification head (encoders); config.json's id2label / num_labels when not given. */
  numLabels?: number;
  /** Seeds what the checkpoint lacks (an encoder's head). */
  seed?: number;
}

/** Reads and checks config.json only: cheap, for validating a comparison before it starts. */
export function readModelConfig(dir: string, opts: LoadOptions = {}): ModelConfig {
  const file = path.join(dir, 'config.json');
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  if (!existsSync(file)) throw new Error(`${file} is missing: a model folder needs config.json, model.safetensors (or a sharded index) and tokenizer.json`);
  const config = parseModelConfig(readJson(file), file);
  return withLabels(config, opts.numLabels);
}

/** The config with an encoder's head sized for `numLabels` (other families have no task head). */
export function withLabels(config: ModelConfig, numLabels: number | undefined): ModelConfig {
  if (numLabels === undefined || familyKind(config) !== 'encoder') return config;
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`numLabels must be a positive integer, got ${numLabels}`);
  return { ...(config as EncoderConfig), numLabels };
}

/** An open checkpoint: one safetensors file or the shards an index names. Close it when done. */
export interface Checkpoint {
  files: string[];
  tensors: (TensorInfo & { file: string })[];
  source: TensorSource;
  close(): void;
}

/** The shard file of every tensor, from model.safetensors.index.json's weight_map. */
function readIndex(indexFile: string): Map<string, string> {
  const json = readJson(indexFile) as { weight_map?: unknown };
  const map = json?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new Error(`${indexFile}: weight_map is missing; a sharded checkpoint's index maps every tensor name to its shard file`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || !file.endsWith('.safetensors')) {
      throw new Error(`${indexFile}: weight_map["${name}"] must be a .safetensors file name in the same folder, got ${JSON.stringify(file)}`);
    }
    out.set(name, file);
  }
  return out;
}

/** Opens the folder's weights, checking a sharded index against its shards' headers. */
export function openCheckpoint(dir: string): Checkpoint {
  const single = path.join(dir, SINGLE_FILE), index = path.join(dir, INDEX_FILE);
  const map = existsSync(index) ? readIndex(index) : null;
  if (map === null && !existsSync(single)) {
    throw new Error(`${dir} has no weights: expected ${SINGLE_FILE} or ${INDEX_FILE} with its shards (PyTorch .bin files are not read; save with safe_serialization=True)`);
  }
  const names = map === null ? [SINGLE_FILE] : [...new Set(map.values())];
  const opened: SafetensorsFile[] = [];
  try {
    for (const n of names) {
      const file = path.join(dir, n);
      if (!existsSync(file)) throw new Error(`${index} names shard ${n}, which is missing from ${dir}`);
      opened.push(readSafetensorsFile(file));
    }
  } catch (err) {
    opened.forEach((f) => f.close());
    throw err;
  }
  const owner = new Map<string, SafetensorsFile>();
  const tensors: Checkpoint['tensors'] = [];
  for (const f of opened) {
    for (const t of f.tensors) {
      if (owner.has(t.name)) throw new Error(`${f.path}: tensor "${t.name}" is also in ${owner.get(t.name)!.path}; a tensor must live in one shard`);
      if (map !== null && map.get(t.name) !== path.basename(f.path)) {
        throw new Error(`${f.path}: tensor "${t.name}" is not mapped to this shard by ${INDEX_FILE}; regenerate the index`);
      }
      owner.set(t.name, f);
      tensors.push({ ...t, file: f.path });
    }
  }
  for (const [name, file] of map ?? []) {
    if (!owner.has(name)) throw new Error(`${INDEX_FILE} maps "${name}" to ${file}, but that shard does not hold it`);
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    files: opened.map((f) => f.path),
    tensors,
    source: {
      names: () => [...byName.keys()],
      shape: (n) => byName.get(n)!.shape,
      read: (n, reuse) => {
        const t = byName.get(n)!;
        if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
          throw new Error(`${t.file}: tensor "${n}" is ${t.dtype}; model weights must be floating point (F32, F16, BF16)`);
        }
        return owner.get(n)!.read(n, reuse) as Float32Array;
      },
    },
    close: () => opened.forEach((f) => f.close()),
  };
}

/**
 * Checks a model folder without allocating weights: config, tokenizer, and that the weights'
 * headers hold every tensor the config needs, with the right shape, and nothing else.
 */
export function checkModelFolder(dir: string, opts: LoadOptions = {}): ModelConfig {
  const config = readModelConfig(dir, opts);
  const checkpoint = openCheckpoint(dir);
  try {
    resolveTensors(paramSpecs(config), checkpoint.source, loadRulesOf(config));
  } catch (err) {
    throw new Error(`${checkpoint.files.length === 1 ? checkpoint.files[0] : path.join(dir, INDEX_FILE)}: ${(err as Error).message}`);
  } finally {
    checkpoint.close();
  }
  tokenizerOf(dir, config);
  return config;
}

/** The folder's tokenizer, with a decoder's or encoder's special ids taken from its config. */
export function tokenizerOf(dir: string, config: ModelConfig): TextTokenizer {
  const kind = familyKind(config);
  if (kind === 'encoder') return loadEncoderTokenizer(dir, (config as EncoderConfig).padTokenId);
  return kind === 'decoder' ? loadTokenizer(dir, config as DecoderConfig) : loadTokenizer(dir);
}

export function loadModel(dir: string, opts: LoadOptions = {}): LoadedModel {
  const config = readModelConfig(dir, opts);
  const tokenizer = tokenizerOf(dir, config);
  return { model: loadWeights(dir, config, opts.seed), tokenizer, config, dir };
}

/** The model of `dir`'s weights (no tokenizer), streamed one tensor at a time. */
export function loadWeights(dir: string, config: ModelConfig = readModelConfig(dir), seed = 0): LanguageModel {
  const checkpoint = openCheckpoint(dir);
  try {
    return modelFromSource(config, checkpoint.source, seed);
  } catch (err) {
    throw new Error(`${checkpoint.files.length === 1 ? checkpoint.files[0] : path.join(dir, INDEX_FILE)}: ${(err as Error).message}`);
  } finally {
    checkpoint.close();
  }
}

/** Writes config.json and model.safetensors (checkpoint names and layouts) into `dir`. */
export function saveModel(dir: string, model: LanguageModel): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hfConfigOf(model.config), null, 2) + '\n');
  const tensors = paramSpecs(model.config).map(({ name }) => {
    const t = model.checkpointTensor(name);
    try {
      return { name, dtype: 'F32' as const, shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    } finally {
      t.dispose();
    }
  });
  writeSafetensorsFile(path.join(dir, SINGLE_FILE), tensors, { format: 'pt' });
}
