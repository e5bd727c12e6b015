// What a task is to the engine: three fixed splits of text-to-text examples and a metric.
import type { TaskMetric } from '../../../shared/types';

export interface Example {
  input: string;
  target: string;
}

export interface TaskData {
  name: string;
  description: string;
  metric: TaskMetric;
  /** The target strings of a classification task (used for the majority baseline); null for generation. */
  labels: string[] | null;
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Where the examples came from, for the record. */
  source: string;
}

/** Share of `examples` whose target is the most frequent target: the score of always guessing it. */
export function majorityBaseline(train: Example[], test: Example[]): { label: string; score: number } {
  const counts = new Map<string, number>();
  for (const ex of train) counts.set(ex.target, (counts.get(ex.target) ?? 0) + 1);
  let label = '';
  let best = -1;
  for (const [t, c] of counts) if (c > best || (c === best && t < label)) [label, best] = [t, c];
  const hits = test.filter((ex) => ex.target === label).length;
  return { label, score: test.length ? hits / test.length : 0 };
}

/** Fraction of predictions equal to their reference after trimming whitespace. */
export function exactMatch(predictions: string[], references: string[]): number {
  if (predictions.length !== references.length) {
    throw new Error(`exactMatch: ${predictions.length} predictions for ${references.length} references`);
  }
  if (!references.length) return 0;
  let hits = 0;
  for (let i = 0; i < references.length; i++) if (predictions[i].trim() === references[i].trim()) hits++;
  return hits / references.length;
}
