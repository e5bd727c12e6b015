// Corpus text → fixed-length span-corrupted examples, as run_t5_mlm_flax.py prepares them:
// every paragraph tokenised (ending in eos), all concatenated, cut into blocks of `raw`
// tokens (the tail dropped), each block corrupted on the fly. Batch `step` is a pure function
// of (seed, step), so an interrupted run resumes with exactly the data it would have seen.
import type { EncodedExample } from '../data/batching';
import type { TextTokenizer } from '../models/types';
import { makeRng, shuffled, subSeed } from '../util/rng';
import { corruptSpans, randomSpansNoiseMask, sentinelId, type SpanCorruptionOptions } from './span_corruption';

export interface TokenBlocks {
  /** All blocks back to back: numBlocks × raw ids. */
  ids: Int32Array;
  raw: number;
  numBlocks: number;
  /** Tokens of the whole corpus (eos included), before the tail was dropped. */
  corpusTokens: number;
}

/** Tokenises `texts` in order and cuts the concatenation into blocks of `raw` tokens. */
export function tokenBlocks(tok: TextTokenizer, texts: string[], raw: number): TokenBlocks {
  const parts: number[][] = texts.map((t) => tok.encode(t));
  const corpusTokens = parts.reduce((n, p) => n + p.length, 0);
  const numBlocks = Math.floor(corpusTokens / raw);
  if (numBlocks < 1) throw new Error(`the corpus has ${corpusTokens} tokens, fewer than one block of ${raw}`);
  const ids = new Int32Array(numBlocks * raw);
  let at = 0;
  for (const p of parts) {
    const take = Math.min(p.length, ids.length - at);
    ids.set(take === p.length ? p : p.slice(0, take), at);
    at += take;
    if (at === ids.length) break;
  }
  return { ids, raw, numBlocks, corpusTokens };
}

export interface BatchPlan {
  seed: number;
  batchSize: number;
  vocabSize: number;
  eosId: number;
  noise: SpanCorruptionOptions;
  /**
   * Fraction of examples whose target is the whole original block (then eos) instead of the
   * dropped spans: the T5 paper's "reconstruct the original text" variant of the objective
   * (§3.3.2, as MASS and BART), which the decoder can only lower by reading the encoder.
   */
  reconstructFraction: number;
  /**
   * Whole-block targets start with `<extra_id_0>`, as span-corruption targets do, so the
   * decoder's first step is not trained to copy the first input token (default false).
   */
  reconstructLead?: boolean;
}

/** Indices of the blocks in batch `step`: epochs of seeded shuffles, wrapping across epochs. */
export function blockIndices(numBlocks: number, plan: Pick<BatchPlan, 'seed' | 'batchSize'>, step: number): number[] {
  const out: number[] = [];
  let epochCache = -1;
  let order: number[] = [];
  for (let k = 0; k < plan.batchSize; k++) {
    const position = step * plan.batchSize + k;
    const epoch = Math.floor(position / numBlocks);
    if (epoch !== epochCache) {
      order = shuffled(Array.from({ length: numBlocks }, (_, i) => i), makeRng(subSeed(plan.seed, `epoch${epoch}`)));
      epochCache = epoch;
    }
    out.push(order[position % numBlocks]);
  }
  return out;
}

/** The span-corrupted examples of update `step`. */
export function pretrainBatch(blocks: TokenBlocks, plan: BatchPlan, step: number): EncodedExample[] {
  const rng = makeRng(subSeed(plan.seed, `noise${step}`));
  // A stream of its own, so that with no reconstruction the noise draws are unchanged.
  const pick = makeRng(subSeed(plan.seed, `objective${step}`));
  return blockIndices(blocks.numBlocks, plan, step).map((b) => {
    const ids = Array.from(blocks.ids.subarray(b * blocks.raw, (b + 1) * blocks.raw));
    const corrupted = corruptSpans(ids, randomSpansNoiseMask(ids.length, rng, plan.noise), plan.vocabSize, plan.eosId);
    const reconstruct = plan.reconstructFraction > 0 && pick() < plan.reconstructFraction;
    if (!reconstruct) return corrupted;
    const lead = plan.reconstructLead ? [sentinelId(0, plan.vocabSize)] : [];
    return { input: corrupted.input, target: [...lead, ...ids, plan.eosId] };
  });
}
