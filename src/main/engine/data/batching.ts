// Text → padded int32 batches: input and target ids of an encoder-decoder, or the prompt and
// answer of a decoder-only model.
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqBatch, TextTokenizer } from '../models/types';
import type { Example } from './task';

export interface EncodedExample {
  /** Input ids ending in eos, at most maxInputTokens long. */
  input: number[];
  /** Target ids ending in eos, at most maxTargetTokens long. */
  target: number[];
}

/**
 * How a family lays out its ids. seq2seq (T5): input and target each end in eos. causal (decoder):
 * the prompt is bos (where the tokenizer has one) and the input's ids, no eos, since the answer
 * follows it; the target ends in eos, which is where generation stops. classify (encoder): the
 * input as the tokenizer's post-processor frames it ([CLS] … [SEP]), the target one label index.
 */
export type IdLayout = 'seq2seq' | 'causal' | 'classify';

/**
 * Tokenise and truncate, keeping eos last as T5's tokenizer does under truncation (an encoder's
 * [SEP] / </s> likewise). `labels` (classify only) are the task's label words, in head order.
 */
export function encodeExamples(
  tok: TextTokenizer, examples: Example[], maxInput: number, maxTarget: number, layout: IdLayout = 'seq2seq',
  labels: readonly string[] | null = null,
): EncodedExample[] {
  const cut = (ids: number[], max: number) => (ids.length <= max ? ids : [...ids.slice(0, max - 1), tok.eosId]);
  if (layout === 'seq2seq') {
    return examples.map((ex) => ({ input: cut(tok.encode(ex.input), maxInput), target: cut(tok.encode(ex.target), maxTarget) }));
  }
  if (layout === 'classify') {
    if (labels === null) throw new Error('the classify layout needs the task’s labels: an encoder’s head predicts a label index');
    return examples.map((ex) => ({ input: cut(tok.encode(ex.input), maxInput), target: [labelIndex(labels, ex.target)] }));
  }
  const bos = tok.bosId === null ? [] : [tok.bosId];
  return examples.map((ex) => {
    const input = [...bos, ...tok.encodeText(ex.input)].slice(0, maxInput); // the prompt keeps its start
    if (input.length === 0) throw new Error(`an example's prompt is empty; a decoder needs at least one prompt token (input: ${JSON.stringify(ex.input)})`);
    return { input, target: cut([...tok.encodeText(ex.target), tok.eosId], maxTarget) };
  });
}

function labelIndex(labels: readonly string[], target: string): number {
  const i = labels.indexOf(target);
  if (i < 0) throw new Error(`target "${target}" is not one of the labels ${labels.join(', ')}; an encoder's head predicts one of them`);
  return i;
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
