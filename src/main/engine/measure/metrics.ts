// Scores of predictions against references: accuracy / exact match, token F1 (SQuAD's), and
// ROUGE-L (rouge.ts). Every function takes a list of accepted references per example.
import type { TaskMetric } from '../../../shared/types';
import { rougeL } from './rouge';

function checkLengths(predictions: string[], references: string[][]): void {
  if (predictions.length !== references.length) {
    throw new Error(`${predictions.length} predictions for ${references.length} references`);
  }
}

/** Fraction of predictions equal (after trimming whitespace) to one of their references. */
export function exactMatchMulti(predictions: string[], references: string[][]): number {
  checkLengths(predictions, references);
  if (!references.length) return 0;
  let hits = 0;
  predictions.forEach((p, i) => {
    if (references[i].some((r) => r.trim() === p.trim())) hits++;
  });
  return hits / references.length;
}

/** SQuAD's answer normalisation: lowercase, drop punctuation and the articles a/an/the, squeeze spaces. */
export function normalizeAnswer(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Token F1 of one prediction against one reference (bag of normalised tokens). */
export function tokenF1(prediction: string, reference: string): number {
  const p = normalizeAnswer(prediction);
  const r = normalizeAnswer(reference);
  if (!p.length || !r.length) return p.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Mean over examples of the best score against any reference. */
function meanBest(predictions: string[], references: string[][], f: (p: string, r: string) => number): number {
  checkLengths(predictions, references);
  if (!references.length) return 0;
  let sum = 0;
  predictions.forEach((p, i) => (sum += Math.max(0, ...references[i].map((r) => f(p, r)))));
  return sum / references.length;
}

/** The task's metric in [0, 1]. Accuracy of a text-to-text classifier is the exact match of the label word. */
export function scoreMetric(metric: TaskMetric, predictions: string[], references: string[][]): number {
  switch (metric) {
    case 'accuracy':
    case 'exact_match':
      return exactMatchMulti(predictions, references);
    case 'token_f1':
      return meanBest(predictions, references, tokenF1);
    case 'rouge_l':
      return meanBest(predictions, references, (p, r) => rougeL(r, p, false).fmeasure);
    case 'rouge_l_stem':
      return meanBest(predictions, references, (p, r) => rougeL(r, p, true).fmeasure);
  }
}

export const METRICS: readonly TaskMetric[] = ['accuracy', 'exact_match', 'token_f1', 'rouge_l', 'rouge_l_stem'];
