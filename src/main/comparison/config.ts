// The comparison config (YAML or JSON): model × tasks × methods × learning rates × seeds,
// and a training budget. Everything is checked here, before anything is stored or run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { BackendName, RunSpec } from '../../shared/types';
import type { JsonlTaskSpec } from '../engine/data/jsonl_task';
import { BUILTIN_TASKS, taskName, type TaskRef } from '../engine/data/tasks';
import { readModelConfig } from '../engine/models/load';
import type { MethodOptions } from '../engine/peft/method';
import { getMethod } from '../engine/peft/registry';

export interface Budget {
  steps: number;
  micro_batch: number;
  effective_batch: number;
  warmup_ratio: number;
  weight_decay: number;
  max_input_tokens: number;
  max_target_tokens: number;
  eval_every: number;
  eval_examples: number;
  test_examples: number;
}

/** The study's recipe where it fits a CPU; every value can be overridden in `budget:`. */
export const DEFAULT_BUDGET: Budget = {
  steps: 100, micro_batch: 8, effective_batch: 32, warmup_ratio: 0, weight_decay: 0,
  max_input_tokens: 512, max_target_tokens: 8, eval_every: 50, eval_examples: 0, test_examples: 0,
};

export interface PlannedRun {
  spec: RunSpec;
  task: TaskRef;
}

export interface Comparison {
  name: string;
  /** Absolute model folder, or 'default' for the built-in default model. */
  model: string;
  tasks: TaskRef[];
  methods: { id: string; options: MethodOptions; learningRates: number[] }[];
  seeds: number[];
  budget: Budget;
  backend: BackendName | null;
}

const TOP_KEYS = ['name', 'model', 'tasks', 'methods', 'learning_rates', 'seeds', 'budget', 'backend'];
const BACKENDS: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export function readComparisonFile(file: string): Comparison {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the comparison config (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    return parseComparison(raw, path.dirname(path.resolve(file)), path.basename(file).replace(/\.[^.]+$/, ''));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

export function parseComparison(raw: unknown, baseDir: string, fallbackName: string): Comparison {
  const obj = record(raw, 'the config');
  unknownKeys(obj, TOP_KEYS, '');
  const model = obj.model === undefined || obj.model === 'default' ? 'default' : path.resolve(baseDir, text(obj.model, 'model'));
  const lrs = obj.learning_rates === undefined ? [1e-4] : numbers(obj.learning_rates, 'learning_rates', positive);
  const comparison: Comparison = {
    name: obj.name === undefined ? fallbackName : text(obj.name, 'name'),
    model,
    tasks: list(obj.tasks ?? ['spam_assassin'], 'tasks').map((t, i) => parseTask(t, `tasks[${i}]`, baseDir)),
    methods: list(obj.methods, 'methods').map((m, i) => parseMethod(m, `methods[${i}]`, lrs)),
    seeds: obj.seeds === undefined ? [0] : numbers(obj.seeds, 'seeds', (v) => Number.isInteger(v) && v >= 0),
    budget: parseBudget(obj.budget),
    backend: obj.backend === undefined ? null : oneOf(obj.backend, 'backend', BACKENDS),
  };
  const names = comparison.tasks.map(taskName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`tasks: "${dup}" appears twice; give each task a distinct name`);
  return comparison;
}

/** Checks what needs files (model config, method options against it) and expands the run matrix. */
export function planRuns(c: Comparison, modelDir: string): PlannedRun[] {
  const config = readModelConfig(modelDir);
  const runs: PlannedRun[] = [];
  for (const task of c.tasks) {
    for (const m of c.methods) {
      const options = getMethod(m.id).validate(m.options, config);
      for (const learningRate of m.learningRates) {
        for (const seed of c.seeds) runs.push({ task, spec: makeSpec(c, modelDir, taskName(task), m.id, options, learningRate, seed) });
      }
    }
  }
  return runs;
}

function makeSpec(c: Comparison, modelDir: string, task: string, method: string, methodOptions: MethodOptions, learningRate: number, seed: number): RunSpec {
  const b = c.budget;
  return {
    modelDir, task, method, methodOptions, learningRate, seed,
    microBatch: b.micro_batch, effectiveBatch: b.effective_batch, steps: b.steps,
    warmupRatio: b.warmup_ratio, weightDecay: b.weight_decay,
    maxInputTokens: b.max_input_tokens, maxTargetTokens: b.max_target_tokens,
    evalEvery: b.eval_every, evalExamples: b.eval_examples, testExamples: b.test_examples,
  };
}

function parseMethod(raw: unknown, where: string, lrs: number[]): Comparison['methods'][number] {
  if (typeof raw === 'string') {
    try {
      getMethod(raw);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    return { id: raw, options: {}, learningRates: lrs };
  }
  const obj = record(raw, where);
  const id = text(obj.id, `${where}.id`);
  try {
    getMethod(id);
  } catch (err) {
    throw new Error(`${where}.id: ${(err as Error).message}`);
  }
  const { id: _id, learning_rates, ...options } = obj;
  for (const [k, v] of Object.entries(options)) {
    const ok = ['number', 'string', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw new Error(`${where}.${k} must be a number, text, true/false or a list of names`);
  }
  const own = learning_rates === undefined ? lrs : numbers(learning_rates, `${where}.learning_rates`, positive);
  return { id, options: options as MethodOptions, learningRates: own };
}

function parseTask(raw: unknown, where: string, baseDir: string): TaskRef {
  if (typeof raw === 'string') {
    if (!BUILTIN_TASKS[raw]) throw new Error(`${where}: unknown task "${raw}"; built-in tasks are ${Object.keys(BUILTIN_TASKS).join(', ')}, or give {name, train, validation, test} JSONL files`);
    return raw;
  }
  const obj = record(raw, where);
  unknownKeys(obj, ['name', 'train', 'validation', 'test', 'input', 'target', 'metric'], `${where}.`);
  const file = (k: string) => path.resolve(baseDir, text(obj[k], `${where}.${k}`));
  const spec: JsonlTaskSpec = {
    name: text(obj.name, `${where}.name`),
    train: file('train'), validation: file('validation'), test: file('test'),
    input: obj.input === undefined ? 'input' : text(obj.input, `${where}.input`),
    target: obj.target === undefined ? 'target' : text(obj.target, `${where}.target`),
    metric: obj.metric === undefined ? 'accuracy' : oneOf(obj.metric, `${where}.metric`, ['accuracy', 'exact_match'] as const),
  };
  return spec;
}

function parseBudget(raw: unknown): Budget {
  if (raw === undefined) return { ...DEFAULT_BUDGET };
  const obj = record(raw, 'budget');
  unknownKeys(obj, Object.keys(DEFAULT_BUDGET), 'budget.');
  const b = { ...DEFAULT_BUDGET };
  const ints: (keyof Budget)[] = ['steps', 'micro_batch', 'effective_batch', 'max_input_tokens', 'max_target_tokens', 'eval_every'];
  for (const k of ints) if (obj[k] !== undefined) b[k] = int(obj[k], `budget.${k}`, 1);
  for (const k of ['eval_examples', 'test_examples'] as const) if (obj[k] !== undefined) b[k] = int(obj[k], `budget.${k}`, 0);
  if (obj.warmup_ratio !== undefined) b.warmup_ratio = fraction(obj.warmup_ratio, 'budget.warmup_ratio');
  if (obj.weight_decay !== undefined) b.weight_decay = fraction(obj.weight_decay, 'budget.weight_decay');
  if (b.effective_batch % b.micro_batch !== 0) {
    throw new Error(`budget.effective_batch (${b.effective_batch}) must be a multiple of budget.micro_batch (${b.micro_batch}): it is reached by gradient accumulation`);
  }
  if (b.max_input_tokens < 2 || b.max_target_tokens < 2) throw new Error('budget.max_input_tokens and budget.max_target_tokens must be at least 2 (one token and eos)');
  return b;
}

// ---- small checkers: each error names the field and what is expected ----

function record(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} must be a mapping of keys to values`);
  return v as Record<string, unknown>;
}

function unknownKeys(obj: Record<string, unknown>, known: string[], prefix: string): void {
  for (const k of Object.keys(obj)) if (!known.includes(k)) throw new Error(`${prefix}${k} is not a known setting; expected one of ${known.join(', ')}`);
}

function text(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new Error(`${where} must be non-empty text, got ${JSON.stringify(v)}`);
  return v;
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${where} must be a non-empty list`);
  return v;
}

const positive = (v: number) => v > 0;

function numbers(v: unknown, where: string, ok: (x: number) => boolean): number[] {
  return list(v, where).map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new Error(`${where}[${i}] is out of range: ${JSON.stringify(x)}`);
    return x;
  });
}

function int(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${where} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function fraction(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${where} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, where: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw new Error(`${where} must be one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
