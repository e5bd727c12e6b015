// Import: an adapter folder — Hugging Face PEFT's layout (trained here or in Python) or the
// workbench's own — loaded onto its base model as the matching workbench method.
import * as fs from 'node:fs';
import path from 'node:path';
import { loadModel, type LoadedModel } from '../models/load';
import type { ModelShape } from '../models/types';
import type { AttachedMethod, DeltaTensor } from '../peft/method';
import { getMethod } from '../peft/registry';
import { readSafetensorsFile } from '../safetensors';
import { refuseEncoder } from './family';
import { OWN_CONFIG, OWN_WEIGHTS, parseOwnConfig } from './own_layout';
import { fromPeft, type Imported } from './peft_layout';

export const PEFT_CONFIG = 'adapter_config.json';
export const PEFT_WEIGHTS = 'adapter_model.safetensors';

export interface ImportedAdapter extends Imported {
  layout: 'peft' | 'workbench';
  /** base_model_name_or_path as the adapter recorded it. */
  baseModel: string | null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** All tensors of a safetensors file as delta tensors (float32). */
export function readDelta(file: string): DeltaTensor[] {
  const f = readSafetensorsFile(file);
  try {
    return f.tensors.map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(f.read(t.name)) }));
  } finally {
    f.close();
  }
}

/** Reads an adapter folder and maps it to a workbench method for a model of `shape`. */
export function readAdapterFolder(dir: string, shape: ModelShape): ImportedAdapter {
  refuseEncoder(shape.family, 'import');
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
    const imported = fromPeft(c, readDelta(weights), shape, peftConfig);
    return { ...imported, layout: 'peft', baseModel: typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : null };
  }
  if (fs.existsSync(ownConfig)) {
    const c = parseOwnConfig(readJson(ownConfig), ownConfig);
    if (c.model_family !== shape.family) throw new Error(`${ownConfig}: model_family is "${c.model_family}" but --model is a ${shape.family} model`);
    return { method: c.method, options: c.method_options, delta: readDelta(path.join(dir, OWN_WEIGHTS)), layout: 'workbench', baseModel: c.base_model_name_or_path };
  }
  throw new Error(`${dir} is not an adapter folder: it has neither ${PEFT_CONFIG} (Hugging Face PEFT) nor ${OWN_CONFIG} (workbench)`);
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

/** The base model from `modelDir` with the adapter in `dir` attached and loaded. Caller disposes both. */
export function importAdapter(dir: string, modelDir: string): { loaded: LoadedModel; attached: AttachedMethod; adapter: ImportedAdapter } {
  const loaded = loadModel(modelDir);
  try {
    const adapter = readAdapterFolder(dir, loaded.model.shape());
    return { loaded, attached: attachDelta(loaded, adapter.method, adapter.options, adapter.delta, dir), adapter };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}
