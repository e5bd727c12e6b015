// T5's span-corruption objective (Raffel et al. 2020, https://arxiv.org/abs/1910.10683 §3.1.4),
// with the span sampling of transformers' examples/flax/language-modeling/run_t5_mlm_flax.py
// (`random_spans_noise_mask`, `compute_input_and_target_lengths`), driven by a seeded RNG.
//
//   tokens   a b c d e f g h i j          noise mask 0 0 1 1 0 0 0 1 0 0 ... (ends in noise)
//   input    a b <x0> e f g <x1> ... </s>  every noise span → one sentinel
//   target   <x0> c d <x1> h ... </s>     every kept span → one sentinel, noise tokens kept
//
// Sentinels count down from the top of the vocabulary: extra_id_0 = V−1, extra_id_1 = V−2, …
import { shuffled } from '../util/rng';

export interface SpanCorruptionOptions {
  /** Fraction of tokens that are noise (T5: 0.15). */
  noiseDensity: number;
  /** Mean length of a noise span (T5: 3). */
  meanNoiseSpanLength: number;
}

export const T5_SPAN_CORRUPTION: SpanCorruptionOptions = { noiseDensity: 0.15, meanNoiseSpanLength: 3 };

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Lengths of `numSegments` non-empty segments that tile `numItems` items, uniformly at random:
 * the segment starts are a random subset of the numItems − 1 gaps (as `_random_segmentation`).
 */
export function randomSegmentation(numItems: number, numSegments: number, rng: () => number): number[] {
  if (numSegments < 1 || numSegments > numItems) {
    throw new Error(`randomSegmentation: cannot cut ${numItems} items into ${numSegments} non-empty segments`);
  }
  const starts = shuffled(Array.from({ length: numItems - 1 }, (_, i) => i < numSegments - 1), rng);
  const lengths: number[] = [];
  let current = 1;
  for (const isStart of starts) {
    if (isStart) {
      lengths.push(current);
      current = 1;
    } else {
      current += 1;
    }
  }
  lengths.push(current);
  return lengths;
}

/** Numbers of noise tokens and noise spans for a sequence of `length` tokens (at least one of each). */
export function noiseCounts(length: number, opts: SpanCorruptionOptions): { noise: number; nonNoise: number; spans: number } {
  if (!Number.isInteger(length) || length < 2) throw new Error(`span corruption needs at least 2 tokens, got ${length}`);
  let noise = roundHalfEven(length * opts.noiseDensity);
  const nonNoise = length - noise; // before the clamp below, as the reference computes it
  noise = Math.min(Math.max(noise, 1), length - 1);
  const spans = Math.max(roundHalfEven(Math.min(noise, nonNoise) / opts.meanNoiseSpanLength), 1);
  return { noise, nonNoise: length - noise, spans };
}

/**
 * Noise mask of `length` tokens: alternating kept and noise spans, starting with a kept span
 * and ending with a noise span, as `random_spans_noise_mask` draws them.
 */
export function randomSpansNoiseMask(length: number, rng: () => number, opts: SpanCorruptionOptions = T5_SPAN_CORRUPTION): boolean[] {
  const { noise, nonNoise, spans } = noiseCounts(length, opts);
  const noiseLengths = randomSegmentation(noise, spans, rng);
  const keptLengths = randomSegmentation(nonNoise, spans, rng);
  const mask: boolean[] = [];
  for (let s = 0; s < spans; s++) {
    for (let i = 0; i < keptLengths[s]; i++) mask.push(false);
    for (let i = 0; i < noiseLengths[s]; i++) mask.push(true);
  }
  return mask;
}

/** Sentinel id of span `k` (extra_id_k) in a vocabulary of `vocabSize`. */
export function sentinelId(k: number, vocabSize: number): number {
  return vocabSize - 1 - k;
}

/**
 * Replaces each run of `mask`ed tokens by one sentinel (numbered in order of appearance) and
 * appends eos (`filter_input_ids` plus the eos the reference concatenates).
 */
function collapseSpans(ids: number[], mask: boolean[], vocabSize: number, eosId: number): number[] {
  const out: number[] = [];
  let sentinels = 0;
  ids.forEach((id, i) => {
    if (!mask[i]) out.push(id);
    else if (i === 0 || !mask[i - 1]) out.push(sentinelId(sentinels++, vocabSize));
  });
  out.push(eosId);
  return out;
}

/** Encoder input and decoder target of one span-corrupted sequence (both end in eos). */
export function corruptSpans(ids: number[], mask: boolean[], vocabSize: number, eosId: number): { input: number[]; target: number[] } {
  if (mask.length !== ids.length) throw new Error(`corruptSpans: mask has ${mask.length} entries for ${ids.length} tokens`);
  return {
    input: collapseSpans(ids, mask, vocabSize, eosId),
    target: collapseSpans(ids, mask.map((m) => !m), vocabSize, eosId),
  };
}

/**
 * Inverse of corruptSpans: puts the target's spans back in place of the input's sentinels.
 * Used by tests and to show what the model is asked to do.
 */
export function reconstruct(input: number[], target: number[], vocabSize: number, eosId: number, numSentinels: number): number[] {
  const isSentinel = (id: number) => id >= vocabSize - numSentinels && id < vocabSize;
  const spans = new Map<number, number[]>();
  let current: number[] | null = null;
  for (const id of target) {
    if (id === eosId) break;
    if (isSentinel(id)) spans.set(id, (current = []));
    else current?.push(id);
  }
  const out: number[] = [];
  for (const id of input) {
    if (id === eosId) break;
    if (isSentinel(id)) out.push(...(spans.get(id) ?? []));
    else out.push(id);
  }
  return out;
}

/**
 * Raw tokens per example so that, after corruption, the encoder input has `inputLength`
 * tokens (eos included), and the target length that follows: `compute_input_and_target_lengths`.
 */
export function inputAndTargetLengths(inputLength: number, opts: SpanCorruptionOptions = T5_SPAN_CORRUPTION): { raw: number; target: number } {
  const lengths = (raw: number) => {
    const noise = roundHalfEven(raw * opts.noiseDensity);
    const spans = roundHalfEven(noise / opts.meanNoiseSpanLength);
    return { input: raw - noise + spans + 1, target: noise + spans + 1 };
  };
  let raw = inputLength;
  while (lengths(raw + 1).input <= inputLength) raw += 1;
  return { raw, target: lengths(raw).target };
}
