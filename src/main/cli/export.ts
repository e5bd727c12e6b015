// peft-bench export: a run's delta out as merged weights or an adapter (Hugging Face PEFT's layout, or
// the workbench's for methods PEFT lacks). The way back in, import and evaluate, is in import.ts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../engine/backend';
import type { ExportReport } from '../engine/export/export';
import { exportRun } from '../engine/export/run_export';
import type { Check } from '../engine/export/verify';
import { Store, defaultDbPath } from '../store/store';
import { IMPORT_USAGE, importCommand } from './import';

export const EXPORT_USAGE = `  peft-bench export RUN (--merged | --adapter) --out DIR [--force] [--shard-size BYTES] [--db PATH] [--json]
      merged weights in the base checkpoint's layout, or the adapter in Hugging Face PEFT's layout
      (the workbench's own for methods PEFT lacks); reloaded and checked before it is kept
${IMPORT_USAGE}`;

const OPTIONS = {
  db: { type: 'string' }, json: { type: 'boolean' }, merged: { type: 'boolean' }, adapter: { type: 'boolean' },
  out: { type: 'string' }, force: { type: 'boolean' }, 'shard-size': { type: 'string' }, model: { type: 'string' },
  backend: { type: 'string' }, task: { type: 'string' }, experiment: { type: 'string' }, name: { type: 'string' },
  split: { type: 'string' }, examples: { type: 'string' },
} as const;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command, arg] = positionals;
  await initBackend(values.backend ? { force: values.backend as never } : {});
  if (command === 'import' || command === 'evaluate') return importCommand(command, arg, values);
  if (!arg) throw new Error('export needs a run id: peft-bench export RUN (--merged | --adapter) --out DIR');
  const runId = Number(arg);
  if (!Number.isInteger(runId) || runId < 1) throw new Error(`RUN must be a run id (a positive integer), got "${arg}"`);
  if (values.merged === values.adapter) throw new Error('export needs exactly one of --merged or --adapter');
  if (!values.out) throw new Error('export needs --out DIR, the folder to write (new or empty; --force replaces a non-empty one)');
  const db = path.resolve(values.db ?? defaultDbPath());
  const store = Store.open(db);
  let report: ExportReport;
  try {
    report = exportRun(store, runId, db, {
      kind: values.merged ? 'merged' : 'adapter', out: path.resolve(values.out), force: values.force, shardBytes: shardSize(values['shard-size']),
    });
  } finally {
    store.close();
  }
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : describeExport(report));
  return 0;
}

export function shardSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--shard-size must be a positive number of bytes, got "${v}"`);
  return n;
}

export function checkLines(checks: Check[]): string {
  return checks.map((c) => `  check: ${c.what}: largest relative difference ${c.relDiff.toExponential(2)} (tolerance ${c.tolerance.toExponential(0)}) ${c.ok ? 'ok' : 'FAILED'}\n`).join('');
}

export function describeExport(r: ExportReport): string {
  const layout = r.layout === 'merged' ? 'merged checkpoint' : r.layout === 'peft' ? 'Hugging Face PEFT adapter' : 'workbench adapter (PEFT has no such method)';
  let text = `exported ${r.method} as a ${layout} to ${r.out}\n  files: ${r.files.join(', ')} (${r.bytes.toLocaleString('en-US')} bytes, ${r.dtypes.join('/')})\n`;
  text += checkLines(r.checks);
  for (const n of r.notes) text += `  ${n}\n`;
  if (r.mergeNote) text += `  ${r.mergeNote}\n`;
  if (r.inferenceOverhead) text += `  inference overhead: ${r.inferenceOverhead}\n`;
  return text;
}
