// From stored runs to the comparison table: per task and method, the learning rate with the
// best validation score, and the five dimensions averaged over its seeds.
import type { RunRecord, RunResult } from '../../shared/types';

export interface SummaryRow {
  task: string;
  method: string;
  learningRate: number;
  seeds: number;
  /** Mean test score and half-width of the interval (two standard deviations; 0 with one seed). */
  score: number;
  scoreCi: number;
  trainableParams: number;
  totalParams: number;
  changedParams: number;
  storageBytes: number;
  peakTensorBytes: number;
  peakRssBytes: number;
  peakGpuBytes: number | null;
  trainTokensPerSec: number;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
}

export function meanAndCi(values: number[]): { mean: number; ci: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, ci: 0 };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, ci: 2 * Math.sqrt(variance) };
}

export function summarise(runs: RunRecord[]): SummaryRow[] {
  const done = runs.filter((r): r is RunRecord & { result: RunResult } => r.status === 'done' && r.result !== null);
  const groups = new Map<string, (RunRecord & { result: RunResult })[]>();
  for (const r of done) {
    const key = `${r.task}\u0000${r.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SummaryRow[] = [];
  for (const group of groups.values()) {
    const byLr = new Map<number, (RunRecord & { result: RunResult })[]>();
    for (const r of group) byLr.set(r.learningRate, [...(byLr.get(r.learningRate) ?? []), r]);
    const [lr, best] = [...byLr].sort((a, b) => meanOf(b[1], (x) => x.validationScore) - meanOf(a[1], (x) => x.validationScore) || a[0] - b[0])[0];
    const score = meanAndCi(best.map((r) => r.result.score));
    const first = best[0].result;
    const merged = best.every((r) => r.result.inferTokensPerSecMerged !== null);
    rows.push({
      task: best[0].task, method: best[0].method, learningRate: lr, seeds: best.length,
      score: score.mean, scoreCi: score.ci,
      trainableParams: first.trainableParams, totalParams: first.totalParams, changedParams: first.changedParams,
      storageBytes: first.storageBytes,
      peakTensorBytes: Math.max(...best.map((r) => r.result.peakTensorBytes)),
      peakRssBytes: Math.max(...best.map((r) => r.result.peakRssBytes)),
      peakGpuBytes: best.some((r) => r.result.peakGpuBytes !== null) ? Math.max(...best.map((r) => r.result.peakGpuBytes ?? 0)) : null,
      trainTokensPerSec: meanOf(best, (x) => x.trainTokensPerSec),
      inferTokensPerSecUnmerged: meanOf(best, (x) => x.inferTokensPerSecUnmerged),
      inferTokensPerSecMerged: merged ? meanOf(best, (x) => x.inferTokensPerSecMerged ?? 0) : null,
    });
  }
  // Full fine-tuning first in each task: it is the reference of every percentage.
  const rank = (m: string) => (m === 'full' ? 0 : 1);
  return rows.sort((a, b) => a.task.localeCompare(b.task) || rank(a.method) - rank(b.method) || a.method.localeCompare(b.method));
}

function meanOf(runs: { result: RunResult }[], f: (r: RunResult) => number): number {
  return runs.reduce((a, r) => a + f(r.result), 0) / runs.length;
}
