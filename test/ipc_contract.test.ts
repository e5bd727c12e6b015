// The IPC contract: every channel has a validator, an api name and a handler; validators
// name the bad field; the handlers answer from a real SQLite store.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formField, toComparison } from '../src/main/comparisons';
import { requestModels } from '../src/shared/comparison_request';
import { checkModel, handleInvoke, isOwnRenderer, listMethods, makeHandlers, type HandlerDeps } from '../src/main/handlers';
import { METHODS } from '../src/main/engine/peft/registry';
import { Store } from '../src/main/store/store';
import { EVENT_CHANNELS, EVENT_NAMES, INVOKE_CHANNELS, INVOKE_NAMES, VALIDATORS, type InvokeChannel } from '../src/shared/ipc';
import type { EnvironmentSnapshot, RunResult, RunSpec } from '../src/shared/types';

const sorted = (values: Iterable<string>) => [...values].sort();

const REQUEST = {
  name: 'study', models: ['/models/t5-small'], tasks: [{ builtin: 'spam_assassin' }],
  methods: [{ id: 'lora_qv', options: { r: 8 } }], learningRates: [1e-3], seeds: [0, 1], budget: { steps: 10 },
};

/** Handlers over `store`; starting a comparison is refused (tests/ui.test.ts runs real ones). */
function deps(store: Store): HandlerDeps {
  const comparisons = { busy: false, start: () => { throw new Error('not in this test'); }, resume: () => { throw new Error('not in this test'); } };
  return { store, comparisons, dbPath: '/tmp/none/workbench.db' };
}

describe('channel tables', () => {
  test('every invoke channel has a validator, an api name and a handler', () => {
    const channels = sorted(INVOKE_CHANNELS);
    assert.ok(channels.length >= 4);
    assert.deepEqual(sorted(Object.keys(VALIDATORS)), channels);
    assert.deepEqual(sorted(Object.keys(INVOKE_NAMES)), channels);
    const handlers = makeHandlers(deps({} as Store));
    assert.deepEqual(sorted(Object.keys(handlers)), channels);
    for (const channel of INVOKE_CHANNELS) {
      assert.equal(typeof VALIDATORS[channel], 'function', `validator of ${channel}`);
      assert.equal(typeof handlers[channel], 'function', `handler of ${channel}`);
    }
    for (const required of ['experiments:list', 'runs:list', 'runs:get', 'runs:metrics', 'methods:list', 'comparison:start', 'experiments:results']) {
      assert.ok(channels.includes(required), `missing channel ${required}`);
    }
  });

  test('api names are unique and subscriptions are called on<Event>', () => {
    const names = [...Object.values(INVOKE_NAMES), ...Object.values(EVENT_NAMES)];
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(sorted(EVENT_CHANNELS), sorted(['run:metrics', 'run:status', 'run:progress', 'experiment:status', 'queue:changed']));
    for (const name of Object.values(EVENT_NAMES)) assert.match(name, /^on[A-Z]/);
  });
});

describe('validators', () => {
  test('return the typed payload for good requests', () => {
    assert.equal(VALIDATORS['experiments:list'](undefined), undefined);
    assert.equal(VALIDATORS['experiments:list']({}), undefined);
    assert.deepEqual(VALIDATORS['runs:list'](undefined), {});
    assert.deepEqual(VALIDATORS['runs:list']({}), {});
    assert.deepEqual(VALIDATORS['runs:list']({ experimentId: 3 }), { experimentId: 3 });
    assert.deepEqual(VALIDATORS['runs:get']({ id: 7 }), { id: 7 });
    assert.deepEqual(VALIDATORS['runs:metrics']({ id: 7 }), { id: 7 });
    assert.deepEqual(VALIDATORS['runs:metrics']({ id: 7, name: 'val_score' }), { id: 7, name: 'val_score' });
  });

  const BAD: [InvokeChannel, unknown, RegExp][] = [
    ['experiments:list', { experimentId: 1 }, /experiments:list: unknown field 'experimentId'/],
    ['experiments:list', 'all', /experiments:list: the request must be an object, got "all"/],
    ['runs:list', { experimentId: '3' }, /runs:list: field 'experimentId' must be a positive integer id, got "3"/],
    ['runs:list', { experimentId: 0 }, /field 'experimentId' must be a positive integer id, got 0/],
    ['runs:list', { experimentId: 1.5 }, /field 'experimentId'/],
    ['runs:list', { experiment: 1 }, /runs:list: unknown field 'experiment' \(known fields: 'experimentId'\)/],
    ['runs:list', [1], /runs:list: the request must be an object, got an array/],
    ['runs:get', undefined, /runs:get: the request must be an object, got undefined/],
    ['runs:get', {}, /runs:get: field 'id' is required/],
    ['runs:get', { id: -2 }, /runs:get: field 'id' must be a positive integer id, got -2/],
    ['runs:get', { id: Number.NaN }, /field 'id' .* got NaN/],
    ['runs:get', { id: 1, extra: true }, /runs:get: unknown field 'extra'/],
    ['runs:metrics', { name: 'loss' }, /runs:metrics: field 'id' is required/],
    ['runs:metrics', { id: 1, name: 5 }, /runs:metrics: field 'name' must be a metric name/],
    ['runs:metrics', { id: 1, name: '' }, /field 'name'/],
    ['runs:metrics', { id: 1, name: 'loss; DROP TABLE runs' }, /field 'name'/],
    ['model:check', { folder: '' }, /model:check: field 'folder' must be a folder path/],
    ['model:check', { folder: 3 }, /field 'folder'/],
    ['experiments:results', {}, /experiments:results: field 'id' is required/],
    ['comparison:start', undefined, /comparison:start: field 'request': the request must be an object/],
    ['comparison:start', { ...REQUEST, learningRates: [] }, /field 'learningRates': give learning rates/],
    ['comparison:start', { ...REQUEST, learningRates: [1e-3, 2] }, /field 'learningRates': 2 is out of range/],
    ['comparison:start', { ...REQUEST, seeds: [0, 0] }, /field 'seeds': a value appears twice/],
    ['comparison:start', { ...REQUEST, seeds: [-1] }, /field 'seeds'/],
    ['comparison:start', { ...REQUEST, methods: [] }, /field 'methods': choose at least one method/],
    ['comparison:start', { ...REQUEST, methods: [{ id: 'lora_qv', options: { r: {} } }] }, /field 'methods.lora_qv.r'/],
    ['comparison:start', { ...REQUEST, tasks: [{ name: 'mine', folder: '' }] }, /field 'tasks\[0\].folder'/],
    ['comparison:start', { ...REQUEST, budget: { steps: 'ten' } }, /field 'budget.steps': must be a number/],
    ['comparison:start', { ...REQUEST, models: [''] }, /field 'models\[0\]'/],
    ['comparison:start', { ...REQUEST, models: [] }, /field 'models': choose at least one model/],
    ['models:add', { folder: 7 }, /models:add: field 'folder' must be a folder path/],
    ['comparison:start', { ...REQUEST, admin: true }, /field 'admin': unknown field/],
  ];
  for (const [channel, payload, message] of BAD) {
    test(`${channel} rejects ${JSON.stringify(payload) ?? 'undefined'}`, () => {
      assert.throws(() => VALIDATORS[channel](payload), message);
    });
  }
});

describe('comparison:start', () => {
  test('a good request passes unchanged', () => {
    assert.deepEqual(VALIDATORS['comparison:start'](REQUEST), REQUEST);
  });

  test('a request queued before several models were allowed (one `model`) reads as a list of one', () => {
    const { models: _models, ...rest } = REQUEST;
    assert.deepEqual(VALIDATORS['comparison:start']({ ...rest, model: '/models/t5-small' }), REQUEST);
    assert.deepEqual(requestModels({ ...rest, model: '/models/t5-base' } as never), ['/models/t5-base']);
    assert.throws(() => VALIDATORS['comparison:start']({ ...REQUEST, model: '/models/t5-small' }), /field 'models': give the models as 'models' only/);
    assert.throws(() => VALIDATORS['comparison:start']({ ...REQUEST, models: ['/a', '/a'] }), /field 'models': a model appears twice/);
  });

  test('scoring is generate or rank, reaches the budget, and may be left out', () => {
    const ranked = { ...REQUEST, models: ['default'], scoring: 'rank' };
    assert.deepEqual(VALIDATORS['comparison:start'](ranked), ranked);
    assert.throws(() => VALIDATORS['comparison:start']({ ...REQUEST, scoring: 'vote' }), /field 'scoring': score classification by 'generate' .* or 'rank' .*got "vote"/);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-scoring-'));
    try {
      const builtin = { ...REQUEST, models: ['default'] };
      assert.equal(toComparison({ ...builtin, scoring: 'rank' }, home).budget.scoring, 'rank');
      assert.equal(toComparison({ ...builtin, scoring: 'generate' }, home).budget.scoring, 'generate');
      assert.equal(toComparison(builtin, home).budget.scoring, 'generate'); // queued before the field: the config default
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test("the config parser's and methods' errors map to form fields", () => {
    assert.equal(formField('budget.micro_batch must be an integer ≥ 1, got 0'), 'budget.micro_batch');
    assert.equal(formField('lora_qv.r must be a positive integer, got 0'), 'methods.lora_qv.r');
    assert.equal(formField('lora_qv.rank is not an option of lora_qv; known options: r, alpha'), 'methods.lora_qv.rank');
    assert.equal(formField('methods[0]: unknown method "x"; available: full'), 'methods');
    assert.equal(formField('task colours: the test split is empty'), 'tasks');
    assert.equal(formField('learning_rates[0] is out of range: 5'), 'learningRates');
    assert.equal(formField('models[1]: no model "x": /x does not exist'), 'models[1]');
    assert.equal(formField('models: "x" appears twice; list each model once'), 'models');
    assert.equal(formField('model "t5": model folder /t5 does not exist'), 'models');
    assert.equal(formField('something else'), null);
  });
});

describe('registry and model folder', () => {
  test('methods:list is the registry, defaults included', () => {
    assert.deepEqual(listMethods().map((m) => m.id), Object.keys(METHODS));
    for (const m of listMethods()) assert.deepEqual(m.defaults, METHODS[m.id].defaults);
  });

  test('model:check says what a folder lacks', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'not-a-model-'));
    const check = checkModel(empty);
    assert.equal(check.ok, false);
    assert.match(check.ok ? '' : check.problem, /config\.json/);
    assert.match((checkModel('relative/dir') as { problem: string }).problem, /absolute path/);
    fs.rmSync(empty, { recursive: true });
  });
});

describe('sender check', () => {
  const file = 'file:///opt/app/out/renderer/index.html';
  test('accepts our own index.html and dev server, refuses anything else', () => {
    assert.equal(isOwnRenderer('file:///opt/app/out/renderer/index.html#/runs/3', file), true);
    assert.equal(isOwnRenderer('file:///opt/app/out/renderer/other.html', file), false);
    assert.equal(isOwnRenderer('file:///tmp/index.html', file), false);
    assert.equal(isOwnRenderer('https://example.com/index.html', file), false);
    assert.equal(isOwnRenderer('http://localhost:5173/src/main.ts', 'http://localhost:5173'), true);
    assert.equal(isOwnRenderer('http://localhost:5174/', 'http://localhost:5173'), false);
    assert.equal(isOwnRenderer('http://evil.localhost:5173/', 'http://localhost:5173'), false);
    assert.equal(isOwnRenderer('about:blank', file), false);
    assert.equal(isOwnRenderer('', file), false);
  });
});

describe('handlers over a real store', () => {
  let dir: string;
  let store: Store;
  const ids = { experiment: 0, other: 0, done: 0, queued: 0 };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-contract-'));
    store = Store.open(path.join(dir, 'workbench.db'));
    ids.experiment = store.createExperiment('lora vs ia3', { methods: ['lora', 'ia3'] });
    ids.other = store.createExperiment('empty', {});
    ids.done = store.createRun(ids.experiment, spec('lora', 1e-4));
    ids.queued = store.createRun(ids.experiment, spec('ia3', 1e-3));
    store.startRun(ids.done, ENV);
    store.addMetrics(ids.done, [
      { step: 1, name: 'loss', value: 2.5, time: 1000 },
      { step: 1, name: 'lr', value: 1e-4, time: 1000 },
      { step: 2, name: 'loss', value: 2.1, time: 2000 },
    ]);
    store.finishRun(ids.done, RESULT);
  });

  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Every answer goes through validation and the structured clone that IPC applies.
  const call = async (channel: InvokeChannel, payload?: unknown) =>
    structuredClone(await handleInvoke(makeHandlers(deps(store)), channel, payload));

  test('experiments:list returns the stored experiments', async () => {
    const experiments = await call('experiments:list');
    assert.deepEqual(experiments, store.listExperiments());
    assert.deepEqual(
      (experiments as { name: string }[]).map((e) => e.name),
      ['lora vs ia3', 'empty'],
    );
  });

  test('runs:list returns all runs or those of one experiment', async () => {
    const all = (await call('runs:list', {})) as { id: number }[];
    assert.deepEqual(all.map((r) => r.id), [ids.done, ids.queued]);
    assert.deepEqual(await call('runs:list', { experimentId: ids.experiment }), store.listRuns({ experimentId: ids.experiment }));
    assert.deepEqual(await call('runs:list', { experimentId: ids.other }), []);
  });

  test('runs:get returns the run with its result, or null', async () => {
    const run = (await call('runs:get', { id: ids.done })) as { status: string; result: RunResult; spec: RunSpec };
    assert.equal(run.status, 'done');
    assert.deepEqual(run.result, RESULT);
    assert.deepEqual(run.spec, spec('lora', 1e-4));
    assert.equal(((await call('runs:get', { id: ids.queued })) as { result: unknown }).result, null);
    assert.equal(await call('runs:get', { id: 999_999 }), null);
  });

  test('runs:metrics returns all series or one by name, in step order', async () => {
    const loss = (await call('runs:metrics', { id: ids.done, name: 'loss' })) as { step: number; value: number }[];
    assert.deepEqual(loss.map((p) => [p.step, p.value]), [[1, 2.5], [2, 2.1]]);
    assert.equal(((await call('runs:metrics', { id: ids.done })) as unknown[]).length, 3);
    assert.deepEqual(await call('runs:metrics', { id: ids.queued, name: 'loss' }), []);
  });

  test('a bad payload never reaches the store', async () => {
    const untouched = makeHandlers(deps({} as Store));
    assert.throws(() => handleInvoke(untouched, 'runs:get', { id: '1 OR 1=1' }), /field 'id'/);
  });
});

function spec(method: string, learningRate: number): RunSpec {
  return {
    modelDir: 'models/t5-tiny',
    task: 'sst2',
    method,
    methodOptions: { r: 8 },
    learningRate,
    seed: 0,
    microBatch: 4,
    effectiveBatch: 32,
    steps: 100,
    warmupRatio: 0.06,
    weightDecay: 0,
    maxInputTokens: 512,
    maxTargetTokens: 8,
    evalEvery: 50,
    evalExamples: 200,
    testExamples: 0,
  };
}

const ENV: EnvironmentSnapshot = {
  backend: { name: 'cpu', skipped: [{ name: 'wasm', reason: 'test' }], forced: true },
  device: 'cpu: test x2',
  gpu: null,
  versions: { '@tensorflow/tfjs-core': '4.22.0' },
  platform: 'linux-x64',
  totalMemoryBytes: 8e9,
  hostname: 'test',
};

const RESULT: RunResult = {
  totalParams: 60_000_000,
  trainableParams: 294_912,
  changedParams: 294_912,
  storageBytes: 1_179_648,
  peakTensorBytes: 900_000_000,
  peakRssBytes: 1_500_000_000,
  peakGpuBytes: null,
  trainTokensPerSec: 1234.5,
  inferTokensPerSecUnmerged: 4000,
  inferTokensPerSecMerged: 4600,
  metric: 'accuracy',
  score: 0.875,
  validationScore: 0.9,
  finalLoss: 2.1,
  trainSeconds: 42,
};

test('adapters:import: an absolute adapter folder, a task, and an experiment or a model folder', () => {
  const check = VALIDATORS['adapters:import'];
  assert.deepEqual(check({ folder: '/a/adapter', task: 'colours', experimentId: 3 }), { folder: '/a/adapter', task: 'colours', experimentId: 3 });
  assert.deepEqual(check({ folder: ' /a ', task: 'spam_assassin', model: '/m', name: 'py' }), { folder: '/a', task: 'spam_assassin', model: '/m', name: 'py' });
  assert.throws(() => check({ folder: 'adapter', task: 't', experimentId: 1 }), /adapters:import: field 'folder' must be the adapter folder as an absolute path, got "adapter"/);
  assert.throws(() => check({ folder: '/a', task: '', experimentId: 1 }), /field 'task' must name a task/);
  assert.throws(() => check({ folder: '/a', task: 't', experimentId: 0 }), /field 'experimentId' must be a positive integer id/);
  assert.throws(() => check({ folder: '/a', task: 't' }), /field 'model' is needed for a new experiment/);
  assert.throws(() => check({ folder: '/a', task: 't', model: 'rel' }), /field 'model' must be the base model folder as an absolute path/);
  assert.throws(() => check({ folder: '/a', task: 't', model: '/m', extra: 1 }), /unknown field 'extra'/);
});
