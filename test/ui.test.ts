// The app in a real browser: the built renderer in Debian's Chromium, window.api bridged to
// the real main-process handlers, comparison service and training workers. Drives
// "create a comparison → watch it run live → read the results", refuses bad input in the
// form, saves a screenshot of each page to test-output/ and fails on any console error.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ComparisonService } from '../src/main/comparisons';
import { initBackend } from '../src/main/engine/backend';
import { makeHandlers } from '../src/main/handlers';
import { Store } from '../src/main/store/store';
import { forkLauncher } from '../src/main/worker/launch';
import { openAppSession, type AppSession } from './ui/app_session';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-ui-'));

let ws: TinyWorkspace;
let store: Store;
let comparisons: ComparisonService;
let app: AppSession;
let page: Page;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'workbench.db'));
  app = await openAppSession((emit) => {
    comparisons = new ComparisonService({ store, launcher: forkLauncher(), artifactsRoot: path.join(dir, 'artifacts'), emit });
    return makeHandlers({ store, comparisons, dbPath: store.path });
  });
  page = app.page;
});

after(async () => {
  await app?.close(() => comparisons.whenIdle());
  store?.close();
});

const shot = (name: string) => app.shot(name);
/** The page scrolls inside main.content, not the window. */
const scrollContent = (top: number) => page.locator('main.content').evaluate((e, y) => e.scrollTo(0, y), top);
const fieldError = (field: string) => page.locator(`[data-field="${field}"]`);

test('create a comparison, watch it live, read the results', async () => {
  await page.goto(app.bridge.url);
  await page.getByText('No experiments yet').waitFor();
  await shot('1-experiments-empty');

  // The form, its defaults from the registry, and its refusals of bad input.
  await page.getByRole('button', { name: 'New comparison' }).click();
  await page.locator('input[name="method-full"]').waitFor();
  const methodIds = await page.locator('input[name^="method-"]').evaluateAll((els) => els.map((e) => e.getAttribute('name')));
  assert.ok(methodIds.includes('method-lora_qv') && methodIds.includes('method-ln_tuning'), `methods shown: ${methodIds}`);
  assert.equal(await page.locator('input[name="lora_qv.r"]').inputValue(), '8', 'lora_qv.r defaults to the registry value');
  await page.fill('input[name="addModel"]', dir); // a folder, but no checkpoint in it
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.locator('[data-field="addModel"]').getByText('no config.json').waitFor();
  await page.fill('input[name="learningRates"]', '1e-2, fast');
  await page.fill('input[name="seeds"]', '0, 0');
  await page.getByRole('button', { name: 'Start comparison' }).click();
  await fieldError('learningRates').getByText('"fast" is not a number').waitFor();
  await fieldError('seeds').getByText('a value appears twice').waitFor();
  await fieldError('name').waitFor();
  await shot('2b-new-comparison-errors-bottom');
  await scrollContent(0);
  await shot('2a-new-comparison-errors-top');

  // Fixed values, but a LoRA rank the method refuses: main refuses it, next to the field.
  await page.fill('input[name="name"]', 'tiny study');
  await page.fill('input[name="addModel"]', ws.modelDir);
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.locator('[data-model="model"]').getByText('T5: 2+2 layers').waitFor();
  assert.ok(await page.locator('input[name="model-model"]').isChecked(), 'an added folder is ticked');
  await page.uncheck('input[name="model-default"]');
  await page.uncheck('input[name="task-spam_assassin"]');
  await page.getByRole('button', { name: 'Add a JSONL task' }).click();
  await page.fill('input[name="jsonl-name-0"]', 'colours');
  await page.fill('input[name="jsonl-folder-0"]', ws.taskDir);
  for (const id of methodIds) if (id !== 'method-full' && id !== 'method-lora_qv') await page.uncheck(`input[name="${id}"]`);
  await page.fill('input[name="lora_qv.r"]', '0');
  await page.fill('input[name="learningRates"]', '1e-2');
  await page.fill('input[name="seeds"]', '0');
  const budget = { steps: 24, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4, eval_every: 12, eval_examples: 8, test_examples: 8 };
  for (const [key, value] of Object.entries(budget)) await page.fill(`input[name="budget.${key}"]`, String(value));
  assert.equal(await page.inputValue('select[name="scoring"]'), 'generate', "the study's scoring unless changed");
  await page.selectOption('select[name="scoring"]', 'rank');
  await page.getByRole('button', { name: 'Start comparison' }).click();
  await fieldError('methods.lora_qv.r').getByText('lora_qv.r must be a positive integer').waitFor();
  assert.equal(store.listExperiments().length, 0, 'a refused comparison stores nothing');

  // Start it and watch it live.
  await page.fill('input[name="lora_qv.r"]', '2');
  await page.getByRole('button', { name: 'Start comparison' }).click();
  await page.getByRole('heading', { name: 'Live · tiny study' }).waitFor();
  await page.locator('[data-panel="loss"]:not([data-points="0"])').waitFor({ timeout: 20_000 });
  await shot('3-live-running');
  await page.locator('.overall').getByText('2 of 2 runs finished').waitFor({ timeout: 30_000 });
  for (const panel of ['loss', 'memory', 'throughput']) {
    const points = Number(await page.locator(`[data-panel="${panel}"]`).getAttribute('data-points'));
    assert.ok(points >= 2 * budget.steps, `${panel} chart holds ${points} points`);
  }
  await shot('4-live-finished');

  // Results: one row per method, with the stored figures.
  await page.getByRole('button', { name: 'Results' }).click();
  const rows = page.locator('[data-testid="comparison-table"] tbody tr');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).innerText(), /colours\s+full/);
  assert.match(await rows.nth(1).innerText(), /colours\s+lora_qv/);
  await shot('5-results');

  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByText('tiny study').first().waitFor();
  await shot('6-experiments');

  const runs = store.listRuns();
  assert.deepEqual(runs.map((r) => [r.method, r.status]), [['full', 'done'], ['lora_qv', 'done']]);
  assert.deepEqual(runs.map((r) => r.spec.scoring), ['rank', 'rank'], "the form's scoring reaches every run");
  assert.deepEqual(app.bridge.refused, []);
  assert.deepEqual(app.errors, []);
});

test('a page from another origin is refused by the sender check', async () => {
  const res = await fetch(`${app.bridge.url}/ipc/experiments:list`, { method: 'POST', headers: { origin: 'http://evil.example' } });
  assert.equal(res.status, 403);
  assert.equal(app.bridge.refused.length, 1);
});
