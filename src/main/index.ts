// Electron main process: window lifecycle and hardening only. The IPC handlers live in
// ipc.ts / handlers.ts, comparisons in comparisons.ts, the results database in store/store.ts.

import { app, BrowserWindow, dialog, session, type WebContents } from 'electron';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ComparisonService } from './comparisons';
import { queueDevices } from './queue/devices';
import { ComparisonQueue } from './queue/queue';
import { isOwnRenderer } from './handlers';
import { broadcast, registerIpc } from './ipc';
import { Store, defaultDbPath } from './store/store';
import { utilityLauncher } from './worker/launch_electron';

// Mirrors the <meta> tag in src/renderer/index.html, which is what applies to file:// pages;
// this header covers pages served over http by the dev server.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dev server while `electron-vite dev` runs, otherwise the built out/renderer/index.html. */
function rendererUrl(): string {
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (!app.isPackaged && devServer) return devServer;
  return pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
}

function createWindow(url: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'PEFT Workbench',
    backgroundColor: '#f7f8fa',
    webPreferences: {
      // A sandboxed preload must be CommonJS; electron.vite.config.ts builds it as index.cjs.
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
  return window;
}

/** No navigation away from our renderer, no new windows, no <webview>. */
function harden(contents: WebContents, url: string): void {
  contents.on('will-navigate', (event, target) => {
    if (!isOwnRenderer(target, url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, target) => {
    if (!isOwnRenderer(target, url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function secureSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, grant) => grant(false));
  session.defaultSession.webRequest.onHeadersReceived((details, respond) => {
    respond({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

function openStore(): Store | null {
  const path = defaultDbPath();
  try {
    return Store.open(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    dialog.showErrorBox('Cannot open the results database', `${path}\n\n${reason}`);
    return null;
  }
}

/**
 * Runs left 'running' by a process that ended (a crash, a power cut) become 'interrupted', to be
 * resumed from their checkpoints. Refused while another process (the CLI) writes the database:
 * its runs may be training.
 */
function recoverInterrupted(store: Store): void {
  try {
    const { runs } = store.recoverInterrupted();
    if (runs.length) process.stderr.write(`marked interrupted at start-up: runs ${runs.join(', ')}\n`);
  } catch (error) {
    process.stderr.write(`start-up recovery skipped: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

async function main(): Promise<void> {
  await app.whenReady();
  const url = rendererUrl();
  const store = openStore();
  if (!store) {
    app.quit();
    return;
  }
  recoverInterrupted(store);
  secureSession();
  app.on('web-contents-created', (_event, contents) => harden(contents, url));
  const comparisons = new ComparisonService({
    store,
    // electron.vite.config.ts builds the worker next to this file.
    launcher: utilityLauncher(join(import.meta.dirname, 'train_worker.js')),
    artifactsRoot: join(dirname(store.path), 'artifacts', basename(store.path).replace(/\.[^.]+$/, '')),
    emit: (channel, payload) => broadcast(channel, payload, url),
  });
  const queue = new ComparisonQueue({ store, runner: comparisons, devices: queueDevices(), emit: (channel, payload) => broadcast(channel, payload, url) });
  queue.open();
  const unregisterIpc = registerIpc({ store, comparisons, dbPath: store.path, queue }, url);
  app.on('will-quit', () => {
    unregisterIpc();
    // A run still training ends with the app; its worker's exit is still recorded, so the store stays open.
    if (!comparisons.busy) store.close();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(url);
  });
  createWindow(url);
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

main().catch((error: unknown) => {
  dialog.showErrorBox('PEFT Workbench could not start', error instanceof Error ? (error.stack ?? error.message) : String(error));
  app.exit(1);
});
