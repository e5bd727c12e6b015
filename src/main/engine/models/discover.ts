// Finds the checkpoints a researcher already has: the Hugging Face cache ($HF_HUB_CACHE, else
// $HF_HOME/hub, else ~/.cache/huggingface/hub; models--org--name/snapshots/<rev>/, the revision
// refs/main names, files symlinked into blobs/) and folders the user added. Reads config.json and
// the safetensors headers only, never the weights.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSafetensorsFile } from '../safetensors';
import { describeConfig, modelShape, parseModelConfig } from './families';
import type { ModelEntry } from '../../../shared/ipc';
import { INDEX_FILE, SINGLE_FILE } from './load';

export type { ModelEntry };


/** The hub cache folder, as huggingface_hub resolves it. */
export function hfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile()) total += st.size;
    else if (st?.isDirectory()) total += folderBytes(path.join(dir, name));
  }
  return total;
}

/** The dominant weight dtype from the safetensors headers (single file or shards). */
function weightDtype(dir: string): string | null {
  const files = existsSync(path.join(dir, SINGLE_FILE)) ? [SINGLE_FILE] : readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  const counts = new Map<string, number>();
  for (const f of files) {
    const st = readSafetensorsFile(path.join(dir, f));
    try {
      for (const t of st.tensors) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + t.shape.reduce((a, b) => a * b, 1));
    } finally {
      st.close();
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

function weightsProblem(dir: string): string | null {
  if (existsSync(path.join(dir, SINGLE_FILE)) || existsSync(path.join(dir, INDEX_FILE))) return null;
  return `no ${SINGLE_FILE} or ${INDEX_FILE} (PyTorch .bin weights are not read)`;
}

/** What a model folder holds, without loading weights; a folder it cannot open says why in `problem`. */
export function describeModelFolder(dir: string, name: string, source: ModelEntry['source'], revision: string | null = null): ModelEntry {
  const entry: ModelEntry = {
    name, path: dir, source, revision, architecture: null, modelType: null, params: null, sizeBytes: 0, dtype: null, problem: null, summary: null,
  };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { ...entry, problem: `${dir} is not a folder` };
  entry.sizeBytes = folderBytes(dir);
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return { ...entry, problem: 'no config.json' };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    return { ...entry, problem: `config.json is not valid JSON (${(err as Error).message})` };
  }
  entry.modelType = typeof json.model_type === 'string' ? json.model_type : null;
  entry.architecture = Array.isArray(json.architectures) && typeof json.architectures[0] === 'string' ? json.architectures[0] : entry.modelType;
  entry.dtype = typeof json.torch_dtype === 'string' ? json.torch_dtype : null;
  try {
    entry.dtype = weightDtype(dir) ?? entry.dtype;
  } catch (err) {
    entry.problem = (err as Error).message;
  }
  try {
    const config = parseModelConfig(json, file);
    const shape = modelShape(config);
    entry.params = shape.totalParams - shape.head.reduce((n, h) => n + h.size, 0); // an encoder's head is the task's
    entry.summary = describeConfig(config);
  } catch (err) {
    return { ...entry, problem: (err as Error).message.replace(`${file}: `, '') };
  }
  entry.problem ??= weightsProblem(dir);
  return entry;
}

/** Every model snapshot of the cache: the revision refs/main names, else each snapshot. */
export function scanHfCache(cacheDir: string = hfCacheDir()): ModelEntry[] {
  if (!existsSync(cacheDir)) return [];
  const out: ModelEntry[] = [];
  for (const repo of readdirSync(cacheDir).filter((d) => d.startsWith('models--')).sort()) {
    const name = repo.slice('models--'.length).split('--').join('/');
    const snapshots = path.join(cacheDir, repo, 'snapshots');
    if (!existsSync(snapshots)) continue;
    const ref = path.join(cacheDir, repo, 'refs', 'main');
    const main = existsSync(ref) ? readFileSync(ref, 'utf8').trim() : null;
    const revs = main !== null && existsSync(path.join(snapshots, main)) ? [main] : readdirSync(snapshots).sort();
    for (const rev of revs) out.push(describeModelFolder(path.join(snapshots, rev), name, 'hf-cache', rev));
  }
  return out;
}

const FOLDERS_FILE = 'model-folders.json';

/** The folders the user added, kept in `home`/model-folders.json. */
export function addedFolders(home: string): string[] {
  const file = path.join(home, FOLDERS_FILE);
  if (!existsSync(file)) return [];
  const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(json) || !json.every((f) => typeof f === 'string')) {
    throw new Error(`${file} must hold a JSON list of folder paths; fix or delete it`);
  }
  return json as string[];
}

/** Adds a folder (absolute path) to the list; a folder the workbench cannot open is refused with the reason. */
export function addFolder(home: string, dir: string): ModelEntry {
  const abs = path.resolve(dir);
  const entry = describeModelFolder(abs, path.basename(abs), 'folder');
  if (entry.problem !== null) throw new Error(`${abs}: ${entry.problem}`);
  const folders = addedFolders(home);
  if (!folders.includes(abs)) {
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, FOLDERS_FILE), JSON.stringify([...folders, abs], null, 2) + '\n');
  }
  return entry;
}

/** The cache's models, then the added folders. */
export function listModels(opts: { home: string; cacheDir?: string }): ModelEntry[] {
  const added = addedFolders(opts.home).map((dir) => describeModelFolder(dir, path.basename(dir), 'folder'));
  return [...scanHfCache(opts.cacheDir), ...added];
}
