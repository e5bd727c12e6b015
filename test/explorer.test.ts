// The explorer's and builder's channels over a real store: rows of seeded comparisons, tables
// rendered by the report formatter, exports refused with a clear message, the capability
// matrix against docs/methods.md, and the builder's estimate over a tiny model on disk.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../src/main/engine/backend';
import { handleInvoke, makeHandlers, type HandlerDeps } from '../src/main/handlers';
import { Store } from '../src/main/store/store';
import { VALIDATORS } from '../src/shared/ipc';
import { seedStore } from './ui/seed_store';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-explorer-'));
let store: Store;
let handlers: ReturnType<typeof makeHandlers>;
let ws: TinyWorkspace;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'workbench.db'));
  seedStore(store);
  const comparisons = { busy: false, start: () => { throw new Error('not in this test'); }, resume: () => { throw new Error('not in this test'); } };
  handlers = makeHandlers({ store, comparisons, dbPath: store.path } as HandlerDeps);
});

after(() => store.close());

const call = (channel: Parameters<typeof handleInvoke>[1], payload?: unknown) => handleInvoke(handlers, channel, payload);

test('explore:rows has one row per experiment, model, task and method, with the seed interval', async () => {
  const rows = (await call('explore:rows')) as Awaited<ReturnType<typeof handlers['explore:rows']>>;
  assert.equal(rows.length, 2 * 6 + 2 * 3);
  const small = rows.filter((r) => r.model === 't5-small');
  assert.equal(small.length, 12);
  const check = rows.filter((r) => r.experimentName === 't5-base and large check');
  assert.deepEqual(check.map((r) => `${r.model} ${r.method}`), ['t5-base full', 't5-base ia3', 't5-base lora_qv', 't5-large full', 't5-large ia3', 't5-large lora_qv']);
  assert.deepEqual([...new Set(check.map((r) => r.totalParams))], [222_903_552, 737_668_096], 'each model its own size');
  for (const r of rows) {
    assert.ok(r.score > 0 && r.score <= 1);
    assert.equal(r.seeds, r.model === 't5-small' ? 3 : 2);
    assert.ok(r.scoreCi > 0, 'several seeds give an interval');
  }
});

test('explore:render uses the report formatter; bad tables are refused naming the field', async () => {
  const req = { format: 'csv', title: 'T', headers: ['method:', 'score'], rows: [['lora_qv', '71.2 ± 1.0'], ['a,b', '1']] };
  assert.equal(await call('explore:render', req), 'method,score\nlora_qv,71.2 ± 1.0\n"a,b",1');
  const tex = String(await call('explore:render', { ...req, format: 'latex' }));
  assert.match(tex, /\\begin\{tabular\}\{lr\}/);
  assert.match(tex, /71\.2 \$\\pm\$ 1\.0/);
  assert.match(String(await call('explore:render', { ...req, format: 'md' })), /\| :--- \| ---: \|/);
  assert.throws(() => VALIDATORS['explore:render']({ ...req, format: 'xlsx' }), /field 'format' must be one of csv, md, latex, text/);
  assert.throws(() => VALIDATORS['explore:render']({ ...req, rows: [['only one']] }), /field 'rows\[0\]' has 1 cells for 2 columns/);
});

test('explore:save writes text and PNG, and says why a folder cannot be written', async () => {
  const out = path.join(dir, 'out');
  mkdirSync(out);
  const { path: file } = (await call('explore:save', { folder: out, name: 'table.csv', content: 'a,b\n' })) as { path: string };
  assert.equal(readFileSync(file, 'utf8'), 'a,b\n');
  const png = 'data:image/png;base64,' + Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64');
  const saved = (await call('explore:save', { folder: out, name: 'chart.png', content: png })) as { path: string };
  assert.deepEqual([...readFileSync(saved.path)], [0x89, 0x50, 0x4e, 0x47]);
  assert.throws(() => call('explore:save', { folder: path.join(dir, 'nope'), name: 't.csv', content: '' }), /does not exist; choose an existing folder/);
  assert.throws(() => call('explore:save', { folder: 'relative', name: 't.csv', content: '' }), /absolute path/);
  assert.throws(() => call('explore:save', { folder: out, name: '../t.csv', content: '' }), /field 'name'/);
  assert.throws(() => call('explore:save', { folder: out, name: 't.png', content: 'hello' }), /data:image\/png;base64/);
  const locked = path.join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o500);
  if (process.getuid?.() !== 0) {
    assert.throws(() => call('explore:save', { folder: locked, name: 't.csv', content: '' }), /cannot write t\.csv into .*locked \(EACCES\); choose a folder you can write to/);
  }
});

test('methods:capabilities: every registry method, T5-Large counts of docs/methods.md, bitfit refused on T5', async () => {
  const caps = (await call('methods:capabilities')) as Awaited<ReturnType<typeof handlers['methods:capabilities']>>;
  assert.equal(caps.length, 17);
  const by = new Map(caps.map((c) => [c.id, c]));
  assert.equal(by.get('lora_qv')!.t5LargeTrainable, 2_359_296);
  assert.equal(by.get('houlsby')!.t5LargeTrainable, 12_687_360);
  assert.equal(by.get('full')!.t5LargeTrainable, 737_668_096);
  assert.equal(by.get('lora_qv')!.mergeable, true);
  assert.equal(by.get('houlsby')!.mergeable, false);
  assert.match(by.get('bitfit')!.families['T5 (encoder-decoder)'] ?? '', /bias/i);
  assert.equal(by.get('lora_qv')!.families['T5 (encoder-decoder)'], null);
  assert.match(by.get('bitfit')!.families['LLaMA (decoder)'] ?? '', /no bias/i, 'LLaMA has no biases either');
  assert.equal(by.get('prefix_tuning')!.families['LLaMA (decoder)'], null);
  for (const c of caps) assert.notEqual(c.formula, '—', `${c.id} has a formula`);
});

test('plan:estimate counts runs, bounds memory and time, and flags what does not fit', async () => {
  const request = {
    name: 'e', models: [ws.modelDir], tasks: [{ name: 'colours', folder: ws.taskDir }],
    methods: [{ id: 'full', options: {} }, { id: 'lora_qv', options: { r: 2 } }], learningRates: [1e-2, 1e-3], seeds: [0, 1, 2],
    budget: { steps: 4, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4 },
  };
  const est = (await call('plan:estimate', request)) as Awaited<ReturnType<typeof handlers['plan:estimate']>>;
  assert.equal(est.runs, 2 * (2 + 3 - 1), 'per method: two sweep runs, then two more seeds');
  const [full, lora] = est.rows;
  assert.ok(full.trainable! > lora.trainable!);
  assert.ok(full.peakBytes! > lora.peakBytes!, 'full keeps optimiser state for every weight');
  assert.deepEqual(est.models.map((m) => [m.name, m.path, m.runs]), [['model', ws.modelDir, est.runs]]);
  assert.ok(full.peakBytes! > 4 * est.models[0].totalParams);
  assert.ok(est.seconds > 0 && Number.isFinite(est.seconds));
  assert.ok(full.fits && lora.fits, 'a tiny model fits');
  assert.equal(est.storageBytes, 4 * (full.storageBytes! + lora.storageBytes!));
  const { estimatePlan } = await import('../src/main/plan_estimate');
  const tiny = estimatePlan(VALIDATORS['plan:estimate'](request), [], dir, { name: 'small', memoryBytes: 1000 });
  assert.ok(tiny.rows.every((r) => !r.fits), 'nothing fits in 1 kB');
  assert.throws(() => call('plan:estimate', { ...request, methods: [] }), /plan:estimate: field 'methods'/);
  await assert.rejects(async () => call('plan:estimate', { ...request, models: [dir] }), /plan:estimate: field 'models': model "[^"]+": .*config\.json is missing/);
});
