// Merged export: the base checkpoint with the delta folded in, written back under the base
// checkpoint's own tensor names, order and dtypes, with `__metadata__ {"format": "pt"}` as
// transformers writes it. A sharded base keeps its shards (same file names, same tensors in each,
// same index); a single-file base is split above `shardBytes` as save_pretrained splits it:
//
//   model-00001-of-0000N.safetensors ...  +  model.safetensors.index.json
//   { "metadata": { "total_size": <tensor bytes> }, "weight_map": { name: shard file } }
//
// A classifier (BERT, RoBERTa) is written as transformers' *ForSequenceClassification saves it: its
// parameters under today's names (old gamma/beta and prefix-less names renamed), the trained head
// added, what a classifier does not use (pretraining heads, the position_ids buffer) left out; each
// tensor keeps its base dtype and shard, the head takes the base's dtype and its last shard.
import * as fs from 'node:fs';
import path from 'node:path';
import { hfConfigOf, loadRulesOf, paramSpecs } from '../models/families';
import { openCheckpoint, type Checkpoint } from '../models/load';
import { resolveTensors } from '../models/params';
import type { ModelConfig, Seq2SeqModel } from '../models/types';
import { readSafetensorsFile, writeSafetensorsFile, type TensorInfo, type TensorToWrite, type WritableDtype } from '../safetensors';
import { parameterFor, SIDE_FILES } from './family';

/** save_pretrained's default max_shard_size (5 GB). */
export const DEFAULT_SHARD_BYTES = 5_000_000_000;
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
export const INDEX_FILE = 'model.safetensors.index.json';

export interface WriteHooks {
  /** Called with each file's path before it is written (tests use it to simulate a full disk). */
  beforeWrite?(file: string): void;
}

/** A base checkpoint tensor with the file it lives in. */
export type SourceTensor = TensorInfo & { file: string };

function checkDtype(t: SourceTensor): void {
  if (!(t.dtype in BYTES)) throw new Error(`${t.file}: tensor "${t.name}" is ${t.dtype}; merged export writes F32, F16 or BF16 only`);
}

/** The base checkpoint's tensors (names, dtypes, shapes, files) in file order; refuses dtypes it cannot write. */
export function sourceTensors(modelDir: string): SourceTensor[] {
  const checkpoint = openCheckpoint(modelDir);
  try {
    checkpoint.tensors.forEach(checkDtype);
    return checkpoint.tensors;
  } finally {
    checkpoint.close();
  }
}

/** What a merged export writes; `sameAsBase` when it is the base checkpoint's own tensor list. */
export interface MergePlan {
  tensors: SourceTensor[];
  sameAsBase: boolean;
}

/** The tensors of the merged model of `config` (a classifier's as described above, else the base's own). */
export function mergePlan(modelDir: string, config: ModelConfig, hasHead: boolean): MergePlan {
  if (!hasHead) return { tensors: sourceTensors(modelDir), sameAsBase: true };
  const checkpoint = openCheckpoint(modelDir);
  try {
    const specs = paramSpecs(config);
    const where = resolveTensors(specs, checkpoint.source, loadRulesOf(config));
    const byName = new Map(checkpoint.tensors.map((t) => [t.name, t]));
    const stored = specs.flatMap((s) => (where.has(s) ? [byName.get(where.get(s)!)!] : []));
    stored.forEach(checkDtype);
    const counts = new Map<string, number>();
    for (const t of stored) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
    const dtype = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const lastFile = stored[stored.length - 1].file;
    const tensors = specs.map((s): SourceTensor => {
      const from = where.has(s) ? byName.get(where.get(s)!)! : null;
      return { name: s.name, shape: s.shape, dtype: from?.dtype ?? dtype, file: from?.file ?? lastFile };
    });
    return { tensors, sameAsBase: false };
  } finally {
    checkpoint.close();
  }
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Groups tensors into shards of at most `limit` bytes each (a larger tensor gets a shard of its own). */
function shardPlan<T extends TensorInfo>(tensors: T[], limit: number): T[][] {
  const shards: T[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    const bytes = numel(t.shape) * BYTES[t.dtype];
    if (size + bytes > limit && shards[shards.length - 1].length) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += bytes;
  }
  return shards;
}

/** The value a checkpoint tensor takes in the merged model, in the checkpoint's layout. */
function mergedValue(model: Seq2SeqModel, source: Checkpoint, t: TensorInfo): Float32Array {
  const param = parameterFor(model.shape().family, t.name, model.params);
  if (param === null) return source.source.read(t.name); // not used by the model: copied as is
  const v = model.checkpointTensor(param);
  try {
    if (v.shape.join() !== t.shape.join()) throw new Error(`tensor "${t.name}" is [${t.shape}] in the base checkpoint but the model holds [${v.shape}]`);
    return (v.dataSync() as Float32Array).slice();
  } finally {
    v.dispose();
  }
}

function shardCount(modelDir: string): number {
  const checkpoint = openCheckpoint(modelDir);
  checkpoint.close();
  return checkpoint.files.length;
}

/**
 * The files to write and the tensors of each: the base's own shards when it is sharded and no size
 * was asked for, else shards of at most `shardBytes` (one file when everything fits).
 */
function layoutOf(modelDir: string, plan: MergePlan, shardBytes: number | undefined): { names: string[]; shards: SourceTensor[][]; metadata: Record<string, unknown> } {
  const { tensors, sameAsBase } = plan;
  const index = path.join(modelDir, INDEX_FILE);
  const kept = [...new Set(tensors.map((t) => path.basename(t.file)))];
  // A base shard left with nothing to write (pretraining heads only) would break the numbering: re-shard then.
  if (shardBytes === undefined && fs.existsSync(index) && (sameAsBase || kept.length === shardCount(modelDir))) {
    const metadata = { ...(JSON.parse(fs.readFileSync(index, 'utf8')) as { metadata?: Record<string, unknown> }).metadata };
    if (!sameAsBase && typeof metadata.total_parameters === 'number') metadata.total_parameters = tensors.reduce((n, t) => n + numel(t.shape), 0);
    return { names: kept, shards: kept.map((n) => tensors.filter((t) => path.basename(t.file) === n)), metadata };
  }
  const shards = shardPlan(tensors, shardBytes ?? DEFAULT_SHARD_BYTES);
  const names = shards.length === 1 ? ['model.safetensors']
    : shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`);
  return { names, shards, metadata: {} };
}

/**
 * Writes the merged model's weights into `dir`; returns the files written and the dtypes used.
 * `shardBytes` undefined keeps a sharded base's shards (and splits a single file above 5 GB).
 */
export function writeMergedWeights(
  model: Seq2SeqModel, plan: MergePlan, modelDir: string, dir: string, shardBytes: number | undefined, hooks: WriteHooks = {},
): { files: string[]; dtypes: Set<string> } {
  const { tensors } = plan;
  const { names, shards, metadata } = layoutOf(modelDir, plan, shardBytes);
  const source = openCheckpoint(modelDir);
  const weightMap: Record<string, string> = {};
  try {
    shards.forEach((shard, i) => {
      const out: TensorToWrite[] = shard.map((t) => ({ name: t.name, dtype: t.dtype as WritableDtype, shape: t.shape, data: mergedValue(model, source, t) }));
      hooks.beforeWrite?.(path.join(dir, names[i]));
      writeSafetensorsFile(path.join(dir, names[i]), out, { format: 'pt' });
      for (const t of shard) weightMap[t.name] = names[i];
    });
  } finally {
    source.close();
  }
  if (shards.length > 1) {
    const totalSize = tensors.reduce((s, t) => s + numel(t.shape) * BYTES[t.dtype], 0);
    hooks.beforeWrite?.(path.join(dir, INDEX_FILE));
    fs.writeFileSync(path.join(dir, INDEX_FILE), JSON.stringify({ metadata: { ...metadata, total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
  }
  return { files: shards.length > 1 ? [...names, INDEX_FILE] : names, dtypes: new Set(tensors.map((t) => t.dtype)) };
}

/**
 * config.json of a merged classifier: the base's, with the trained head's architecture and labels
 * (`labels[i]` names head output i) and the loss it was trained with.
 */
export function classifierConfig(modelDir: string, config: ModelConfig, labels: string[]): Record<string, unknown> {
  const base = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  return {
    ...base,
    architectures: hfConfigOf(config).architectures,
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    problem_type: 'single_label_classification',
  };
}

/** Copies config.json and the tokeniser files that exist in `modelDir`. */
export function copySideFiles(modelDir: string, dir: string, hooks: WriteHooks = {}, withConfig = true): string[] {
  const copied: string[] = [];
  for (const name of withConfig ? ['config.json', ...SIDE_FILES] : SIDE_FILES) {
    const from = path.join(modelDir, name);
    if (!fs.existsSync(from)) continue;
    hooks.beforeWrite?.(path.join(dir, name));
    fs.copyFileSync(from, path.join(dir, name));
    copied.push(name);
  }
  return copied;
}

/** Every tensor of a merged export folder (single file or sharded), read with `read`. */
export function readMergedFolder(dir: string): Map<string, { dtype: string; shape: number[]; data: Float32Array }> {
  const index = path.join(dir, INDEX_FILE);
  const files = fs.existsSync(index)
    ? [...new Set(Object.values((JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))]
    : ['model.safetensors'];
  const out = new Map<string, { dtype: string; shape: number[]; data: Float32Array }>();
  for (const name of files) {
    const f = readSafetensorsFile(path.join(dir, name));
    try {
      for (const t of f.tensors) out.set(t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name) as Float32Array });
    } finally {
      f.close();
    }
  }
  return out;
}
