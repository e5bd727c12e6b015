// `peft-bench plan COMPARISON.yaml`: the estimate the app's builder shows, for every model of a
// comparison config: runs of the protocol, trainable parameters, delta storage, peak training
// memory and training time per model and method, and whether a run fits this machine's device.
import { existsSync, readFileSync } from 'node:fs';
import type { PlanEstimate } from '../../shared/explorer_ipc';
import type { RunRecord } from '../../shared/types';
import { readComparisonFile } from '../comparison/config';
import { prepareBuiltins } from '../comparison/models';
import { estimateComparison } from '../plan_estimate';
import { Store } from '../store/store';
import { fmtBytes, fmtCount, fmtDuration, table } from './format';

/** A comparison config (YAML, or JSON with `methods`), as opposed to a model's config.json or folder. */
export function isComparisonConfig(target: string): boolean {
  if (/\.ya?ml$/i.test(target)) return true;
  if (!/\.json$/i.test(target) || !existsSync(target)) return false;
  try {
    const json = JSON.parse(readFileSync(target, 'utf8')) as unknown;
    return typeof json === 'object' && json !== null && 'methods' in json;
  } catch {
    return false; // readPlanConfig says what is wrong with it
  }
}

/** Finished runs of the store at `db`, which time and memory are scaled from; none when there is no store yet. */
function pastRuns(db: string): RunRecord[] {
  if (!existsSync(db)) return [];
  const store = Store.open(db);
  try {
    return store.listRuns({ status: 'done' });
  } finally {
    store.close();
  }
}

/** `home`: where built-in models are built (as `compare` builds them); `db`: the store whose finished runs scale the estimate. */
export async function planComparison(file: string, db: string, home: string, json: boolean): Promise<string> {
  const comparison = readComparisonFile(file);
  comparison.models = await prepareBuiltins(comparison.models, home, (l) => process.stderr.write(`${l}\n`));
  const estimate = estimateComparison(comparison, pastRuns(db));
  return json ? JSON.stringify(estimate, null, 2) : estimateText(estimate, comparison.name);
}

export function estimateText(e: PlanEstimate, name: string): string {
  const lines = [
    `${name}: ${e.runs} runs on ${e.models.length} model${e.models.length > 1 ? 's' : ''}, about ${fmtDuration(e.seconds)} of training, ` +
      `peak ${fmtBytes(e.peakBytes)} per run, ${fmtBytes(e.storageBytes)} of saved deltas; device ${e.device.name}, ${fmtBytes(e.device.memoryBytes)}`,
  ];
  for (const m of e.models) {
    const rows = e.rows.filter((r) => r.model === m.name).map((r) => [
      r.method, String(r.runs), r.trainable === null ? '—' : fmtCount(r.trainable), fmtBytes(r.storageBytes), fmtBytes(r.peakBytes),
      r.seconds === null ? '—' : fmtDuration(r.seconds), r.refused ?? (r.fits ? 'yes' : 'NO: lower budget.micro_batch or max_input_tokens'),
      r.refused ? '' : `memory: ${r.peakSource}; time: ${r.timeSource}`,
    ]);
    lines.push('', `${m.name}: ${fmtCount(m.totalParams)} parameters, ${m.runs} runs, about ${fmtDuration(m.seconds)} (${m.path})`, '',
      table(['method:', 'runs', 'trainable', 'delta', 'peak memory', 'time', 'fits:', 'from:'], rows));
  }
  lines.push('', 'Time assumes full-length inputs, so it is an upper bound.');
  return lines.join('\n');
}
