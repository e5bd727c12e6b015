// Scoring a split the way every run is scored: the family's text format, the run's token limits,
// greedy generation (or, for a classification task scored by rank, the most likely label) in
// batches of the run's microbatch, the task's metric; then, where the method
// merges, the same split again with the delta folded in, for the merged inference throughput.
// Shared by trained runs (run.ts) and imported adapters (export/evaluate_adapter.ts), so their
// scores and throughputs are measured alike.
import * as tf from '@tensorflow/tfjs-core';
import { encodeExamples, type EncodedExample, type IdLayout } from '../data/batching';
import { FORMATTERS, familyOf } from '../data/format';
import { referencesOf, type Example, type TaskData } from '../data/task';
import { familyKind } from '../models/families';
import type { ClassificationScoring } from '../../../shared/types';
import type { ModelConfig, Seq2SeqModel, TextTokenizer } from '../models/types';
import { evaluate, type EvalOptions, type EvalOutcome } from './evaluate';

export interface ScoreSettings {
  /** Examples per generation batch (a run's microbatch). */
  microBatch: number;
  maxInputTokens: number;
  /** Generated tokens at most (a run's resolved maxTargetTokens). */
  maxTargetTokens: number;
  /** How a classification task is scored on a generative model (absent: generate). */
  scoring?: ClassificationScoring;
}

export interface SplitEncoder {
  /** An example as the family's (input, target) text. */
  asText(ex: Example): { input: string; target: string };
  encode(examples: Example[]): EncodedExample[];
  /** Texts already in the family's format, as ids. */
  encodeTexts(texts: { input: string; target: string }[]): EncodedExample[];
  layout: IdLayout;
  /** An encoder's label words by head index (the task's labels); null for text targets. */
  labels: string[] | null;
}

export function splitEncoder(tokenizer: TextTokenizer, config: ModelConfig, task: TaskData, s: ScoreSettings): SplitEncoder {
  const format = FORMATTERS[familyOf(config.modelType)];
  const asText = (ex: Example) => {
    const f = format(ex, task);
    return { input: f.source, target: f.target };
  };
  const kind = familyKind(config);
  const layout: IdLayout = kind === 'decoder' ? 'causal' : kind === 'encoder' ? 'classify' : 'seq2seq';
  const labels = layout === 'classify' ? task.labels : null;
  const encodeTexts = (texts: { input: string; target: string }[]) =>
    encodeExamples(tokenizer, texts, s.maxInputTokens, s.maxTargetTokens, layout, labels);
  return { asText, layout, labels, encodeTexts, encode: (examples) => encodeTexts(examples.map(asText)) };
}

/** The first `n` examples of a split (all of them for 0): the examples every run of a comparison is scored on. */
export function firstExamples<T>(items: T[], n: number): T[] {
  return n > 0 ? items.slice(0, n) : items;
}

export function evalOptions(task: TaskData, s: ScoreSettings, enc: SplitEncoder): EvalOptions {
  return { batchSize: s.microBatch, maxNewTokens: s.maxTargetTokens, metric: task.metric, warmup: false, labels: task.labels, rankTargets: rankTargets(task, s, enc) };
}

/** Each label's target ids as the family formats them, when the run ranks labels instead of generating. */
function rankTargets(task: TaskData, s: ScoreSettings, enc: SplitEncoder): number[][] | null {
  if (s.scoring !== 'rank' || !task.labels || enc.layout === 'classify') return null;
  const like = task.test[0] ?? task.validation[0] ?? task.train[0];
  return task.labels.map((target) => enc.encodeTexts([enc.asText({ ...like, target })])[0].target);
}

export interface FinalScores {
  unmerged: EvalOutcome;
  /** The same split after merging; null when the method cannot merge. */
  merged: EvalOutcome | null;
}

/**
 * Scores `examples` unmerged, then merges (when `merge` is given) and scores them again; each pass
 * is timed after one warm-up batch. The model is left merged.
 */
export function scoreUnmergedThenMerged(
  model: Seq2SeqModel, tok: TextTokenizer, items: EncodedExample[], examples: Example[], opts: EvalOptions, merge: (() => void) | null,
): FinalScores {
  const refs = examples.map(referencesOf);
  const unmerged = scoreAndTime(model, tok, items, refs, opts);
  if (!merge) return { unmerged, merged: null };
  tf.tidy(() => merge());
  return { unmerged, merged: scoreAndTime(model, tok, items, refs, opts) };
}

/**
 * The split's score and its inference throughput. Throughput is always that of generation, as the
 * study measures it; under rank scoring the score comes from a second, untimed ranking pass.
 */
function scoreAndTime(model: Seq2SeqModel, tok: TextTokenizer, items: EncodedExample[], refs: string[][], opts: EvalOptions): EvalOutcome {
  const timed = evaluate(model, tok, items, refs, { ...opts, rankTargets: null, warmup: true });
  if (!opts.rankTargets) return timed;
  const ranked = evaluate(model, tok, items, refs, { ...opts, warmup: false });
  return { ...ranked, tokensPerSec: timed.tokensPerSec, seconds: timed.seconds };
}
