// The models of a comparison: each entry of `models:` is a built-in name (`default`, the
// embedded pretrained T5; `default-untrained`, its randomly initialised twin), a folder, or the
// name of a model `peft-bench models` lists (the Hugging Face cache's `org/name`, an added
// folder's name). Built-ins become folders here, built on first use.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelEntry } from '../../shared/ipc';
import { initBackend } from '../engine/backend';
import {
  DEFAULT_MODEL_NAME, ensureDefaultModel, ensureUntrainedTwin, isModelFolder, pretrainedModelDir, UNTRAINED_TWIN_NAME,
} from '../engine/models/default_model';
import { describeModelFolder, listModels } from '../engine/models/discover';
import { text } from './checks';

/** Model names that need no folder: the committed pretrained default and its untrained twin. */
export const BUILTIN_MODELS = ['default', 'default-untrained'] as const;

export interface ModelRef {
  /** What reports, the store and the app call it: the built-in name, the cache's org/name, or the folder's name. */
  name: string;
  /** The absolute folder; a built-in name until resolveBuiltins() has made it a folder. */
  path: string;
}

export const isBuiltin = (name: string): boolean => (BUILTIN_MODELS as readonly string[]).includes(name);

/** The models a name can refer to, looked up only when an entry is neither built-in nor a folder. */
export type ModelCatalog = () => ModelEntry[];

export const catalogOf = (home: string): ModelCatalog => () => listModels({ home });

/** org/name for a snapshot folder of the Hugging Face cache, else the folder's name. */
export function folderModelName(dir: string): string {
  const m = /[\\/]models--([^\\/]+)[\\/]snapshots[\\/][^\\/]+$/.exec(dir);
  return m ? m[1].split('--').join('/') : path.basename(dir);
}

/** One entry of `models:` (or the old `model:`), `field` naming it in errors. */
export function parseModelRef(raw: unknown, field: string, baseDir: string, catalog: ModelCatalog): ModelRef {
  const value = text(raw, field).trim();
  if (isBuiltin(value)) return { name: value, path: value };
  const folder = path.resolve(baseDir, value.startsWith('~/') ? path.join(os.homedir(), value.slice(2)) : value);
  if (existsSync(folder)) return { name: folderModelName(folder), path: folder };
  let known: ModelEntry[] = [];
  try {
    known = catalog();
  } catch {
    // An unreadable list of added folders: the error below still names the built-ins.
  }
  const found = known.find((e) => e.name === value);
  if (found) return { name: found.name, path: found.path };
  const names = [...BUILTIN_MODELS, ...known.map((e) => e.name)];
  throw new Error(
    `${field}: no model "${value}": ${folder} does not exist, and it is not one of the models known here (${names.join(', ')}); ` +
      'give a folder, a built-in name or a name `peft-bench models` lists (`peft-bench models --add DIR` adds a folder)',
  );
}

/** Two entries for one folder are refused; two folders of the same name are told apart by their paths. */
export function distinctModels(models: ModelRef[], field: string): ModelRef[] {
  const paths = models.map((m) => m.path);
  const twice = paths.findIndex((p, i) => paths.indexOf(p) !== i);
  if (twice >= 0) throw new Error(`${field}: "${models[twice].name}" appears twice; list each model once`);
  const names = models.map((m) => m.name);
  return models.map((m) => (names.filter((n) => n === m.name).length > 1 ? { name: m.path, path: m.path } : m));
}

/** Where a built-in model is, or will be once built, under the workbench home `home`. */
export function builtinFolder(name: string, home: string): string {
  if (name === 'default') return pretrainedModelDir() ?? path.join(home, 'models', DEFAULT_MODEL_NAME);
  if (name === 'default-untrained') return path.join(home, 'models', UNTRAINED_TWIN_NAME);
  throw new Error(`"${name}" is not a built-in model; built-in models are ${BUILTIN_MODELS.join(', ')}`);
}

/** Built-in models among `models` whose folder does not exist yet. */
export function unbuilt(models: ModelRef[], home: string): string[] {
  return models.filter((m) => isBuiltin(m.path) && !isModelFolder(builtinFolder(m.path, home))).map((m) => m.path);
}

/**
 * `models` with each built-in name replaced by its folder, building what is missing (that
 * needs a TF.js backend in this process: see prepareBuiltins).
 */
export function resolveBuiltins(models: ModelRef[], home: string, log: (line: string) => void = () => {}): ModelRef[] {
  return models.map((m) => {
    if (!isBuiltin(m.path)) return m;
    const dir = m.path === 'default'
      ? ensureDefaultModel(path.join(home, 'models', DEFAULT_MODEL_NAME), log)
      : ensureUntrainedTwin(path.join(home, 'models', UNTRAINED_TWIN_NAME), log);
    return { name: m.name, path: dir };
  });
}

/** Starts a TF.js backend when a built-in model has to be built, then builds it; returns the models as folders. */
export async function prepareBuiltins(models: ModelRef[], home: string, log?: (line: string) => void, backend?: Parameters<typeof initBackend>[0]): Promise<ModelRef[]> {
  if (unbuilt(models, home).length) await initBackend(backend);
  return resolveBuiltins(models, home, log);
}

/** The built-in models as the model picker lists them; one not built yet is described from the model it copies. */
export function builtinEntries(home: string): ModelEntry[] {
  return BUILTIN_MODELS.map((name) => {
    const folder = builtinFolder(name, home);
    if (isModelFolder(folder)) return { ...describeModelFolder(folder, name, 'builtin'), name };
    const pretrained = pretrainedModelDir();
    if (name === 'default-untrained' && pretrained !== null) {
      const like = describeModelFolder(pretrained, name, 'builtin');
      return { ...like, path: folder, summary: `${like.summary ?? ''} · random weights, built when a comparison first uses it` };
    }
    const entry = describeModelFolder(folder, name, 'builtin');
    return { ...entry, problem: name === 'default' ? null : entry.problem, summary: 'a small T5 with random weights, built when a comparison first uses it (resources/default-model is missing)' };
  });
}

/** The models of a stored experiment: its `models`, or the single `model` experiments stored before several were allowed. */
export function storedModels(config: unknown): ModelRef[] {
  const c = (config ?? {}) as { models?: unknown; model?: unknown };
  if (Array.isArray(c.models)) return c.models as ModelRef[];
  if (typeof c.model === 'string') return [{ name: path.basename(c.model), path: c.model }];
  return [];
}
