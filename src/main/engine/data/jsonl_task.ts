// A task from JSON Lines files: one object per line, with chosen input and target fields.
import { readFileSync } from 'node:fs';
import type { TaskMetric } from '../../../shared/types';
import type { Example, TaskData } from './task';

export interface JsonlTaskSpec {
  name: string;
  train: string;
  validation: string;
  test: string;
  /** Field holding the input text (default "input"). */
  input: string;
  /** Field holding the target text (default "target"). */
  target: string;
  metric: TaskMetric;
}

export function loadJsonlTask(spec: JsonlTaskSpec): TaskData {
  const read = (split: 'train' | 'validation' | 'test') => readJsonlExamples(spec[split], spec.input, spec.target);
  const train = read('train');
  const targets = [...new Set(train.map((e) => e.target))].sort();
  return {
    name: spec.name,
    description: `JSONL task ${spec.name} (${spec.input} → ${spec.target})`,
    metric: spec.metric,
    labels: spec.metric === 'accuracy' ? targets : null,
    train,
    validation: read('validation'),
    test: read('test'),
    source: spec.train,
  };
}

/** Examples of one JSONL file; any bad line is an error naming the file, line and field. */
export function readJsonlExamples(file: string, inputField: string, targetField: string): Example[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read task file (${(err as Error).message})`);
  }
  const out: Example[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${file} line ${i + 1}: not valid JSON`);
    }
    out.push({ input: field(row, inputField, file, i), target: field(row, targetField, file, i) });
  });
  if (!out.length) throw new Error(`${file}: the split is empty; a task needs at least one example per split`);
  return out;
}

function field(row: unknown, name: string, file: string, i: number): string {
  const value = row !== null && typeof row === 'object' ? (row as Record<string, unknown>)[name] : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const fix = `set the task's "input"/"target" to the field names your rows use`;
  throw new Error(`${file} line ${i + 1}: field "${name}" is missing or not text (${fix})`);
}
