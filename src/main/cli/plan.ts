// `peft-bench plan`: what each method costs on a model, from its config.json alone (no weights):
// trainable parameters, share of the model, changed parameters, delta storage, mergeability.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readModelConfig } from '../engine/models/load';
import { parseModelConfig } from '../engine/models/families';
import type { ModelConfig } from '../engine/models/types';
import { shapeOf, type MethodOptions } from '../engine/peft/method';
import { getMethod, METHODS } from '../engine/peft/registry';
import { fmtBytes, fmtCount, table } from './format';

export interface PlanRequest {
  id: string;
  options: MethodOptions;
}

export interface PlanRow {
  method: string;
  options: MethodOptions;
  totalParams: number;
  /** Of totalParams, the task head (an encoder's classifier), which every method trains; 0 where there is none. */
  headParams: number;
  /** null when the method does not apply to this model (see `refused`). */
  trainable: number | null;
  changed: number | null;
  /** Bytes of the float32 numbers in the saved delta (the safetensors header adds a few hundred). */
  storageBytes: number | null;
  updateRank: number | null;
  mergeable: boolean;
  refused: string | null;
}

/** A config.json file, or a model folder holding one. */
export function readPlanConfig(target: string): ModelConfig {
  if (!existsSync(target)) throw new Error(`${target} does not exist; give a config.json or a model folder`);
  if (statSync(target).isDirectory()) return readModelConfig(target);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(target, 'utf8'));
  } catch (err) {
    throw new Error(`${target} is not valid JSON (${(err as Error).message})`);
  }
  return parseModelConfig(json, target);
}

/** `id` or `id={"key": value}` as given to --method. */
export function parsePlanRequest(arg: string): PlanRequest {
  const eq = arg.indexOf('=');
  if (eq < 0) return { id: arg, options: {} };
  const id = arg.slice(0, eq);
  let options: unknown;
  try {
    options = JSON.parse(arg.slice(eq + 1));
  } catch (err) {
    throw new Error(`--method ${id}: options must be a JSON object, e.g. ${id}={"r": 4} (${(err as Error).message})`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`--method ${id}: options must be a JSON object, e.g. ${id}={"r": 4}`);
  }
  return { id, options: options as MethodOptions };
}

export function planRows(config: ModelConfig, requests: PlanRequest[] = Object.keys(METHODS).map((id) => ({ id, options: {} }))): PlanRow[] {
  const shape = shapeOf(config);
  return requests.map(({ id, options }) => {
    const method = getMethod(id);
    const headParams = shape.head.reduce((n, h) => n + h.size, 0);
    const base = { method: id, options, totalParams: shape.totalParams, headParams, mergeable: method.mergeable };
    let validated: MethodOptions;
    try {
      validated = method.validate(options, config);
    } catch (err) {
      // A method that does not apply to this family says why; a bad option is the caller's error.
      if (Object.keys(options).length) throw err;
      return { ...base, trainable: null, changed: null, storageBytes: null, updateRank: null, refused: (err as Error).message };
    }
    const c = method.count(shape, validated);
    return { ...base, trainable: c.trainable, changed: c.changed, storageBytes: 4 * c.stored, updateRank: c.updateRank, refused: null };
  });
}

export function planTable(rows: PlanRow[], source: string): string {
  const body = rows.map((r) => {
    const label = r.method + (Object.keys(r.options).length ? ` ${JSON.stringify(r.options)}` : '');
    if (r.trainable === null) return [label, '—', '—', '—', '—', '—', r.mergeable ? 'yes' : 'no'];
    return [
      label, r.trainable.toLocaleString('en-US'), fmtCount(r.trainable), `${((100 * r.trainable) / r.totalParams).toFixed(3)}%`,
      fmtCount(r.changed!), fmtBytes(r.storageBytes), r.mergeable ? 'yes' : 'no',
    ];
  });
  const notes = rows.filter((r) => r.refused).map((r) => `${r.refused}`);
  const abs = path.resolve(source);
  const name = path.basename(statSync(abs).isDirectory() ? abs : path.dirname(abs));
  const total = rows[0]?.totalParams ?? 0, headParams = rows[0]?.headParams ?? 0;
  const split = headParams > 0
    ? `: ${(total - headParams).toLocaleString('en-US')} in the base model, ${headParams.toLocaleString('en-US')} in the classification head, which trains with every method`
    : '';
  const head = `${name}: ${fmtCount(total)} parameters (${total.toLocaleString('en-US')}${split})`;
  return [head, '', table(['method:', 'trainable', '', 'of total', 'changed', 'delta storage', 'merges:'], body), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
