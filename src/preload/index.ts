// The renderer's only door to the main process: one function per invoke channel and one
// subscription per event channel, built from the contract in src/shared/ipc.ts.
// This is the only file that uses ipcRenderer; raw IPC is never exposed.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, INVOKE_NAMES, type Api, type EventChannel, type EventMap } from '../shared/ipc';

export type { Api } from '../shared/ipc';

function subscribe<K extends EventChannel>(channel: K) {
  return (listener: (payload: EventMap[K]) => void): (() => void) => {
    const forward = (_event: IpcRendererEvent, payload: EventMap[K]) => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  };
}

function buildApi(): Api {
  const api: Record<string, unknown> = {};
  for (const [channel, name] of Object.entries(INVOKE_NAMES)) {
    api[name] = (req: unknown) => ipcRenderer.invoke(channel, req);
  }
  for (const [channel, name] of Object.entries(EVENT_NAMES)) {
    api[name] = subscribe(channel as EventChannel);
  }
  return api as Api;
}

contextBridge.exposeInMainWorld('api', buildApi());
