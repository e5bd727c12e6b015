// Scoring and inference throughput: greedy generation over a split, as the study evaluates; a
// classifier (an encoder's label head) is scored by the argmax label instead, nothing generated.
import type { TaskMetric } from '../../../shared/types';
import type { Seq2SeqModel, TextTokenizer } from '../models/types';
import { chunks, inputTokens, type EncodedExample } from '../data/batching';
import { scoreMetric } from './metrics';
import { rankLabels } from './rank';

export interface EvalOutcome {
  /** The task's metric in [0, 1]. */
  score: number;
  predictions: string[];
  /** Input tokens per second of the timed pass (generation included). */
  tokensPerSec: number;
  seconds: number;
}

export interface EvalOptions {
  batchSize: number;
  maxNewTokens: number;
  metric: TaskMetric;
  /** Run one untimed batch first so kernel set-up is not counted. */
  warmup: boolean;
  /** A classifier's label words by head index (the task's labels); unused by generative models. */
  labels?: readonly string[] | null;
  /**
   * Rank scoring of a classification task on a generative model: each label's target ids, in
   * `labels` order; the prediction is the most likely label (measure/rank.ts). Null: generate.
   */
  rankTargets?: number[][] | null;
}

/** The texts a model predicts for a batch of inputs: its label words, or its decoded generations. */
function predictor(model: Seq2SeqModel, tok: TextTokenizer, opts: EvalOptions): (inputs: number[][]) => string[] {
  const { labels } = opts;
  if (model.classify) {
    if (!labels) throw new Error('evaluate: a classifier needs the task’s labels to name its predictions');
    return (inputs) => model.classify!(inputs).map((i) => labels[i]);
  }
  const { rankTargets } = opts;
  if (rankTargets) {
    if (!labels || labels.length !== rankTargets.length) throw new Error('evaluate: rank scoring needs one target per label');
    return (inputs) => rankLabels(model, inputs, rankTargets, tok.padId).map((i) => labels[i]);
  }
  return (inputs) => model.generate(inputs, opts.maxNewTokens).map((ids) => tok.decode(ids));
}

export function evaluate(
  model: Seq2SeqModel, tok: TextTokenizer, items: EncodedExample[], references: string[][], opts: EvalOptions,
): EvalOutcome {
  const batches = chunks(items, opts.batchSize);
  const predict = predictor(model, tok, opts);
  if (opts.warmup && batches.length) predict(batches[0].map((e) => e.input));
  const start = performance.now();
  const predictions: string[] = [];
  for (const batch of batches) predictions.push(...predict(batch.map((e) => e.input)));
  const seconds = (performance.now() - start) / 1000;
  const score = scoreMetric(opts.metric, predictions, references);
  return { score, predictions, tokensPerSec: seconds > 0 ? inputTokens(items) / seconds : NaN, seconds };
}
