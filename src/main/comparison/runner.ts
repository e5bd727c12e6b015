// Runs a comparison with the study's protocol: for each model × task × method, the learning-rate sweep,
// the choice of rate on validation, then the chosen rate on the other seeds. Each run trains in
// its own worker process (started by a WorkerLauncher); this process is the single writer of the store.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../shared/types';
import type { TaskData } from '../engine/data/task';
import { loadTask, taskName } from '../engine/data/tasks';
import { sampleGpuMemory } from '../engine/measure/nvidia_smi';
import { familyKind } from '../engine/models/families';
import { checkModelFolder } from '../engine/models/load';
import type { EncoderConfig, ModelConfig } from '../engine/models/types';
import { checkpointDir } from '../engine/train/checkpoint';
import type { Store } from '../store/store';
import { forkLauncher, type WorkerLauncher } from '../worker/launch';
import type { StartMessage, WorkerMessage } from '../worker/protocol';
import type { Comparison } from './config';
import { makePool, workerCount } from './workers';
import { cellKey, chooseRate, planCells, runsPerCell, seedRuns, sweepRuns, type Cell, type PlannedRun } from './protocol';
import { isBuiltin, storedModels, type ModelRef } from './models';

export type { PlannedRun } from './protocol';

export type RunOutcome = { status: 'done'; result: RunResult } | { status: 'failed'; reason: string };

export interface RunnerEvents {
  /** Whenever runs are stored: every run so far, in order, and how many the experiment will have. */
  planned?(experimentId: number, runs: { id: number; run: PlannedRun }[], total: number): void;
  message?(runId: number, msg: WorkerMessage): void;
  ended?(runId: number, outcome: RunOutcome): void;
  /** After a sweep: the rate kept for a model, task and method (null when every sweep run failed). */
  chosen?(task: string, method: string, learningRate: number | null, model: string): void;
}

/**
 * Everything that can be checked without training, so bad input fails before the store is
 * touched: every model folder, every task (against every model's family and head), and every
 * method's options against every model.
 */
export function preflight(c: Comparison): { cells: Cell[]; tasks: TaskData[] } {
  const configs = c.models.map((m) => {
    if (isBuiltin(m.path)) throw new Error(`model ${m.name}: the built-in model has to be resolved to its folder first (resolveBuiltins)`);
    try {
      return checkModelFolder(m.path);
    } catch (err) {
      throw new Error(`model "${m.name}": ${(err as Error).message}`, { cause: err });
    }
  });
  const tasks = c.tasks.map((t) => loadTask(t));
  tasks.forEach((data, i) => {
    if (data.train.length < c.budget.micro_batch) {
      throw new Error(`task ${taskName(c.tasks[i])}: ${data.train.length} training examples is fewer than budget.micro_batch (${c.budget.micro_batch})`);
    }
    c.models.forEach((m, k) => checkHead(m, configs[k], data, i, c.models.length > 1));
  });
  return { cells: c.models.flatMap((m) => planCells(c, m, tasks)), tasks };
}

/** An encoder's stored classifier must have the task's number of labels (a missing one is initialised per run). */
function checkHead(model: ModelRef, config: ModelConfig, data: TaskData, i: number, nameIt: boolean): void {
  const labels = data.labels?.length;
  if (familyKind(config) !== 'encoder' || labels === undefined || labels === (config as EncoderConfig).numLabels) return;
  try {
    checkModelFolder(model.path, { numLabels: labels });
  } catch (err) {
    const which = nameIt ? ` (model ${model.name})` : '';
    throw new Error(`tasks[${i}]: ${data.name} has ${labels} labels, which the checkpoint's classifier does not fit: ${(err as Error).message}${which}`, { cause: err });
  }
}

interface RunnerOptions {
  artifactsRoot: string;
  events?: RunnerEvents;
  launcher?: WorkerLauncher;
}

/** Stores the experiment (its models as folders: built-ins resolved first) and trains its runs. */
export async function runComparison(
  c: Comparison, store: Store, opts: RunnerOptions,
): Promise<{ experimentId: number; failed: number; runs: number }> {
  const { cells } = preflight(c);
  const experimentId = store.createExperiment(c.name, c);
  return drive(c, cells, experimentId, store, opts);
}

/** A stored experiment's config, with the single `model` of experiments stored before `models` existed read as a list. */
export function storedComparison(config: unknown): Comparison {
  const { model: _model, ...rest } = (config ?? {}) as Comparison & { model?: unknown };
  return { ...rest, models: storedModels(config) };
}

/**
 * Continues a stored experiment (its queue survives restarts): runs already done keep their
 * results, interrupted runs (and `runId`, whatever way it stopped) continue from their last
 * checkpoint, queued and not yet planned runs train. Call store.recoverInterrupted() first.
 */
export async function resumeExperiment(
  experimentId: number, store: Store, opts: RunnerOptions & { runId?: number; backend?: Comparison['backend'] },
): Promise<{ experimentId: number; failed: number; runs: number }> {
  const experiment = store.getExperiment(experimentId);
  if (!experiment) throw new Error(`experiment ${experimentId} does not exist`);
  const c = storedComparison(experiment.config);
  if (opts.backend) c.backend = opts.backend;
  const { cells } = preflight(c);
  const runs = store.listRuns({ experimentId });
  if (opts.runId !== undefined && !runs.some((r) => r.id === opts.runId)) throw new Error(`run ${opts.runId} is not in experiment ${experimentId}`);
  for (const r of runs) if (r.status === 'interrupted' || r.id === opts.runId) store.requeueRun(r.id);
  store.setExperimentStatus(experimentId, 'running');
  return drive(c, cells, experimentId, store, opts);
}

/** Plans the protocol's runs; a run already stored (same role and spec) is reused, not repeated. */
async function drive(
  c: Comparison, cells: Cell[], experimentId: number, store: Store, opts: RunnerOptions,
): Promise<{ experimentId: number; failed: number; runs: number }> {
  const total = cells.reduce((n, cell) => n + runsPerCell(c, cell), 0);
  const existing = new Map(store.listRuns({ experimentId }).map((r) => [runKey(r.role, r.spec), r]));
  const stored: { id: number; run: PlannedRun }[] = [];
  let failed = 0;
  const pool = makePool(workerCount(c.workers, c.backend, total));
  const runAll = (runs: PlannedRun[]) => {
    const mine = runs.map((run) => ({ id: existing.get(runKey(run.role, run.spec))?.id ?? store.createRun(experimentId, run.spec, run.role, run.model), run }));
    stored.push(...mine);
    opts.events?.planned?.(experimentId, stored, total);
    return Promise.all(mine.map(({ id, run }) => pool(async () => {
      const outcome = storedOutcome(store, id) ?? await runInWorker(id, run, c, store, opts);
      if (outcome.status === 'failed') failed++;
      opts.events?.ended?.(id, outcome);
      return outcome;
    })));
  };
  const chosenBefore = new Map(store.lrChoices(experimentId).map((ch) => [cellKey(ch.model, ch.task, ch.method), ch]));
  // Cells are independent, so one cell's seed runs can train while another still sweeps.
  await Promise.all(cells.map(async (cell) => {
    const sweep = sweepRuns(c, cell);
    const outcomes = await runAll(sweep);
    const task = taskName(cell.task);
    const key = cellKey(cell.model.name, task, cell.method);
    // A choice made before a restart holds (its seed runs may have trained already).
    const choice = chosenBefore.get(key) ?? chooseRate(sweep.map((run, i) => {
      const o = outcomes[i];
      return { learningRate: run.spec.learningRate, validationScore: o.status === 'done' ? o.result.validationScore : null };
    }));
    if (choice && !chosenBefore.has(key)) {
      store.setLrChoice(experimentId, {
        model: cell.model.name, task, method: cell.method, learningRate: choice.learningRate, validationScore: choice.validationScore, candidates: cell.learningRates.length,
      });
    }
    if (cell.learningRates.length > 1) opts.events?.chosen?.(task, cell.method, choice?.learningRate ?? null, cell.model.name);
    if (choice) await runAll(seedRuns(c, cell, choice.learningRate));
  }));
  store.setExperimentStatus(experimentId, failed === stored.length ? 'failed' : 'done');
  return { experimentId, failed, runs: stored.length };
}

function runKey(role: string, spec: unknown): string {
  return `${role} ${JSON.stringify(spec)}`;
}

/** The outcome of a run that already ended (done, or failed and not queued again); null when it still has to train. */
function storedOutcome(store: Store, runId: number): RunOutcome | null {
  const r = store.getRun(runId)!;
  if (r.status === 'done' && r.result) return { status: 'done', result: r.result };
  if (r.status === 'failed') return { status: 'failed', reason: r.reason ?? 'failed' };
  return null;
}

/** One run in its own worker: stored first, then reported; continues from its checkpoint when it was queued again after stopping. */
export function runInWorker(
  runId: number, run: PlannedRun, c: Comparison, store: Store, opts: Pick<RunnerOptions, 'artifactsRoot' | 'events' | 'launcher'>,
): Promise<RunOutcome> {
  const artifactsDir = path.join(opts.artifactsRoot, `run-${runId}`);
  // A run queued again after it stopped continues from its checkpoint; a new run starts clean.
  const resume = (store.getRun(runId)?.resumes ?? 0) > 0;
  if (!resume) rmSync(checkpointDir(artifactsDir), { recursive: true, force: true });
  // Steps already stored are trained again from the checkpoint (identical values), not stored twice.
  const storedUpTo = store.lastMetricStep(runId);
  return new Promise((resolve) => {
    let ended = false;
    let gpu: { stop(): number | null } | null = null;
    const end = (outcome: RunOutcome) => {
      if (ended) return;
      ended = true;
      const peakGpuBytes = gpu?.stop() ?? null;
      if (outcome.status === 'done') {
        outcome.result.peakGpuBytes = peakGpuBytes;
        store.finishRun(runId, outcome.result);
        rmSync(checkpointDir(artifactsDir), { recursive: true, force: true }); // the delta is saved; the checkpoints served
      } else {
        store.failRun(runId, outcome.reason);
      }
      resolve(outcome);
    };
    // Stored first, then reported: a listener that reads the store finds what it was told about.
    const onMessage = (received: WorkerMessage) => {
      if (ended) return;
      const msg: WorkerMessage = received.type === 'metrics' ? { type: 'metrics', points: received.points.filter((p) => p.step > storedUpTo) } : received;
      if (msg.type === 'metrics' && msg.points.length === 0) return;
      try {
        if (msg.type === 'started') {
          store.startRun(runId, msg.env);
          // Sampled from here on: a run held back (a paused queue) has no process before it starts.
          gpu ??= sampleGpuMemory(child.pid ?? 0);
        } else if (msg.type === 'metrics') store.addMetrics(runId, msg.points);
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
    const start: StartMessage = {
      type: 'start',
      backend: c.backend,
      input: { spec: run.spec, task: run.task, artifactsDir, resume },
    };
    child.send(start);
  });
}
