// Text → padded int32 batches for an encoder-decoder model.
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqBatch, TextTokenizer } from '../models/types';
import type { Example } from './task';

export interface EncodedExample {
  /** Input ids ending in eos, at most maxInputTokens long. */
  input: number[];
  /** Target ids ending in eos, at most maxTargetTokens long. */
  target: number[];
}

/** Tokenise and truncate, keeping eos last as T5's tokenizer does under truncation. */
export function encodeExamples(tok: TextTokenizer, examples: Example[], maxInput: number, maxTarget: number): EncodedExample[] {
  const cut = (ids: number[], max: number) => (ids.length <= max ? ids : [...ids.slice(0, max - 1), tok.eosId]);
  return examples.map((ex) => ({ input: cut(tok.encode(ex.input), maxInput), target: cut(tok.encode(ex.target), maxTarget) }));
}

/** Pads to the longest row of the batch: inputs with padId, labels with -100. */
export function makeBatch(items: EncodedExample[], padId: number): Seq2SeqBatch {
  const S = Math.max(...items.map((e) => e.input.length));
  const T = Math.max(...items.map((e) => e.target.length));
  const ids = new Int32Array(items.length * S).fill(padId);
  const mask = new Int32Array(items.length * S);
  const labels = new Int32Array(items.length * T).fill(-100);
  items.forEach((e, b) => {
    ids.set(e.input, b * S);
    mask.fill(1, b * S, b * S + e.input.length);
    labels.set(e.target, b * T);
  });
  return {
    inputIds: tf.tensor2d(ids, [items.length, S], 'int32'),
    attentionMask: tf.tensor2d(mask, [items.length, S], 'int32'),
    labels: tf.tensor2d(labels, [items.length, T], 'int32'),
  };
}

export function disposeBatch(batch: Seq2SeqBatch): void {
  tf.dispose([batch.inputIds, batch.attentionMask, batch.labels]);
}

/** Real (non-padding) input tokens: the unit of the study's throughput. */
export function inputTokens(items: EncodedExample[]): number {
  return items.reduce((n, e) => n + e.input.length, 0);
}

/** Consecutive slices of `size` (the last one may be shorter). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
