// The IPC contract between the renderer and the main process, declared once.
// Main registers one handler per InvokeMap channel, the preload exposes one function per
// channel, and every request payload is checked at runtime by the validator of its channel.

import { checkComparisonRequest, describeFieldErrors, type ComparisonRequest, type OptionValue } from './comparison_request';
import type { ExperimentRecord, MetricPoint, ResultRow, RunRecord, RunStatus } from './types';
import {
  checkRenderTable, checkSaveFile, type ExploreRow, type MethodCapability, type PlanEstimate, type RenderTableReq, type SaveFileReq,
} from './explorer_ipc';
import { checkImportAdapter, type ImportAdapterReq, type ImportAdapterResult } from './import_ipc';
import {
  checkQueueAdd, checkQueueDevice, checkQueueId, checkQueueMove, checkQueueRetry,
  type QueueAddReq, type QueueDeviceReq, type QueueMoveReq, type QueueRetryReq, type QueueSnapshot,
} from './queue_ipc';

/** A PEFT method as the registry describes it, for the New comparison form. */
export interface MethodInfo {
  id: string;
  title: string;
  paper: string;
  defaults: Record<string, OptionValue>;
}

/** What the form needs to start from: the registry's tasks, the default budget and model. */
export interface AppInfo {
  dbPath: string;
  builtinTasks: string[];
  defaultBudget: Record<string, number>;
  /** The built-in default model's folder when it has been built, else null. */
  defaultModelDir: string | null;
  /** True while a comparison runs (one at a time: they share the device). */
  busy: boolean;
}

/** Whether a folder is a usable checkpoint, and what is missing when it is not. */
export type ModelCheck = { ok: true; summary: string } | { ok: false; problem: string };

/** What an export wrote and how its reloaded files compared with the trained model (docs/export.md). */
export interface ExportResult {
  kind: 'merged' | 'adapter';
  out: string;
  layout: 'merged' | 'peft' | 'workbench';
  method: string;
  files: string[];
  bytes: number;
  dtypes: string[];
  checks: { what: string; relDiff: number; tolerance: number; ok: boolean }[];
  mergeable: boolean;
  mergeNote: string | null;
  inferenceOverhead: string | null;
}

export type { ResultRow };
export type RunPhase = 'loading' | 'training' | 'evaluating' | 'measuring';

/** Request/response channels (renderer invokes, main answers). */
export interface InvokeMap {
  'experiments:list': { req: void; res: ExperimentRecord[] };
  'runs:list': { req: { experimentId?: number }; res: RunRecord[] };
  /** null when no run has that id. */
  'runs:get': { req: { id: number }; res: RunRecord | null };
  /** All series of a run, or only the one called `name`, ordered by step. */
  'runs:metrics': { req: { id: number; name?: string }; res: MetricPoint[] };
  'methods:list': { req: void; res: MethodInfo[] };
  'app:info': { req: void; res: AppInfo };
  'model:check': { req: { folder: string }; res: ModelCheck };
  /** Checks and stores the comparison, then trains it in the background. */
  'comparison:start': { req: ComparisonRequest; res: { experimentId: number } };
  /** The comparison table of an experiment: per task and method, the best learning rate over seeds. */
  'experiments:results': { req: { id: number }; res: ResultRow[] };
  /** Exports a finished run's delta, merged or as an adapter, into a new or empty folder (or replaces it with force). */
  'runs:export': { req: { id: number; kind: 'merged' | 'adapter'; out: string; force?: boolean }; res: ExportResult };
  /** The builder's estimate of a comparison before it starts: runs, time, peak memory, storage. */
  'plan:estimate': { req: ComparisonRequest; res: PlanEstimate };
  /** The capability matrix of the method registry. */
  'methods:capabilities': { req: void; res: MethodCapability[] };
  /** Every finished task × method of every experiment, for the explorer. */
  'explore:rows': { req: void; res: ExploreRow[] };
  /** A table as CSV, Markdown, LaTeX or text, by the CLI report's formatter. */
  'explore:render': { req: RenderTableReq; res: string };
  /** Writes an exported table or chart into a folder; answers the file's path. */
  'explore:save': { req: SaveFileReq; res: { path: string } };
  /** Where exports go unless the user picks another folder. */
  'explore:info': { req: void; res: { exportDir: string } };
  /** Continues a run that stopped from its last checkpoint, then the rest of its experiment, in the background. */
  'runs:resume': { req: { id: number }; res: { experimentId: number } };
  /** The queue: waiting items in order, running ones, the last finished; whether it is paused. */
  'queue:list': { req: void; res: QueueSnapshot };
  /** Checks a comparison as comparison:start does and puts it at the end of the queue. */
  'queue:add': { req: QueueAddReq; res: { itemId: number } };
  /** Moves a waiting item to another place among the waiting ones. */
  'queue:move': { req: QueueMoveReq; res: QueueSnapshot };
  /** Starts no new run or item; runs in flight finish. */
  'queue:pause': { req: void; res: QueueSnapshot };
  'queue:resume': { req: void; res: QueueSnapshot };
  /** Removes a waiting item, or stops a running one (its unfinished runs fail, "cancelled by the user"). */
  'queue:cancel': { req: { id: number }; res: QueueSnapshot };
  /** Queues the failed runs of an experiment as a new attempt; the failed records are kept. */
  'queue:retry': { req: QueueRetryReq; res: { itemId: number } };
  /** Assigns a waiting item to a device (a GPU index or 'cpu'). */
  'queue:device': { req: QueueDeviceReq; res: QueueSnapshot };
  /** The built-in models, the models of the Hugging Face cache and the added folders, for the model picker. */
  'models:list': { req: void; res: ModelEntry[] };
  /** Remembers a model folder (as `peft-bench models --add`); a folder that is not a model is refused with the reason. */
  'models:add': { req: { folder: string }; res: ModelEntry };
  /**
   * Scores an adapter folder trained elsewhere (e.g. in Python with peft) on a task's test examples
   * and stores it as an imported run: in an experiment beside its trained runs, or in a new one.
   */
  'adapters:import': { req: ImportAdapterReq; res: ImportAdapterResult };
}

/** A checkpoint found in the Hugging Face cache or an added folder (`models:list`). */
export interface ModelEntry {
  /** org/name for the cache, the folder's name for an added folder, default / default-untrained for the built-ins. */
  name: string;
  /** The folder to give `compare` (a snapshot folder in the cache). */
  path: string;
  source: 'hf-cache' | 'folder' | 'builtin';
  /** The snapshot's commit, where the cache says. */
  revision: string | null;
  /** config.json's architectures[0], else its model_type. */
  architecture: string | null;
  modelType: string | null;
  /** Parameters the config implies (tied weights once); null where the family is not supported. */
  params: number | null;
  /** Bytes of every file of the folder (links followed, so the blobs are counted). */
  sizeBytes: number;
  /** Storage dtype of the weights (the most common by element count), else config.json's torch_dtype. */
  dtype: string | null;
  /** Why the workbench cannot open it; null when it can. */
  problem: string | null;
  /** One line about the structure, for pickers. */
  summary: string | null;
}

/** Events pushed from main to the renderer. */
export interface EventMap {
  /** New metric points of a running run, in step order. */
  'run:metrics': { runId: number; points: MetricPoint[] };
  /** A run changed status; `reason` says why a run failed or was interrupted. */
  'run:status': { runId: number; experimentId: number; status: RunStatus; reason: string | null };
  /** Where a running run is; sent at most a few times a second. */
  'run:progress': { runId: number; experimentId: number; phase: RunPhase; step: number; totalSteps: number; loss?: number };
  /** A comparison finished (or was refused at start). */
  'experiment:status': { experimentId: number; status: ExperimentRecord['status'] };
  /** The queue changed (an item added, moved, started, ended; paused or resumed). */
  'queue:changed': QueueSnapshot;
}

export type InvokeChannel = keyof InvokeMap;
export type EventChannel = keyof EventMap;
export type InvokeReq<K extends InvokeChannel> = InvokeMap[K]['req'];
export type InvokeRes<K extends InvokeChannel> = InvokeMap[K]['res'];

/** The name under which `window.api` exposes each invoke channel (one row per channel). */
export const INVOKE_NAMES = {
  'experiments:list': 'listExperiments',
  'runs:list': 'listRuns',
  'runs:get': 'getRun',
  'runs:metrics': 'runMetrics',
  'methods:list': 'listMethods',
  'app:info': 'appInfo',
  'model:check': 'checkModel',
  'comparison:start': 'startComparison',
  'experiments:results': 'experimentResults',
  'runs:export': 'exportRun',
  'plan:estimate': 'estimatePlan',
  'methods:capabilities': 'methodCapabilities',
  'explore:rows': 'exploreRows',
  'explore:render': 'renderTable',
  'explore:save': 'saveExport',
  'explore:info': 'exploreInfo',
  'runs:resume': 'resumeRun',
  'queue:list': 'listQueue',
  'queue:add': 'addToQueue',
  'queue:move': 'moveQueueItem',
  'queue:pause': 'pauseQueue',
  'queue:resume': 'resumeQueue',
  'queue:cancel': 'cancelQueueItem',
  'queue:retry': 'retryFailedRuns',
  'queue:device': 'setQueueDevice',
  'models:list': 'listModels',
  'models:add': 'addModelFolder',
  'adapters:import': 'importAdapter',
} as const satisfies { [K in InvokeChannel]: string };

/** The name under which `window.api` exposes the subscription to each event channel. */
export const EVENT_NAMES = {
  'run:metrics': 'onRunMetrics',
  'run:status': 'onRunStatus',
  'run:progress': 'onRunProgress',
  'experiment:status': 'onExperimentStatus',
  'queue:changed': 'onQueueChanged',
} as const satisfies { [K in EventChannel]: `on${string}` };

/** What the preload exposes as `window.api`. Subscriptions return their unsubscribe function. */
export type Api = {
  [K in InvokeChannel as (typeof INVOKE_NAMES)[K]]: (req: InvokeReq<K>) => Promise<InvokeRes<K>>;
} & {
  [K in EventChannel as (typeof EVENT_NAMES)[K]]: (listener: (payload: EventMap[K]) => void) => () => void;
};

export type Validators = { [K in InvokeChannel]: (payload: unknown) => InvokeReq<K> };

/** One request validator per invoke channel: returns the typed payload or throws naming the field. */
export const VALIDATORS: Validators = {
  'experiments:list': noFields('experiments:list'),
  'runs:list': (payload) => {
    if (payload === undefined || payload === null) return {};
    const fields = fieldsOf('runs:list', payload, ['experimentId']);
    const experimentId = optionalId('runs:list', fields, 'experimentId');
    return experimentId === undefined ? {} : { experimentId };
  },
  'runs:get': (payload) => {
    const fields = fieldsOf('runs:get', payload, ['id']);
    return { id: requiredId('runs:get', fields, 'id') };
  },
  'runs:metrics': (payload) => {
    const fields = fieldsOf('runs:metrics', payload, ['id', 'name']);
    const id = requiredId('runs:metrics', fields, 'id');
    const name = fields.name;
    if (name === undefined) return { id };
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.:/-]{1,64}$/.test(name)) {
      throw new Error(
        `runs:metrics: field 'name' must be a metric name of 1-64 letters, digits or _.:/-, got ${describe(name)}`,
      );
    }
    return { id, name };
  },
  'methods:list': noFields('methods:list'),
  'app:info': noFields('app:info'),
  'model:check': (payload) => {
    const fields = fieldsOf('model:check', payload, ['folder']);
    if (typeof fields.folder !== 'string' || !fields.folder.trim() || fields.folder.length > 4096) {
      throw new Error(`model:check: field 'folder' must be a folder path, got ${describe(fields.folder)}`);
    }
    return { folder: fields.folder };
  },
  'comparison:start': (payload) => {
    const { request, errors } = checkComparisonRequest(payload);
    if (!request) throw new Error(`comparison:start: ${describeFieldErrors(errors)}`);
    return request;
  },
  'experiments:results': (payload) => {
    const fields = fieldsOf('experiments:results', payload, ['id']);
    return { id: requiredId('experiments:results', fields, 'id') };
  },
  'runs:export': (payload) => {
    const fields = fieldsOf('runs:export', payload, ['id', 'kind', 'out', 'force']);
    const id = requiredId('runs:export', fields, 'id');
    if (fields.kind !== 'merged' && fields.kind !== 'adapter') throw new Error(`runs:export: field 'kind' must be "merged" or "adapter", got ${describe(fields.kind)}`);
    if (typeof fields.out !== 'string' || (!fields.out.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(fields.out)) || fields.out.length > 4096) {
      throw new Error(`runs:export: field 'out' must be an absolute folder path, got ${describe(fields.out)}`);
    }
    if (fields.force !== undefined && typeof fields.force !== 'boolean') throw new Error(`runs:export: field 'force' must be true or false, got ${describe(fields.force)}`);
    return { id, kind: fields.kind, out: fields.out, ...(fields.force ? { force: true } : {}) };
  },
  'plan:estimate': (payload) => {
    const { request, errors } = checkComparisonRequest(payload);
    if (!request) throw new Error(`plan:estimate: ${describeFieldErrors(errors)}`);
    return request;
  },
  'methods:capabilities': noFields('methods:capabilities'),
  'explore:rows': noFields('explore:rows'),
  'explore:render': checkRenderTable,
  'explore:save': checkSaveFile,
  'explore:info': noFields('explore:info'),
  'runs:resume': (payload) => {
    const fields = fieldsOf('runs:resume', payload, ['id']);
    return { id: requiredId('runs:resume', fields, 'id') };
  },
  'queue:list': noFields('queue:list'),
  'queue:add': checkQueueAdd,
  'queue:move': checkQueueMove,
  'queue:pause': noFields('queue:pause'),
  'queue:resume': noFields('queue:resume'),
  'queue:cancel': checkQueueId('queue:cancel'),
  'queue:retry': checkQueueRetry,
  'queue:device': checkQueueDevice,
  'models:list': noFields('models:list'),
  'models:add': (payload) => {
    const fields = fieldsOf('models:add', payload, ['folder']);
    if (typeof fields.folder !== 'string' || !fields.folder.trim() || fields.folder.length > 4096) {
      throw new Error(`models:add: field 'folder' must be a folder path, got ${describe(fields.folder)}`);
    }
    return { folder: fields.folder.trim() };
  },
  'adapters:import': checkImportAdapter,
};

function noFields(channel: string): (payload: unknown) => void {
  return (payload) => {
    if (payload === undefined || payload === null) return;
    fieldsOf(channel, payload, []);
  };
}

/** The invoke channels, known at runtime. */
export const INVOKE_CHANNELS = Object.keys(VALIDATORS) as InvokeChannel[];
/** The event channels, known at runtime. */
export const EVENT_CHANNELS = Object.keys(EVENT_NAMES) as EventChannel[];

function fieldsOf(channel: string, payload: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`${channel}: the request must be an object, got ${describe(payload)}`);
  }
  for (const key of Object.keys(payload)) {
    if (!allowed.includes(key)) {
      const known = allowed.length ? allowed.map((k) => `'${k}'`).join(', ') : 'none';
      throw new Error(`${channel}: unknown field '${key}' (known fields: ${known})`);
    }
  }
  return payload as Record<string, unknown>;
}

function requiredId(channel: string, fields: Record<string, unknown>, key: string): number {
  const value = optionalId(channel, fields, key);
  if (value === undefined) throw new Error(`${channel}: field '${key}' is required (a positive integer id)`);
  return value;
}

function optionalId(channel: string, fields: Record<string, unknown>, key: string): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${channel}: field '${key}' must be a positive integer id, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
