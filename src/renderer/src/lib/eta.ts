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
    .filter((r) => r.status === 'done' && !r.imported && r.startedAt && r.finishedAt) // an imported adapter trained elsewhere
    .map((r) => (Date.parse(r.finishedAt!) - Date.parse(r.startedAt!)) / 1000);
  // Runs train side by side (one worker each): the longest running run, then the queued ones spread over as many workers.
  const running = runs.filter((r) => r.status === 'running');
  const queued = runs.filter((r) => r.status === 'queued').length;
  const etas = running.map((r) => runEtaSeconds(progress.get(r.id), now)).filter((s) => !Number.isNaN(s));
  const current = etas.length ? Math.max(...etas) : 0;
  let perRun = durations.length ? durations.reduce((a, b) => a + b) / durations.length : NaN;
  const first = running[0];
  if (Number.isNaN(perRun) && first?.startedAt) {
    const f = runFraction(first, progress.get(first.id));
    perRun = f > 0 ? (now - Date.parse(first.startedAt)) / 1000 / f : NaN;
  }
  return current + (queued ? (queued * perRun) / Math.max(1, running.length) : 0);
}

/** Fraction of the experiment's runs done, the running one counted by its steps. */
export function experimentFraction(runs: RunRecord[], progress: Map<number, RunProgress>): number {
  if (!runs.length) return 0;
  return runs.reduce((sum, r) => sum + runFraction(r, progress.get(r.id)), 0) / runs.length;
}

/** What the queue's ETA needs of an item (a QueueItem). */
export interface QueueEtaItem {
  id: number;
  device: string | number;
  status: string;
  estimateSeconds: number | null;
  startedAt: string | null;
}

/**
 * Seconds until each waiting or running item ends, and until the whole queue has, from the
 * plan's estimate of each item: items of one device run one after another, devices side by side.
 * NaN where an item ahead on its device has no estimate.
 */
export function queueEtaSeconds(items: QueueEtaItem[], now: number): { perItem: Map<number, number>; total: number } {
  const perItem = new Map<number, number>();
  const clock = new Map<string, number>();
  const ordered = [...items.filter((i) => i.status === 'running'), ...items.filter((i) => i.status === 'queued')];
  for (const item of ordered) {
    const key = String(item.device);
    let left = item.estimateSeconds ?? NaN;
    if (item.status === 'running' && item.startedAt) left = Math.max(0, left - (now - Date.parse(item.startedAt)) / 1000);
    const end = (clock.get(key) ?? 0) + left;
    clock.set(key, end);
    perItem.set(item.id, end);
  }
  const ends = [...clock.values()];
  return { perItem, total: ends.length ? Math.max(...ends) : 0 };
}
