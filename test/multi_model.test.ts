// One experiment over two models, end to end on tiny checkpoints: the matrix models × tasks ×
// methods × rates × seeds planned and trained by real workers, the model kept on every run and
// learning-rate choice, a run killed and resumed, and the reports with one block per model; an
// adapter imported onto one of the models; the built-in models as the picker lists them and as a
// comparison builds them.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { storedReport, referenceTable } from '../src/main/cli/report';
import { parseComparison } from '../src/main/comparison/config';
import { importAsRun } from '../src/main/comparison/imported_run';
import { builtinEntries, builtinFolder, resolveBuiltins, unbuilt } from '../src/main/comparison/models';
import { publishedTable5 } from '../src/main/comparison/reference';
import { resumeExperiment, runComparison } from '../src/main/comparison/runner';
import { backendChoice, initBackend } from '../src/main/engine/backend';
import { exportDelta } from '../src/main/engine/export/export';
import { readDelta } from '../src/main/engine/export/import_adapter';
import { saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { Store } from '../src/main/store/store';
import { forkLauncher, type WorkerLauncher } from '../src/main/worker/launch';
import { TINY_T5_GATED } from './helpers';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-multi-'));
const artifactsRoot = path.join(dir, 'artifacts');
let ws: TinyWorkspace;
let gated: string;
let store: Store;
let experimentId = 0;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  // A second tiny model of another T5 variant (gated feed-forward, untied head), same tokenizer.
  gated = path.join(dir, 'tiny-gated');
  mkdirSync(gated);
  copyFileSync(path.join(ws.modelDir, 'tokenizer.json'), path.join(gated, 'tokenizer.json'));
  const model = T5Model.random(TINY_T5_GATED, 1);
  saveModel(gated, model);
  model.dispose();
  store = Store.open(path.join(dir, 'store.db'));
});
after(() => store.close());

/** Kills the first worker that trains a run of `modelDir` as soon as it has started. */
function killingFirstOf(modelDir: string, killed: number[]): WorkerLauncher {
  const fork = forkLauncher();
  return (callbacks) => {
    let spec: { modelDir: string } | null = null;
    const handle = fork({ ...callbacks, message: (msg) => {
      callbacks.message(msg);
      if (msg.type === 'started' && spec?.modelDir === modelDir && killed.length === 0) {
        killed.push(1);
        handle.kill();
      }
    } });
    return { get pid() { return handle.pid; }, kill: () => handle.kill(), send: (m) => { spec = m.input.spec; handle.send(m); } };
  };
}

test('two models: every cell of the matrix trains, each run and rate choice keeps its model, a killed run resumes', { timeout: 180_000 }, async () => {
  const c = parseComparison({
    ...ws.config, model: undefined, models: [ws.modelDir, gated],
    methods: [{ id: 'full', learning_rates: [1e-2] }, { id: 'lora_qv', r: 2 }], learning_rates: [1e-2, 1e-3], seeds: [0],
  }, dir, 'two models');
  assert.deepEqual(c.models.map((m) => m.name), ['model', 'tiny-gated']);
  const killed: number[] = [];
  const chosen: string[] = [];
  const first = await runComparison(c, store, { artifactsRoot, launcher: killingFirstOf(gated, killed), events: { chosen: (task, method, lr, model) => void chosen.push(`${model} ${method} ${lr}`) } });
  experimentId = first.experimentId;
  assert.equal(killed.length, 1);
  // Per model: full has one rate (one run), lora_qv sweeps two rates.
  assert.equal(first.runs, 2 * (1 + 2));
  assert.equal(first.failed, 1);
  const runs = store.listRuns({ experimentId });
  assert.deepEqual(count(runs.map((r) => `${r.model} ${r.method} ${r.role}`)), {
    'model full seed': 1, 'model lora_qv sweep': 2, 'tiny-gated full seed': 1, 'tiny-gated lora_qv sweep': 2,
  });
  for (const r of runs) assert.equal(r.spec.modelDir, r.model === 'model' ? ws.modelDir : gated);
  // The killed run was tiny-gated's only full run: that cell has no rate yet.
  assert.equal(runs.find((r) => r.status === 'failed')?.method, 'full');
  assert.deepEqual(store.lrChoices(experimentId).map((l) => `${l.model} ${l.method} ${l.candidates}`), ['model full 1', 'model lora_qv 2', 'tiny-gated lora_qv 2']);
  assert.deepEqual(chosen.map((x) => x.split(' ').slice(0, 2).join(' ')).sort(), ['model lora_qv', 'tiny-gated lora_qv']);
  const stored = store.getExperiment(experimentId)!.config as { models: { name: string; path: string }[] };
  assert.deepEqual(stored.models, [{ name: 'model', path: ws.modelDir }, { name: 'tiny-gated', path: gated }]);
  // Each model's runs count its own parameters.
  const total = (model: string) => new Set(runs.filter((r) => r.model === model && r.result).map((r) => r.result!.totalParams));
  assert.equal(total('model').size, 1);
  assert.notDeepEqual([...total('model')], [...total('tiny-gated')]);

  // Resume the killed run: it trains, nothing else is trained twice, the choices hold.
  const failed = runs.find((r) => r.status === 'failed')!;
  assert.equal(failed.model, 'tiny-gated');
  const again = await resumeExperiment(experimentId, store, { artifactsRoot, runId: failed.id });
  assert.equal(again.failed, 0);
  const after = store.listRuns({ experimentId });
  assert.equal(after.length, runs.length, 'no run planned twice');
  assert.ok(after.every((r) => r.status === 'done'), after.map((r) => `${r.id} ${r.status} ${r.reason}`).join('\n'));
  assert.deepEqual(store.lrChoices(experimentId).map((l) => `${l.model} ${l.method}`), ['model full', 'model lora_qv', 'tiny-gated full', 'tiny-gated lora_qv']);
  assert.equal(store.getExperiment(experimentId)!.status, 'done');
});

test('the reports of a two-model experiment: Table 4 by model and per model and task, Table 5 per model, in every format', () => {
  assert.ok(experimentId, 'the comparison above ran');
  const text = storedReport(store, experimentId, 'text');
  // The study's layout: methods down, models across.
  assert.match(text, /Table 4: mean test score over tasks per model \(mean ± 95% interval\)\n\nmethod\s+model\s+tiny-gated\n/);
  assert.match(text, /\nfull\s+\d+\.\d\d\s+\d+\.\d\d\nlora_qv\s+\d+\.\d\d\s+\d+\.\d\d\n/);
  // Per model and task, one row block per model, then Table 5 per model.
  assert.match(text, /Table 4: test score over seeds \(mean ± 95% t-interval\), per model and task\n\nmodel\s+method\s+colours \(accuracy\)\s+mean/);
  for (const model of ['model', 'tiny-gated']) {
    assert.match(text, new RegExp(`\\n${model}\\s+full\\s+\\d+\\.\\d\\d \\[lr 0\\.01, n=1\\]`));
    assert.match(text, new RegExp(`\\n${model}\\s+lora_qv\\s+\\d+\\.\\d\\d \\[lr 0\\.0(01|1), n=1\\]`));
    // Throughput relative to full fine-tuning of the same model: 100 for its own full row.
    assert.match(text, new RegExp(`\\n${model}\\s+full\\s+[0-9.]+\\s+[0-9.]+\\s+100\\s+.*\\s100\\.0\\s`));
  }
  assert.match(text, /Table 5: efficiency, throughput as % of full fine-tuning, per model\n\nmodel\s+method\s+score/);
  const csv = storedReport(store, experimentId, 'csv').split('\n\n');
  assert.equal(csv.length, 3, 'three tables');
  assert.equal(csv[0].split('\n')[0], 'method,model,tiny-gated');
  assert.match(csv[1].split('\n')[0], /^model,method,colours \(accuracy\),mean,vs full,vs best$/);
  assert.deepEqual(csv[2].split('\n').slice(1).map((l) => l.split(',').slice(0, 2).join(' ')), ['model full', 'model lora_qv', 'tiny-gated full', 'tiny-gated lora_qv']);
  assert.match(storedReport(store, experimentId, 'md'), /\| method \| model \| tiny-gated \|\n\| :--- \| ---: \| ---: \|/);
  assert.equal(storedReport(store, experimentId, 'latex').match(/\\begin\{tabular\}/g)?.length, 3);
  const json = JSON.parse(storedReport(store, experimentId, 'json')) as { models: string[]; cells: { model: string }[]; methods: { model: string; method: string }[] };
  assert.deepEqual(json.models, ['model', 'tiny-gated']);
  assert.equal(json.cells.length, 4);
  assert.deepEqual(json.methods.map((m) => `${m.model} ${m.method}`), ['model full', 'model lora_qv', 'tiny-gated full', 'tiny-gated lora_qv']);
  // --with-reference: the study's rows of the same model names only.
  const published = publishedTable5();
  assert.match(storedReport(store, experimentId, 'text', published), /none of this experiment's models \(model, tiny-gated\) is in it; the study reports T5-Large, T5-3B, T5-11B/);
  const ref = referenceTable(published, ['full', 'lora_qv'], 'md', ['google-t5/t5-large', 't5-3b', 'default']);
  assert.deepEqual(ref.split('\n').slice(4).map((l) => l.split(' | ').slice(0, 2).join(' ')), ['| T5-Large full', '| T5-Large lora_qv', '| T5-3B full', '| T5-3B lora_qv']);
});

test('an adapter imported into a two-model experiment is a run of the model it was trained on, reported under that model', () => {
  assert.ok(experimentId, 'the comparison above ran');
  const lrs = store.lrChoices(experimentId);
  const chosenLr = lrs.find((l) => l.model === 'tiny-gated' && l.method === 'lora_qv')!.learningRate;
  const lora = store.listRuns({ experimentId }).find((r) => r.model === 'tiny-gated' && r.method === 'lora_qv' && r.learningRate === chosenLr)!;
  const adapter = path.join(dir, 'gated-adapter');
  exportDelta({
    modelDir: lora.spec.modelDir, method: 'lora_qv', options: lora.spec.methodOptions,
    delta: readDelta(path.join(artifactsRoot, `run-${lora.id}`, 'delta.safetensors')), kind: 'adapter', out: adapter,
  });
  const before = store.listRuns({ experimentId }).length;
  assert.throws(() => importAsRun(store, { adapterDir: adapter, task: 'colours', experimentId }, backendChoice()),
    /experiment \d+ compares several models: model \(.*\), tiny-gated \(.*\); say which one the adapter was trained on with --model/);
  assert.throws(() => importAsRun(store, { adapterDir: adapter, task: 'colours', experimentId, model: path.join(dir, 'elsewhere') }, backendChoice()),
    /--model .*elsewhere is none of experiment \d+'s models \(model \(.*\), tiny-gated \(.*\)\)/);
  assert.equal(store.listRuns({ experimentId }).length, before, 'nothing stored by a refusal');
  const out = importAsRun(store, { adapterDir: adapter, task: 'colours', experimentId, model: gated }, backendChoice());
  assert.equal(out.model, 'tiny-gated');
  const run = store.getRun(out.runId)!;
  assert.deepEqual([run.model, run.spec.modelDir, run.imported?.sourceDir], ['tiny-gated', gated, adapter]);
  assert.equal(run.result!.score, lora.result!.score, 'scored as its trained run was');

  const text = storedReport(store, experimentId, 'text');
  // Table 4 by model: the imported row has a score under tiny-gated only, after the methods trained here.
  assert.match(text, /\nlora_qv\s+\d+\.\d\d\s+\d+\.\d\d\nlora_qv \(imported: gated-adapter\)\s+—\s+\d+\.\d\d\n/);
  assert.match(text, /\ntiny-gated\s+lora_qv \(imported: gated-adapter\)\s+\d+\.\d\d \[imported, n=1\]/);
  assert.doesNotMatch(text, /\nmodel\s+lora_qv \(imported/);
  // Table 5 per model: its training dimensions not measured here.
  assert.match(text, /\ntiny-gated\s+lora_qv \(imported: gated-adapter\)\s+\d+\.\d\d\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+ K?B\s+n\/m\s+n\/m\s+n\/m\s+n\/m\s+n\/m\s/);
  assert.match(text, /lora_qv \(imported: gated-adapter\) on tiny-gated from .*gated-adapter/);
  const json = JSON.parse(storedReport(store, experimentId, 'json')) as { methods: { model: string; label: string; imported: string | null }[] };
  assert.deepEqual(json.methods.map((m) => `${m.model} ${m.label}`), [
    'model full', 'model lora_qv', 'tiny-gated full', 'tiny-gated lora_qv', 'tiny-gated lora_qv (imported: gated-adapter)',
  ]);
});

function count(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

test('built-in models: listed for the picker before they are built, built on first use under the workbench home', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'peft-builtins-'));
  const [pretrained, twin] = builtinEntries(home);
  assert.equal(pretrained.name, 'default');
  assert.equal(pretrained.problem, null);
  assert.equal(twin.name, 'default-untrained');
  assert.match(twin.summary ?? '', /built when a comparison first uses it/);
  assert.equal(twin.params, pretrained.params, 'the twin has the default model\'s architecture');
  assert.deepEqual(unbuilt([{ name: 'default-untrained', path: 'default-untrained' }], home), ['default-untrained']);
  const [resolved] = resolveBuiltins([{ name: 'default-untrained', path: 'default-untrained' }], home);
  assert.equal(resolved.path, builtinFolder('default-untrained', home));
  assert.equal(resolved.name, 'default-untrained');
  assert.deepEqual(unbuilt([{ name: 'default-untrained', path: 'default-untrained' }], home), []);
  assert.doesNotMatch(builtinEntries(home)[1].summary ?? '', /built when/);
});
