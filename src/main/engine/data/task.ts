// What a task is to the engine: three fixed splits of examples, a metric and how long targets may be.
import type { TaskMetric } from '../../../shared/types';
import { exactMatchMulti } from '../measure/metrics';

export interface Example {
  /** The input in T5's text-to-text form (task prefix, then the fields). */
  input: string;
  /** The one target trained on. */
  target: string;
  /** Every answer scored as right (alternate pronunciations, say); the target when absent. */
  references?: string[];
  /** The named input fields, in order, for families that format them differently (decoders, encoders). */
  fields?: [name: string, text: string][];
}

export type TaskKind = 'classification' | 'generation' | 'summarization';

export interface TaskData {
  name: string;
  description: string;
  kind: TaskKind;
  metric: TaskMetric;
  /** The target strings of a classification task; null for generation. */
  labels: string[] | null;
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Where the examples came from, for the record. */
  source: string;
}

/** The study's output lengths: 8 tokens for classification, 128 for summaries; 32 for short generation. */
export const DEFAULT_MAX_TARGET_TOKENS: Record<TaskKind, number> = { classification: 8, generation: 32, summarization: 128 };

export function referencesOf(ex: Example): string[] {
  return ex.references ?? [ex.target];
}

/** Refuses a task that cannot be trained or scored: an empty split, or a target that is not a label. */
export function checkTask(task: TaskData): TaskData {
  for (const split of ['train', 'validation', 'test'] as const) {
    if (!task[split].length) throw new Error(`task ${task.name}: the ${split} split is empty; every split needs at least one example`);
  }
  if (task.labels) {
    const labels = new Set(task.labels);
    for (const split of ['train', 'validation', 'test'] as const) {
      const i = task[split].findIndex((ex) => !labels.has(ex.target));
      if (i >= 0) {
        throw new Error(`task ${task.name}: ${split} example ${i + 1} has target "${task[split][i].target}", which is not one of the labels ${task.labels.join(', ')}`);
      }
    }
  }
  return task;
}

/** Share of `test` whose target is the most frequent train target: the score of always guessing it. */
export function majorityBaseline(train: Example[], test: Example[]): { label: string; score: number } {
  const counts = new Map<string, number>();
  for (const ex of train) counts.set(ex.target, (counts.get(ex.target) ?? 0) + 1);
  let label = '';
  let best = -1;
  for (const [t, c] of counts) if (c > best || (c === best && t < label)) [label, best] = [t, c];
  return { label, score: exactMatchMulti([...test.map(() => label)], test.map(referencesOf)) };
}

/** T5's text-to-text input: the task name, then "field: text" for each field. */
export function t5Prompt(prefix: string, fields: [string, string][]): string {
  return [prefix, ...fields.map(([k, v]) => `${k}: ${v}`)].join(' ');
}
