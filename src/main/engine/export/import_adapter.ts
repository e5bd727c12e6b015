// Import: an adapter folder — Hugging Face PEFT's layout (trained here or in Python) or the
// workbench's own — loaded onto its base model as the matching workbench method. Every tensor is
// checked against what the method needs on that model (names and shapes, both named on a
// mismatch); a base model other than the one the adapter records loads with a warning when the
// shapes fit. On an encoder the adapter's classifier head sizes the model's head (its label count).
import * as fs from 'node:fs';
import path from 'node:path';
import { modelShape, paramSpecs } from '../models/families';
import { loadModel, openCheckpoint, readModelConfig, type LoadedModel } from '../models/load';
import type { ModelConfig } from '../models/types';
import { snapshotParams, type AttachedMethod, type DeltaTensor } from '../peft/method';
import { getMethod } from '../peft/registry';
import { readSafetensorsFile } from '../safetensors';
import { OWN_CONFIG, OWN_WEIGHTS, parseOwnConfig } from './own_layout';
import { headLabelCount, headPrefix, labelTensor, splitHead } from './peft_head';
import { fromPeft, type Imported } from './peft_read';

export const PEFT_CONFIG = 'adapter_config.json';
export const PEFT_WEIGHTS = 'adapter_model.safetensors';

export interface ImportedAdapter extends Imported {
  dir: string;
  layout: 'peft' | 'workbench';
  /** adapter_config.json's peft_type; null for the workbench layout. */
  peftType: string | null;
  /** base_model_name_or_path as the adapter recorded it. */
  baseModel: string | null;
  /** The weights file the tensors came from (named in errors). */
  weightsFile: string;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** All tensors of a safetensors file as delta tensors (float32; F16, BF16 and F64 converted). */
export function readDelta(file: string): DeltaTensor[] {
  const f = readSafetensorsFile(file);
  try {
    return f.tensors.map((t) => {
      if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
        throw new Error(`${file}: tensor "${t.name}" is ${t.dtype}; adapter weights must be floating point (F32, F16, BF16)`);
      }
      return { name: t.name, shape: t.shape, data: Float32Array.from(f.read(t.name)) };
    });
  } finally {
    f.close();
  }
}

function noConfig(dir: string): Error {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has(PEFT_WEIGHTS) || has('adapter_model.bin')) {
    return new Error(`${dir} has ${has(PEFT_WEIGHTS) ? PEFT_WEIGHTS : 'adapter_model.bin'} but no ${PEFT_CONFIG}; peft's save_pretrained writes both, so copy the adapter's ${PEFT_CONFIG} next to its weights`);
  }
  return new Error(`${dir} is not an adapter folder: it has neither ${PEFT_CONFIG} (Hugging Face PEFT) nor ${OWN_CONFIG} (workbench)`);
}

/** Reads an adapter folder and maps it to a workbench method for a model of `config`. */
export function readAdapterFolder(dir: string, config: ModelConfig): ImportedAdapter {
  const shape = modelShape(config);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`adapter folder ${dir} does not exist`);
  const peftConfig = path.join(dir, PEFT_CONFIG), ownConfig = path.join(dir, OWN_CONFIG);
  if (fs.existsSync(peftConfig)) {
    const weights = path.join(dir, PEFT_WEIGHTS);
    if (!fs.existsSync(weights)) {
      const bin = fs.existsSync(path.join(dir, 'adapter_model.bin'));
      throw new Error(`${weights} is missing${bin ? ' (the folder has adapter_model.bin, a pickle this workbench does not read; save the adapter with safe_serialization=True)' : ''}`);
    }
    const c = readJson(peftConfig) as Record<string, unknown>;
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Error(`${peftConfig}: must be a JSON object`);
    const imported = fromPeft(c, readDelta(weights), shape, paramSpecs(config).map((p) => p.name), peftConfig);
    const baseModel = typeof c.base_model_name_or_path === 'string' && c.base_model_name_or_path ? c.base_model_name_or_path : null;
    return { ...imported, dir, layout: 'peft', peftType: String(c.peft_type), baseModel, weightsFile: weights };
  }
  if (fs.existsSync(ownConfig)) {
    const c = parseOwnConfig(readJson(ownConfig), ownConfig);
    if (c.model_family !== shape.family) throw new Error(`${ownConfig}: model_family is "${c.model_family}" but --model is a ${shape.family} model`);
    const weights = path.join(dir, OWN_WEIGHTS);
    return {
      method: c.method, options: c.method_options, delta: readDelta(weights), warnings: [], dir, layout: 'workbench', peftType: null,
      baseModel: c.base_model_name_or_path || null, weightsFile: weights,
    };
  }
  throw noConfig(dir);
}

/** Attaches `method` with `options` to a loaded model and loads `delta` into it; errors name the adapter. */
export function attachDelta(loaded: LoadedModel, method: string, options: Imported['options'], delta: DeltaTensor[], source: string): AttachedMethod {
  const m = getMethod(method);
  const attached = m.attach(loaded.model, m.validate(options, loaded.config), 0);
  try {
    attached.load(delta);
  } catch (err) {
    attached.dispose();
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  return attached;
}

/**
 * The adapter's tensors against the ones the method has on this model: the same names and shapes.
 * `expected` is what a fresh attach saves.
 */
export function checkAdapterTensors(adapter: ImportedAdapter, expected: DeltaTensor[], modelDir: string): void {
  const file = adapter.weightsFile;
  const shown = (n: string) => adapter.fileNames?.get(n) ?? n;
  const what = `${adapter.method} ${JSON.stringify(adapter.options)}`;
  const want = new Map(expected.map((d) => [d.name, d.shape]));
  const got = new Map(adapter.delta.map((d) => [d.name, d]));
  for (const d of adapter.delta) {
    if (!want.has(d.name)) {
      throw new Error(`${file}: tensor "${shown(d.name)}" is not part of ${what} on ${modelDir} (its tensors are named like "${shown(expected[0]?.name ?? '')}"); is --model the adapter's base model?`);
    }
  }
  for (const [name, shape] of want) {
    const d = got.get(name);
    if (!d) throw new Error(`${file}: has no tensor "${shown(name)}", which ${what} needs on ${modelDir}; the workbench's ${adapter.method} adapts every layer of its kind`);
    if (d.shape.join() !== shape.join()) {
      throw new Error(`${file}: tensor "${shown(name)}" is [${d.shape.join(', ')}] in the adapter but ${what} needs [${shape.join(', ')}] on ${modelDir}: the adapter was made for a model with other dimensions; is --model its base model?`);
    }
  }
}

/** Attaches an imported adapter after checking every tensor's name and shape against the model. */
export function attachImported(loaded: LoadedModel, adapter: ImportedAdapter): AttachedMethod {
  const m = getMethod(adapter.method);
  const attached = m.attach(loaded.model, m.validate(adapter.options, loaded.config), 0);
  try {
    checkAdapterTensors(adapter, attached.save(), loaded.dir);
    attached.load(adapter.delta);
  } catch (err) {
    attached.dispose();
    throw err;
  }
  return attached;
}

function configNameOf(modelDir: string): string | null {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { _name_or_path?: unknown };
    return typeof c._name_or_path === 'string' && c._name_or_path ? c._name_or_path : null;
  } catch {
    return null;
  }
}

/**
 * Whether `recorded` (base_model_name_or_path: a folder, or a hub id such as google/flan-t5-small)
 * names `modelDir`: the same folder, the hub cache's folder of that id, a folder of the id's name,
 * or a config.json whose _name_or_path says so.
 */
export function namesModel(recorded: string, modelDir: string): boolean {
  const dir = path.resolve(modelDir);
  if (fs.existsSync(recorded)) {
    try {
      return fs.realpathSync(recorded) === fs.realpathSync(dir);
    } catch {
      return false;
    }
  }
  const id = recorded.replace(/\/+$/, '');
  const last = id.split('/').pop()!.toLowerCase();
  const cache = `models--${id.replace(/\//g, '--')}`.toLowerCase();
  const parts = dir.toLowerCase().split(path.sep);
  const named = configNameOf(dir);
  return parts.includes(cache) || path.basename(dir).toLowerCase() === last || (named !== null && (named === id || named.endsWith(`/${last}`) || named.toLowerCase() === last));
}

/** A warning when the adapter records another base model than `modelDir` (its tensors fit, so it loads). */
export function baseModelWarning(adapter: ImportedAdapter, modelDir: string): string | null {
  if (!adapter.baseModel || namesModel(adapter.baseModel, modelDir)) return null;
  const file = path.join(adapter.dir, adapter.layout === 'peft' ? PEFT_CONFIG : OWN_CONFIG);
  return `${file}: base_model_name_or_path is "${adapter.baseModel}" but the base model here is ${modelDir}; its tensors fit this model, so it loads, but scores on another base model than the adapter was trained on may mean little`;
}

/**
 * The base model of `modelDir` loaded for `delta`: an encoder's head sized by the delta's head. A
 * head the base checkpoint holds with another label count is refused, naming both tensors.
 */
export function loadModelFor(modelDir: string, delta: DeltaTensor[], source: string, shown: (name: string) => string = (n) => n): LoadedModel {
  const config = readModelConfig(modelDir);
  const shape = modelShape(config);
  const labels = headLabelCount(shape, delta);
  if (labels === null) return loadModel(modelDir);
  const checkpoint = openCheckpoint(modelDir);
  try {
    for (const d of splitHead(shape, delta).head) {
      const own = checkpoint.tensors.find((t) => t.name === d.name);
      if (own && own.shape.join() !== d.shape.join()) {
        const name = labelTensor(shape)!, ownLabels = checkpoint.tensors.find((t) => t.name === name)?.shape[0];
        throw new Error(`${source}: tensor "${shown(d.name)}" is [${d.shape.join(', ')}], a head of ${labels} labels, but ${modelDir}'s checkpoint has its own ${d.name} [${own.shape.join(', ')}]${ownLabels === undefined ? '' : ` (${ownLabels} labels)`}; use the base model without its classifier, or one with ${labels} labels`);
      }
    }
  } finally {
    checkpoint.close();
  }
  return loadModel(modelDir, { numLabels: labels });
}

/**
 * An encoder adapter without its classifier head (peft saved no modules_to_save) uses the base
 * checkpoint's own classifier, with a warning; without one there the head would be untrained: refused.
 */
function withBaseHead(loaded: LoadedModel, adapter: ImportedAdapter): void {
  const shape = loaded.model.shape();
  if (!shape.head.length || splitHead(shape, adapter.delta).head.length) return;
  const names = shape.head.map((h) => h.name);
  const checkpoint = openCheckpoint(loaded.dir);
  let has: boolean;
  try {
    has = names.every((n) => checkpoint.tensors.some((t) => t.name === n));
  } finally {
    checkpoint.close();
  }
  const inFile = adapter.layout === 'peft' ? `${headPrefix(adapter.method === 'prompt_tuning')}${names[0]}` : names[0];
  if (!has) {
    throw new Error(`${adapter.weightsFile}: holds no classifier head ("${inFile}", …) and ${loaded.dir} has none either, so the classifier would be untrained; a classifier's adapter carries its head (peft saves it for task_type SEQ_CLS as modules_to_save ["classifier", "score"])`);
  }
  adapter.delta.push(...snapshotParams(loaded.model, names));
  adapter.warnings.push(`${adapter.weightsFile}: holds no classifier head ("${inFile}", …); the base checkpoint's own classifier in ${loaded.dir} is used`);
}

/** The base model from `modelDir` with the adapter in `dir` attached and loaded. Caller disposes both. */
export function importAdapter(dir: string, modelDir: string): { loaded: LoadedModel; attached: AttachedMethod; adapter: ImportedAdapter } {
  const adapter = readAdapterFolder(dir, readModelConfig(modelDir));
  const warning = baseModelWarning(adapter, modelDir);
  if (warning) adapter.warnings.push(warning);
  const loaded = loadModelFor(modelDir, adapter.delta, adapter.weightsFile, (n) => adapter.fileNames?.get(n) ?? n);
  try {
    withBaseHead(loaded, adapter);
    return { loaded, attached: attachImported(loaded, adapter), adapter };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}
