// The Queue page in a real browser over the real queue, store and comparison service, with
// stand-in workers: reorder by button and by keyboard, device assignment, pause, resume and
// cancel (waiting and running), with screenshots at 1280×800 in test-output/.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ComparisonRequest } from '../src/shared/comparison_request';
import { ComparisonService } from '../src/main/comparisons';
import { initBackend } from '../src/main/engine/backend';
import { makeHandlers } from '../src/main/handlers';
import { CANCELLED } from '../src/main/queue/launch_control';
import { ComparisonQueue } from '../src/main/queue/queue';
import { Store } from '../src/main/store/store';
import { openAppSession, type AppSession } from './ui/app_session';
import { FakeWorkers } from './ui/fake_workers';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-ui-queue-'));

let ws: TinyWorkspace;
let store: Store;
let workers: FakeWorkers;
let queue: ComparisonQueue;
let app: AppSession;
let page: Page;

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  store = Store.open(path.join(dir, 'workbench.db'));
  workers = new FakeWorkers();
  app = await openAppSession((emit) => {
    const comparisons = new ComparisonService({ store, launcher: workers.launcher, artifactsRoot: path.join(dir, 'artifacts'), emit });
    // Two GPUs as nvidia-smi would list them, and the CPU.
    const devices = [{ id: 0, label: 'GPU 0 · test' }, { id: 1, label: 'GPU 1 · test' }, { id: 'cpu' as const, label: 'CPU' }];
    queue = new ComparisonQueue({ store, runner: comparisons, emit, devices });
    queue.open();
    return makeHandlers({ store, comparisons, dbPath: store.path, queue });
  });
  page = app.page;
});

after(async () => {
  await app?.close(async () => {
    workers.endAll();
    await queue.whenIdle();
  });
  store?.close();
});

const shot = (name: string) => app.shot(name);
const request = (name: string): ComparisonRequest => ({
  name, models: [ws.modelDir], tasks: [{ name: 'colours', folder: ws.taskDir }], methods: [{ id: 'full', options: {} }],
  learningRates: [1e-2], seeds: [0], budget: { steps: 4, micro_batch: 4, effective_batch: 8 },
});
const order = () => page.locator('[data-testid="queue-table"] tbody tr[data-status="queued"] td:nth-child(2)')
  .evaluateAll((cells) => cells.map((c) => c.childNodes[0]?.textContent?.trim()));
async function waitOrder(expected: string[]): Promise<void> {
  for (let i = 0; i < 100 && JSON.stringify(await order()) !== JSON.stringify(expected); i++) await page.waitForTimeout(50);
  assert.deepEqual(await order(), expected);
}

test('queue: reorder, device, pause, resume and cancel from the page', async () => {
  await page.goto(app.bridge.url);
  await page.getByRole('button', { name: 'Queue', exact: true }).click();
  await page.getByTestId('queue-empty').waitFor();
  await page.getByRole('button', { name: 'Pause queue' }).click();
  await page.getByTestId('queue-state').getByText('Paused').waitFor();
  assert.equal(store.queue.paused(), true);

  for (const name of ['alpha', 'beta', 'gamma']) queue.add({ request: request(name) });
  await waitOrder(['alpha', 'beta', 'gamma']);
  await shot('queue-1-paused');

  await page.getByRole('button', { name: 'Move gamma up' }).click();
  await waitOrder(['alpha', 'gamma', 'beta']);
  // The keyboard: the moved row keeps the focus, Alt+↑ moves it again.
  await page.locator('tr[data-status="queued"]', { hasText: 'gamma' }).focus();
  await page.keyboard.press('Alt+ArrowUp');
  await waitOrder(['gamma', 'alpha', 'beta']);
  await page.keyboard.press('Alt+ArrowDown');
  await waitOrder(['alpha', 'gamma', 'beta']);
  assert.deepEqual(store.queue.list().filter((i) => i.status === 'queued').map((i) => i.name), ['alpha', 'gamma', 'beta']);

  await page.getByLabel('Device for beta').selectOption('cpu');
  for (let i = 0; i < 100 && store.queue.list().find((x) => x.name === 'beta')?.device !== 'cpu'; i++) await page.waitForTimeout(50);
  assert.equal(store.queue.list().find((x) => x.name === 'beta')?.device, 'cpu');

  await page.getByRole('button', { name: 'Cancel alpha' }).click();
  await page.locator('tr[data-status="cancelled"]', { hasText: 'alpha' }).waitFor();
  await waitOrder(['gamma', 'beta']);

  // Resume: gamma on GPU 0 and beta on the CPU train side by side, one item per device.
  await page.getByRole('button', { name: 'Resume queue' }).click();
  await page.locator('tr[data-status="running"]', { hasText: 'gamma' }).waitFor();
  await page.locator('tr[data-status="running"]', { hasText: 'beta' }).waitFor();
  await shot('queue-2-running');

  await page.getByRole('button', { name: 'Cancel gamma' }).click();
  await page.locator('tr[data-status="cancelled"]', { hasText: 'gamma' }).waitFor();
  const gamma = store.queue.list().find((i) => i.name === 'gamma')!;
  assert.deepEqual(store.listRuns({ experimentId: gamma.experimentId! }).map((r) => [r.status, r.reason]), [['failed', CANCELLED]]);
  workers.endAll();
  await page.locator('tr[data-status="done"]', { hasText: 'beta' }).waitFor();
  await shot('queue-3-finished');
  assert.deepEqual(app.bridge.refused, []);
  assert.deepEqual(app.errors, []);
});
