// The check after every export: outputs of the model as exported (reloaded from the written files)
// against the trained model with its delta unmerged, on a few fixed inputs.
//
//   relative difference = max |logits_exported − logits_unmerged| / max |logits_unmerged|
//
// An export is good when that is at most the tolerance of the dtype it was written in: 1e-4 for
// float32 (reassociation of sums), and for the half-precision formats 16 units of their rounding
// error (2^-11 for float16, 2^-8 for bfloat16), as every merged weight is rounded once.
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqModel } from '../models/types';

export const TOLERANCE: Record<string, number> = { F32: 1e-4, F16: 16 * 2 ** -11, BF16: 16 * 2 ** -8 };

export interface Check {
  /** What was compared, e.g. "merged checkpoint (reloaded) vs unmerged". */
  what: string;
  relDiff: number;
  tolerance: number;
  ok: boolean;
}

/** The strictest tolerance over the dtypes an export wrote. */
export function toleranceFor(dtypes: Iterable<string>): number {
  let tol = Infinity;
  for (const d of dtypes) tol = Math.min(tol, TOLERANCE[d] ?? 1e-4);
  return Number.isFinite(tol) ? tol : TOLERANCE.F32;
}

/**
 * A few deterministic inputs: 3 rows of different lengths, ids in [2, vocab); targets of 4 tokens,
 * or for a classifier (a model with a task head) one label index per row.
 */
function probeBatch(model: Seq2SeqModel) {
  const V = model.config.vocabSize, pad = model.config.padTokenId;
  let s = 12345;
  const next = () => 2 + ((s = (s * 1103515245 + 12345) % 2147483648) % Math.max(1, V - 2));
  const rows = [7, 5, 3].map((len) => Array.from({ length: 8 }, (_, i) => (i < len ? next() : pad)));
  const T = model.shape().head.length ? 1 : 4;
  const labels = [4, 3, 2].map((len) => Array.from({ length: T }, (_, i) => (T === 1 ? 0 : i < len ? next() : -100)));
  return {
    inputIds: tf.tensor2d(rows, [3, 8], 'int32'), // (B, S)
    attentionMask: tf.tensor2d(rows.map((r, b) => r.map((_, i) => (i < [7, 5, 3][b] ? 1 : 0))), [3, 8], 'int32'),
    labels: tf.tensor2d(labels, [3, T], 'int32'), // (B, T)
  };
}

/** Logits (B, T, V) — a classifier's (B, 1, labels) — on the probe inputs, as plain numbers. */
export function probeLogits(model: Seq2SeqModel): Float32Array {
  const batch = probeBatch(model);
  try {
    return tf.tidy(() => model.logits(batch, { training: false }).dataSync() as Float32Array).slice();
  } finally {
    tf.dispose([batch.inputIds, batch.attentionMask, batch.labels]);
  }
}

export function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

export function check(what: string, got: Float32Array, reference: Float32Array, tolerance: number): Check {
  const d = relDiff(got, reference);
  return { what, relDiff: d, tolerance, ok: d <= tolerance };
}

/** Throws when a check failed, with every figure. */
export function requireChecks(checks: Check[], out: string): void {
  const bad = checks.filter((c) => !c.ok);
  if (!bad.length) return;
  const lines = bad.map((c) => `${c.what}: largest relative difference ${c.relDiff.toExponential(2)} > tolerance ${c.tolerance.toExponential(2)}`);
  throw new Error(`export to ${out} refused: the written files do not reproduce the trained model (${lines.join('; ')})`);
}
