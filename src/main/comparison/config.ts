// The comparison config (YAML or JSON): models × tasks × methods, the protocol (learning-rate
// sweep, seeds) and the training budget. Everything is checked here, before anything is stored or run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { BackendName } from '../../shared/types';
import { BUILTIN_TASKS, FILE_FORMATS, taskName, type TaskRef } from '../engine/data/tasks';
import { METRICS } from '../engine/measure/metrics';
import type { MethodOptions } from '../engine/peft/method';
import { getMethod } from '../engine/peft/registry';
import { PRESETS, parseBudget, type Budget, type PresetName } from './budget';
import { list, numbers, oneOf, record, text, unknownKeys } from './checks';
import { catalogOf, distinctModels, parseModelRef, type ModelCatalog, type ModelRef } from './models';
import { dataHome } from '../engine/util/data_home';

export { DEFAULT_BUDGET, type Budget } from './budget';
export { BUILTIN_MODELS, type ModelRef } from './models';

export interface Comparison {
  name: string;
  /** Every model the matrix runs on (`models:`, or the single `model:`), in the config's order. */
  models: ModelRef[];
  preset: PresetName;
  tasks: TaskRef[];
  /** Learning rates are swept per method (a method may give its own list). */
  methods: { id: string; options: MethodOptions; learningRates: number[] }[];
  /** The first seed runs the sweep; the others repeat the chosen rate. */
  seeds: number[];
  budget: Budget;
  backend: BackendName | null;
  /** Runs trained at once, each in its own worker process; null: chosen by workerCount(). */
  workers: number | null;
}

const TOP_KEYS = ['name', 'model', 'models', 'preset', 'tasks', 'methods', 'learning_rates', 'seeds', 'budget', 'backend', 'workers'];
const BACKENDS: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export function readComparisonFile(file: string): Comparison {
  let raw: unknown;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the comparison config (${(err as Error).message})`);
  }
  try {
    raw = file.endsWith('.json') ? JSON.parse(content) : YAML.parse(content);
  } catch (err) {
    throw new Error(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    return parseComparison(raw, path.dirname(path.resolve(file)), path.basename(file).replace(/\.[^.]+$/, ''));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/**
 * The config `raw` (relative paths from `baseDir`); model names other than built-ins and folders
 * are looked up in `catalog` (the Hugging Face cache and added folders of the workbench home).
 */
export function parseComparison(raw: unknown, baseDir: string, fallbackName: string, catalog: ModelCatalog = catalogOf(dataHome())): Comparison {
  const obj = record(raw, 'the config');
  unknownKeys(obj, TOP_KEYS, '');
  const preset = obj.preset === undefined ? 'study' : oneOf(obj.preset, 'preset', Object.keys(PRESETS) as PresetName[]);
  const defaults = PRESETS[preset];
  const lrs = obj.learning_rates === undefined ? defaults.learningRates : distinct(numbers(obj.learning_rates, 'learning_rates', positive), 'learning_rates');
  const comparison: Comparison = {
    name: obj.name === undefined ? fallbackName : text(obj.name, 'name'),
    models: parseModels(obj, baseDir, catalog),
    preset,
    tasks: list(obj.tasks ?? ['spam_assassin'], 'tasks').map((t, i) => parseTask(t, `tasks[${i}]`, baseDir)),
    methods: list(obj.methods, 'methods').map((m, i) => parseMethod(m, `methods[${i}]`, lrs)),
    seeds: obj.seeds === undefined ? defaults.seeds : distinct(numbers(obj.seeds, 'seeds', (v) => Number.isInteger(v) && v >= 0), 'seeds'),
    budget: parseBudget(obj.budget, defaults.budget),
    backend: obj.backend === undefined ? null : oneOf(obj.backend, 'backend', BACKENDS),
    workers: obj.workers === undefined || obj.workers === 'auto' ? null : workerField(obj.workers),
  };
  const names = comparison.tasks.map(taskName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`tasks: "${dup}" appears twice; give each task a distinct name`);
  const ids = comparison.methods.map((m) => m.id);
  const twice = ids.find((n, i) => ids.indexOf(n) !== i);
  if (twice) throw new Error(`methods: "${twice}" appears twice; list each method once`);
  return comparison;
}

function parseMethod(raw: unknown, where: string, lrs: number[]): Comparison['methods'][number] {
  const known = (id: string, field: string) => {
    try {
      getMethod(id);
    } catch (err) {
      throw new Error(`${field}: ${(err as Error).message}`);
    }
  };
  if (typeof raw === 'string') {
    known(raw, where);
    return { id: raw, options: {}, learningRates: lrs };
  }
  const obj = record(raw, where);
  const id = text(obj.id, `${where}.id`);
  known(id, `${where}.id`);
  const { id: _id, learning_rates, ...options } = obj;
  for (const [k, v] of Object.entries(options)) {
    const ok = ['number', 'string', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw new Error(`${where}.${k} must be a number, text, true/false or a list of names`);
  }
  const own = learning_rates === undefined ? lrs : distinct(numbers(learning_rates, `${where}.learning_rates`, positive), `${where}.learning_rates`);
  return { id, options: options as MethodOptions, learningRates: own };
}

const TASK_KEYS = ['name', 'format', 'train', 'validation', 'test', 'input', 'target', 'metric', 'prefix'];

function parseTask(raw: unknown, where: string, baseDir: string): TaskRef {
  if (typeof raw === 'string') {
    if (!BUILTIN_TASKS[raw]) throw new Error(`${where}: unknown task "${raw}"; built-in tasks are ${Object.keys(BUILTIN_TASKS).join(', ')}, or give {name, train, validation, test} files`);
    return raw;
  }
  const obj = record(raw, where);
  unknownKeys(obj, TASK_KEYS, `${where}.`);
  const format = obj.format === undefined ? 'fields' : oneOf(obj.format, `${where}.format`, FILE_FORMATS);
  const file = (k: string) => path.resolve(baseDir, text(obj[k], `${where}.${k}`));
  const base = { name: text(obj.name, `${where}.name`), train: file('train'), validation: file('validation'), test: file('test') };
  const only = (keys: string[]) => {
    for (const k of ['input', 'target', 'metric', 'prefix']) {
      if (obj[k] !== undefined && !keys.includes(k)) throw new Error(`${where}.${k} does not apply to format ${format}; its fields and metric are fixed`);
    }
  };
  if (format === 'fields') {
    return {
      format, ...base,
      input: obj.input === undefined ? 'input' : text(obj.input, `${where}.input`),
      target: obj.target === undefined ? 'target' : text(obj.target, `${where}.target`),
      metric: obj.metric === undefined ? 'accuracy' : oneOf(obj.metric, `${where}.metric`, METRICS),
      prefix: obj.prefix === undefined ? '' : String(obj.prefix),
    };
  }
  if (format === 'cnn_dailymail') {
    only(['metric']);
    return { format, ...base, metric: obj.metric === undefined ? 'rouge_l_stem' : oneOf(obj.metric, `${where}.metric`, ['rouge_l', 'rouge_l_stem'] as const) };
  }
  only([]);
  return { format, ...base };
}

/** `models: [a, b]`, or the single `model: a` (default: the built-in default model). */
function parseModels(obj: Record<string, unknown>, baseDir: string, catalog: ModelCatalog): ModelRef[] {
  if (obj.model !== undefined && obj.models !== undefined) {
    throw new Error('model and models are both given; use models: [a, b, ...] for several models, or model: a for one');
  }
  if (obj.models === undefined) return [parseModelRef(obj.model ?? 'default', 'model', baseDir, catalog)];
  if (!Array.isArray(obj.models) || obj.models.length === 0) {
    throw new Error('models must be a non-empty list of models (built-in names, folders or names `peft-bench models` lists), e.g. models: [default, /models/t5-small]');
  }
  return distinctModels(obj.models.map((m, i) => parseModelRef(m, `models[${i}]`, baseDir, catalog)), 'models');
}

const positive = (v: number) => v > 0;

function workerField(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error(`workers must be "auto" or a whole number of parallel runs from 1 to 64, got ${JSON.stringify(value)}`);
  }
  return value;
}

function distinct(values: number[], where: string): number[] {
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup !== undefined) throw new Error(`${where}: ${dup} appears twice`);
  return values;
}
