// The IPC handlers as plain functions over the store. No Electron import here, so the
// handlers and the sender check can be tested under Node; src/main/ipc.ts wires them up.

import { VALIDATORS, type InvokeChannel, type InvokeReq, type InvokeRes } from '../shared/ipc';
import type { Store } from './store/store';

/** One handler per invoke channel: leaving one out is a compile error. */
export type Handlers = {
  [K in InvokeChannel]: (req: InvokeReq<K>) => InvokeRes<K> | Promise<InvokeRes<K>>;
};

/** The part of the store the handlers read. */
export type StoreReader = Pick<Store, 'listExperiments' | 'listRuns' | 'getRun' | 'metrics'>;

export function makeHandlers(store: StoreReader): Handlers {
  return {
    'experiments:list': () => store.listExperiments(),
    'runs:list': (req) => store.listRuns(req.experimentId === undefined ? {} : { experimentId: req.experimentId }),
    'runs:get': (req) => store.getRun(req.id) ?? null,
    'runs:metrics': (req) => store.metrics(req.id, req.name),
  };
}

/** Validates `payload` with the channel's validator (throws naming the field), then handles it. */
export function handleInvoke<K extends InvokeChannel>(handlers: Handlers, channel: K, payload: unknown) {
  const req = VALIDATORS[channel](payload);
  return handlers[channel](req);
}

/**
 * True when `url` is a page of our own renderer: the same origin as the dev server, or the
 * very index.html file that main loaded (query and hash ignored).
 */
export function isOwnRenderer(url: string, rendererUrl: string): boolean {
  let actual: URL;
  let expected: URL;
  try {
    actual = new URL(url);
    expected = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (expected.protocol === 'file:') {
    return actual.protocol === 'file:' && actual.host === expected.host && actual.pathname === expected.pathname;
  }
  return actual.origin === expected.origin && actual.origin !== 'null';
}
