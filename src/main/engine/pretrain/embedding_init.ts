// Distributional initialisation of the shared embedding before span corruption: PPMI-SVD word
// vectors (Levy, Goldberg & Dagan 2015, https://aclanthology.org/Q15-1016) from the pretraining
// corpus's own token stream. Within an hour of CPU pretraining the embedding rows move only a few
// per cent from their random start, so a random start leaves the embedding nearly random; this
// one starts it from the corpus's co-occurrence statistics instead.
//
//   counts   C[w][c] += 1/d for every pair d ≤ window tokens apart (both orders), never across eos
//   PPMI     max(0, log(C[w][c]·N / (n(w)·n(c)))), n = the marginals smoothed to the power 0.75
//   vectors  an orthonormal basis of M's dominant d_model-dimensional subspace (subspace
//            iteration on the symmetric PPMI matrix M), scaled to RMS 1 as T5 initialises
//            `shared.weight`; pieces the stream never holds (pad, sentinels) keep their random rows.
//
// Everything is a pure function of the token stream and the seed, so the recipe stays reproducible.
import { makeRng } from '../util/rng';

export interface PpmiSvdOptions {
  /** Tokens on each side that count as context. */
  window: number;
  /** Rounds of subspace iteration. */
  iterations: number;
  /** Extra basis vectors iterated along (dropped at the end), for a faster convergence. */
  oversample: number;
}

export const PPMI_SVD_DEFAULTS: PpmiSvdOptions = { window: 5, iterations: 8, oversample: 16 };

/** Symmetric co-occurrence counts weighted 1/distance, (V × V) row-major; pairs never span `eosId`. */
export function cooccurrence(ids: Int32Array, vocabSize: number, window: number, eosId: number): Float64Array {
  const counts = new Float64Array(vocabSize * vocabSize);
  for (let i = 0; i < ids.length; i++) {
    const w = ids[i];
    if (w === eosId) continue;
    for (let d = 1; d <= window && i + d < ids.length; d++) {
      const c = ids[i + d];
      if (c === eosId) break;
      counts[w * vocabSize + c] += 1 / d;
      counts[c * vocabSize + w] += 1 / d;
    }
  }
  return counts;
}

/** Positive PMI of symmetric counts, both marginals smoothed to the power `alpha` (so M stays symmetric). */
export function ppmi(counts: Float64Array, vocabSize: number, alpha = 0.75): Float64Array {
  const marginal = new Float64Array(vocabSize);
  let total = 0;
  for (let w = 0; w < vocabSize; w++) {
    let row = 0;
    for (let c = 0; c < vocabSize; c++) row += counts[w * vocabSize + c];
    marginal[w] = row ** alpha;
    total += row;
  }
  const smoothedTotal = marginal.reduce((a, b) => a + b, 0);
  const out = new Float64Array(vocabSize * vocabSize);
  for (let w = 0; w < vocabSize; w++) {
    for (let c = 0; c < vocabSize; c++) {
      const n = counts[w * vocabSize + c];
      if (n === 0) continue;
      const pmi = Math.log((n / total) / ((marginal[w] / smoothedTotal) * (marginal[c] / smoothedTotal)));
      if (pmi > 0) out[w * vocabSize + c] = pmi;
    }
  }
  return out;
}

/** Orthonormalises the k columns of `q` (n × k, row-major) in place, modified Gram-Schmidt. */
export function orthonormalise(q: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += q[r * k + i] * q[r * k + j];
      for (let r = 0; r < n; r++) q[r * k + j] -= dot * q[r * k + i];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * k + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error(`subspace iteration: column ${j} vanished; the matrix has rank below ${k}`);
    for (let r = 0; r < n; r++) q[r * k + j] /= norm;
  }
}

/** An orthonormal basis (n × k, row-major) of the dominant k-dimensional subspace of symmetric `m` (n × n). */
export function dominantSubspace(m: Float64Array, n: number, k: number, opts: Pick<PpmiSvdOptions, 'iterations' | 'oversample'>, seed: number): Float64Array {
  const p = Math.min(n, k + opts.oversample);
  const rng = makeRng(seed);
  let q = Float64Array.from({ length: n * p }, () => rng() - 0.5);
  orthonormalise(q, n, p);
  let z = new Float64Array(n * p);
  for (let it = 0; it < opts.iterations; it++) {
    z.fill(0);
    for (let r = 0; r < n; r++) {
      const zr = r * p;
      for (let c = 0; c < n; c++) {
        const a = m[r * n + c];
        if (a === 0) continue;
        const qc = c * p;
        for (let j = 0; j < p; j++) z[zr + j] += a * q[qc + j];
      }
    }
    [q, z] = [z, q];
    orthonormalise(q, n, p);
  }
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) out[r * k + j] = q[r * p + j];
  return out;
}

/**
 * PPMI-SVD rows for the pieces `ids` holds, RMS 1 over those rows; `random` (V × D) where it
 * holds none. Returns a new (V × D) row-major array.
 */
export function ppmiSvdEmbedding(ids: Int32Array, random: Float32Array, vocabSize: number, dModel: number, eosId: number, seed: number, opts: PpmiSvdOptions = PPMI_SVD_DEFAULTS): Float32Array {
  if (random.length !== vocabSize * dModel) throw new Error(`ppmiSvdEmbedding: the random embedding has ${random.length} values, not ${vocabSize} × ${dModel}`);
  const m = ppmi(cooccurrence(ids, vocabSize, opts.window, eosId), vocabSize);
  const basis = dominantSubspace(m, vocabSize, dModel, opts, seed);
  const seen = new Uint8Array(vocabSize);
  for (const id of ids) seen[id] = 1;
  seen[eosId] = 0; // eos is never counted as context, so its row carries nothing
  let sum = 0;
  let rows = 0;
  for (let w = 0; w < vocabSize; w++) {
    if (!seen[w]) continue;
    rows++;
    for (let j = 0; j < dModel; j++) sum += basis[w * dModel + j] ** 2;
  }
  const scale = rows ? 1 / Math.sqrt(sum / (rows * dModel)) : 1;
  const out = Float32Array.from(random);
  for (let w = 0; w < vocabSize; w++) {
    if (!seen[w]) continue;
    for (let j = 0; j < dModel; j++) out[w * dModel + j] = basis[w * dModel + j] * scale;
  }
  return out;
}
