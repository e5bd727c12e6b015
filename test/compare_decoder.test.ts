// End to end on a decoder: `peft-bench compare` over a tiny LLaMA folder with a byte-level BPE
// tokenizer.json, trained as a causal LM on prompt ‖ answer and scored by greedy decoding.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../src/main/engine/backend';
import { encodeExamples } from '../src/main/engine/data/batching';
import { FORMATTERS } from '../src/main/engine/data/format';
import { DecoderModel } from '../src/main/engine/models/decoder';
import { loadModel, saveModel } from '../src/main/engine/models/load';
import type { DecoderConfig } from '../src/main/engine/models/types';
import { byteLevelTokenizer, type Merge } from './bpe_fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-decoder-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const modelDir = path.join(dir, 'llama');
const db = path.join(dir, 'store.db');
const WORDS = ['red', 'green', 'blue', 'apple', 'leaf', 'sky', 'sea', 'grass', 'fire'];
const MERGES: Merge[] = [['r', 'e'], ['\u0120', 'b'], ['l', 'u'], ['\u0120b', 'lu'], ['\u0120blu', 'e'], ['\u0120', 're'], ['\u0120re', 'd']];
const BOS = 256 + MERGES.length, EOS = BOS + 1;

/** A tiny LLaMA-3 style model: byte-level vocabulary, bos and eos from config.json, untied head. */
const CONFIG: DecoderConfig = {
  modelType: 'llama', vocabSize: EOS + 1, hiddenSize: 16, intermediateSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2,
  headDim: 4, rmsNormEps: 1e-6, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false,
  slidingWindow: null, tieWordEmbeddings: false, bosTokenId: BOS, eosTokenIds: [EOS], padTokenId: EOS,
};

function jsonl(file: string, n: number, offset: number): void {
  const rows = Array.from({ length: n }, (_, i) => {
    const w = WORDS[(i + offset) % WORDS.length];
    return JSON.stringify({ text: `colour of ${w}`, label: ['apple', 'fire', 'red'].includes(w) ? 'red' : 'blue' });
  });
  writeFileSync(path.join(dir, file), rows.join('\n') + '\n');
}

before(async () => {
  await initBackend();
  jsonl('train.jsonl', 16, 0);
  jsonl('val.jsonl', 4, 3);
  jsonl('test.jsonl', 4, 5);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizer('llama3', MERGES, ['<|begin_of_text|>', '<|end_of_text|>'])));
  const model = DecoderModel.random(CONFIG, 0);
  saveModel(modelDir, model);
  model.dispose();
});

test('the folder opens with its tokenizer: bos-led prompt, answer ending in eos', () => {
  const { model, tokenizer, config } = loadModel(modelDir);
  try {
    assert.equal(config.modelType, 'llama');
    assert.equal(tokenizer.bosId, BOS);
    const f = FORMATTERS.decoder({ input: 'colour of red', target: 'red', fields: [['text', 'colour of red']] }, { name: 'colours', labels: ['red', 'blue'] });
    const [ex] = encodeExamples(tokenizer, [{ input: f.source, target: f.target }], 64, 4, 'causal');
    assert.equal(ex.input[0], BOS);
    assert.ok(!ex.input.slice(1).includes(EOS), 'no eos inside the prompt');
    assert.deepEqual(ex.target, [256 + 6, EOS]); // " red" is one merged piece (Ġred), then eos
    assert.equal(tokenizer.decode(ex.target), ' red');
  } finally {
    model.dispose();
  }
});

test('peft-bench compare trains and scores a tiny decoder', () => {
  const cfg = path.join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({
    name: 'tiny-llama', model: modelDir,
    tasks: [{ name: 'colours', train: 'train.jsonl', validation: 'val.jsonl', test: 'test.jsonl', input: 'text', target: 'label' }],
    methods: [{ id: 'lora_qv', r: 2 }, 'ln_tuning'], learning_rates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 4, max_input_tokens: 48, max_target_tokens: 4, eval_every: 2, eval_examples: 4, test_examples: 4 },
  }));
  const env = { ...process.env, PEFT_BENCH_HOME: dir };
  const r = spawnSync(process.execPath, ['bin/peft-bench.mjs', 'compare', cfg, '--db', db], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nlora_qv\s+\d+\.\d\d \[lr 0\.01, n=1\]/);
  const runs = JSON.parse(spawnSync(process.execPath, ['bin/peft-bench.mjs', 'runs', '--db', db, '--json'], { encoding: 'utf8', env }).stdout) as {
    method: string; status: string; result: Record<string, number>;
  }[];
  assert.deepEqual(runs.map((x) => [x.method, x.status]), [['lora_qv', 'done'], ['ln_tuning', 'done']]);
  const weights = readFileSync(path.join(modelDir, 'model.safetensors')).length;
  for (const { result: x } of runs) {
    assert.ok(x.totalParams > 0 && x.totalParams * 4 < weights, 'the model’s parameters, read from its weights');
    assert.ok(x.trainTokensPerSec > 0 && x.inferTokensPerSecUnmerged > 0);
    assert.ok(x.score >= 0 && x.score <= 1 && Number.isFinite(x.finalLoss));
  }
  assert.ok(runs[0].result.inferTokensPerSecMerged > 0, 'LoRA merges into the decoder');
});
