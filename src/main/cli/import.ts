// peft-bench import / evaluate: an adapter folder (Hugging Face PEFT's layout, e.g. trained in Python,
// or the workbench's) onto its base model — checked, written merged, scored on a task, or added to
// a comparison as an imported run.
import * as fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { importAsRun, scoreAdapter, standaloneTask } from '../comparison/imported_run';
import { backendChoice } from '../engine/backend';
import { exportDelta } from '../engine/export/export';
import type { AdapterEvaluation, Split } from '../engine/export/evaluate_adapter';
import { importAdapter, PEFT_CONFIG } from '../engine/export/import_adapter';
import { OWN_CONFIG } from '../engine/export/own_layout';
import { check, probeLogits, TOLERANCE, type Check } from '../engine/export/verify';
import { Store, defaultDbPath } from '../store/store';
import { checkLines, describeExport, shardSize } from './export';
import { fmtCount, fmtRate } from './format';

export const IMPORT_USAGE = `  peft-bench import ADAPTER_DIR [--model DIR] [--out DIR [--force]] [--json]
      load a PEFT (or workbench) adapter onto its base model and check it; --out writes it merged
  peft-bench import ADAPTER_DIR --task TASK (--experiment ID | --model DIR [--name NAME]) [--db PATH] [--json]
      score it on the task's test examples and store it as an imported run: in experiment ID beside
      its trained runs (its model and evaluation settings; with several models, --model names the
      one it was trained on, by name or folder), or in a new experiment
  peft-bench evaluate ADAPTER_DIR --task TASK [--model DIR] [--split test|validation] [--examples N] [--json]
      score it as trained runs are scored, with inference throughput unmerged and merged (nothing stored)
      TASK: a built-in task, a folder with train/validation/test.jsonl, or (import) a task of the experiment
      --model defaults to the adapter's base_model_name_or_path when that is a folder here`;

export interface ImportValues {
  model?: string; out?: string; force?: boolean; json?: boolean; 'shard-size'?: string; task?: string; experiment?: string;
  name?: string; split?: string; examples?: string; db?: string;
}

/** --model, or the adapter's recorded base model when it is a folder on this machine. */
function modelFor(dir: string, model: string | undefined): string {
  if (model) return path.resolve(model);
  const config = [PEFT_CONFIG, OWN_CONFIG].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  let recorded: unknown = null;
  try {
    recorded = config ? (JSON.parse(fs.readFileSync(config, 'utf8')) as { base_model_name_or_path?: unknown }).base_model_name_or_path : null;
  } catch {
    // the import itself names the broken file
  }
  if (typeof recorded === 'string' && fs.existsSync(path.join(recorded, 'config.json'))) return path.resolve(recorded);
  const why = typeof recorded === 'string' ? `the adapter records base_model_name_or_path "${recorded}", which is not a model folder here` : 'the adapter records no base model folder';
  throw new Error(`needs --model DIR, the base model folder the adapter was trained on (${why})`);
}

function count(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number (0 = all), got "${v}"`);
  return n;
}

export async function importCommand(command: 'import' | 'evaluate', dir: string | undefined, values: ImportValues): Promise<number> {
  if (!dir) throw new Error(`${command} needs an adapter folder: peft-bench ${command} ADAPTER_DIR ...`);
  const adapterDir = path.resolve(dir);
  if (command === 'evaluate') return evaluateCommand(adapterDir, values);
  if (values.task !== undefined) return addCommand(adapterDir, values);
  if (values.experiment !== undefined || values.name !== undefined) throw new Error('--experiment and --name add the adapter to a comparison; give the task too: --task TASK');
  return checkCommand(adapterDir, modelFor(adapterDir, values.model), values);
}

async function evaluateCommand(adapterDir: string, values: ImportValues): Promise<number> {
  if (!values.task) throw new Error('evaluate needs --task TASK: a built-in task or a folder with train.jsonl, validation.jsonl and test.jsonl');
  const split = (values.split ?? 'test') as Split;
  if (split !== 'test' && split !== 'validation') throw new Error(`--split must be test or validation, got "${values.split}"`);
  const e = scoreAdapter(adapterDir, modelFor(adapterDir, values.model), standaloneTask(values.task), split, undefined, count(values.examples, '--examples'));
  const { delta: _delta, predictions: _predictions, ...shown } = e;
  process.stdout.write(values.json ? JSON.stringify(shown, null, 2) + '\n' : describeEvaluation(e));
  return 0;
}

async function addCommand(adapterDir: string, values: ImportValues): Promise<number> {
  const experimentId = values.experiment === undefined ? undefined : Number(values.experiment);
  if (experimentId !== undefined && (!Number.isInteger(experimentId) || experimentId < 1)) throw new Error(`--experiment must be an experiment id (a positive integer), got "${values.experiment}"`);
  if (values.examples !== undefined || values.split !== undefined) throw new Error('import --task scores the test examples the comparison uses; --split and --examples are for peft-bench evaluate');
  const db = path.resolve(values.db ?? defaultDbPath());
  const store = Store.open(db);
  try {
    const model = experimentId === undefined ? modelFor(adapterDir, values.model) : values.model;
    const outcome = importAsRun(store, { adapterDir, task: values.task!, experimentId, model, name: values.name }, backendChoice());
    if (values.json) process.stdout.write(JSON.stringify(outcome, null, 2) + '\n');
    else {
      const where = outcome.created ? `a new experiment ${outcome.experimentId}` : `experiment ${outcome.experimentId}, beside its trained runs on ${outcome.model}`;
      process.stdout.write(`added as run ${outcome.runId} (imported) to ${where}; see \`peft-bench report ${outcome.experimentId}\`\n${describeEvaluation(outcome.evaluation)}`);
      process.stdout.write('  not measured here (trained elsewhere): peak memory, training throughput, learning rate\n');
    }
    return 0;
  } finally {
    store.close();
  }
}

export function describeEvaluation(e: Omit<AdapterEvaluation, 'delta' | 'predictions'>): string {
  const a = e.adapter;
  const layout = a.layout === 'peft' ? `Hugging Face PEFT layout, ${a.peftType}` : 'workbench layout';
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(2)}%`);
  const merged = e.mergedScore === null ? ' (the method cannot merge)' : `, ${pct(e.mergedScore)} merged`;
  return [
    `adapter ${a.dir} (${layout}) as ${a.method} ${JSON.stringify(a.options)} on ${e.modelDir}`,
    ...a.warnings.map((w) => `warning: ${w}`),
    `${e.task}, ${e.split} split: ${e.examples} examples, ${e.metric} (batches of ${e.settings.microBatch}, inputs ≤ ${e.settings.maxInputTokens} tokens, ≤ ${e.settings.maxTargetTokens} generated)`,
    `  score: ${pct(e.score)} unmerged${merged}`,
    `  inference: ${fmtRate(e.inferTokensPerSecUnmerged)} tok/s unmerged, ${e.inferTokensPerSecMerged === null ? '— (cannot merge)' : `${fmtRate(e.inferTokensPerSecMerged)} tok/s merged`} (input tokens per second of greedy generation)`,
    `  parameters: ${fmtCount(e.trainableParams)} trainable of ${fmtCount(e.totalParams)}, ${fmtCount(e.changedParams)} changed`,
    '',
  ].join('\n');
}

/** Loads and checks the adapter (merged vs unmerged where it merges); --out writes it merged. */
async function checkCommand(adapterDir: string, modelDir: string, values: ImportValues): Promise<number> {
  const { loaded, attached, adapter } = importAdapter(adapterDir, modelDir);
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
      modelDir, method: adapter.method, options: adapter.options, delta: adapter.delta,
      kind: 'merged', out: path.resolve(values.out), force: values.force, shardBytes: shardSize(values['shard-size']),
    })
    : null;
  const summary = {
    adapter: adapterDir, layout: adapter.layout, peftType: adapter.peftType, method: adapter.method, options: adapter.options,
    baseModel: adapter.baseModel, warnings: adapter.warnings, tensors: adapter.delta.length, checks, exported,
  };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(`loaded ${adapterDir} (${adapter.layout === 'peft' ? 'Hugging Face PEFT' : 'workbench'} layout) as ${adapter.method} ${JSON.stringify(adapter.options)}: ${summary.tensors} tensors onto ${modelDir}\n`);
    for (const w of adapter.warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(checkLines(checks));
    if (exported) process.stdout.write(describeExport(exported));
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
