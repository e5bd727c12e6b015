// Runs a comparison: stores the experiment and its runs, then trains each run in its own
// worker process. This process is the single writer of the store.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../shared/types';
import { loadTask, taskName } from '../engine/data/tasks';
import { sampleGpuMemory } from '../engine/measure/nvidia_smi';
import { checkModelFolder } from '../engine/models/load';
import type { Store } from '../store/store';
import type { StartMessage, WorkerMessage } from '../worker/protocol';
import { planRuns, type Comparison, type PlannedRun } from './config';

export interface RunnerEvents {
  /** Before anything runs: the ids of every stored run, in order. */
  planned?(experimentId: number, runs: { id: number; run: PlannedRun }[]): void;
  message?(runId: number, msg: WorkerMessage): void;
  ended?(runId: number, outcome: { status: 'done'; result: RunResult } | { status: 'failed'; reason: string }): void;
}

const WORKER = fileURLToPath(new URL('../worker/train_worker.ts', import.meta.url));

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
  c: Comparison, store: Store, opts: { modelDir: string; artifactsRoot: string; events?: RunnerEvents },
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
  opts: { artifactsRoot: string; events?: RunnerEvents },
): Promise<{ status: 'done'; result: RunResult } | { status: 'failed'; reason: string }> {
  return new Promise((resolve) => {
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const gpu = sampleGpuMemory(child.pid ?? 0);
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
    child.on('message', (msg: WorkerMessage) => {
      opts.events?.message?.(runId, msg);
      if (msg.type === 'started') store.startRun(runId, msg.env);
      else if (msg.type === 'metrics') store.addMetrics(runId, msg.points);
      else if (msg.type === 'done') end({ status: 'done', result: msg.result });
      else if (msg.type === 'failed') end({ status: 'failed', reason: msg.reason });
    });
    child.on('error', (err) => end({ status: 'failed', reason: `worker could not start: ${err.message}` }));
    child.on('exit', (code, signal) => {
      end({ status: 'failed', reason: signal ? `worker killed by ${signal} (out of memory?)` : `worker exited with code ${code} before finishing` });
    });
    const start: StartMessage = {
      type: 'start',
      backend: c.backend,
      input: { spec: run.spec, task: run.task, artifactsDir: path.join(opts.artifactsRoot, `run-${runId}`) },
    };
    child.send(start);
  });
}
