// The IPC handlers as plain functions over the store and the comparison service. No Electron
// import here, so the handlers and the sender check run under Node (tests, the browser test
// bridge); src/main/ipc.ts wires them to ipcMain.

import path from 'node:path';
import { VALIDATORS, type AppInfo, type InvokeChannel, type InvokeReq, type InvokeRes, type MethodInfo, type ModelCheck } from '../shared/ipc';
import { DEFAULT_BUDGET } from './comparison/config';
import { resultRows, summariseCells } from './comparison/summary';
import type { ComparisonService } from './comparisons';
import { importAsRun } from './comparison/imported_run';
import { BUILTIN_TASKS } from './engine/data/tasks';
import { backendChoice, initBackend } from './engine/backend';
import { exportRun } from './engine/export/run_export';
import { describeConfig } from './engine/models/families';
import { addFolder, listModels } from './engine/models/discover';
import { builtinEntries, isBuiltin, prepareBuiltins } from './comparison/models';
import { requestModels, type ComparisonRequest } from '../shared/comparison_request';
import { checkModelFolder } from './engine/models/load';
import { DEFAULT_MODEL_NAME, isModelFolder } from './engine/models/default_model';
import { METHODS } from './engine/peft/registry';
import type { Store } from './store/store';
import { exploreInfo, exploreRows, methodCapabilities, renderView, saveExport } from './explorer';
import { estimatePlan } from './plan_estimate';
import type { ComparisonQueue } from './queue/queue';

/** One handler per invoke channel: leaving one out is a compile error. */
export type Handlers = {
  [K in InvokeChannel]: (req: InvokeReq<K>) => InvokeRes<K> | Promise<InvokeRes<K>>;
};

/** The part of the store the handlers use: reads, and the one write of an imported adapter. */
export type StoreReader = Pick<Store, 'listExperiments' | 'listRuns' | 'getRun' | 'metrics' | 'lrChoices' | 'getExperiment' | 'addImportedRun' | 'path'>;

export interface HandlerDeps {
  store: StoreReader;
  comparisons: Pick<ComparisonService, 'start' | 'resume' | 'busy'>;
  /** The database file, shown to the user. */
  dbPath: string;
  /** The queue of comparisons; without it the queue channels answer that there is none. */
  queue?: Pick<ComparisonQueue, 'snapshot' | 'add' | 'move' | 'pause' | 'resume' | 'cancel' | 'retry' | 'setDevice'>;
}

export function makeHandlers({ store, comparisons, dbPath, queue }: HandlerDeps): Handlers {
  const q = () => {
    if (!queue) throw new Error('queue: this window has no queue of comparisons');
    return queue;
  };
  // The added-folders list and the built-in models live beside the database, as for `peft-bench models`.
  const home = path.dirname(dbPath);
  /** Builds the request's built-in models that are not there yet (once), so the checks below read their folders. */
  const ready = async (request: ComparisonRequest) => {
    const builtins = requestModels(request).filter(isBuiltin).map((m) => ({ name: m, path: m }));
    if (builtins.length) await prepareBuiltins(builtins, home);
  };
  return {
    'experiments:list': () => store.listExperiments(),
    'runs:list': (req) => store.listRuns(req.experimentId === undefined ? {} : { experimentId: req.experimentId }),
    'runs:get': (req) => store.getRun(req.id) ?? null,
    'runs:metrics': (req) => store.metrics(req.id, req.name),
    'methods:list': () => listMethods(),
    'app:info': () => appInfo(dbPath, comparisons.busy),
    'model:check': (req) => checkModel(req.folder),
    'comparison:start': async (req) => {
      await ready(req);
      return comparisons.start(req);
    },
    'experiments:results': (req) => resultRows(summariseCells(store.listRuns({ experimentId: req.id }), store.lrChoices(req.id))),
    'runs:export': async (req) => {
      await initBackend();
      return exportRun(store, req.id, dbPath, { kind: req.kind, out: req.out, force: req.force });
    },
    'plan:estimate': async (req) => {
      await ready(req);
      return estimatePlan(req, store.listRuns({ status: 'done' }), home);
    },
    'methods:capabilities': () => methodCapabilities(),
    'explore:rows': () => exploreRows(store),
    'explore:render': (req) => renderView(req),
    'explore:save': (req) => saveExport(req),
    'explore:info': () => exploreInfo(dbPath),
    'runs:resume': (req) => comparisons.resume(req.id),
    'queue:list': () => q().snapshot(),
    'queue:add': async (req) => {
      await ready(req.request);
      return q().add(req);
    },
    'queue:move': (req) => q().move(req.id, req.to),
    'queue:pause': () => q().pause(),
    'queue:resume': () => q().resume(),
    'queue:cancel': (req) => q().cancel(req.id),
    'queue:retry': (req) => q().retry(req),
    'queue:device': (req) => q().setDevice(req.id, req.device),
    'models:list': () => [...builtinEntries(home), ...listModels({ home })],
    'models:add': (req) => {
      if (!path.isAbsolute(req.folder)) throw new Error(`models:add: field 'folder': give the folder as an absolute path, got "${req.folder}"`);
      try {
        return addFolder(home, req.folder);
      } catch (err) {
        throw new Error(`models:add: field 'folder': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
    // Runs in the main process, as export does: two model loads and the test split's generation.
    'adapters:import': async (req) => {
      await initBackend();
      const { experimentId, runId, created, model, evaluation: e } = importAsRun(store, {
        adapterDir: req.folder, task: req.task, experimentId: req.experimentId, model: req.model, name: req.name,
      }, backendChoice());
      return {
        experimentId, runId, created, model, method: e.adapter.method, options: e.adapter.options, task: e.task, metric: e.metric, examples: e.examples,
        score: e.score, mergedScore: e.mergedScore, inferTokensPerSecUnmerged: e.inferTokensPerSecUnmerged,
        inferTokensPerSecMerged: e.inferTokensPerSecMerged, warnings: e.adapter.warnings,
      };
    },
  };
}

/** The method registry as the form shows it; a method added to the registry appears here. */
export function listMethods(): MethodInfo[] {
  return Object.values(METHODS).map((m) => ({ id: m.id, title: m.title, paper: m.paper, defaults: { ...m.defaults } }));
}

function appInfo(dbPath: string, busy: boolean): AppInfo {
  const defaultModel = path.join(path.dirname(dbPath), 'models', DEFAULT_MODEL_NAME);
  return {
    dbPath,
    builtinTasks: Object.keys(BUILTIN_TASKS),
    defaultBudget: Object.fromEntries(Object.entries(DEFAULT_BUDGET).filter((e): e is [string, number] => typeof e[1] === 'number')),
    defaultModelDir: isModelFolder(defaultModel) ? defaultModel : null,
    busy,
  };
}

/** Whether `folder` holds a T5 checkpoint this engine can load; if not, what is missing. */
export function checkModel(folder: string): ModelCheck {
  if (!path.isAbsolute(folder)) return { ok: false, problem: `give the folder as an absolute path, got "${folder}"` };
  try {
    const c = checkModelFolder(folder);
    return { ok: true, summary: describeConfig(c) };
  } catch (err) {
    return { ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
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
