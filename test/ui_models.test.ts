// The model picker and the live overlay in Chromium, over the real handlers, comparison service
// and store, with stand-in workers: the picker lists the built-in models and a model of a
// Hugging Face cache (architecture, parameters, size, dtype), refuses a folder that is not a
// model and adds one that is, and several ticked models make the matrix and its estimate; the
// live page overlays the loss curves of runs in flight and of runs just finished (kept, marked,
// until cleared) on charts updated in place. Screenshots at 1280×800, light and dark.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ComparisonService } from '../src/main/comparisons';
import { initBackend } from '../src/main/engine/backend';
import { saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { makeHandlers } from '../src/main/handlers';
import { Store } from '../src/main/store/store';
import { TINY_T5_GATED } from './helpers';
import { openAppSession, type AppSession } from './ui/app_session';
import { FakeWorkers } from './ui/fake_workers';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-ui-models-'));
const hub = path.join(dir, 'hub');

let ws: TinyWorkspace;
let store: Store;
let workers: FakeWorkers;
let comparisons: ComparisonService;
let app: AppSession;
let page: Page;
const savedHubCache = process.env.HF_HUB_CACHE;

/** A second tiny model as a snapshot of a Hugging Face cache (models--acme--tiny-gated, refs/main). */
function cacheModel(): void {
  const snapshot = path.join(hub, 'models--acme--tiny-gated', 'snapshots', 'c0ffee');
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(path.join(hub, 'models--acme--tiny-gated', 'refs'));
  writeFileSync(path.join(hub, 'models--acme--tiny-gated', 'refs', 'main'), 'c0ffee');
  copyFileSync(path.join(ws.modelDir, 'tokenizer.json'), path.join(snapshot, 'tokenizer.json'));
  const model = T5Model.random(TINY_T5_GATED, 1);
  saveModel(snapshot, model);
  model.dispose();
}

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  cacheModel();
  process.env.HF_HUB_CACHE = hub;
  store = Store.open(path.join(dir, 'workbench.db'));
  workers = new FakeWorkers();
  app = await openAppSession((emit) => {
    comparisons = new ComparisonService({ store, launcher: workers.launcher, artifactsRoot: path.join(dir, 'artifacts'), emit });
    return makeHandlers({ store, comparisons, dbPath: store.path });
  });
  page = app.page;
});

after(async () => {
  await app?.close(async () => {
    for (let i = 0; i < 20 && comparisons.busy; i++) {
      workers.endAll();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await comparisons.whenIdle();
  });
  store?.close();
  if (savedHubCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedHubCache;
});

const shot = (name: string) => app.shot(name);
const picker = () => page.getByTestId('model-picker');
const estimate = () => page.getByTestId('plan-estimate');
const pickerNames = () => picker().locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));
const theme = (to: 'dark' | 'light') => page.getByRole('button', { name: `Switch to the ${to} theme` }).click();
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await page.waitForTimeout(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('model picker: built-ins and the Hugging Face cache listed, a folder refused or added, several models make the matrix and its estimate', async () => {
  await page.goto(app.bridge.url);
  await page.getByRole('button', { name: 'New comparison' }).click();
  await picker().locator('tr[data-model="acme/tiny-gated"]').waitFor();
  assert.deepEqual(await pickerNames(), ['default', 'default-untrained', 'acme/tiny-gated']);
  const cached = await picker().locator('tr[data-model="acme/tiny-gated"]').innerText();
  assert.match(cached, /acme\/tiny-gated\s+T5: 2\+2 layers.*\s+T5ForConditionalGeneration\s+14\.\d?k\s+[\d.]+ kB\s+F32\s+Hugging Face cache/s);
  assert.match(await picker().locator('tr[data-model="default-untrained"]').innerText(), /built when a comparison first uses it/);
  assert.ok(await page.locator('input[name="model-default"]').isChecked(), 'the default model is ticked to start with');

  // A folder that is not a model: the reason in the page, nothing added.
  await page.fill('input[name="addModel"]', ws.taskDir);
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.locator('[data-field="addModel"]').getByText(`${ws.taskDir}: no config.json`).waitFor();
  assert.equal(await page.locator('[data-field="addModel"]').getAttribute('role'), 'alert');
  assert.equal((await pickerNames()).length, 3);
  await picker().scrollIntoViewIfNeeded();
  await shot('models-picker-refused-light');
  await page.fill('input[name="addModel"]', ws.modelDir);
  await page.getByRole('button', { name: 'Add folder' }).click();
  await picker().locator('tr[data-model="model"]').waitFor();
  assert.ok(await page.locator('input[name="model-model"]').isChecked(), 'an added folder is ticked');
  await page.uncheck('input[name="model-default"]');
  await page.check('input[name="model-acme/tiny-gated"]');
  await picker().getByText('2 of 4 usable models ticked').waitFor();

  // The rest of the matrix: one task, two methods, two rates, one seed.
  await page.uncheck('input[name="task-spam_assassin"]');
  await page.getByRole('button', { name: 'Add a JSONL task' }).click();
  await page.fill('input[name="jsonl-name-0"]', 'colours');
  await page.fill('input[name="jsonl-folder-0"]', ws.taskDir);
  for (const box of await page.locator('input[name^="method-"]').all()) {
    const name = await box.getAttribute('name');
    if (name !== 'method-full' && name !== 'method-lora_qv') await box.uncheck();
  }
  await page.fill('input[name="lora_qv.r"]', '2');
  await page.fill('input[name="learningRates"]', '1e-2, 1e-3');
  await page.fill('input[name="seeds"]', '0');
  for (const [key, value] of Object.entries({ steps: 4, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4 })) {
    await page.fill(`input[name="budget.${key}"]`, String(value));
  }
  await page.getByTestId('matrix').getByText('2 models × 1 task × 2 methods × 2 learning rates × 1 seed = 8 runs').waitFor();
  await page.getByRole('button', { name: 'Estimate' }).click();
  await estimate().getByTestId('estimate-total').getByText('8 runs on 2 models').waitFor();
  assert.deepEqual(await estimate().locator('tr.model').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))), ['model', 'acme/tiny-gated']);
  assert.equal(await estimate().locator('tbody tr:not(.model)').count(), 4, 'one row per model and method');

  // Ticking a third model updates the matrix and, once shown, the estimate.
  await page.check('input[name="model-default"]');
  await page.getByTestId('matrix').getByText('3 models × 1 task × 2 methods × 2 learning rates × 1 seed = 12 runs').waitFor();
  await estimate().getByTestId('estimate-total').getByText('12 runs on 3 models').waitFor();
  await estimate().locator('tr.model[data-model="default"]').waitFor();
  await picker().scrollIntoViewIfNeeded();
  await shot('models-picker-light');
  await estimate().scrollIntoViewIfNeeded();
  await shot('models-estimate-light');
  await theme('dark');
  await picker().scrollIntoViewIfNeeded();
  await shot('models-picker-dark');
  await estimate().scrollIntoViewIfNeeded();
  await shot('models-estimate-dark');
  await theme('light');
  await page.uncheck('input[name="model-default"]');
  await estimate().getByTestId('estimate-total').getByText('8 runs on 2 models').waitFor();
  assert.deepEqual(app.errors, []);
});

test('live: loss curves of runs in flight and just finished overlaid, marked, kept until cleared, charts updated in place', async () => {
  await page.fill('input[name="name"]', 'two tiny models');
  await page.getByRole('button', { name: 'Start comparison' }).click();
  await page.getByRole('heading', { name: 'Live · two tiny models' }).waitFor();
  const overlay = page.getByTestId('overlay');
  const lines = async () => ({ running: Number(await overlay.getAttribute('data-running')), finished: Number(await overlay.getAttribute('data-finished')) });
  const points = async () => Number(await page.locator('[data-panel="loss"]').getAttribute('data-points'));
  const chartId = async () => page.locator('[data-panel="loss"]').getAttribute('data-chart-id');
  await until('the runs in flight', async () => workers.live.length > 0 && (await lines()).running === workers.live.length);
  const id = await chartId();
  assert.ok(id, 'the chart has an id');
  const first = workers.live.length;
  for (let step = 1; step <= 6; step++) workers.step(step);
  await until('the first curves', async () => (await points()) === 6 * first);
  assert.match(await page.locator('.runs').innerText(), /model · full · colours · lr 1e-2 · seed 0/);

  // One run ends: its curve stays, marked finished; the next run's curve joins it.
  workers.endFirst(1);
  await until('a finished line and a new one in flight', async () => {
    const l = await lines();
    return l.finished === 1 && l.running === workers.live.length;
  });
  for (let step = 1; step <= 6; step++) workers.step(step);
  await until('the new curves', async () => (await points()) > 6 * first);
  assert.equal(await chartId(), id, 'the chart was updated, not made again');
  await page.locator('[data-panel="loss"]').scrollIntoViewIfNeeded();
  await shot('live-overlay-light');
  await theme('dark');
  await page.waitForTimeout(100);
  await shot('live-overlay-dark');
  await theme('light');

  // Clearing takes the finished lines off; runs in flight stay.
  const before = await lines();
  await page.getByRole('button', { name: 'Clear finished' }).click();
  await until('the finished lines cleared', async () => (await lines()).finished === 0);
  assert.equal((await lines()).running, before.running);
  assert.equal(await chartId(), id);

  // The rest of the experiment: every run ends; the lines of runs that finished since are kept, marked.
  for (let i = 0; i < 40 && workers.live.length; i++) {
    workers.step(1);
    workers.endAll();
    await page.waitForTimeout(30);
  }
  await page.locator('.overall').getByText('8 of 8 runs finished').waitFor();
  await until('the last runs kept as finished', async () => {
    const l = await lines();
    return l.running === 0 && l.finished > 0 && l.finished <= 8;
  });
  assert.equal(await chartId(), id);
  const runs = store.listRuns();
  assert.deepEqual([...new Set(runs.map((r) => r.model))], ['model', 'acme/tiny-gated']);
  assert.ok(runs.every((r) => r.status === 'done'));
  assert.deepEqual(app.errors, []);
});
