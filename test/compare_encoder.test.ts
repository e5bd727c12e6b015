// End to end on an encoder: `peft-bench compare` over a tiny BERT folder (WordPiece tokenizer.json,
// no classifier in the checkpoint, as a base model's folder) on the built-in spam_assassin task,
// trained as a classifier and scored by argmax over the labels; and what validation refuses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

test('peft-bench compare trains and scores a tiny BERT classifier on spam_assassin', () => {
  const cfg = path.join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({
    name: 'tiny-bert', model: modelDir, tasks: ['spam_assassin'],
    methods: [{ id: 'lora_qv', r: 2 }, 'bitfit'], learning_rates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 4, max_input_tokens: 24, eval_every: 2, eval_examples: 8, test_examples: 8 },
  }));
  const env = { ...process.env, PEFT_BENCH_HOME: dir };
  const r = spawnSync(process.execPath, ['bin/peft-bench.mjs', 'compare', cfg, '--db', db], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(spawnSync(process.execPath, ['bin/peft-bench.mjs', 'runs', '--db', db, '--json'], { encoding: 'utf8', env }).stdout) as {
    id: number; method: string; status: string; result: Record<string, number>;
  }[];
  assert.deepEqual(runs.map((x) => [x.method, x.status]), [['lora_qv', 'done'], ['bitfit', 'done']]);
  const D = CONFIG.hiddenSize, L = CONFIG.numLayers, F = CONFIG.intermediateSize;
  const head = D * 2 + 2; // classifier for ham / spam, initialised by the run: the checkpoint has none
  assert.equal(runs[0].result.trainableParams, L * 2 * 2 * (D + D) + head, 'LoRA r 2 on query and value, and the head');
  assert.equal(runs[1].result.trainableParams, L * (7 * D + F) + 2 * D + head, 'every bias, and the head');
  for (const { result: x } of runs) {
    assert.ok(x.trainTokensPerSec > 0 && x.inferTokensPerSecUnmerged > 0);
    assert.ok(x.score >= 0 && x.score <= 1 && Number.isFinite(x.finalLoss));
    // Argmax over two labels: every prediction is a label, so the score is a multiple of 1/8.
    assert.equal(Math.round(x.score * 8), x.score * 8);
  }
  assert.ok(runs[0].result.inferTokensPerSecMerged > 0, 'LoRA merges into the encoder');
  const exported = spawnSync(process.execPath, ['bin/peft-bench.mjs', 'export', String(runs[0].id), '--adapter', '--out', path.join(dir, 'out'), '--db', db], { encoding: 'utf8', env });
  assert.notEqual(exported.status, 0);
  assert.match(exported.stderr, /export: bert classifiers cannot be exported yet/);
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
