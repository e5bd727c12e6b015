// Export of a stored run: finds the run's saved delta (written by run.ts into the run's artifacts
// folder) and exports it. Shared by `peft-bench export` and the app's Export dialog.
import * as fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../../shared/types';
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

export function exportRun(run: RunRecord | null, runId: number, dbPath: string, o: RunExportOptions): ExportReport {
  const file = runDeltaFile(run, runId, dbPath);
  const spec = run!.spec;
  return exportDelta({
    modelDir: spec.modelDir, method: spec.method, options: spec.methodOptions, delta: readDelta(file),
    kind: o.kind, out: o.out, force: o.force, shardBytes: o.shardBytes, hooks: o.hooks,
  });
}
