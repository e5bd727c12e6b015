// End to end: the peft-bench command on a tiny model and task, and its refusals of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { initBackend } from '../src/main/engine/backend';
import { saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { buildUnigramTokenizer } from '../src/main/engine/models/tokenizer';
import { TINY_T5 } from './helpers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-cli-'));
const modelDir = path.join(dir, 'model');
const db = path.join(dir, 'store.db');
const WORDS = ['red', 'green', 'blue', 'apple', 'leaf', 'sky', 'sea', 'grass', 'fire'];

function jsonl(file: string, n: number, offset: number): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const w = WORDS[(i + offset) % WORDS.length];
    return JSON.stringify({ text: `colour of ${w}`, label: ['apple', 'fire', 'red'].includes(w) ? 'red' : 'blue' });
  });
  writeFileSync(path.join(dir, file), rows.join('\n') + '\n');
  return file;
}

function config(extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    name: 'tiny', model: modelDir,
    tasks: [{ name: 'colours', train: 'train.jsonl', validation: 'val.jsonl', test: 'test.jsonl', input: 'text', target: 'label' }],
    methods: ['full', { id: 'lora_qv', r: 2 }, 'ln_tuning'],
    learning_rates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4, eval_every: 2, eval_examples: 8, test_examples: 8 },
    ...extra,
  }));
  return file;
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/peft-bench.mjs', ...args], { encoding: 'utf8', env: { ...process.env, PEFT_BENCH_HOME: dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function counts(file = db): { experiments: number; runs: number; metrics: number } {
  const conn = new Database(file, { readonly: true });
  try {
    const n = (t: string) => (conn.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { experiments: n('experiments'), runs: n('runs'), metrics: n('metrics') };
  } finally {
    conn.close();
  }
}

before(async () => {
  await initBackend();
  jsonl('train.jsonl', 32, 0);
  jsonl('val.jsonl', 8, 3);
  jsonl('test.jsonl', 8, 5);
  const texts = WORDS.flatMap((w) => [`colour of ${w}`, 'red', 'blue']);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(buildUnigramTokenizer(texts, { vocabSize: TINY_T5.vocabSize })));
  const model = T5Model.random(TINY_T5, 0);
  saveModel(modelDir, model);
  model.dispose();
});

test('compare runs every method, stores the five dimensions and prints the table', () => {
  const r = cli('compare', config(), '--db', db);
  assert.equal(r.code, 0, r.err);
  for (const m of ['full', 'lora_qv', 'ln_tuning']) assert.match(r.out, new RegExp(`\\n${m}\\s+\\d+\\.\\d\\d \\[lr 0\\.01, n=1\\]`));
  assert.match(r.out, /Table 4/);
  assert.match(r.out, /Table 5/);
  assert.match(r.out, /train %/);
  assert.match(r.err, /\[3\/3\] seed colours ln_tuning/);
  const runs = JSON.parse(cli('runs', '--db', db, '--json').out) as { method: string; status: string; env: { backend: { name: string } }; result: Record<string, number | null> }[];
  assert.equal(runs.length, 3);
  for (const run of runs) {
    assert.equal(run.status, 'done');
    assert.ok(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(run.env.backend.name));
    const x = run.result;
    for (const k of ['storageBytes', 'peakTensorBytes', 'peakRssBytes', 'trainTokensPerSec', 'inferTokensPerSecUnmerged', 'inferTokensPerSecMerged']) {
      assert.ok((x[k] as number) > 0, `${k} = ${x[k]}`);
    }
    assert.ok(x.score! >= 0 && x.score! <= 1);
  }
  const [full, lora, ln] = ['full', 'lora_qv', 'ln_tuning'].map((m) => runs.find((r) => r.method === m)!.result);
  for (const x of [full, lora, ln]) assert.ok(x.storageBytes! >= 4 * x.trainableParams!, 'the delta holds every trainable value as float32');
  assert.ok(full.storageBytes! > 4 * lora.storageBytes!, 'full fine-tuning stores the whole model');
  assert.ok(ln.trainableParams! < lora.trainableParams!);
  const show = cli('show', '1', '--db', db);
  assert.equal(show.code, 0);
  assert.match(show.out, /backend: (wasm|cpu)/);
  assert.match(show.out, /loss: 1:/);
});

test('the protocol: sweep on the first seed, the chosen rate on the others, recorded and reported', () => {
  const protoDb = path.join(dir, 'protocol.db');
  const r = cli('compare', config({ methods: [{ id: 'lora_qv', r: 2 }], learning_rates: [1e-2, 1e-3], seeds: [0, 1] }), '--db', protoDb);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /colours lora_qv: learning rate 0\.0(1|01) chosen on validation/);
  const runs = JSON.parse(cli('runs', '--db', protoDb, '--json').out) as { role: string; learningRate: number; seed: number; result: { validationScore: number } }[];
  assert.deepEqual(runs.map((x) => [x.role, x.seed]), [['sweep', 0], ['sweep', 0], ['seed', 1]]);
  const best = runs[0].result.validationScore >= runs[1].result.validationScore ? runs[0] : runs[1];
  assert.equal(runs[2].learningRate, best.learningRate);
  const conn = new Database(protoDb, { readonly: true });
  const choice = conn.prepare('SELECT learning_rate, candidates FROM lr_choices').get() as { learning_rate: number; candidates: number };
  conn.close();
  assert.deepEqual(choice, { learning_rate: best.learningRate, candidates: 2 });
  const md = cli('report', '1', '--db', protoDb, '--format', 'md');
  assert.equal(md.code, 0, md.err);
  assert.match(md.out, new RegExp(`\\| lora_qv \\| [0-9.]+ ± [0-9.]+ \\[lr ${best.learningRate}, n=2\\]`));
  assert.match(cli('report', '1', '--db', protoDb, '--format', 'csv').out, /^method,colours \(accuracy\),mean/);
  // The bar to clear: always answering the most frequent training label, on the same test examples.
  assert.match(md.out, /\| majority class \| \d+\.\d\d \| — \|/);
  assert.match(cli('report', '1', '--db', protoDb, '--format', 'latex').out, /\\begin\{tabular\}/);
  assert.notEqual(cli('report', '1', '--db', protoDb, '--format', 'docx').code, 0);
  // The study's published rows of the same model names and methods, from resources/reference: a
  // model folder called "model" is none of the study's T5s, so none are added, and the report says so.
  const ref = cli('report', '1', '--db', protoDb, '--format', 'md', '--with-reference');
  assert.equal(ref.code, 0, ref.err);
  assert.match(ref.out, /Published: Lialin et al\. 2024, Table 5 .*: none of this experiment's models \(model\) is in it; the study reports T5-Large, T5-3B, T5-11B/);
  const json = JSON.parse(cli('report', '1', '--db', protoDb, '--json', '--with-reference').out) as { models: string[]; published: unknown[]; publishedModels: Record<string, string | null> };
  assert.deepEqual([json.models, json.published, json.publishedModels], [['model'], [], { model: null }]);
});

test('bad input: a clear error, a non-zero exit, and the store unchanged', () => {
  const before = counts();
  const refuse = (args: string[], pattern: RegExp) => {
    const r = cli(...args, '--db', db);
    assert.notEqual(r.code, 0, `expected failure for ${args.join(' ')}`);
    assert.match(r.err, pattern);
    assert.deepEqual(counts(), before);
  };
  refuse(['compare', config({ methods: ['full', 'qlora'] })], /methods\[1\]: unknown method "qlora"/);
  refuse(['compare', config({ methods: [{ id: 'lora_qv', r: 0 }] })], /lora_qv\.r must be a positive integer, got 0/);
  refuse(['compare', config({ budget: { steps: -1 } })], /budget\.steps must be an integer ≥ 0/);
  refuse(['compare', config({ model: path.join(dir, 'nowhere') })], /nowhere does not exist/);

  const broken = path.join(dir, 'broken');
  mkdirSync(broken);
  for (const f of ['config.json', 'tokenizer.json', 'model.safetensors']) copyFileSync(path.join(modelDir, f), path.join(broken, f));
  truncateSync(path.join(broken, 'model.safetensors'), 1000);
  refuse(['compare', config({ model: broken })], /broken\/model\.safetensors/);
  const cfg = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
  writeFileSync(path.join(broken, 'config.json'), JSON.stringify({ ...cfg, d_model: 'wide' }));
  refuse(['compare', config({ model: broken })], /broken\/config\.json.*d_model/);

  writeFileSync(path.join(dir, 'bad.jsonl'), '{"text": "colour of sky"}\n');
  const badTask = { name: 'colours', train: 'bad.jsonl', validation: 'val.jsonl', test: 'test.jsonl', input: 'text', target: 'label' };
  refuse(['compare', config({ tasks: [badTask] })], /bad\.jsonl line 1: field "label" is missing/);
  refuse(['show', '999'], /run 999 is not in/);
  refuse(['report', '999'], /experiment 999 is not in/);
  refuse(['compare', config({ learning_rates: [] })], /learning_rates must be a non-empty list/);
});

test('a database that is not SQLite is refused and left as it was', () => {
  const notDb = path.join(dir, 'notes.db');
  writeFileSync(notDb, 'my notes, not a database\n'.repeat(100));
  const r = cli('runs', '--db', notDb);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /notes\.db/);
  assert.equal(readFileSync(notDb, 'utf8'), 'my notes, not a database\n'.repeat(100));
});
