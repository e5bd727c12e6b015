import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_BUDGET, parseComparison, planRuns, readComparisonFile } from '../src/main/comparison/config';

const fixture = path.resolve('test/fixtures/t5_tiny_relu');
const base = { model: fixture, tasks: ['spam_assassin'], methods: ['full'] };

function parseError(raw: unknown): string {
  try {
    parseComparison(raw, '/tmp', 'x');
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected the config to be refused');
}

test('defaults fill a minimal config', () => {
  const c = parseComparison(base, '/tmp', 'mine');
  assert.equal(c.name, 'mine');
  assert.deepEqual(c.seeds, [0]);
  assert.deepEqual(c.budget, DEFAULT_BUDGET);
  assert.deepEqual(c.methods, [{ id: 'full', options: {}, learningRates: [1e-4] }]);
});

test('the run matrix is tasks × methods × learning rates × seeds', () => {
  const c = parseComparison({
    ...base, learning_rates: [1e-3, 1e-4], seeds: [0, 1, 42],
    methods: ['full', { id: 'lora_qv', r: 4, learning_rates: [5e-4] }, 'ln_tuning'],
  }, '/tmp', 'x');
  const runs = planRuns(c, fixture);
  assert.equal(runs.length, (2 + 1 + 2) * 3);
  const lora = runs.filter((r) => r.spec.method === 'lora_qv');
  assert.deepEqual([...new Set(lora.map((r) => r.spec.learningRate))], [5e-4]);
  assert.deepEqual(lora[0].spec.methodOptions, { r: 4, alpha: 8 });
  assert.deepEqual(runs.map((r) => r.spec.seed).slice(0, 3), [0, 1, 42]);
});

test('bad values are refused with the field named', () => {
  assert.match(parseError({ ...base, methods: ['nope'] }), /unknown method "nope"/);
  assert.match(parseError({ ...base, methods: [{ id: 'lora_qv', r: { n: 8 } }] }), /methods\[0\]\.r must be a number/);
  assert.match(parseError({ ...base, learning_rates: [0] }), /learning_rates\[0\] is out of range/);
  assert.match(parseError({ ...base, seeds: [-1] }), /seeds\[0\]/);
  assert.match(parseError({ ...base, budget: { steps: 0 } }), /budget\.steps must be an integer ≥ 1/);
  assert.match(parseError({ ...base, budget: { micro_batch: 3, effective_batch: 32 } }), /multiple of budget\.micro_batch/);
  assert.match(parseError({ ...base, budget: { stepz: 3 } }), /budget\.stepz is not a known setting/);
  assert.match(parseError({ ...base, colour: 'red' }), /colour is not a known setting/);
  assert.match(parseError({ ...base, tasks: ['nope'] }), /tasks\[0\]: unknown task "nope"/);
  assert.match(parseError({ ...base, tasks: [{ name: 'x', train: 'a' }] }), /tasks\[0\]\.validation must be non-empty text/);
  assert.match(parseError({ ...base, methods: [] }), /methods must be a non-empty list/);
  assert.match(parseError({ ...base, backend: 'tpu' }), /backend must be one of/);
  assert.match(parseError([1, 2]), /mapping/);
});

test('method options are checked against the method at planning', () => {
  const c = parseComparison({ ...base, methods: [{ id: 'lora_qv', r: 0 }] }, '/tmp', 'x');
  assert.throws(() => planRuns(c, fixture), /lora_qv\.r must be a positive integer, got 0/);
  const text = parseComparison({ ...base, methods: [{ id: 'lora_qv', r: 'eight' }] }, '/tmp', 'x');
  assert.throws(() => planRuns(text, fixture), /lora_qv\.r must be a positive integer, got "eight"/);
  const typo = parseComparison({ ...base, methods: [{ id: 'lora_qv', rank: 4 }] }, '/tmp', 'x');
  assert.throws(() => planRuns(typo, fixture), /lora_qv\.rank is not an option of lora_qv; known options: r, alpha/);
});

test('files: YAML and JSON are read, errors name the file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const yaml = path.join(dir, 'a.yaml');
  writeFileSync(yaml, `model: ${fixture}\nmethods: [full]\ntasks:\n  - name: mine\n    train: t.jsonl\n    validation: v.jsonl\n    test: t.jsonl\n`);
  const c = readComparisonFile(yaml);
  assert.equal(c.name, 'a');
  assert.equal((c.tasks[0] as { train: string }).train, path.join(dir, 't.jsonl'));
  const bad = path.join(dir, 'b.yaml');
  writeFileSync(bad, 'methods: [full\n');
  assert.throws(() => readComparisonFile(bad), (e: Error) => e.message.startsWith(bad) && /not valid YAML/.test(e.message));
  const json = path.join(dir, 'c.json');
  writeFileSync(json, JSON.stringify({ ...base, methods: [{ id: 'lora_qv', r: -2 }] }));
  assert.throws(() => planRuns(readComparisonFile(json), fixture), /lora_qv\.r/);
  assert.throws(() => readComparisonFile(path.join(dir, 'missing.yaml')), /missing\.yaml: cannot read/);
});

test('planning a missing model folder says so', () => {
  const c = parseComparison(base, '/tmp', 'x');
  assert.throws(() => planRuns(c, '/nonexistent/model'), /model folder \/nonexistent\/model does not exist/);
});
