// Runs a comparison with the study's protocol: for each task × method, the learning-rate sweep,
// the choice of rate on validation, then the chosen rate on the other seeds. Each run trains in
// its own worker process (started by a WorkerLauncher); this process is the single writer of the store.
import path from 'node:path';
import type { RunResult } from '../../shared/types';
import type { TaskData } from '../engine/data/task';
import { loadTask, taskName } from '../engine/data/tasks';
import { sampleGpuMemory } from '../engine/measure/nvidia_smi';
import { checkModelFolder } from '../engine/models/load';
import type { Store } from '../store/store';
import { forkLauncher, type WorkerLauncher } from '../worker/launch';
import type { StartMessage, WorkerMessage } from '../worker/protocol';
import type { Comparison } from './config';
import { makePool, workerCount } from './workers';
import { chooseRate, planCells, runsPerCell, seedRuns, sweepRuns, type Cell, type PlannedRun } from './protocol';

export type { PlannedRun } from './protocol';

export type RunOutcome = { status: 'done'; result: RunResult } | { status: 'failed'; reason: string };

export interface RunnerEvents {
  /** Whenever runs are stored: every run so far, in order, and how many the experiment will have. */
  planned?(experimentId: number, runs: { id: number; run: PlannedRun }[], total: number): void;
  message?(runId: number, msg: WorkerMessage): void;
  ended?(runId: number, outcome: RunOutcome): void;
  /** After a sweep: the rate kept for a task and method (null when every sweep run failed). */
  chosen?(task: string, method: string, learningRate: number | null): void;
}

/** Everything that can be checked without training, so bad input fails before the store is touched. */
export function preflight(c: Comparison, modelDir: string): { cells: Cell[]; tasks: TaskData[] } {
  checkModelFolder(modelDir);
  const tasks = c.tasks.map((t) => loadTask(t));
  tasks.forEach((data, i) => {
    if (data.train.length < c.budget.micro_batch) {
      throw new Error(`task ${taskName(c.tasks[i])}: ${data.train.length} training examples is fewer than budget.micro_batch (${c.budget.micro_batch})`);
    }
  });
  return { cells: planCells(c, modelDir, tasks), tasks };
}

export async function runComparison(
  c: Comparison, store: Store,
  opts: { modelDir: string; artifactsRoot: string; events?: RunnerEvents; launcher?: WorkerLauncher },
): Promise<{ experimentId: number; failed: number; runs: number }> {
  const { cells } = preflight(c, opts.modelDir);
  const experimentId = store.createExperiment(c.name, { ...c, model: opts.modelDir });
  const total = cells.reduce((n, cell) => n + runsPerCell(c, cell), 0);
  const stored: { id: number; run: PlannedRun }[] = [];
  let failed = 0;
  const pool = makePool(workerCount(c.workers, c.backend, total));
  const runAll = (runs: PlannedRun[]) => {
    const mine = runs.map((run) => ({ id: store.createRun(experimentId, run.spec, run.role), run }));
    stored.push(...mine);
    opts.events?.planned?.(experimentId, stored, total);
    return Promise.all(mine.map(({ id, run }) => pool(async () => {
      const outcome = await runInWorker(id, run, c, store, opts);
      if (outcome.status === 'failed') failed++;
      opts.events?.ended?.(id, outcome);
      return outcome;
    })));
  };
  // Cells are independent, so one cell's seed runs can train while another still sweeps.
  await Promise.all(cells.map(async (cell) => {
    const sweep = sweepRuns(c, cell, opts.modelDir);
    const outcomes = await runAll(sweep);
    const choice = chooseRate(sweep.map((run, i) => {
      const o = outcomes[i];
      return { learningRate: run.spec.learningRate, validationScore: o.status === 'done' ? o.result.validationScore : null };
    }));
    const task = taskName(cell.task);
    if (choice) store.setLrChoice(experimentId, { task, method: cell.method, ...choice, candidates: cell.learningRates.length });
    if (cell.learningRates.length > 1) opts.events?.chosen?.(task, cell.method, choice?.learningRate ?? null);
    if (choice) await runAll(seedRuns(c, cell, opts.modelDir, choice.learningRate));
  }));
  store.setExperimentStatus(experimentId, failed === stored.length ? 'failed' : 'done');
  return { experimentId, failed, runs: stored.length };
}

function runInWorker(
  runId: number, run: PlannedRun, c: Comparison, store: Store,
  opts: { artifactsRoot: string; events?: RunnerEvents; launcher?: WorkerLauncher },
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let ended = false;
    const end = (outcome: RunOutcome) => {
      if (ended) return;
      ended = true;
      const peakGpuBytes = gpu?.stop() ?? null;
      if (outcome.status === 'done') {
        outcome.result.peakGpuBytes = peakGpuBytes;
        store.finishRun(runId, outcome.result);
      } else {
        store.failRun(runId, outcome.reason);
      }
      resolve(outcome);
    };
    // Stored first, then reported: a listener that reads the store finds what it was told about.
    const onMessage = (msg: WorkerMessage) => {
      if (ended) return;
      try {
        if (msg.type === 'started') store.startRun(runId, msg.env);
        else if (msg.type === 'metrics') store.addMetrics(runId, msg.points);
      } catch (err) {
        child.kill();
        end({ status: 'failed', reason: `the store refused the worker's ${msg.type} message: ${(err as Error).message}` });
        return;
      }
      opts.events?.message?.(runId, msg);
      if (msg.type === 'done') end({ status: 'done', result: msg.result });
      else if (msg.type === 'failed') end({ status: 'failed', reason: msg.reason });
    };
    const child = (opts.launcher ?? forkLauncher())({ message: onMessage, exit: (reason) => end({ status: 'failed', reason }) });
    const gpu = sampleGpuMemory(child.pid ?? 0);
    const start: StartMessage = {
      type: 'start',
      backend: c.backend,
      input: { spec: run.spec, task: run.task, artifactsDir: path.join(opts.artifactsRoot, `run-${runId}`) },
    };
    child.send(start);
  });
}
