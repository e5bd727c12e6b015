// The main-process side of the IPC contract in src/shared/ipc.ts: the only file that uses
// ipcMain. Every message is checked to come from our own renderer and validated before
// it reaches a handler.

import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { INVOKE_CHANNELS, type EventChannel, type EventMap } from '../shared/ipc';
import { handleInvoke, isOwnRenderer, makeHandlers, type HandlerDeps } from './handlers';

/**
 * Registers one handler per invoke channel. `rendererUrl` is the URL main loads into its
 * windows (the dev server or out/renderer/index.html); messages from any other frame are
 * refused. Returns a function that removes the handlers.
 */
export function registerIpc(deps: HandlerDeps, rendererUrl: string): () => void {
  const handlers = makeHandlers(deps);
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) => {
      checkSender(event, channel, rendererUrl);
      return handleInvoke(handlers, channel, payload);
    });
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Pushes an event to every open window of our renderer. */
export function broadcast<K extends EventChannel>(channel: K, payload: EventMap[K], rendererUrl: string): void {
  for (const window of BrowserWindow.getAllWindows()) {
    const contents = window.webContents;
    if (!window.isDestroyed() && isOwnRenderer(contents.getURL(), rendererUrl)) contents.send(channel, payload);
  }
}

function checkSender(event: IpcMainInvokeEvent, channel: string, rendererUrl: string): void {
  const url = event.senderFrame?.url ?? '';
  if (!isOwnRenderer(url, rendererUrl)) {
    throw new Error(`${channel}: refused a message from ${url || 'a closed frame'}; only ${rendererUrl} may call it`);
  }
}
