// Retry: the failed runs of an experiment trained again as a new attempt. Each gets a new run
// record with the same spec (the failed record is kept, linked by run_attempts); when a retried
// sweep lets a task × method choose its learning rate at last, the protocol goes on with the
// chosen rate's other seeds, as the runner would have.
import type { RunRecord } from '../../shared/types';
import { cellKey, chooseRate, seedRuns, type Cell, type PlannedRun } from '../comparison/protocol';
import { preflight, runInWorker, storedComparison, type RunnerEvents } from '../comparison/runner';
import { makePool, workerCount } from '../comparison/workers';
import { taskName } from '../engine/data/tasks';
import type { Store } from '../store/store';
import type { WorkerLauncher } from '../worker/launch';

export interface RetryOptions {
  launcher: WorkerLauncher;
  artifactsRoot: string;
  /** The queue item the attempt belongs to. */
  itemId: number | null;
  events?: RunnerEvents;
}

/** The runs of an experiment that failed (or were interrupted) and have not been retried yet. */
export function retryableRuns(store: Store, experimentId: number): RunRecord[] {
  const retried = store.queue.retriedRuns(experimentId);
  return store.listRuns({ experimentId }).filter((r) => (r.status === 'failed' || r.status === 'interrupted') && !retried.has(r.id));
}

/** Trains `runIds` of `experimentId` again; resolves with how many of the new attempts failed. */
export async function retryRuns(store: Store, experimentId: number, runIds: number[], o: RetryOptions): Promise<{ failed: number; runs: number }> {
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`experiment ${experimentId} does not exist`);
  const c = storedComparison(experiment.config);
  const { cells } = preflight(c);
  const old = runIds.map((id) => store.getRun(id)).filter((r): r is RunRecord => r !== null && r.experimentId === experimentId);
  const planned: { id: number; run: PlannedRun }[] = [];
  const pool = makePool(workerCount(c.workers, c.backend, old.length));
  let failed = 0;
  const runAll = (runs: { run: PlannedRun; retryOf: number | null }[]) => {
    const mine = runs.map(({ run, retryOf }) => {
      const id = store.createRun(experimentId, run.spec, run.role, run.model);
      if (retryOf !== null) store.queue.linkAttempt(id, retryOf, o.itemId);
      return { id, run };
    });
    planned.push(...mine);
    o.events?.planned?.(experimentId, planned, planned.length);
    return Promise.all(mine.map(({ id, run }) => pool(async () => {
      const outcome = await runInWorker(id, run, c, store, o);
      if (outcome.status === 'failed') failed++;
      o.events?.ended?.(id, outcome);
      return outcome;
    })));
  };
  const keyOf = (cell: Cell) => cellKey(cell.model.name, taskName(cell.task), cell.method);
  const cellOf = (r: RunRecord) => cells.find((cell) => keyOf(cell) === cellKey(r.model, r.task, r.method));
  await runAll(old.flatMap((r) => {
    const cell = cellOf(r);
    return cell ? [{ run: { spec: r.spec, task: cell.task, role: r.role, model: r.model }, retryOf: r.id }] : [];
  }));
  // A cell whose sweep had failed entirely can choose its rate now, and train the other seeds.
  const swept = new Set(old.filter((r) => r.role === 'sweep').map((r) => cellKey(r.model, r.task, r.method)));
  const chosen = new Set(store.lrChoices(experimentId).map((l) => cellKey(l.model, l.task, l.method)));
  await Promise.all(cells.filter((cell) => swept.has(keyOf(cell)) && !chosen.has(keyOf(cell))).map(async (cell) => {
    const sweep = store.listRuns({ experimentId }).filter((r) => r.role === 'sweep' && cellKey(r.model, r.task, r.method) === keyOf(cell));
    const choice = chooseRate(sweep.map((r) => ({ learningRate: r.learningRate, validationScore: r.status === 'done' ? (r.result?.validationScore ?? null) : null })));
    if (!choice) return;
    store.setLrChoice(experimentId, { model: cell.model.name, task: taskName(cell.task), method: cell.method, ...choice, candidates: cell.learningRates.length });
    o.events?.chosen?.(taskName(cell.task), cell.method, choice.learningRate, cell.model.name);
    await runAll(seedRuns(c, cell, choice.learningRate).map((run) => ({ run, retryOf: null })));
  }));
  const retried = store.queue.retriedRuns(experimentId);
  const current = store.listRuns({ experimentId }).filter((r) => !retried.has(r.id));
  store.setExperimentStatus(experimentId, current.some((r) => r.status === 'done') ? 'done' : 'failed');
  return { failed, runs: planned.length };
}
