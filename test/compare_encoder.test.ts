// End to end on an encoder: `peft-bench compare` over a tiny BERT folder (WordPiece tokenizer.json,
// no classifier in the checkpoint, as a base model's folder) on a small task of 3 labels (not
// config.json's 2: the task's count sizes the head), trained as a classifier and scored by argmax over the labels; the
// run exported as a PEFT adapter and merged, and imported back beside it; what validation refuses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../src/main/engine/backend';
import { parseComparison } from '../src/main/comparison/config';
import { preflight } from '../src/main/comparison/runner';
import { EncoderModel } from '../src/main/engine/models/encoder';
import { encoderToHfConfig } from '../src/main/engine/models/encoder_config';
import { writeSafetensorsFile } from '../src/main/engine/safetensors';
import { TINY_BERT } from './helpers';
import { BERT_SPECIALS, BERT_WORDS, bertTokenizer } from './wordpiece_fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-encoder-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const modelDir = path.join(dir, 'bert');
const db = path.join(dir, 'store.db');
const CONFIG = { ...TINY_BERT, vocabSize: BERT_SPECIALS.length + BERT_WORDS.length };

before(async () => {
  await initBackend();
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(bertTokenizer()));
  writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify(encoderToHfConfig(CONFIG)));
  const model = EncoderModel.random(CONFIG, 0);
  const tensors = model.checkpointNames().filter((n) => !n.startsWith('classifier.')).map((name) => {
    const t = model.checkpointTensor(name);
    const out = { name, dtype: 'F32' as const, shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    t.dispose();
    return out;
  });
  model.dispose();
  writeSafetensorsFile(path.join(modelDir, 'model.safetensors'), tensors, { format: 'pt' });
});

const comparison = (extra: Record<string, unknown>) => parseComparison({
  name: 'tiny-bert', model: modelDir, tasks: ['spam_assassin'], methods: ['lora_qv'], learning_rates: [1e-2], seeds: [0],
  budget: { steps: 4, micro_batch: 4, effective_batch: 4, max_input_tokens: 24, eval_every: 2, eval_examples: 8, test_examples: 8 },
  ...extra,
}, dir, 'tiny-bert');

test('peft-bench compare trains a tiny BERT classifier of 3 labels; its run leaves as an adapter and merged, and comes back scoring the same', () => {
  const cfg = path.join(dir, 'cfg.json');
  const words = ['the cat sat', 'on the mat', 'a cat', 'playing cats', 'the mat sat on a cat', 'cafe, tea!', 'tax', 'yes yes', 'the cafe', 'unaffable cat'];
  const moods = ['bad', 'fine', 'good'];
  const file = (split: string, n: number) => {
    writeFileSync(path.join(dir, `${split}.jsonl`), Array.from({ length: n }, (_, i) => JSON.stringify({ input: words[i % words.length], target: moods[(i * 7) % 3] })).join('\n'));
    return path.join(dir, `${split}.jsonl`);
  };
  const task = { name: 'moods', train: file('train', 24), validation: file('validation', 8), test: file('test', 8) };
  writeFileSync(cfg, JSON.stringify({
    name: 'tiny-bert', model: modelDir, tasks: [task],
    methods: [{ id: 'lora_qv', r: 2 }, 'bitfit'], learning_rates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 4, max_input_tokens: 24, eval_every: 2, eval_examples: 8, test_examples: 8 },
  }));
  const env = { ...process.env, PEFT_BENCH_HOME: dir };
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/peft-bench.mjs', ...args, '--db', db], { encoding: 'utf8', env });
  const r = cli('compare', cfg);
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(cli('runs', '--json').stdout) as { id: number; experimentId: number; method: string; status: string; result: Record<string, number> }[];
  assert.deepEqual(runs.map((x) => [x.method, x.status]), [['lora_qv', 'done'], ['bitfit', 'done']]);
  const D = CONFIG.hiddenSize, L = CONFIG.numLayers, F = CONFIG.intermediateSize;
  const head = D * 3 + 3; // classifier for bad / fine / good (config.json says 2), initialised by the run: the checkpoint has none
  assert.equal(runs[0].result.trainableParams, L * 2 * 2 * (D + D) + head, 'LoRA r 2 on query and value, and the head');
  assert.equal(runs[1].result.trainableParams, L * (7 * D + F) + 2 * D + head, 'every bias, and the head');
  for (const { result: x } of runs) {
    assert.ok(x.trainTokensPerSec > 0 && x.inferTokensPerSecUnmerged > 0);
    assert.ok(x.score >= 0 && x.score <= 1 && Number.isFinite(x.finalLoss));
    // Argmax over the labels: every prediction is a label, so the score is a multiple of 1/8.
    assert.equal(Math.round(x.score * 8), x.score * 8);
  }
  assert.ok(runs[0].result.inferTokensPerSecMerged > 0, 'LoRA merges into the encoder');

  const adapter = path.join(dir, 'adapter'), merged = path.join(dir, 'merged');
  const exported = cli('export', String(runs[0].id), '--adapter', '--out', adapter);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stdout, /Hugging Face PEFT adapter[\s\S]*classifier head of 3 labels \(bad, fine, good, the task's labels\)/);
  assert.deepEqual(JSON.parse(readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8')).modules_to_save, ['classifier', 'score']);
  const written = cli('export', String(runs[0].id), '--merged', '--out', merged);
  assert.equal(written.status, 0, written.stderr);
  assert.deepEqual(JSON.parse(readFileSync(path.join(merged, 'config.json'), 'utf8')).id2label, { 0: 'bad', 1: 'fine', 2: 'good' });
  const back = cli('import', adapter, '--task', 'moods', '--experiment', String(runs[0].experimentId), '--json');
  assert.equal(back.status, 0, back.stderr);
  const outcome = JSON.parse(back.stdout) as { evaluation: { score: number; adapter: { method: string } } };
  assert.equal(outcome.evaluation.adapter.method, 'lora_qv');
  assert.equal(outcome.evaluation.score, runs[0].result.score, 'the imported adapter scores what its run scored on the same test examples');
});

test('a generation task on an encoder is refused before anything runs, naming the task', () => {
  assert.throws(() => preflight(comparison({ tasks: ['spam_assassin', 'cmudict'] })),
    /tasks\[1\]: cmudict is a generation task \(its targets are free text\), but the model is a bert encoder with a classification head/);
});

test('a soft prompt and inputs beyond the position table are refused with the fields named', () => {
  // TINY_BERT embeds 32 positions: 24 input tokens + 10 virtual tokens do not fit.
  assert.throws(() => preflight(comparison({ methods: ['lora_qv', { id: 'prompt_tuning', num_virtual_tokens: 10 }] })),
    /methods\[1\]\.num_virtual_tokens: prompt_tuning puts 10 tokens in front of up to 24 input tokens \(budget\.max_input_tokens\), 34 positions, but this bert model embeds at most 32 positions \(max_position_embeddings in config\.json\); lower budget\.max_input_tokens to 22 or num_virtual_tokens to 8/);
  const long = comparison({});
  long.budget.max_input_tokens = 40;
  assert.throws(() => preflight(long), /budget\.max_input_tokens is 40, but this bert model embeds at most 32 positions/);
  // Prefix slots take no position: the same lengths are fine for prefix tuning.
  assert.doesNotThrow(() => preflight(comparison({ methods: [{ id: 'prefix_tuning', prefix_length: 10 }] })));
});

test('the app’s cost estimate covers an encoder: counts with the head, activations of the input only', async () => {
  const { estimatePlan } = await import('../src/main/plan_estimate');
  const est = estimatePlan({
    name: 'e', models: [modelDir], tasks: [{ builtin: 'spam_assassin' }],
    methods: [{ id: 'full', options: {} }, { id: 'lora_qv', options: { r: 2 } }], learningRates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 4, max_input_tokens: 24 },
  }, [], dir, { name: 'test', memoryBytes: 2 ** 34 });
  const [full, lora] = est.rows;
  const D = CONFIG.hiddenSize, L = CONFIG.numLayers, F = CONFIG.intermediateSize;
  assert.equal(lora.trainable, L * 2 * 2 * (D + D) + D * 2 + 2);
  assert.equal(full.trainable, est.models[0].totalParams);
  // weights + AdamW (3 × trainable) + 4 examples × (per layer: 24 tokens × (12D + 3F + 2·H·24)) + label logits, in float32
  const activations = L * 24 * (12 * D + 3 * F + 2 * CONFIG.numHeads * 24) + 3 * 2;
  assert.equal(lora.peakBytes, 4 * (est.models[0].totalParams + 3 * lora.trainable! + 4 * activations));
});
