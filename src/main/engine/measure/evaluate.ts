// Scoring and inference throughput: greedy generation over a split, as the study evaluates.
import type { TaskMetric } from '../../../shared/types';
import type { Seq2SeqModel, TextTokenizer } from '../models/types';
import { chunks, inputTokens, type EncodedExample } from '../data/batching';
import { scoreMetric } from './metrics';

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
}

export function evaluate(
  model: Seq2SeqModel, tok: TextTokenizer, items: EncodedExample[], references: string[][], opts: EvalOptions,
): EvalOutcome {
  const batches = chunks(items, opts.batchSize);
  if (opts.warmup && batches.length) model.generate(batches[0].map((e) => e.input), opts.maxNewTokens);
  const start = performance.now();
  const predictions: string[] = [];
  for (const batch of batches) {
    const out = model.generate(batch.map((e) => e.input), opts.maxNewTokens);
    for (const ids of out) predictions.push(tok.decode(ids));
  }
  const seconds = (performance.now() - start) / 1000;
  const score = scoreMetric(opts.metric, predictions, references);
  return { score, predictions, tokensPerSec: seconds > 0 ? inputTokens(items) / seconds : NaN, seconds };
}
