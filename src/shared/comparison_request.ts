// The New comparison form's request, checked field by field. The renderer runs the same check
// to put a message next to each bad field; main runs it again on what arrives over IPC.

import type { ClassificationScoring } from './types';

export type OptionValue = number | string | boolean | string[];

/** A built-in task by name, or a folder with train.jsonl, validation.jsonl and test.jsonl. */
export type TaskChoice = { builtin: string } | { name: string; folder: string };

export interface ComparisonRequest {
  name: string;
  /** The models of the matrix: built-in names (default, default-untrained) or absolute Hugging Face model folders. */
  models: string[];
  tasks: TaskChoice[];
  methods: { id: string; options: Record<string, OptionValue> }[];
  learningRates: number[];
  seeds: number[];
  /** Training budget overrides, by the comparison config's budget keys (steps, micro_batch, ...). */
  budget: Record<string, number>;
  /** How classification is scored (budget.scoring); absent in requests queued before it existed: the config default. */
  scoring?: ClassificationScoring;
}

/** Field path → message, e.g. { 'learningRates': 'give at least one learning rate' }. */
export type FieldErrors = Record<string, string>;

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Returns the typed request and no errors, or null and a message per bad field. */
export function checkComparisonRequest(raw: unknown): { request: ComparisonRequest | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const fail = (field: string, message: string) => {
    errors[field] ??= message;
  };
  const obj = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) fail('request', 'the request must be an object');
  for (const key of Object.keys(obj)) {
    if (!['name', 'model', 'models', 'tasks', 'methods', 'learningRates', 'seeds', 'budget', 'scoring'].includes(key)) fail(key, `unknown field '${key}'`);
  }
  if (typeof obj.name !== 'string' || !obj.name.trim() || obj.name.length > 200) fail('name', 'give the comparison a name (1-200 characters)');
  const models = checkModels(obj, fail);
  checkTasks(obj.tasks, fail);
  checkMethods(obj.methods, fail);
  checkNumbers(obj.learningRates, 'learningRates', (x) => x > 0 && x < 1, 'learning rates between 0 and 1, e.g. 1e-3, 1e-4', fail);
  checkNumbers(obj.seeds, 'seeds', (x) => Number.isSafeInteger(x) && x >= 0, 'seeds as whole numbers ≥ 0, e.g. 0, 1, 42', fail);
  checkBudget(obj.budget, fail);
  if (obj.scoring !== undefined && obj.scoring !== 'generate' && obj.scoring !== 'rank') {
    fail('scoring', `score classification by 'generate' (generate the label, as the study) or 'rank' (the most likely label), got ${JSON.stringify(obj.scoring)}`);
  }
  if (Object.keys(errors).length) return { request: null, errors };
  const { model: _model, ...rest } = obj;
  return { request: { ...(rest as unknown as ComparisonRequest), models }, errors };
}

/** The models of a request; requests queued before several models were allowed name one `model`. */
export function requestModels(request: ComparisonRequest): string[] {
  const legacy = (request as { model?: unknown }).model;
  return Array.isArray(request.models) ? request.models : typeof legacy === 'string' ? [legacy] : [];
}

/** Field errors as one line, for a thrown error. */
export function describeFieldErrors(errors: FieldErrors): string {
  return Object.entries(errors).map(([field, message]) => `field '${field}': ${message}`).join('; ');
}

/** Reads field errors back out of an error message ("... field 'seeds': ..."), for the form. */
export function parseFieldErrors(message: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const m of message.matchAll(/field '([^']+)': ([^;]+)/g)) errors[m[1]] = m[2].trim();
  return errors;
}

type Fail = (field: string, message: string) => void;

/** `models` (a list of built-in names or folders), or the single `model` of older requests. */
function checkModels(obj: Record<string, unknown>, fail: Fail): string[] {
  if (obj.model !== undefined && obj.models !== undefined) {
    fail('models', "give the models as 'models' only");
    return [];
  }
  const models = obj.models ?? (obj.model === undefined ? undefined : [obj.model]);
  if (!Array.isArray(models) || models.length === 0) {
    fail('models', 'choose at least one model (a built-in one, one found on this machine, or a folder with config.json, model.safetensors, tokenizer.json)');
    return [];
  }
  models.forEach((m, i) => {
    if (typeof m !== 'string' || !m.trim() || m.length > 4096) fail(`models[${i}]`, 'a model is a built-in name or a folder path');
  });
  if (new Set(models).size !== models.length) fail('models', 'a model appears twice');
  return models as string[];
}

function checkTasks(tasks: unknown, fail: Fail): void {
  if (!Array.isArray(tasks) || tasks.length === 0) return fail('tasks', 'choose at least one task');
  const names = new Set<string>();
  tasks.forEach((t, i) => {
    const name = isRecord(t) ? (typeof t.builtin === 'string' ? t.builtin : t.name) : undefined;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) return fail(`tasks[${i}].name`, 'a task name is 1-64 letters, digits or _.-');
    if (names.has(name)) fail(`tasks[${i}].name`, `the task "${name}" appears twice`);
    names.add(name);
    if (isRecord(t) && !('builtin' in t) && (typeof t.folder !== 'string' || !t.folder.trim())) {
      fail(`tasks[${i}].folder`, 'give the folder holding train.jsonl, validation.jsonl and test.jsonl');
    }
  });
}

function checkMethods(methods: unknown, fail: Fail): void {
  if (!Array.isArray(methods) || methods.length === 0) return fail('methods', 'choose at least one method');
  for (const m of methods) {
    if (!isRecord(m) || typeof m.id !== 'string' || !NAME_PATTERN.test(m.id)) return fail('methods', 'each method needs an id');
    if (!isRecord(m.options)) return fail(`methods.${m.id}`, 'options must be an object');
    for (const [key, value] of Object.entries(m.options)) {
      const ok = (typeof value === 'number' && Number.isFinite(value)) || ['string', 'boolean'].includes(typeof value) ||
        (Array.isArray(value) && value.every((v) => typeof v === 'string'));
      if (!ok) fail(`methods.${m.id}.${key}`, 'must be a number, text, true/false or a list of names');
    }
  }
}

function checkNumbers(v: unknown, field: string, ok: (x: number) => boolean, expected: string, fail: Fail): void {
  if (!Array.isArray(v) || v.length === 0) return fail(field, `give ${expected}`);
  const bad = v.find((x) => typeof x !== 'number' || !Number.isFinite(x) || !ok(x));
  if (bad !== undefined) fail(field, `${JSON.stringify(bad)} is out of range; give ${expected}`);
  else if (new Set(v).size !== v.length) fail(field, 'a value appears twice');
}

function checkBudget(budget: unknown, fail: Fail): void {
  if (!isRecord(budget)) return fail('budget', 'the budget must be an object of numbers');
  for (const [key, value] of Object.entries(budget)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`budget.${key}`, 'must be a number ≥ 0');
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
