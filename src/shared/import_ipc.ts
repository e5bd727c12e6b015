// The Import adapter action's part of the IPC contract: the request (an adapter folder, trained
// elsewhere, to score on a task and store as an imported run) with its check, and the answer.

export interface ImportAdapterReq {
  /** The adapter folder: adapter_config.json + adapter_model.safetensors, or the workbench's layout. */
  folder: string;
  /** A task of the experiment; for a new experiment, a built-in task or a folder with train/validation/test.jsonl. */
  task: string;
  /** Add it to this experiment, beside its trained runs (its model and evaluation settings). */
  experimentId?: number;
  /** A new experiment's base model folder; in an experiment of several models, the folder of the one it was trained on. */
  model?: string;
  /** A new experiment's name. */
  name?: string;
}

export interface ImportAdapterResult {
  experimentId: number;
  runId: number;
  /** True when a new experiment was made for it. */
  created: boolean;
  /** The name of its base model in the experiment. */
  model: string;
  method: string;
  options: Record<string, number | string | boolean | string[]>;
  task: string;
  metric: string;
  examples: number;
  /** Test score in [0, 1], unmerged and merged (null when the method cannot merge). */
  score: number;
  mergedScore: number | null;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
  /** What loaded, but not exactly as the adapter says (another base model, peft's own adjustments). */
  warnings: string[];
}

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/])/;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

function folder(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || !ABSOLUTE.test(value.trim()) || value.length > 4096) {
    throw new Error(`adapters:import: field '${field}' must be ${what} as an absolute path, got ${describe(value)}`);
  }
  return value.trim();
}

export function checkImportAdapter(payload: unknown): ImportAdapterReq {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`adapters:import: the request must be an object, got ${describe(payload)}`);
  }
  const allowed = ['folder', 'task', 'experimentId', 'model', 'name'];
  for (const key of Object.keys(payload)) {
    if (!allowed.includes(key)) throw new Error(`adapters:import: unknown field '${key}' (known fields: ${allowed.map((k) => `'${k}'`).join(', ')})`);
  }
  const f = payload as Record<string, unknown>;
  const req: ImportAdapterReq = { folder: folder('folder', f.folder, 'the adapter folder'), task: '' };
  if (typeof f.task !== 'string' || !f.task.trim() || f.task.length > 4096) {
    throw new Error(`adapters:import: field 'task' must name a task (or a task folder), got ${describe(f.task)}`);
  }
  req.task = f.task.trim();
  if (f.experimentId !== undefined) {
    if (typeof f.experimentId !== 'number' || !Number.isSafeInteger(f.experimentId) || f.experimentId < 1) {
      throw new Error(`adapters:import: field 'experimentId' must be a positive integer id, got ${describe(f.experimentId)}`);
    }
    req.experimentId = f.experimentId;
  }
  if (f.model !== undefined) req.model = folder('model', f.model, 'the base model folder');
  if (req.experimentId === undefined && req.model === undefined) {
    throw new Error(`adapters:import: field 'model' is needed for a new experiment (or give 'experimentId' to add the adapter to one)`);
  }
  if (f.name !== undefined) {
    if (typeof f.name !== 'string' || !f.name.trim() || f.name.length > 200) throw new Error(`adapters:import: field 'name' must be text of 1-200 characters, got ${describe(f.name)}`);
    req.name = f.name.trim();
  }
  return req;
}
