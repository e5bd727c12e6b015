// Fuzzing: every reader of outside input takes thousands of mutated valid inputs and ends in
// a correct result or a clear error (a plain Error with a message), never a crash or a hang.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseComparison, readComparisonFile } from '../src/main/comparison/config';
import { loadCnnDailyMail } from '../src/main/engine/data/cnn_dailymail';
import { readFileExamples } from '../src/main/engine/data/file_task';
import { loadSuperGlue } from '../src/main/engine/data/superglue';
import { readModelConfig } from '../src/main/engine/models/load';
import { parseT5Config } from '../src/main/engine/models/t5_config';
import { encodeSafetensors, readSafetensorsFile } from '../src/main/engine/safetensors';
import { INVOKE_CHANNELS, VALIDATORS } from '../src/shared/ipc';
import { expectCleanOutcome, fuzzRng, mutateBytes, mutateText, mutateValue } from './fuzz/mutate';

const ROUNDS = 2000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'peft-fuzz-'));
const tally = () => ({ ok: 0, error: 0 });

function validSafetensors(): Uint8Array {
  const file = encodeSafetensors(
    [
      { name: 'a.weight', dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
      { name: 'b.weight', dtype: 'F16', shape: [5], data: Float32Array.of(1, -2, 0.5, 65504, 0) },
      { name: 'c.weight', dtype: 'BF16', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    ],
    { format: 'pt' },
  );
  return new Uint8Array(file);
}

describe('fuzz', () => {
  it('safetensors reader: mutated files give their tensors or a clear error naming the file', { timeout: 120_000 }, () => {
    const valid = validSafetensors();
    const rng = fuzzRng(11);
    const seen = tally();
    const file = path.join(tmp, 'fuzz.safetensors');
    for (let round = 0; round < ROUNDS; round++) {
      const bytes = mutateBytes(valid, rng);
      fs.writeFileSync(file, bytes);
      const outcome = expectCleanOutcome(() => {
        const st = readSafetensorsFile(file);
        try {
          for (const t of st.tensors) {
            const data = st.read(t.name);
            assert.equal(data.length, t.shape.reduce((a, b) => a * b, 1), `tensor ${t.name} read back with the wrong length`);
          }
        } finally {
          st.close();
        }
      }, () => Buffer.from(bytes).toString('base64'));
      seen[outcome]++;
    }
    assert.ok(seen.ok > 0 && seen.error > 0, `both outcomes occur: ${JSON.stringify(seen)}`);
    // Errors name the file so the user knows which one to fix.
    fs.writeFileSync(file, valid.subarray(0, valid.length - 3));
    assert.throws(() => readSafetensorsFile(file), (err: Error) => err.message.includes(file));
  });

  it('T5 config.json: mutated configs parse to a valid config or a clear error', { timeout: 60_000 }, () => {
    const valid = JSON.parse(fs.readFileSync('test/fixtures/t5_tiny_relu/config.json', 'utf8')) as unknown;
    const rng = fuzzRng(12);
    const seen = tally();
    for (let round = 0; round < ROUNDS * 2; round++) {
      const json = mutateValue(valid, rng);
      seen[expectCleanOutcome(() => {
        const c = parseT5Config(json, 'config.json');
        for (const key of ['vocabSize', 'dModel', 'dKv', 'dFf', 'numLayers', 'numDecoderLayers', 'numHeads'] as const) {
          assert.ok(Number.isInteger(c[key]) && c[key] >= 1, `${key} = ${c[key]} accepted`);
        }
        assert.ok(c.padTokenId < c.vocabSize && c.eosTokenId < c.vocabSize, 'special ids inside the vocabulary');
      }, () => JSON.stringify(json))]++;
    }
    assert.ok(seen.ok > 0 && seen.error > 0, JSON.stringify(seen));

    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir, { recursive: true });
    const text = fs.readFileSync('test/fixtures/t5_tiny_relu/config.json', 'utf8');
    for (let round = 0; round < ROUNDS / 4; round++) {
      const mutated = mutateText(text, rng);
      fs.writeFileSync(path.join(dir, 'config.json'), mutated);
      expectCleanOutcome(() => readModelConfig(dir), () => mutated);
    }
  });

  it('comparison config: mutated YAML files and values give a comparison or a clear error', { timeout: 60_000 }, () => {
    const text = fs.readFileSync('resources/default-comparison.yaml', 'utf8');
    const rng = fuzzRng(13);
    const seen = tally();
    const file = path.join(tmp, 'comparison.yaml');
    for (let round = 0; round < ROUNDS / 2; round++) {
      const mutated = mutateText(text, rng);
      fs.writeFileSync(file, mutated);
      seen[expectCleanOutcome(() => readComparisonFile(file), () => mutated)]++;
    }
    const valid = readComparisonFile('resources/default-comparison.yaml');
    assert.ok(valid.methods.length > 0);
    const raw = { ...structuredClone({ methods: valid.methods.map((m) => m.id) }), tasks: ['spam_assassin'], seeds: [0, 1], learning_rates: [1e-3], budget: { steps: 10 } };
    for (let round = 0; round < ROUNDS; round++) {
      const value = mutateValue(raw, rng);
      seen[expectCleanOutcome(() => {
        const c = parseComparison(value, tmp, 'fuzz');
        assert.ok(c.methods.length > 0 && c.seeds.every((s) => Number.isInteger(s) && s >= 0));
        // steps 0 means "from epochs and min_steps"; a negative or fractional count is refused.
        assert.ok(Number.isInteger(c.budget.steps) && c.budget.steps >= 0, `steps ${c.budget.steps} accepted`);
        assert.ok(Number.isInteger(c.budget.min_steps) && c.budget.min_steps >= 1, `min_steps ${c.budget.min_steps} accepted`);
      }, () => JSON.stringify(value))]++;
    }
    assert.ok(seen.ok > 0 && seen.error > 0, JSON.stringify(seen));
  });

  it('task readers (JSONL, CSV, SuperGLUE, CNN/DailyMail): mutated files give examples or an error naming the file', { timeout: 90_000 }, () => {
    const jsonl = Array.from({ length: 6 }, (_, i) => JSON.stringify({ question: `q ${i} "quoted" é`, answer: i % 2 === 0, idx: i })).join('\n') + '\n';
    const csv = 'question,answer\n"a, quoted ""one""",yes\nplain,no\n"multi\nline",yes\n';
    const rte = Array.from({ length: 4 }, (_, i) => JSON.stringify({ premise: `p ${i}`, hypothesis: `h ${i}`, label: i % 2 ? 'entailment' : 'not_entailment', idx: i })).join('\n');
    const cnn = Array.from({ length: 3 }, (_, i) => JSON.stringify({ id: `x${i}`, article: `Article ${i}. More text.`, highlights: `First.\nSecond ${i}.` })).join('\n');
    const readers: [string, string, (file: string) => { input: string; target: string }[]][] = [
      ['task.jsonl', jsonl, (f) => readFileExamples(f, 'question', 'answer')],
      ['task.csv', csv, (f) => readFileExamples(f, 'question', 'answer')],
      ['rte.jsonl', rte, (f) => loadSuperGlue({ name: 'rte', format: 'rte', train: f, validation: f, test: f }).train],
      ['cnn.jsonl', cnn, (f) => loadCnnDailyMail({ name: 'cnn', metric: 'rouge_l', train: f, validation: f, test: f }).train],
    ];
    const rng = fuzzRng(14);
    for (const [name, text, read] of readers) {
      const seen = tally();
      const file = path.join(tmp, name);
      for (let round = 0; round < ROUNDS / 2; round++) {
        const mutated = mutateText(text, rng);
        fs.writeFileSync(file, mutated);
        const outcome = expectCleanOutcome(() => {
          for (const ex of read(file)) assert.ok(typeof ex.input === 'string' && typeof ex.target === 'string');
        }, () => mutated);
        seen[outcome]++;
      }
      assert.ok(seen.ok > 0 && seen.error > 0, `${name}: ${JSON.stringify(seen)}`);
      fs.writeFileSync(file, '{"no": "fields"}\n');
      assert.throws(() => read(file), (err: Error) => err.message.includes(file), `${name}: the error names the file`);
    }
  });

  it('IPC payload validation: mutated requests are accepted typed or refused naming the field', () => {
    const valid: Record<string, unknown> = {
      'experiments:list': undefined, 'runs:list': { experimentId: 3 }, 'runs:get': { id: 7 }, 'runs:metrics': { id: 7, name: 'loss' },
    };
    const rng = fuzzRng(15);
    for (const channel of INVOKE_CHANNELS) {
      const seen = tally();
      for (let round = 0; round < ROUNDS; round++) {
        const payload = mutateValue(valid[channel] ?? {}, rng);
        seen[expectCleanOutcome(() => {
          const out = (VALIDATORS[channel] as (p: unknown) => unknown)(payload);
          for (const v of Object.values((out ?? {}) as Record<string, unknown>)) {
            assert.ok(typeof v === 'string' || (Number.isSafeInteger(v) && (v as number) >= 1), `${channel} let ${JSON.stringify(v)} through`);
          }
        }, () => JSON.stringify(payload))]++;
      }
      assert.ok(seen.error > 0, `${channel}: ${JSON.stringify(seen)}`);
    }
  });
});
