import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveSteps } from '../src/main/comparison/budget';
import { DEFAULT_BUDGET, parseComparison, readComparisonFile, type Comparison } from '../src/main/comparison/config';
import { chooseRate, planCells, runsPerCell, seedRuns, sweepRuns } from '../src/main/comparison/protocol';
import type { TaskData } from '../src/main/engine/data/task';
import type { ModelEntry } from '../src/shared/ipc';

const TASK = { kind: 'classification', train: Array.from({ length: 2000 }, () => ({ input: 'x', target: 'y' })) } as TaskData;
/** Every run of every cell, sweeping first and taking the first rate as chosen. */
function planRuns(c: Comparison, modelDir: string) {
  return planCells(c, at(modelDir), c.tasks.map(() => TASK)).flatMap((cell) => [...sweepRuns(c, cell), ...seedRuns(c, cell, cell.learningRates[0])]);
}

const fixture = path.resolve('test/fixtures/t5_tiny_relu');
const at = (dir: string) => ({ name: path.basename(dir), path: dir });
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
  assert.deepEqual(c.seeds, [0, 1, 42]);
  assert.deepEqual(c.budget, DEFAULT_BUDGET);
  assert.deepEqual(c.methods, [{ id: 'full', options: {}, learningRates: [1e-3, 1e-4, 1e-5] }]);
  const small = parseComparison({ ...base, preset: 'small', budget: { max_steps: 80 } }, '/tmp', 'mine');
  assert.deepEqual([small.seeds, small.methods[0].learningRates, small.budget.max_steps, small.budget.micro_batch], [[0, 1], [1e-3, 1e-4], 80, 16]);
});

test('steps: 3 epochs or at least 100 updates, capped by max_steps; output length by task kind', () => {
  assert.equal(resolveSteps(DEFAULT_BUDGET, 2000), 188); // ceil(3 · 2000 / 32)
  assert.equal(resolveSteps(DEFAULT_BUDGET, 250), 100); // 3 epochs would be 24 updates
  assert.equal(resolveSteps({ ...DEFAULT_BUDGET, max_steps: 60, min_steps: 30 }, 2000), 60);
  assert.equal(resolveSteps({ ...DEFAULT_BUDGET, steps: 7 }, 2000), 7);
  const c = parseComparison(base, '/tmp', 'x');
  const [cell] = planCells(c, at(fixture), [TASK]);
  assert.deepEqual([cell.steps, cell.maxTargetTokens], [188, 8]);
  assert.equal(planCells(c, at(fixture), [{ ...TASK, kind: 'summarization' }])[0].maxTargetTokens, 128);
});

test('protocol: the sweep on the first seed, the chosen rate on the others, one microbatch for all', () => {
  const c = parseComparison({ ...base, methods: ['full', 'lora_qv'] }, '/tmp', 'x');
  const [cell] = planCells(c, at(fixture), [TASK]);
  const sweep = sweepRuns(c, cell);
  assert.deepEqual(sweep.map((r) => [r.role, r.spec.learningRate, r.spec.seed]), [['sweep', 1e-3, 0], ['sweep', 1e-4, 0], ['sweep', 1e-5, 0]]);
  const chosen = chooseRate([{ learningRate: 1e-3, validationScore: 0.5 }, { learningRate: 1e-4, validationScore: 0.7 }, { learningRate: 1e-5, validationScore: null }]);
  assert.deepEqual(chosen, { learningRate: 1e-4, validationScore: 0.7 });
  assert.equal(chooseRate([{ learningRate: 1e-3, validationScore: 0.5 }, { learningRate: 1e-4, validationScore: 0.5 }])!.learningRate, 1e-3);
  assert.equal(chooseRate([{ learningRate: 1e-3, validationScore: null }]), null);
  const seeds = seedRuns(c, cell, 1e-4);
  assert.deepEqual(seeds.map((r) => [r.role, r.spec.learningRate, r.spec.seed]), [['seed', 1e-4, 1], ['seed', 1e-4, 42]]);
  assert.equal(runsPerCell(c, cell), 5);
  assert.ok([...sweep, ...seeds].every((r) => r.spec.microBatch === 8 && r.spec.effectiveBatch === 32));
  const one = parseComparison({ ...base, learning_rates: [1e-3] }, '/tmp', 'x');
  const [single] = planCells(one, at(fixture), [TASK]);
  assert.deepEqual(sweepRuns(one, single).map((r) => [r.role, r.spec.seed]), [['seed', 0], ['seed', 1], ['seed', 42]]);
  assert.deepEqual(seedRuns(one, single, 1e-3), []);
});

test('the run matrix is tasks × methods × learning rates × seeds', () => {
  const c = parseComparison({
    ...base, learning_rates: [1e-3, 1e-4], seeds: [0, 1, 42],
    methods: ['full', { id: 'lora_qv', r: 4, learning_rates: [5e-4] }, 'ln_tuning'],
  }, '/tmp', 'x');
  const runs = planRuns(c, fixture);
  assert.equal(runs.length, (2 + 2) + 3 + (2 + 2)); // sweep + other seeds; lora_qv has one rate, so no sweep
  const lora = runs.filter((r) => r.spec.method === 'lora_qv');
  assert.deepEqual([...new Set(lora.map((r) => r.spec.learningRate))], [5e-4]);
  assert.deepEqual(lora[0].spec.methodOptions, { r: 4, alpha: 8 });
  assert.deepEqual(runs.map((r) => r.spec.seed).slice(0, 4), [0, 0, 1, 42]);
});

test('bad values are refused with the field named', () => {
  assert.match(parseError({ ...base, methods: ['nope'] }), /unknown method "nope"/);
  assert.match(parseError({ ...base, methods: [{ id: 'lora_qv', r: { n: 8 } }] }), /methods\[0\]\.r must be a number/);
  assert.match(parseError({ ...base, learning_rates: [0] }), /learning_rates\[0\] is out of range/);
  assert.match(parseError({ ...base, learning_rates: [] }), /learning_rates must be a non-empty list/);
  assert.match(parseError({ ...base, learning_rates: [1e-3, 1e-3] }), /learning_rates: 0.001 appears twice/);
  assert.match(parseError({ ...base, preset: 'huge' }), /preset must be one of study, small/);
  assert.match(parseError({ ...base, budget: { max_steps: 10 } }), /budget\.max_steps \(10\) is below budget\.min_steps/);
  assert.match(parseError({ ...base, tasks: [{ name: 'b', format: 'boolq', train: 'a', validation: 'a', test: 'a', input: 'q' }] }), /tasks\[0\]\.input does not apply to format boolq/);
  assert.match(parseError({ ...base, tasks: [{ name: 'b', format: 'mnli', train: 'a', validation: 'a', test: 'a' }] }), /tasks\[0\]\.format must be one of fields, boolq/);
  assert.match(parseError({ ...base, seeds: [-1] }), /seeds\[0\]/);
  assert.match(parseError({ ...base, budget: { steps: -1 } }), /budget\.steps must be an integer ≥ 0/);
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

test('built-in model names stay names; other models are folders relative to the config', () => {
  const none = () => [];
  const cfg = mkdtempSync(path.join(os.tmpdir(), 'cfg-models-'));
  mkdirSync(path.join(cfg, 'models', 't5'), { recursive: true });
  assert.deepEqual(parseComparison({ methods: ['full'] }, cfg, 'x', none).models, [{ name: 'default', path: 'default' }]);
  assert.deepEqual(parseComparison({ methods: ['full'], model: 'default-untrained' }, cfg, 'x', none).models, [{ name: 'default-untrained', path: 'default-untrained' }]);
  assert.deepEqual(parseComparison({ methods: ['full'], model: 'models/t5' }, cfg, 'x', none).models, [{ name: 't5', path: path.join(cfg, 'models', 't5') }]);
});

test('models: a list of built-ins, folders and names of known models, in order', () => {
  const cfg = mkdtempSync(path.join(os.tmpdir(), 'cfg-models-'));
  const cached = path.join(cfg, 'hub', 'models--google-t5--t5-small', 'snapshots', 'abc123');
  mkdirSync(cached, { recursive: true });
  const catalog = () => [{ name: 'google-t5/t5-small', path: cached }] as ModelEntry[];
  const c = parseComparison({ methods: ['full'], models: ['default', fixture, 'google-t5/t5-small', 'default-untrained'] }, cfg, 'x', catalog);
  assert.deepEqual(c.models, [
    { name: 'default', path: 'default' }, { name: 't5_tiny_relu', path: fixture },
    { name: 'google-t5/t5-small', path: cached }, { name: 'default-untrained', path: 'default-untrained' },
  ]);
  // A snapshot folder given by its path is named as the cache names it.
  assert.deepEqual(parseComparison({ methods: ['full'], models: [cached] }, cfg, 'x', catalog).models, [{ name: 'google-t5/t5-small', path: cached }]);
  // Two folders of the same name are told apart by their paths.
  const other = path.join(cfg, 'b', 't5_tiny_relu');
  mkdirSync(other, { recursive: true });
  assert.deepEqual(parseComparison({ methods: ['full'], models: [fixture, other] }, cfg, 'x', catalog).models.map((m) => m.name), [fixture, other]);
});

test('models: bad lists are refused with the field named and what exists listed', () => {
  const catalog = () => [{ name: 'google-t5/t5-small', path: '/hub/t5-small' }] as ModelEntry[];
  const refuse = (raw: Record<string, unknown>) => {
    try {
      parseComparison({ methods: ['full'], ...raw }, '/cfg', 'x', catalog);
    } catch (err) {
      return (err as Error).message;
    }
    return assert.fail('expected the models to be refused');
  };
  assert.match(refuse({ models: [] }), /^models must be a non-empty list of models/);
  assert.match(refuse({ models: 'default' }), /^models must be a non-empty list/);
  assert.equal(
    refuse({ models: ['default', 't5-smal'] }),
    'models[1]: no model "t5-smal": /cfg/t5-smal does not exist, and it is not one of the models known here (default, default-untrained, google-t5/t5-small); ' +
      'give a folder, a built-in name or a name `peft-bench models` lists (`peft-bench models --add DIR` adds a folder)',
  );
  assert.match(refuse({ model: 'nope' }), /^model: no model "nope"/);
  assert.match(refuse({ model: 'default', models: ['default'] }), /^model and models are both given; use models: \[a, b, \.\.\.\] for several models, or model: a for one$/);
  assert.match(refuse({ models: ['default', 'default'] }), /^models: "default" appears twice; list each model once$/);
  assert.match(refuse({ models: [fixture, 3] }), /^models\[1\] must be non-empty text, got 3/);
});
