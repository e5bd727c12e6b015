// Runs a comparison: stores the experiment and its runs, then trains each run in its own
// worker process. This process is the single writer of the store.
import path from 'node:path';
import type { RunResult } from '../../shared/types';
import { loadTask, taskName } from '../engine/data/tasks';
import { sampleGpuMemory } from '../engine/measure/nvidia_smi';
import { checkModelFolder } from '../engine/models/load';
import type { Store } from '../store/store';
import { forkLauncher, type WorkerLauncher } from '../worker/launch';
import type { StartMessage, WorkerMessage } from '../worker/protocol';
import { planRuns, type Comparison, type PlannedRun } from './config';

export interface RunnerEvents {
  /** Before anything runs: the ids of every stored run, in order. */
  planned?(experimentId: number, runs: { id: number; run: PlannedRun }[]): void;
  message?(runId: number, msg: WorkerMessage): void;
  ended?(runId: number, outcome: { status: 'done'; result: RunResult } | { status: 'failed'; reason: string }): void;
}

/** Everything that can be checked without training, so bad input fails before the store is touched. */
export function preflight(c: Comparison, modelDir: string): PlannedRun[] {
  checkModelFolder(modelDir);
  const runs = planRuns(c, modelDir);
  for (const task of c.tasks) {
    const data = loadTask(task);
    for (const split of ['train', 'validation', 'test'] as const) {
      if (!data[split].length) throw new Error(`task ${taskName(task)}: the ${split} split is empty`);
    }
    if (data.train.length < c.budget.micro_batch) {
      throw new Error(`task ${taskName(task)}: ${data.train.length} training examples is fewer than budget.micro_batch (${c.budget.micro_batch})`);
    }
  }
  return runs;
}

export async function runComparison(
  c: Comparison, store: Store,
  opts: { modelDir: string; artifactsRoot: string; events?: RunnerEvents; launcher?: WorkerLauncher },
): Promise<{ experimentId: number; failed: number }> {
  const planned = preflight(c, opts.modelDir);
  const experimentId = store.createExperiment(c.name, { ...c, model: opts.modelDir });
  const runs = planned.map((run) => ({ id: store.createRun(experimentId, run.spec), run }));
  opts.events?.planned?.(experimentId, runs);
  let failed = 0;
  for (const { id, run } of runs) {
    const outcome = await runInWorker(id, run, c, store, opts);
    if (outcome.status === 'failed') failed++;
    opts.events?.ended?.(id, outcome);
  }
  store.setExperimentStatus(experimentId, failed === runs.length ? 'failed' : 'done');
  return { experimentId, failed };
}

function runInWorker(
  runId: number, run: PlannedRun, c: Comparison, store: Store,
  opts: { artifactsRoot: string; events?: RunnerEvents; launcher?: WorkerLauncher },
): Promise<{ status: 'done'; result: RunResult } | { status: 'failed'; reason: string }> {
  return new Promise((resolve) => {
    let ended = false;
    const end = (outcome: { status: 'done'; result: RunResult } | { status: 'failed'; reason: string }) => {
      if (ended) return;
      ended = true;
      const peakGpuBytes = gpu.stop();
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
