// peft-bench export / import: a run's delta out as merged weights or an adapter, and an adapter
// folder (Hugging Face PEFT's or the workbench's) in onto its base model.
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { exportDelta, type ExportReport } from '../engine/export/export';
import { importAdapter } from '../engine/export/import_adapter';
import { exportRun } from '../engine/export/run_export';
import { check, probeLogits, TOLERANCE, type Check } from '../engine/export/verify';
import { Store, defaultDbPath } from '../store/store';

export const EXPORT_USAGE = `  peft-bench export RUN (--merged | --adapter) --out DIR [--force] [--shard-size BYTES] [--db PATH] [--json]
      merged weights in the base checkpoint's layout, or the adapter in Hugging Face PEFT's layout
      (the workbench's own for methods PEFT lacks); reloaded and checked before it is kept
  peft-bench import ADAPTER_DIR --model DIR [--out DIR [--force]] [--json]
      load a PEFT (or workbench) adapter onto its base model and check it; --out writes it merged`;

const OPTIONS = {
  db: { type: 'string' }, json: { type: 'boolean' }, merged: { type: 'boolean' }, adapter: { type: 'boolean' },
  out: { type: 'string' }, force: { type: 'boolean' }, 'shard-size': { type: 'string' }, model: { type: 'string' },
  backend: { type: 'string' },
} as const;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command, arg] = positionals;
  await initBackend(values.backend ? { force: values.backend as never } : {});
  if (command === 'import') return importCommand(arg, values);
  if (!arg) throw new Error('export needs a run id: peft-bench export RUN (--merged | --adapter) --out DIR');
  const runId = Number(arg);
  if (!Number.isInteger(runId) || runId < 1) throw new Error(`RUN must be a run id (a positive integer), got "${arg}"`);
  if (values.merged === values.adapter) throw new Error('export needs exactly one of --merged or --adapter');
  if (!values.out) throw new Error('export needs --out DIR, the folder to write (new or empty; --force replaces a non-empty one)');
  const db = path.resolve(values.db ?? defaultDbPath());
  const store = Store.open(db);
  let report: ExportReport;
  try {
    report = exportRun(store.getRun(runId), runId, db, {
      kind: values.merged ? 'merged' : 'adapter', out: path.resolve(values.out), force: values.force, shardBytes: shardSize(values['shard-size']),
    });
  } finally {
    store.close();
  }
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : describeExport(report));
  return 0;
}

function shardSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--shard-size must be a positive number of bytes, got "${v}"`);
  return n;
}

function checkLines(checks: Check[]): string {
  return checks.map((c) => `  check: ${c.what}: largest relative difference ${c.relDiff.toExponential(2)} (tolerance ${c.tolerance.toExponential(0)}) ${c.ok ? 'ok' : 'FAILED'}\n`).join('');
}

export function describeExport(r: ExportReport): string {
  const layout = r.layout === 'merged' ? 'merged checkpoint' : r.layout === 'peft' ? 'Hugging Face PEFT adapter' : 'workbench adapter (PEFT has no such method)';
  let text = `exported ${r.method} as a ${layout} to ${r.out}\n  files: ${r.files.join(', ')} (${r.bytes.toLocaleString('en-US')} bytes, ${r.dtypes.join('/')})\n`;
  text += checkLines(r.checks);
  if (r.mergeNote) text += `  ${r.mergeNote}\n`;
  if (r.inferenceOverhead) text += `  inference overhead: ${r.inferenceOverhead}\n`;
  return text;
}

async function importCommand(dir: string | undefined, values: { model?: string; out?: string; force?: boolean; json?: boolean; 'shard-size'?: string }): Promise<number> {
  if (!dir) throw new Error('import needs an adapter folder: peft-bench import ADAPTER_DIR --model DIR');
  if (!values.model) throw new Error('import needs --model DIR, the base model folder the adapter was trained on');
  const { loaded, attached, adapter } = importAdapter(path.resolve(dir), path.resolve(values.model));
  const checks: Check[] = [];
  try {
    const unmerged = probeLogits(loaded.model);
    if (attached.merge) {
      tf.tidy(() => attached.merge!());
      checks.push(check('adapter merged vs unmerged', probeLogits(loaded.model), unmerged, TOLERANCE.F32));
    }
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
  const exported = values.out
    ? exportDelta({
      modelDir: path.resolve(values.model), method: adapter.method, options: adapter.options, delta: adapter.delta,
      kind: 'merged', out: path.resolve(values.out), force: values.force, shardBytes: shardSize(values['shard-size']),
    })
    : null;
  const summary = { adapter: path.resolve(dir), layout: adapter.layout, method: adapter.method, options: adapter.options, baseModel: adapter.baseModel, tensors: adapter.delta.length, checks, exported };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(`loaded ${summary.adapter} (${adapter.layout === 'peft' ? 'Hugging Face PEFT' : 'workbench'} layout) as ${adapter.method} ${JSON.stringify(adapter.options)}: ${summary.tensors} tensors onto ${path.resolve(values.model)}\n`);
    process.stdout.write(checkLines(checks));
    if (exported) process.stdout.write(describeExport(exported));
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
