// The explorer, the builder's estimate, the methods page and the run page in Chromium, over a
// store seeded with finished comparisons (no training). Asserts sorting, grouping, the budget
// filter, the published overlay and every export, refuses bad input with a message in the page,
// screenshots every page at 1280×800 in light and dark, and fails on any console error.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { initBackend } from '../src/main/engine/backend';
import { Store } from '../src/main/store/store';
import { openAppSession, storeHandlers, type AppSession } from './ui/app_session';
import { seedStore } from './ui/seed_store';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-ui-explorer-'));
const exports = path.join(dir, 'exports');

let ws: TinyWorkspace;
let store: Store;
let app: AppSession;
let page: Page;

before(async () => {
  mkdirSync(exports);
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'workbench.db'));
  seedStore(store);
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
const bodyRows = () => table().locator('tbody tr:not(.group)');
const column = async (i: number) => bodyRows().evaluateAll((trs, k) => trs.map((tr) => (tr.children[k] as unknown as { innerText: string }).innerText), i);
const chartPoints = async (id: string) => Number(await page.locator(`[data-chart="${id}"]`).getAttribute('data-points'));
const status = () => page.locator('[data-testid="export-status"]');

async function exportAs(label: string, folder: string): Promise<string> {
  await page.fill('input[name="exportDir"]', folder);
  await page.getByRole('button', { name: label, exact: true }).click();
  await status().waitFor();
  return status().innerText();
}

test('explorer: sort, group, filter, overlay and export', async () => {
  await page.goto(app.bridge.url);
  await tab('Explorer');
  await table().waitFor();
  assert.equal(await bodyRows().count(), 18, 'one row per experiment, model, task and method');

  // Sort by score: ascending, then descending on a second click.
  const scores = async () => (await column(5)).map((s) => Number(s.split(' ')[0]));
  await page.selectOption('select[name="groupBy"]', 'none');
  await table().getByRole('button', { name: /^score/ }).click();
  const up = await scores();
  assert.deepEqual(up, [...up].sort((a, b) => a - b));
  await table().getByRole('button', { name: /^score/ }).click();
  const down = await scores();
  assert.deepEqual(down, [...up].reverse());
  assert.equal(await table().locator('th[aria-sort="descending"]').count(), 1);

  // Group by model: one heading row per model, the two-model experiment's rows under each of its models.
  await page.selectOption('select[name="groupBy"]', 'model');
  assert.deepEqual(await table().locator('tr.group').allInnerTexts(), ['t5-base · 3', 't5-large · 3', 't5-small · 12']);
  await shot('explorer-by-model-light');

  // Group by method: one heading row per method.
  await page.selectOption('select[name="groupBy"]', 'method');
  assert.equal(await table().locator('tr.group').count(), 6);
  await shot('explorer-table4-light');

  // Overlay: the study's rows join every chart.
  const before = await chartPoints('score-vs-params');
  await page.check('input[name="overlay"]');
  await page.waitForFunction(`Number(document.querySelector('[data-chart="score-vs-params"]')?.getAttribute('data-points')) > ${before}`);
  assert.equal(await chartPoints('score-vs-params') - before, 45, 'all 45 published rows have a trainable count');
  await page.locator('[data-chart="score-vs-params"]').scrollIntoViewIfNeeded();
  await shot('explorer-charts-overlay-light');
  await page.uncheck('input[name="overlay"]');
  await page.waitForFunction(`Number(document.querySelector('[data-chart="score-vs-params"]')?.getAttribute('data-points')) === ${before}`);

  // Budget: a limit below every run hides all, with a message and a way back; a looser one keeps some.
  await page.fill('input[name="maxPeakMb"]', '1');
  await page.getByTestId('explore-filtered-out').getByText('No result fits this budget').waitFor();
  assert.equal(await table().count(), 0);
  await shot('explorer-filtered-out-light');
  await page.getByRole('button', { name: 'Clear the budget' }).click();
  await page.fill('input[name="minRate"]', '1200');
  await page.waitForFunction(`document.querySelectorAll('[data-testid="explore-table"] tbody tr:not(.group)').length < 18`);
  const kept = await column(2);
  assert.ok(kept.length > 0 && kept.every((m) => ['lora_qv', 'ia3', 'prompt_tuning', 'ln_tuning'].includes(m)), `kept ${kept}`);
  await page.fill('input[name="minRate"]', 'fast');
  await page.getByText('Budget limits must be non-negative numbers.').waitFor();
  await page.fill('input[name="minRate"]', '');

  // Table 5 and exports through main: files written with the report formatter.
  await page.getByRole('button', { name: 'Table 5 · efficiency' }).click();
  await table().locator('th', { hasText: 'train % of full' }).waitFor();
  await shot('explorer-table5-light');
  assert.match(await exportAs('CSV', exports), /Saved .*table5\.csv/);
  const csv = readFileSync(path.join(exports, 'table5.csv'), 'utf8').split('\n');
  assert.equal(csv[0], 'model,task,method,score %,trainable,trainable %,storage,peak memory,train tok/s,train % of full,infer % of full,merged tok/s');
  assert.equal(csv.length, 19);
  assert.match(await exportAs('Markdown', exports), /table5\.md/);
  assert.match(readFileSync(path.join(exports, 'table5.md'), 'utf8'), /^\*\*Table 5: efficiency\*\*\n\n\| model \| task \|/);
  assert.match(await exportAs('LaTeX', exports), /table5\.tex/);
  assert.match(readFileSync(path.join(exports, 'table5.tex'), 'utf8'), /\\begin\{tabular\}\{lllr/);
  await page.locator('[data-chart="score-vs-memory"]').getByRole('button', { name: /PNG/ }).click();
  await page.getByText(/Saved .*score-vs-memory\.png/).waitFor();
  assert.deepEqual([...readFileSync(path.join(exports, 'score-vs-memory.png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

  // A folder that cannot be written: the reason in the page.
  const locked = path.join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o500);
  const target = process.getuid?.() === 0 ? path.join(dir, 'missing') : locked;
  const message = await exportAs('CSV', target);
  assert.match(message, process.getuid?.() === 0 ? /does not exist; choose an existing folder/ : /cannot write table5\.csv into .*\(EACCES\); choose a folder you can write to/);
  assert.equal(await status().getAttribute('role'), 'alert');
  await shot('explorer-export-refused-light');
  assert.deepEqual(app.errors, []);
});

test('builder: an empty experiment is refused, a real one is estimated before it starts', async () => {
  await tab('New comparison');
  await page.locator('input[name="method-full"]').waitFor();
  for (const box of await page.locator('input[name^="method-"]').all()) await box.uncheck();
  await page.getByRole('button', { name: 'Estimate' }).click();
  await page.getByText('The experiment is empty: choose at least one model, one task and one method').waitFor();

  await page.fill('input[name="addModel"]', ws.modelDir);
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.locator('[data-model="model"]').getByText('T5: 2+2 layers').waitFor();
  await page.uncheck('input[name="model-default"]');
  await page.uncheck('input[name="task-spam_assassin"]');
  await page.getByRole('button', { name: 'Add a JSONL task' }).click();
  await page.fill('input[name="jsonl-name-0"]', 'colours');
  await page.fill('input[name="jsonl-folder-0"]', ws.taskDir);
  await page.check('input[name="method-full"]');
  await page.check('input[name="method-lora_qv"]');
  await page.fill('input[name="learningRates"]', '1e-2, 1e-3');
  await page.fill('input[name="seeds"]', '0, 1');
  const budget = { steps: 4, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4 };
  for (const [key, value] of Object.entries(budget)) await page.fill(`input[name="budget.${key}"]`, String(value));
  await page.getByRole('button', { name: 'Estimate' }).click();
  const panel = page.getByTestId('plan-estimate');
  await panel.getByTestId('estimate-total').getByText('6 runs').waitFor();
  assert.equal(await panel.locator('tbody tr:not(.model)').count(), 2);
  await panel.scrollIntoViewIfNeeded();
  await shot('builder-estimate-light');
  assert.deepEqual(app.errors, []);
});

test('export dialog: a run that cannot merge offers only the adapter and says why', async () => {
  await tab('Experiments');
  await page.getByRole('button', { name: /t5-small study/ }).click();
  await page.getByRole('button', { name: 'houlsby' }).first().click();
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: /^Export run \d+$/ });
  await dialog.waitFor();
  assert.equal(await dialog.locator('input[name="export-kind"][value="merged"]').isDisabled(), true, 'houlsby changes the computation');
  assert.equal(await dialog.locator('input[name="export-kind"][value="adapter"]').isChecked(), true);
  await dialog.getByText('houlsby cannot be merged').waitFor();
  await page.fill('input[name="export-out"]', '/exports/houlsby-adapter');
  await dialog.scrollIntoViewIfNeeded();
  await shot('export-dialog-light');
  // The seeded run has no saved weights: the dialog shows the refusal and can be submitted again.
  await dialog.getByRole('button', { name: 'Export' }).click();
  const refusal = dialog.getByRole('alert');
  await refusal.waitFor();
  assert.ok((await refusal.innerText()).length > 'Something went wrong.'.length, 'the refusal says why');
  assert.equal(await dialog.getByRole('button', { name: 'Export' }).isEnabled(), true);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Export…' }).waitFor();
  assert.deepEqual(app.errors, []);
});

test('methods page and run page with a diff', async () => {
  await tab('Methods');
  const rows = page.locator('[data-testid="capability-table"] tbody tr');
  await rows.nth(16).waitFor();
  assert.equal(await rows.count(), 17);
  assert.match(await rows.filter({ hasText: 'lora_qv' }).first().innerText(), /2,359,296/);
  await shot('methods-light');

  await tab('Experiments');
  await page.getByRole('button', { name: /t5-small study/ }).click();
  await page.getByRole('button', { name: 'lora_qv' }).first().click();
  await page.getByTestId('run-diff').waitFor();
  await page.locator('select[name="diffRun"] option', { hasText: 'full on boolq' }).first().waitFor({ state: 'attached' });
  const options = await page.locator('select[name="diffRun"] option').allInnerTexts();
  const other = options.find((o) => / · full on boolq/.test(o));
  assert.ok(other, `runs to compare with: ${options.slice(0, 4)}`);
  await page.selectOption('select[name="diffRun"]', { label: other });
  const diff = page.getByTestId('run-diff').locator('tbody tr');
  await diff.first().waitFor();
  assert.ok((await diff.allInnerTexts()).some((t) => /spec\.method\s+lora_qv\s+full/.test(t)));
  await page.getByTestId('run-diff').scrollIntoViewIfNeeded();
  await shot('run-diff-light');
  assert.deepEqual(app.errors, []);
});

test('every page in the dark theme', async () => {
  await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  for (const [name, label] of [['experiments', 'Experiments'], ['new-comparison', 'New comparison'], ['live', 'Live'], ['results', 'Results'], ['explorer', 'Explorer'], ['methods', 'Methods']]) {
    await tab(label);
    await page.waitForTimeout(150);
    await shot(`${name}-dark`);
  }
  await page.keyboard.press('Alt+5');
  await table().waitFor();
  await page.check('input[name="overlay"]');
  await page.locator('[data-chart="score-vs-throughput"]').scrollIntoViewIfNeeded();
  await page.waitForTimeout(150);
  await shot('explorer-charts-overlay-dark');
  await page.reload();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark', 'the choice survives a reload');
  await page.getByRole('button', { name: 'Switch to the light theme' }).click();
  for (const [name, label] of [['experiments', 'Experiments'], ['live', 'Live'], ['results', 'Results']]) {
    await tab(label);
    await page.waitForTimeout(150);
    await shot(`${name}-light`);
  }
  assert.deepEqual(app.errors, []);
});
