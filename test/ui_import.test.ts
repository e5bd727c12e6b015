// The app's Import adapter action in Chromium, over the real handlers and a store holding a
// comparison on a tiny model: an adapter folder as Python's peft writes it is scored and shown in
// the Explorer beside the trained runs, marked imported, with "n/m" for what was not measured here
// and no NaN anywhere; bad input is refused with the message in the dialog; the imported run's
// page says where it came from; in an experiment of two models the dialog asks which one the adapter
// was trained on. Screenshots at 1280×800 go to test-output/.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { parseComparison } from '../src/main/comparison/config';
import { initBackend } from '../src/main/engine/backend';
import { modelShape } from '../src/main/engine/models/families';
import { readModelConfig } from '../src/main/engine/models/load';
import { Store } from '../src/main/store/store';
import type { RunResult, RunSpec } from '../src/shared/types';
import { writePeftLora } from './peft_fixture';
import { openAppSession, storeHandlers, type AppSession } from './ui/app_session';
import { SEED_ENV } from './ui/seed_store';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-ui-import-'));

let ws: TinyWorkspace;
let store: Store;
let app: AppSession;
let page: Page;
let adapter: string;

/** A finished comparison on tiny models: full and lora_qv on the task, with stored figures (test data, not measurements). */
function seedTinyComparison(name = 'tiny study', models = [ws.modelDir]): void {
  const c = parseComparison({ ...ws.config, model: undefined, models, name, methods: ['full', 'lora_qv'] }, dir, name);
  const id = store.createExperiment(c.name, c);
  const figures: Record<string, Partial<RunResult>> = {
    full: { trainableParams: 11_264, storageBytes: 45_056, peakTensorBytes: 1.9e6, trainTokensPerSec: 900, score: 0.625 },
    lora_qv: { trainableParams: 3_072, storageBytes: 12_288, peakTensorBytes: 1.2e6, trainTokensPerSec: 1300, score: 0.5 },
  };
  for (const [model, [method, f]] of c.models.flatMap((m) => Object.entries(figures).map((e) => [m, e] as const))) {
    const spec: RunSpec = {
      modelDir: model.path, task: 'colours', method, methodOptions: method === 'lora_qv' ? { r: 8, alpha: 8 } : {}, learningRate: 1e-2, seed: 0,
      microBatch: 4, effectiveBatch: 8, steps: 4, warmupRatio: 0, weightDecay: 0, maxInputTokens: 16, maxTargetTokens: 4, evalEvery: 2, evalExamples: 8, testExamples: 8,
    };
    const run = store.createRun(id, spec, 'seed', model.name);
    store.startRun(run, SEED_ENV);
    store.finishRun(run, {
      totalParams: 11_264, changedParams: f.trainableParams!, peakRssBytes: 2.5e8, peakGpuBytes: null, inferTokensPerSecUnmerged: 2000,
      inferTokensPerSecMerged: 2100, metric: 'accuracy', validationScore: 0.5, finalLoss: 1.2, trainSeconds: 3, ...f,
    } as RunResult);
  }
  store.setExperimentStatus(id, 'done');
}

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'workbench.db'));
  seedTinyComparison();
  const sites = modelShape(readModelConfig(ws.modelDir)).linears.filter((s) => s.role === 'query' || s.role === 'value');
  adapter = writePeftLora(path.join(dir, 'colours-lora'), { r: 4, alpha: 16, sites, targets: ['q', 'v'], baseModel: 'google-t5/t5-small' }).dir;
  app = await openAppSession(() => storeHandlers(store));
  page = app.page;
});

after(async () => {
  await app?.close();
  store?.close();
});

const shot = (name: string) => app.shot(name);
const tab = (name: string) => page.locator('nav').getByRole('button', { name, exact: true }).click();
const table = () => page.locator('[data-testid="explore-table"]');
const dialog = () => page.getByRole('dialog', { name: 'Import adapter' });
const noNaN = async () => {
  const text = await page.locator('body').innerText();
  assert.ok(!/NaN|undefined|Infinity/.test(text), `the page shows no NaN, undefined or Infinity:\n${text}`);
};

test('Import adapter: a peft folder is scored and shown beside the trained runs, marked imported', async () => {
  await page.goto(app.bridge.url);
  await tab('Explorer');
  await table().waitFor();
  assert.equal(await table().locator('tbody tr:not(.group)').count(), 2);
  await page.getByRole('button', { name: 'Import adapter…' }).click();
  await dialog().waitFor();

  // Bad input first: a folder with no adapter in it, the message in the dialog; nothing stored.
  await page.fill('input[name="import-folder"]', ws.taskDir);
  await page.selectOption('select[name="import-experiment"]', { label: 'experiment 1: tiny study' });
  await dialog().getByRole('button', { name: 'Import and score' }).click();
  await dialog().getByRole('alert').getByText(/is not an adapter folder: it has neither adapter_config\.json/).waitFor();
  await shot('import-refused-light');

  await page.fill('input[name="import-folder"]', adapter);
  assert.equal(await page.inputValue('select[name="import-task"]'), 'colours', 'the experiment\'s task');
  await dialog().getByRole('button', { name: 'Import and score' }).click();
  const result = page.getByTestId('import-result');
  await result.waitFor({ timeout: 60_000 });
  const text = await result.innerText();
  assert.match(text, /Run 3 in experiment 1, on model: lora_qv \{"r":4,"alpha":16\} scored \d+\.\d% \(accuracy, 8 test examples of colours\), \d+\.\d% merged/);
  assert.match(text, /Inference \S+ tok\/s unmerged, \S+ tok\/s merged/);
  assert.match(text, /base_model_name_or_path is "google-t5\/t5-small" but the base model here is/);
  await page.waitForFunction(`document.querySelectorAll('[data-testid="explore-table"] tbody tr:not(.group)').length === 3`);
  const imported = table().locator('tbody tr.imported');
  assert.match(await imported.innerText(), /lora_qv\s*imported · colours-lora/);
  assert.match(await imported.innerText(), /n\/m/, 'no learning rate: trained elsewhere');
  await shot('import-dialog-result-light');
  await noNaN();

  // Table 5: the training columns say n/m, storage and inference are measured.
  await page.getByRole('button', { name: 'Table 5 · efficiency' }).click();
  await table().locator('th', { hasText: 'train % of full' }).waitFor();
  const cells = await table().locator('tbody tr.imported td').allInnerTexts();
  const headers = (await table().locator('thead th').allInnerTexts()).map((h) => h.replace(/[▲▼]/g, '').trim());
  const at = (h: string) => cells[headers.indexOf(h)];
  assert.equal(at('peak memory'), 'n/m');
  assert.equal(at('train tok/s'), 'n/m');
  assert.equal(at('train % of full'), 'n/m');
  assert.match(at('storage'), /kB/);
  assert.match(at('infer % of full'), /^\d+\.\d$/);
  await page.getByTestId('explore-imported-note').waitFor();
  await dialog().getByRole('button', { name: 'Close' }).click();
  await shot('import-explorer-table5-light');
  await page.locator('[data-chart="score-vs-memory"]').scrollIntoViewIfNeeded();
  await page.getByText('1 imported adapter was trained elsewhere: no training measurements to place.').first().waitFor();
  await shot('import-explorer-charts-light');
  await noNaN();

  // A memory budget cannot be shown to hold for an adapter trained elsewhere.
  await page.fill('input[name="maxPeakMb"]', '100');
  await page.waitForFunction(`document.querySelectorAll('[data-testid="explore-table"] tbody tr.imported').length === 0`);
  await page.fill('input[name="maxPeakMb"]', '');
  assert.deepEqual(app.errors, []);
});

test('the imported run on its experiment\'s pages: tagged, its source named, training not measured', async () => {
  await tab('Experiments');
  await page.getByRole('button', { name: /tiny study/ }).click();
  const tagged = page.locator('tr', { has: page.locator('.imported-tag') });
  await tagged.first().waitFor();
  assert.match(await tagged.first().innerText(), /lora_qv\s*imported\s+colours\s+n\/m\s+n\/m\s+done/);
  await noNaN();
  await tagged.first().getByRole('button', { name: 'lora_qv' }).click();
  const from = page.getByTestId('imported-from');
  await from.waitFor();
  assert.match(await from.innerText(), new RegExp(`From ${adapter} \\(Hugging Face PEFT layout, LORA\\)`));
  assert.match(await from.innerText(), /Its training \(peak memory, throughput, loss, learning rate\) was not measured here/);
  assert.equal(await page.getByText('Training loss').count(), 0, 'no loss curve: nothing was trained here');
  await noNaN();
  await shot('import-run-page-light');
  await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
  await tab('Explorer');
  await table().waitFor();
  await shot('import-explorer-dark');
  await page.getByRole('button', { name: 'Switch to the light theme' }).click();
  assert.deepEqual(app.errors, []);
});

test('an experiment of two models: the dialog asks which one the adapter was trained on, and the run is on it', async () => {
  const copy = path.join(dir, 'tiny-copy');
  cpSync(ws.modelDir, copy, { recursive: true });
  seedTinyComparison('two models', [ws.modelDir, copy]);
  await tab('Explorer');
  await table().waitFor();
  await page.getByRole('button', { name: 'Import adapter…' }).click();
  await dialog().waitFor();
  await page.fill('input[name="import-folder"]', adapter);
  await page.selectOption('select[name="import-experiment"]', { label: 'experiment 1: tiny study' });
  assert.equal(await page.locator('select[name="import-experiment-model"]').count(), 0, 'one model: nothing to choose');
  await page.selectOption('select[name="import-experiment"]', { label: 'experiment 2: two models' });
  const models = page.locator('select[name="import-experiment-model"]');
  await models.waitFor();
  assert.deepEqual(await models.locator('option').allInnerTexts(), ['model', 'tiny-copy']);
  await models.selectOption({ label: 'tiny-copy' });
  await shot('import-dialog-two-models-light');
  await dialog().getByRole('button', { name: 'Import and score' }).click();
  const result = page.getByTestId('import-result');
  await result.waitFor({ timeout: 60_000 });
  assert.match(await result.innerText(), /Run \d+ in experiment 2, on tiny-copy: lora_qv \{"r":4,"alpha":16\}/);
  const run = store.listRuns({ experimentId: 2 }).find((r) => r.imported)!;
  assert.deepEqual([run.model, run.spec.modelDir], ['tiny-copy', copy]);
  // The Explorer keys it by model and label: a row of its own under tiny-copy, beside that model's trained rows.
  await page.waitForFunction(`document.querySelectorAll('[data-testid="explore-table"] tbody tr.imported').length === 2`);
  const rows = await table().locator('tbody tr.imported').allInnerTexts();
  assert.ok(rows.some((r) => /tiny-copy/.test(r) && /imported · colours-lora/.test(r)), rows.join('\n'));
  await dialog().getByRole('button', { name: 'Close' }).click();
  await noNaN();
  assert.deepEqual(app.errors, []);
});
