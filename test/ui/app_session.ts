// One browser test file's app: the built renderer served by the bridge over the test's handlers,
// open in a fresh headless Chromium, with the page's console errors collected and screenshots
// written to test-output/. Everything it opens, close() shuts, also when the setup fails halfway.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { makeHandlers, type HandlerDeps, type Handlers } from '../../src/main/handlers';
import type { Store } from '../../src/main/store/store';
import { apiShim, startBridge, type Bridge } from './bridge';
import { launchChromium, openAppPage } from './browser';
import { ensureRendererBuilt } from './build';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-output');

export interface AppSession {
  page: Page;
  bridge: Bridge;
  /** Console errors and uncaught exceptions of the page; the tests expect it to stay empty. */
  errors: string[];
  /** Saves the page's viewport as test-output/<name>.png. */
  shot(name: string): Promise<void>;
  /**
   * Closes the browser, then awaits `settle` (work still running that sends events to the page,
   * e.g. a comparison service going idle), then stops the bridge.
   */
  close(settle?: () => Promise<void>): Promise<void>;
}

/**
 * Builds the renderer unless it is up to date, starts the bridge, makes the handlers with the
 * bridge's `emit` (for services that push events to the page) and opens the app's page in
 * Chromium with the window.api shim. The page has not navigated yet: tests go to bridge.url.
 */
export async function openAppSession(handlersFor: (emit: Bridge['emit']) => Handlers): Promise<AppSession> {
  const renderer = ensureRendererBuilt(ROOT);
  mkdirSync(SHOTS, { recursive: true });
  // Read per request, and no request comes before the page navigates, after it is set below.
  let handlers: Handlers | undefined;
  const bridge = await startBridge(renderer, () => handlers!);
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    handlers = handlersFor(bridge.emit);
    chromium = await launchChromium();
    const browser = chromium;
    const errors: string[] = [];
    const page = await openAppPage(browser, apiShim(), errors);
    return {
      page, bridge, errors,
      shot: async (name) => {
        await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
      },
      close: async (settle) => {
        try {
          await browser.close();
          await settle?.();
        } finally {
          await bridge.close();
        }
      },
    };
  } catch (err) {
    await chromium?.close();
    await bridge.close();
    throw err;
  }
}

/** Handlers over `store` alone, for pages that only read it: starting or resuming a comparison throws. */
export function storeHandlers(store: Store): Handlers {
  const comparisons: HandlerDeps['comparisons'] = {
    busy: false,
    start: () => { throw new Error('comparison:start: not in this test'); },
    resume: () => { throw new Error('runs:resume: not in this test'); },
  };
  return makeHandlers({ store, comparisons, dbPath: store.path });
}
