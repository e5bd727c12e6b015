// peft-bench export / import end to end: a store with a finished and an unfinished run, the
// run's delta where the comparison runner writes it, and the refusals the command gives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { handleInvoke, makeHandlers } from '../src/main/handlers';
import { VALIDATORS } from '../src/shared/ipc';
import { initBackend } from '../src/main/engine/backend';
import { runArtifactsDir } from '../src/main/engine/export/run_export';
import { loadModel, saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { buildUnigramTokenizer } from '../src/main/engine/models/tokenizer';
import { getMethod } from '../src/main/engine/peft/registry';
import { writeSafetensorsFile } from '../src/main/engine/safetensors';
import { Store } from '../src/main/store/store';
import type { EnvironmentSnapshot, RunResult, RunSpec } from '../src/shared/types';
import { TINY_T5 } from './helpers';
import * as tf from '@tensorflow/tfjs-core';
import { cliInProcess as cli } from './cli_in_process';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-export-cli-'));
const modelDir = path.join(dir, 'model');
const db = path.join(dir, 'workbench.db');
const runs: Record<string, number> = {};

/** The real command in a child process (once, for the bin wiring). */
function spawnCli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/peft-bench.mjs', ...args], { encoding: 'utf8', env: { ...process.env, PEFT_BENCH_HOME: dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}


const spec = (method: string, methodOptions: RunSpec['methodOptions'] = {}): RunSpec => ({
  modelDir, task: 'colours', method, methodOptions, learningRate: 1e-3, seed: 0, microBatch: 4, effectiveBatch: 4, steps: 1,
  warmupRatio: 0, weightDecay: 0, maxInputTokens: 16, maxTargetTokens: 4, evalEvery: 1, evalExamples: 0, testExamples: 0,
});
const ENV = { backend: { name: 'cpu', skipped: [], forced: true }, device: 'cpu', gpu: null, versions: {}, platform: 'linux', totalMemoryBytes: 1, hostname: 'h' } as unknown as EnvironmentSnapshot;
const RESULT: RunResult = {
  totalParams: 1, trainableParams: 1, changedParams: 1, storageBytes: 1, peakTensorBytes: 1, peakRssBytes: 1, peakGpuBytes: null,
  trainTokensPerSec: 1, inferTokensPerSecUnmerged: 1, inferTokensPerSecMerged: null, metric: 'accuracy', score: 0, validationScore: 0, finalLoss: 0, trainSeconds: 1,
};

/** Stores a finished run of `method` with a moved delta saved as run.ts saves it. */
function finishedRun(store: Store, experiment: number, method: string, options: RunSpec['methodOptions'] = {}): number {
  const id = store.createRun(experiment, spec(method, options));
  store.startRun(id, ENV);
  const loaded = loadModel(modelDir);
  const m = getMethod(method);
  const attached = m.attach(loaded.model, m.validate(options, loaded.config), 0);
  attached.trainable.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', 7 + i)))));
  writeSafetensorsFile(path.join(runArtifactsDir(db, id), 'delta.safetensors'), attached.save().map((d) => ({ ...d, dtype: 'F32' as const })), { format: 'pt' });
  attached.dispose();
  loaded.model.dispose();
  store.finishRun(id, RESULT);
  return id;
}

before(async () => {
  await initBackend();
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(buildUnigramTokenizer(['red blue', 'sky sea'], { vocabSize: TINY_T5.vocabSize })));
  const model = T5Model.random(TINY_T5, 0);
  saveModel(modelDir, model);
  model.dispose();
  const store = Store.open(db);
  try {
    const e = store.createExperiment('tiny', {});
    runs.lora = finishedRun(store, e, 'lora_qv', { r: 2 });
    runs.houlsby = finishedRun(store, e, 'houlsby');
    runs.failed = store.createRun(e, spec('lora_qv'));
    store.failRun(runs.failed, 'loss diverged');
  } finally {
    store.close();
  }
});

test('export --adapter writes a PEFT adapter with its check, and import loads it back and writes it merged', async () => {
  const out = path.join(dir, 'adapter');
  const r = spawnCli('export', String(runs.lora), '--adapter', '--out', out, '--db', db);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /exported lora_qv as a Hugging Face PEFT adapter/);
  assert.match(r.out, /check: adapter \(reloaded from the written files\) vs trained: largest relative difference \S+ \(tolerance 1e-4\) ok/);
  assert.equal(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8')).peft_type, 'LORA');
  const merged = path.join(dir, 'imported-merged');
  const i = await cli('import', out, '--model', modelDir, '--out', merged, '--json');
  assert.equal(i.code, 0, i.err);
  const summary = JSON.parse(i.out);
  assert.equal(summary.method, 'lora_qv');
  assert.deepEqual(summary.options, { r: 2, alpha: 8 });
  assert.ok(summary.checks[0].ok);
  assert.ok(existsSync(path.join(merged, 'model.safetensors')));
});

test('export of a method that cannot merge: --merged is refused; --adapter says so with its inference overhead', async () => {
  const out = path.join(dir, 'houlsby');
  const m = await cli('export', String(runs.houlsby), '--merged', '--out', out, '--db', db);
  assert.equal(m.code, 2);
  assert.match(m.err, /houlsby cannot be merged.*--adapter/);
  assert.ok(!existsSync(out));
  const a = await cli('export', String(runs.houlsby), '--adapter', '--out', out, '--db', db);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /workbench adapter \(PEFT has no such method\)/);
  assert.match(a.out, /houlsby cannot be merged/);
  assert.match(a.out, /inference overhead: 8 serial bottleneck adapters/);
});

test('export refuses a run that did not finish, a missing run, and a missing --out', async () => {
  const f = await cli('export', String(runs.failed), '--adapter', '--out', path.join(dir, 'x'), '--db', db);
  assert.equal(f.code, 2);
  assert.match(f.err, new RegExp(`run ${runs.failed} did not finish: its status is failed \\(loss diverged\\)`));
  assert.match((await cli('export', '99', '--adapter', '--out', path.join(dir, 'x'), '--db', db)).err, /run 99 is not in/);
  assert.match((await cli('export', String(runs.lora), '--adapter', '--db', db)).err, /export needs --out DIR/);
  assert.match((await cli('export', String(runs.lora), '--merged', '--adapter', '--out', path.join(dir, 'x'), '--db', db)).err, /exactly one of --merged or --adapter/);
  assert.ok(!existsSync(path.join(dir, 'x')));
});

test('the app\'s runs:export channel: validated request, the same export and refusals as the command', async () => {
  assert.deepEqual(VALIDATORS['runs:export']({ id: 1, kind: 'adapter', out: '/tmp/x' }), { id: 1, kind: 'adapter', out: '/tmp/x' });
  assert.throws(() => VALIDATORS['runs:export']({ id: 1, kind: 'both', out: '/tmp/x' }), /runs:export: field 'kind' must be "merged" or "adapter"/);
  assert.throws(() => VALIDATORS['runs:export']({ id: 1, kind: 'merged', out: 'relative/x' }), /field 'out' must be an absolute folder path/);
  assert.throws(() => VALIDATORS['runs:export']({ id: 1, kind: 'merged', out: '/x', force: 'yes' }), /field 'force' must be true or false/);
  const store = Store.open(db);
  try {
    const handlers = makeHandlers({ store, comparisons: { start: () => ({ experimentId: 0 }), busy: false } as never, dbPath: db });
    const out = path.join(dir, 'from-app');
    const result = await handleInvoke(handlers, 'runs:export', { id: runs.lora, kind: 'merged', out });
    assert.equal(result.layout, 'merged');
    assert.ok(result.checks.every((c) => c.ok));
    assert.ok(existsSync(path.join(out, 'model.safetensors')));
    await assert.rejects(async () => handleInvoke(handlers, 'runs:export', { id: runs.houlsby, kind: 'merged', out: path.join(dir, 'no') }), /houlsby cannot be merged/);
  } finally {
    store.close();
  }
});
