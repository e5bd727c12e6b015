// An imported adapter in a comparison, end to end through the command line: a run trained here,
// exported in PEFT's layout, imported back into its experiment scores exactly as the run did;
// `report`, `runs`, `show` and the explorer's rows show it beside the trained runs, marked
// imported, with its training dimensions "not measured" and no NaN anywhere.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { parseComparison, type Comparison } from '../src/main/comparison/config';
import { planCells, sweepRuns } from '../src/main/comparison/protocol';
import { loadTask } from '../src/main/engine/data/tasks';
import { backendChoice, initBackend } from '../src/main/engine/backend';
import { runArtifactsDir } from '../src/main/engine/export/run_export';
import { environmentSnapshot } from '../src/main/engine/measure/environment';
import { runOne } from '../src/main/engine/run';
import { exploreRows } from '../src/main/explorer';
import { Store } from '../src/main/store/store';
import type { RunResult } from '../src/shared/types';
import { writePeftLora } from './peft_fixture';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';
import { modelShape } from '../src/main/engine/models/families';
import { readModelConfig } from '../src/main/engine/models/load';
import { cliInProcess as cli } from './cli_in_process';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-import-run-'));
const db = path.join(dir, 'workbench.db');
let ws: TinyWorkspace;
let comparison: Comparison;
const ids = { experiment: 0, lora: 0, full: 0 };
let trained: RunResult;


before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  comparison = parseComparison({ ...ws.config, methods: ['full', 'lora_qv'], budget: { ...ws.config.budget, steps: 2 } }, dir, 'tiny');
  const store = Store.open(db);
  try {
    ids.experiment = store.createExperiment('tiny study', comparison);
    // lora_qv trained here for real (its delta saved where the runner saves it); full with stored figures.
    const spec = protocolSpec(comparison, ws.modelDir, 'lora_qv');
    ids.lora = store.createRun(ids.experiment, spec, 'seed');
    store.startRun(ids.lora, environmentSnapshot(backendChoice()));
    trained = await runOne({ spec, task: comparison.tasks[0], artifactsDir: runArtifactsDir(db, ids.lora) }, { metrics: () => {}, progress: () => {} });
    store.finishRun(ids.lora, trained);
    ids.full = store.createRun(ids.experiment, protocolSpec(comparison, ws.modelDir, 'full'), 'seed');
    store.startRun(ids.full, environmentSnapshot(backendChoice()));
    store.finishRun(ids.full, { ...trained, trainableParams: trained.totalParams, storageBytes: 4 * trained.totalParams, trainTokensPerSec: 500 });
    store.setExperimentStatus(ids.experiment, 'done');
  } finally {
    store.close();
  }
});

/** The spec the runner gives the first run of `method` (one learning rate, so its first seed). */
function protocolSpec(c: Comparison, modelDir: string, method: string) {
  const model = c.models.find((m) => m.path === modelDir)!;
  const cell = planCells(c, model, c.tasks.map((t) => loadTask(t))).find((x) => x.method === method)!;
  return sweepRuns(c, cell)[0].spec;
}

const noNaN = (text: string) => assert.ok(!/NaN|undefined|Infinity/.test(text), `no NaN, undefined or Infinity in:\n${text}`);

test('a run exported in PEFT\'s layout and imported into its experiment scores as the run did; report shows both', async () => {
  const adapter = path.join(dir, 'exported-adapter');
  assert.equal((await cli('export', String(ids.lora), '--adapter', '--out', adapter, '--db', db)).code, 0);
  const r = await cli('import', adapter, '--task', 'colours', '--experiment', String(ids.experiment), '--db', db, '--json');
  assert.equal(r.code, 0, r.err);
  const outcome = JSON.parse(r.out);
  assert.equal(outcome.created, false);
  assert.equal(outcome.evaluation.adapter.method, 'lora_qv');
  assert.equal(outcome.evaluation.score, trained.score, 'the same score as the trained run');
  assert.equal(outcome.evaluation.examples, 8);
  assert.equal(outcome.evaluation.settings.microBatch, comparison.budget.micro_batch);

  const store = Store.open(db);
  let imported;
  try {
    imported = store.getRun(outcome.runId)!;
  } finally {
    store.close();
  }
  assert.equal(imported.status, 'done');
  assert.equal(imported.imported!.sourceDir, adapter);
  assert.equal(imported.imported!.peftType, 'LORA');
  assert.equal(imported.result!.trainableParams, trained.trainableParams);
  assert.equal(imported.result!.storageBytes, trained.storageBytes, 'the same delta, stored the same way');
  for (const k of ['peakTensorBytes', 'peakRssBytes', 'trainTokensPerSec', 'validationScore', 'finalLoss', 'trainSeconds'] as const) {
    assert.equal(imported.result![k], null, `${k} is not measured here`);
  }
  assert.ok(imported.result!.inferTokensPerSecUnmerged > 0 && imported.result!.inferTokensPerSecMerged! > 0);
  assert.ok(existsSync(path.join(runArtifactsDir(db, outcome.runId), 'delta.safetensors')));

  const report = await cli('report', String(ids.experiment), '--db', db);
  assert.equal(report.code, 0, report.err);
  noNaN(report.out);
  assert.match(report.out, /lora_qv \(imported: exported-adapter\)\s+\S+ \[imported, n=1\]/);
  assert.match(report.out, /lora_qv \(imported: exported-adapter\)\s+\S+\s+\S+\s+\S+\s+\S+ \S+\s+n\/m\s+n\/m\s+n\/m\s+n\/m\s+n\/m\s+\S+/);
  assert.match(report.out, new RegExp(`n/m: not measured here[\\s\\S]*lora_qv \\(imported: exported-adapter\\) from ${adapter}`));
  for (const format of ['md', 'csv', 'latex', 'json']) {
    const f = await cli('report', String(ids.experiment), '--db', db, '--format', format);
    assert.equal(f.code, 0, f.err);
    noNaN(f.out);
  }
  const json = JSON.parse((await cli('report', String(ids.experiment), '--db', db, '--json')).out);
  const row = json.methods.find((m: { imported: string | null }) => m.imported === adapter);
  assert.equal(row.label, 'lora_qv (imported: exported-adapter)');
  assert.equal(row.vsFull, null, 'no paired test for an adapter with no seeds here');
  assert.equal(row.peakTensorBytes, null);
  assert.ok(json.methods.find((m: { label: string }) => m.label === 'lora_qv').vsFull, 'the trained rows keep their tests');

  const runs = await cli('runs', '--experiment', String(ids.experiment), '--db', db);
  noNaN(runs.out);
  assert.match(runs.out, new RegExp(`${outcome.runId}\\s+${ids.experiment}\\s+${path.basename(ws.modelDir)}\\s+colours\\s+lora_qv\\s+—\\s+—\\s+imported\\s+done`));
  const show = await cli('show', String(outcome.runId), '--db', db);
  noNaN(show.out);
  assert.match(show.out, /imported \(trained elsewhere, scored here\)/);
  assert.match(show.out, new RegExp(`source: ${adapter} \\(Hugging Face PEFT layout, peft_type LORA\\)`));
  assert.match(show.out, /peak memory, training throughput, loss: not measured here/);
});

test('the explorer\'s rows: the imported adapter is a row of its own with its training figures null', () => {
  const store = Store.open(db);
  try {
    const rows = exploreRows(store).filter((r) => r.experimentId === ids.experiment);
    assert.deepEqual(rows.map((r) => r.label), ['full', 'lora_qv', 'lora_qv (imported: exported-adapter)']);
    const imported = rows[2];
    assert.equal(imported.imported, path.join(dir, 'exported-adapter'));
    assert.equal(imported.learningRate, null);
    assert.equal(imported.trainTokensPerSec, null);
    assert.equal(imported.peakTensorBytes, null);
    assert.equal(imported.score, rows[1].score);
    noNaN(JSON.stringify(rows));
  } finally {
    store.close();
  }
});

test('refused: the same adapter twice, a task the experiment lacks, another model than the experiment\'s', async () => {
  const adapter = path.join(dir, 'exported-adapter');
  const again = await cli('import', adapter, '--task', 'colours', '--experiment', String(ids.experiment), '--db', db);
  assert.equal(again.code, 2);
  assert.match(again.err, /exported-adapter is already run \d+ of experiment \d+ on task colours; nothing was added/);
  const task = await cli('import', adapter, '--task', 'spam_assassin', '--experiment', String(ids.experiment), '--db', db);
  assert.match(task.err, /task "spam_assassin" is not a task of experiment \d+ \(colours\); an imported adapter is scored on the same test examples/);
  const model = await cli('import', adapter, '--task', 'colours', '--experiment', String(ids.experiment), '--model', dir, '--db', db);
  assert.match(model.err, /--model .* is not experiment \d+'s model .*leave --model out or choose another experiment/);
  const store = Store.open(db);
  try {
    assert.equal(store.listRuns({ experimentId: ids.experiment }).length, 3, 'nothing added by a refusal');
  } finally {
    store.close();
  }
});

test('a Python-made adapter: evaluate prints score and throughput; import --model makes an experiment of its own', async () => {
  const shape = modelShape(readModelConfig(ws.modelDir));
  const sites = shape.linears.filter((s) => s.role === 'query' || s.role === 'value');
  const py = writePeftLora(path.join(dir, 'py-adapter'), { r: 2, alpha: 4, sites, targets: ['q', 'v'], baseModel: ws.modelDir }).dir;
  const e = await cli('evaluate', py, '--task', ws.taskDir, '--examples', '4');
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, new RegExp(`adapter ${py} \\(Hugging Face PEFT layout, LORA\\) as lora_qv \\{"r":2,"alpha":4\\} on ${ws.modelDir}`));
  assert.match(e.out, /test split: 4 examples, accuracy/);
  assert.match(e.out, /score: \d+\.\d\d% unmerged, \d+\.\d\d% merged/);
  assert.match(e.out, /inference: \S+ tok\/s unmerged, \S+ tok\/s merged/);
  const v = await cli('evaluate', py, '--task', ws.taskDir, '--split', 'validation', '--json');
  assert.equal(JSON.parse(v.out).split, 'validation');
  assert.match((await cli('evaluate', py, '--task', 'nope')).err, /task "nope" is neither a built-in task .* nor a folder/);
  const hub = writePeftLora(path.join(dir, 'hub-adapter'), { r: 2, alpha: 4, sites, targets: ['q', 'v'], baseModel: 'google-t5/t5-small' }).dir;
  assert.match((await cli('evaluate', hub, '--task', ws.taskDir)).err,
    /needs --model DIR, the base model folder the adapter was trained on \(the adapter records base_model_name_or_path "google-t5\/t5-small", which is not a model folder here\)/);

  const r = await cli('import', py, '--task', ws.taskDir, '--name', 'from python', '--db', db);
  assert.equal(r.code, 0, r.err);
  const id = Number(/a new experiment (\d+)/.exec(r.out)![1]);
  assert.match(r.out, /not measured here \(trained elsewhere\): peak memory, training throughput, learning rate/);
  const report = await cli('report', String(id), '--db', db);
  noNaN(report.out);
  assert.match(report.out, /lora_qv \(imported: py-adapter\)/);
  const store = Store.open(db);
  try {
    assert.equal(store.getExperiment(id)!.name, 'from python');
    assert.equal(store.getExperiment(id)!.status, 'done');
  } finally {
    store.close();
  }
});
