// The New comparison form's values (as typed) and their conversion to the IPC request,
// with a message per bad field. The request is then checked by the same code main runs.

import {
  checkComparisonRequest, type ComparisonRequest, type FieldErrors, type OptionValue, type TaskChoice,
} from '../../../shared/comparison_request';
import type { AppInfo, MethodInfo, ModelEntry } from '../../../shared/ipc';
import type { ClassificationScoring } from '../../../shared/types';

export interface MethodField {
  id: string;
  chosen: boolean;
  /** Option name → the text in its input (booleans as 'true'/'false'). */
  options: Record<string, string>;
}

export interface FormValues {
  name: string;
  /** Ticked models: built-in names, else folders (see modelKey). */
  models: string[];
  builtinTasks: Record<string, boolean>;
  jsonlTasks: { name: string; folder: string }[];
  methods: MethodField[];
  learningRates: string;
  seeds: string;
  budget: Record<string, string>;
  /** How classification tasks are scored: by generating the label (the study) or by the most likely label. */
  scoring: ClassificationScoring;
}

export function initialForm(info: AppInfo, methods: MethodInfo[]): FormValues {
  return {
    name: '',
    models: [],
    builtinTasks: Object.fromEntries(info.builtinTasks.map((t, i) => [t, i === 0])),
    jsonlTasks: [],
    methods: methods.map((m) => ({
      id: m.id,
      chosen: true,
      options: Object.fromEntries(Object.entries(m.defaults).map(([k, v]) => [k, optionText(v)])),
    })),
    learningRates: '1e-3, 1e-4, 1e-5',
    seeds: '0',
    budget: Object.fromEntries(Object.entries(info.defaultBudget).map(([k, v]) => [k, String(v)])),
    scoring: 'generate',
  };
}

/** The request, or a message for each field that cannot be read. */
export function toRequest(form: FormValues, methods: MethodInfo[]): { request: ComparisonRequest | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const tasks: TaskChoice[] = [
    ...Object.entries(form.builtinTasks).filter(([, on]) => on).map(([builtin]) => ({ builtin })),
    ...form.jsonlTasks.map((t) => ({ name: t.name.trim(), folder: t.folder.trim() })),
  ];
  const chosen = form.methods.filter((m) => m.chosen).map((m) => {
    const defaults = methods.find((x) => x.id === m.id)?.defaults ?? {};
    const options: Record<string, OptionValue> = {};
    for (const [key, text] of Object.entries(m.options)) {
      const value = parseOption(text, defaults[key]);
      if (value === null) errors[`methods.${m.id}.${key}`] = `expected ${kind(defaults[key])}, got "${text}"`;
      else options[key] = value;
    }
    return { id: m.id, options };
  });
  const budget: Record<string, number> = {};
  for (const [key, text] of Object.entries(form.budget)) {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) errors[`budget.${key}`] = `expected a number, got "${text}"`;
    else budget[key] = value;
  }
  const learningRates = numberList(form.learningRates, 'learningRates', errors);
  const seeds = numberList(form.seeds, 'seeds', errors);
  const raw = { name: form.name.trim(), models: form.models, tasks, methods: chosen, learningRates, seeds, budget, scoring: form.scoring };
  const checked = checkComparisonRequest(raw);
  const all = { ...checked.errors, ...errors };
  return Object.keys(all).length ? { request: null, errors: all } : checked;
}

/** What the request names a picked model by: a built-in by its name, any other by its folder. */
export function modelKey(entry: ModelEntry): string {
  return entry.source === 'builtin' ? entry.name : entry.path;
}

export interface MatrixSize {
  models: number;
  tasks: number;
  methods: number;
  rates: number;
  seeds: number;
  /** Runs of the protocol: per cell the sweep on the first seed, then the chosen rate on the others (every seed when one rate). */
  runs: number;
}

/** The matrix models × tasks × methods × rates × seeds of the form as typed (unreadable lists count as empty). */
export function matrixSize(form: FormValues): MatrixSize {
  const count = (text: string) => text.split(/[\s,]+/).filter(Boolean).filter((t) => Number.isFinite(Number(t))).length;
  const size = {
    models: form.models.length,
    tasks: Object.values(form.builtinTasks).filter(Boolean).length + form.jsonlTasks.length,
    methods: form.methods.filter((m) => m.chosen).length,
    rates: count(form.learningRates),
    seeds: count(form.seeds),
  };
  const perCell = size.rates === 0 || size.seeds === 0 ? 0 : size.rates === 1 ? size.seeds : size.rates + size.seeds - 1;
  return { ...size, runs: size.models * size.tasks * size.methods * perCell };
}

/** "1e-3, 1e-4" → [0.001, 0.0001]; an unreadable entry is a field error. */
function numberList(text: string, field: string, errors: FieldErrors): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const values = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isFinite(values[i]));
  if (bad !== undefined) errors[field] = `"${bad}" is not a number`;
  return values;
}

function optionText(value: OptionValue): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function parseOption(text: string, like: OptionValue | undefined): OptionValue | null {
  if (typeof like === 'number') {
    const n = Number(text);
    return text.trim() === '' || !Number.isFinite(n) ? null : n;
  }
  if (typeof like === 'boolean') return text === 'true' ? true : text === 'false' ? false : null;
  if (Array.isArray(like)) return text.split(',').map((s) => s.trim()).filter(Boolean);
  return text;
}

function kind(like: OptionValue | undefined): string {
  if (typeof like === 'number') return 'a number';
  if (typeof like === 'boolean') return 'true or false';
  if (Array.isArray(like)) return 'a comma-separated list';
  return 'text';
}
