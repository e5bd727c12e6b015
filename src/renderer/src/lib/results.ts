// Views of stored run results shared by the table and the detail page.

import type { RunRecord, RunResult } from '../../../shared/types';

export interface PeakMemory {
  /** null when not measured (an imported adapter was trained elsewhere). */
  bytes: number | null;
  /** Where the figure comes from, for a tooltip. */
  source: string;
}

/** The device memory from nvidia-smi when there was a GPU, else the peak of TF.js tensor memory. */
export function peakMemory(result: RunResult): PeakMemory {
  if (result.peakGpuBytes !== null) return { bytes: result.peakGpuBytes, source: 'GPU memory (nvidia-smi)' };
  if (result.peakTensorBytes === null) return { bytes: null, source: 'not measured here (trained elsewhere)' };
  return { bytes: result.peakTensorBytes, source: 'TF.js tensor memory (no GPU)' };
}

/** Runs grouped the way the study's tables read: model (in the experiment's order), task, method, lr, seed. */
export function sortRuns(runs: RunRecord[]): RunRecord[] {
  const models = [...new Set(runs.map((r) => r.model))];
  return [...runs].sort(
    (a, b) =>
      models.indexOf(a.model) - models.indexOf(b.model) ||
      a.task.localeCompare(b.task) ||
      a.method.localeCompare(b.method) ||
      b.learningRate - a.learningRate ||
      a.seed - b.seed,
  );
}

/** How many runs are in each status, e.g. { done: 10, failed: 1 }. */
export function countByStatus(runs: RunRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const run of runs) counts[run.status] = (counts[run.status] ?? 0) + 1;
  return counts;
}
