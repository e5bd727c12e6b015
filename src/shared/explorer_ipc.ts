// The explorer's and the builder's part of the IPC contract: the types the new channels carry
// and their payload validators (src/shared/ipc.ts lists the channels and points at these).
import type { ResultRow } from './types';

/** One model and method's row of the builder's estimate. */
export interface EstimateRow {
  /** The model's name, as the estimate's `models` list it. */
  model: string;
  method: string;
  trainable: number | null;
  /** Bytes of one run's saved delta. */
  storageBytes: number | null;
  /** Peak training memory of one run, and where the figure comes from. */
  peakBytes: number | null;
  peakSource: string;
  /** Seconds of training of all this method's runs, and where the rate comes from. */
  seconds: number | null;
  timeSource: string;
  runs: number;
  /** Why the method does not apply to this model, or null. */
  refused: string | null;
  /** False when a run is estimated to need more memory than the device has. */
  fits: boolean;
}

/** One model of the estimate: its size and the runs and training time of its part of the matrix. */
export interface ModelEstimate {
  name: string;
  path: string;
  totalParams: number;
  runs: number;
  seconds: number;
}

export interface PlanEstimate {
  /** Every model of the matrix, in order. */
  models: ModelEstimate[];
  runs: number;
  seconds: number;
  storageBytes: number;
  /** The largest peak over models and methods. */
  peakBytes: number;
  device: { name: string; memoryBytes: number };
  rows: EstimateRow[];
}

/** A row of the explorer: one model × task × method of one experiment, the chosen rate over its seeds. */
export interface ExploreRow extends ResultRow {
  experimentId: number;
  experimentName: string;
  metric: string;
}

export interface MethodCapability {
  id: string;
  title: string;
  paper: string;
  mergeable: boolean;
  formula: string;
  defaults: Record<string, number | string | boolean | string[]>;
  /** Family → null when the method applies, else why not. */
  families: Record<string, string | null>;
  /** Trainable parameters on T5-Large with the defaults (null where refused). */
  t5LargeTrainable: number | null;
  /** How `peft-bench export --adapter` writes it: Hugging Face PEFT's peft_type, or the workbench's own layout. */
  exportFormat: string;
  /** What the method costs at inference on T5-Large with the defaults; 'none once merged' for mergeable methods. */
  inferenceOverhead: string;
}

export const TABLE_FORMATS = ['csv', 'md', 'latex', 'text'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface RenderTableReq {
  format: TableFormat;
  title: string;
  /** Column names; a trailing ':' left-aligns the column, as in the CLI reports. */
  headers: string[];
  rows: string[][];
}

export interface SaveFileReq {
  folder: string;
  name: string;
  /** Text, or for a .png file a data:image/png;base64 URL. */
  content: string;
}

const MAX_CELLS = 20_000;
const MAX_CONTENT = 32 * 1024 * 1024;
export const EXPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}\.(csv|md|tex|txt|png)$/;

export function checkRenderTable(payload: unknown): RenderTableReq {
  const f = fieldsOf('explore:render', payload, ['format', 'title', 'headers', 'rows']);
  if (!TABLE_FORMATS.includes(f.format as TableFormat)) {
    throw new Error(`explore:render: field 'format' must be one of ${TABLE_FORMATS.join(', ')}, got ${describe(f.format)}`);
  }
  if (typeof f.title !== 'string' || f.title.length > 200) throw new Error(`explore:render: field 'title' must be text of at most 200 characters`);
  const headers = stringList('headers', f.headers);
  if (!headers.length) throw new Error(`explore:render: field 'headers' must name at least one column`);
  if (!Array.isArray(f.rows)) throw new Error(`explore:render: field 'rows' must be a list of rows, got ${describe(f.rows)}`);
  const rows = f.rows.map((r, i) => {
    const row = stringList(`rows[${i}]`, r);
    if (row.length !== headers.length) throw new Error(`explore:render: field 'rows[${i}]' has ${row.length} cells for ${headers.length} columns`);
    return row;
  });
  if (rows.length * headers.length > MAX_CELLS) throw new Error(`explore:render: a table of at most ${MAX_CELLS} cells, got ${rows.length * headers.length}`);
  return { format: f.format as TableFormat, title: f.title, headers, rows };
}

export function checkSaveFile(payload: unknown): SaveFileReq {
  const f = fieldsOf('explore:save', payload, ['folder', 'name', 'content']);
  if (typeof f.folder !== 'string' || !f.folder.trim() || f.folder.length > 4096) {
    throw new Error(`explore:save: field 'folder' must be a folder path, got ${describe(f.folder)}`);
  }
  if (typeof f.name !== 'string' || !EXPORT_NAME.test(f.name)) {
    throw new Error(`explore:save: field 'name' must be a file name ending in .csv, .md, .tex, .txt or .png, got ${describe(f.name)}`);
  }
  if (typeof f.content !== 'string' || f.content.length > MAX_CONTENT) {
    throw new Error(`explore:save: field 'content' must be text of at most ${MAX_CONTENT} characters`);
  }
  if (f.name.endsWith('.png') && !f.content.startsWith('data:image/png;base64,')) {
    throw new Error(`explore:save: field 'content' of a .png must be a data:image/png;base64 URL`);
  }
  return { folder: f.folder.trim(), name: f.name, content: f.content };
}

function stringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length <= 1000)) {
    throw new Error(`explore:render: field '${field}' must be a list of texts (at most 1000 characters each)`);
  }
  return value as string[];
}

function fieldsOf(channel: string, payload: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`${channel}: the request must be an object, got ${describe(payload)}`);
  }
  for (const key of Object.keys(payload)) {
    if (!allowed.includes(key)) throw new Error(`${channel}: unknown field '${key}' (known fields: ${allowed.map((k) => `'${k}'`).join(', ')})`);
  }
  return payload as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}
