// Export of a stored run: finds the run's saved delta (written by run.ts into the run's artifacts
// folder) and exports it, with an encoder's label names from the run's task. Shared by
// `peft-bench export` and the app's Export dialog.
import * as fs from 'node:fs';
import path from 'node:path';
import type { ExperimentRecord, RunRecord } from '../../../shared/types';
import { loadTask, taskName, type TaskRef } from '../data/tasks';
import { familyKind } from '../models/families';
import { readModelConfig } from '../models/load';
import { exportDelta, type ExportKind, type ExportReport } from './export';
import { readDelta } from './import_adapter';
import type { WriteHooks } from './merged';

/** The artifacts folder of run `runId` of the store at `dbPath` (as the comparison runner names it). */
export function runArtifactsDir(dbPath: string, runId: number): string {
  return path.join(path.dirname(dbPath), 'artifacts', path.basename(dbPath).replace(/\.[^.]+$/, ''), `run-${runId}`);
}

export interface RunExportOptions {
  kind: ExportKind;
  out: string;
  force?: boolean;
  shardBytes?: number;
  hooks?: WriteHooks;
}

/** The delta file of a finished run, or an error saying why the run cannot be exported. */
export function runDeltaFile(run: RunRecord | null, runId: number, dbPath: string): string {
  if (!run) throw new Error(`run ${runId} is not in ${dbPath}; list runs with \`peft-bench runs\``);
  if (run.status !== 'done') {
    const why = run.reason ? ` (${run.reason})` : '';
    throw new Error(`run ${runId} did not finish: its status is ${run.status}${why}; only a finished run has a trained delta to export`);
  }
  const file = path.join(runArtifactsDir(dbPath, runId), 'delta.safetensors');
  if (!fs.existsSync(file)) throw new Error(`run ${runId} finished but its delta ${file} is missing; was the artifacts folder moved or deleted?`);
  return file;
}

/** The part of the store an export reads. */
export interface RunLookup {
  getRun(id: number): RunRecord | null;
  getExperiment(id: number): ExperimentRecord | null;
}

/**
 * An encoder run's label words by head output: its task's labels, read again from the task as the
 * experiment gave it; null for other families (or when the task cannot be read: the export then
 * names the labels as config.json does and says so).
 */
export function runLabels(store: RunLookup, run: RunRecord): string[] | null {
  if (familyKind(readModelConfig(run.spec.modelDir)) !== 'encoder') return null;
  const tasks = ((store.getExperiment(run.experimentId)?.config ?? {}) as { tasks?: TaskRef[] }).tasks ?? [];
  const ref = tasks.find((t) => taskName(t) === run.task);
  try {
    return ref === undefined ? null : loadTask(ref).labels;
  } catch {
    return null;
  }
}

export function exportRun(store: RunLookup, runId: number, dbPath: string, o: RunExportOptions): ExportReport {
  const run = store.getRun(runId);
  const file = runDeltaFile(run, runId, dbPath);
  const spec = run!.spec;
  return exportDelta({
    modelDir: spec.modelDir, method: spec.method, options: spec.methodOptions, delta: readDelta(file),
    kind: o.kind, out: o.out, force: o.force, shardBytes: o.shardBytes, hooks: o.hooks, labels: runLabels(store, run!),
  });
}
