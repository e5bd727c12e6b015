// Progress and time left, for one run and for a whole experiment.

import type { RunRecord } from '../../../shared/types';

export interface RunProgress {
  phase: string;
  step: number;
  totalSteps: number;
  /** When this page first saw the run training (ms), to time its steps. */
  since: number;
  /** The step at `since`. */
  sinceStep: number;
}

/** Fraction of a run done, counting a finished run as whole. */
export function runFraction(run: RunRecord, p: RunProgress | undefined): number {
  if (run.status === 'done' || run.status === 'failed' || run.status === 'interrupted') return 1;
  if (!p || p.totalSteps <= 0) return 0;
  return Math.min(1, p.step / p.totalSteps);
}

/** Seconds left in a running run, from the pace of the steps seen so far; NaN until it can tell. */
export function runEtaSeconds(p: RunProgress | undefined, now: number): number {
  if (!p || p.step <= p.sinceStep) return NaN;
  const perStep = (now - p.since) / 1000 / (p.step - p.sinceStep);
  return perStep * (p.totalSteps - p.step);
}

/**
 * Seconds left in the experiment: the running run's ETA plus, for each queued run, the mean
 * duration of the finished ones (or, before any finished, the running run's projected length).
 */
export function experimentEtaSeconds(runs: RunRecord[], progress: Map<number, RunProgress>, now: number): number {
  const durations = runs
    .filter((r) => r.status === 'done' && r.startedAt && r.finishedAt)
    .map((r) => (Date.parse(r.finishedAt!) - Date.parse(r.startedAt!)) / 1000);
  const running = runs.find((r) => r.status === 'running');
  const queued = runs.filter((r) => r.status === 'queued').length;
  const current = running ? runEtaSeconds(progress.get(running.id), now) : 0;
  let perRun = durations.length ? durations.reduce((a, b) => a + b) / durations.length : NaN;
  if (Number.isNaN(perRun) && running?.startedAt) {
    const f = runFraction(running, progress.get(running.id));
    perRun = f > 0 ? (now - Date.parse(running.startedAt)) / 1000 / f : NaN;
  }
  return (Number.isNaN(current) ? 0 : current) + (queued ? queued * perRun : 0);
}

/** Fraction of the experiment's runs done, the running one counted by its steps. */
export function experimentFraction(runs: RunRecord[], progress: Map<number, RunProgress>): number {
  if (!runs.length) return 0;
  return runs.reduce((sum, r) => sum + runFraction(r, progress.get(r.id)), 0) / runs.length;
}
