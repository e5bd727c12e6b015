// The explorer's views over the summary rows: budget filter, the Table 4 and Table 5 columns,
// sorting and grouping, the Pareto frontier, and the study's published Table 5 rows.
import type { ExploreRow } from '../../../shared/explorer_ipc';
import { formatBytes, formatCount, formatLearningRate, formatRate, formatShare, NOT_MEASURED } from './format';
import PUBLISHED_CSV from '../../../../resources/reference/lialin2024_table5.csv?raw';

export type TableView = 'table4' | 'table5';
export type GroupBy = 'model' | 'task' | 'method' | 'none';

export interface Budget {
  /** Largest peak training memory allowed, in bytes (null = no limit). */
  maxPeakBytes: number | null;
  /** Smallest training throughput allowed, in tokens/s (null = no limit). */
  minTrainRate: number | null;
}

/** Peak training memory of a row: the GPU's when measured, else the live tensors'; null when not trained here. */
export const peakOf = (r: ExploreRow): number | null => r.peakGpuBytes ?? r.peakTensorBytes;

/** Rows within the limits; a row whose limited dimension was not measured (an imported adapter) cannot be shown to fit. */
export function withinBudget(rows: ExploreRow[], b: Budget): ExploreRow[] {
  const fits = (v: number | null, ok: (v: number) => boolean) => v !== null && ok(v);
  return rows.filter((r) => (b.maxPeakBytes === null || fits(peakOf(r), (v) => v <= b.maxPeakBytes!))
    && (b.minTrainRate === null || fits(r.trainTokensPerSec, (v) => v >= b.minTrainRate!)));
}

/** The same experiment, model and task's full fine-tuning row (trained here), the study's reference point. */
export function fullOf(rows: ExploreRow[], r: ExploreRow): ExploreRow | undefined {
  return rows.find((x) => x.experimentId === r.experimentId && x.model === r.model && x.task === r.task && x.method === 'full' && !x.imported);
}

/** A row's stable key: an experiment's model × task × method, or × imported adapter. */
export const rowKey = (r: ExploreRow): string => `${r.experimentId}/${r.model}/${r.task}/${r.label}`;

export interface Column {
  /** Header; a trailing ':' marks a text (left-aligned) column, as the report formatter reads it. */
  header: string;
  cell: (r: ExploreRow, all: ExploreRow[]) => string;
  /** Sort key; text columns sort alphabetically. */
  key: (r: ExploreRow, all: ExploreRow[]) => number | string;
}

const pctOfFull = (value: (r: ExploreRow) => number | null) => (r: ExploreRow, all: ExploreRow[]) => {
  const full = fullOf(all, r);
  const v = value(r);
  const f = full ? value(full) : null;
  return v !== null && f ? (100 * v) / f : NaN;
};
/** A training dimension's cell: "n/m" for an imported adapter (trained elsewhere). */
const trained = (cell: (r: ExploreRow, all: ExploreRow[]) => string) => (r: ExploreRow, all: ExploreRow[]) => (r.imported ? NOT_MEASURED : cell(r, all));
const pctCell = (key: (r: ExploreRow, all: ExploreRow[]) => number) => (r: ExploreRow, all: ExploreRow[]) => {
  const v = key(r, all);
  return Number.isFinite(v) ? v.toFixed(1) : '—';
};
const score = (r: ExploreRow) => `${(100 * r.score).toFixed(2)}${r.seeds > 1 ? ` ± ${(100 * r.scoreCi).toFixed(2)}` : ''}`;

const ID_COLUMNS: Column[] = [
  { header: 'model:', cell: (r) => r.model, key: (r) => r.model },
  { header: 'task:', cell: (r) => r.task, key: (r) => r.task },
  { header: 'method:', cell: (r) => r.label, key: (r) => r.label },
];

const trainPct = pctOfFull((r) => r.trainTokensPerSec);
const inferPct = pctOfFull((r) => r.inferTokensPerSecUnmerged);

export const COLUMNS: Record<TableView, Column[]> = {
  table4: [
    ...ID_COLUMNS,
    { header: 'lr', cell: trained((r) => formatLearningRate(r.learningRate)), key: (r) => r.learningRate ?? NaN },
    { header: 'seeds', cell: (r) => String(r.seeds), key: (r) => r.seeds },
    { header: 'score % (± 95% CI)', cell: score, key: (r) => r.score },
    { header: 'vs full (points)', cell: (r, all) => { const f = fullOf(all, r); return f ? (100 * (r.score - f.score)).toFixed(2) : '—'; }, key: (r, all) => { const f = fullOf(all, r); return f ? r.score - f.score : NaN; } },
  ],
  table5: [
    ...ID_COLUMNS,
    { header: 'score %', cell: score, key: (r) => r.score },
    { header: 'trainable', cell: (r) => formatCount(r.trainableParams), key: (r) => r.trainableParams },
    { header: 'trainable %', cell: (r) => formatShare(r.trainableParams, r.totalParams), key: (r) => r.trainableParams / r.totalParams },
    { header: 'storage', cell: (r) => formatBytes(r.storageBytes), key: (r) => r.storageBytes },
    { header: 'peak memory', cell: trained((r) => formatBytes(peakOf(r))), key: (r) => peakOf(r) ?? NaN },
    { header: 'train tok/s', cell: trained((r) => formatRate(r.trainTokensPerSec)), key: (r) => r.trainTokensPerSec ?? NaN },
    { header: 'train % of full', cell: trained(pctCell(trainPct)), key: trainPct },
    { header: 'infer % of full', cell: pctCell(inferPct), key: inferPct },
    { header: 'merged tok/s', cell: (r) => formatRate(r.inferTokensPerSecMerged), key: (r) => r.inferTokensPerSecMerged ?? NaN },
  ],
};

export interface Sort {
  column: number;
  descending: boolean;
}

export interface Group {
  key: string;
  rows: ExploreRow[];
}

/** Rows grouped (groups in name order), each group sorted by the column; NaN sorts last. */
export function arrange(rows: ExploreRow[], view: TableView, groupBy: GroupBy, sort: Sort): Group[] {
  const col = COLUMNS[view][sort.column] ?? COLUMNS[view][0];
  const sign = sort.descending ? -1 : 1;
  const compare = (a: ExploreRow, b: ExploreRow) => {
    const x = col.key(a, rows);
    const y = col.key(b, rows);
    if (typeof x === 'string' || typeof y === 'string') return sign * String(x).localeCompare(String(y));
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return sign * (x - y);
  };
  const groups = new Map<string, ExploreRow[]>();
  for (const r of rows) {
    const key = groupBy === 'none' ? '' : r[groupBy];
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, rs]) => ({ key, rows: rs.sort(compare) }));
}

/** The table as shown (groups as a leading column), for the report formatter. */
export function tableCells(groups: Group[], view: TableView, all: ExploreRow[]): { headers: string[]; rows: string[][] } {
  const cols = COLUMNS[view];
  return { headers: cols.map((c) => c.header), rows: groups.flatMap((g) => g.rows.map((r) => cols.map((c) => c.cell(r, all)))) };
}

export interface XYPoint {
  x: number;
  y: number;
}

/**
 * Points no other point beats on both axes: score higher and x better (`lowerIsBetter` for
 * parameters and memory, higher for throughput). Returned in x order, to be drawn as a line.
 */
export function paretoFrontier<T extends XYPoint>(points: T[], lowerIsBetter: boolean): T[] {
  const better = (a: T, b: T) => (lowerIsBetter ? a.x <= b.x : a.x >= b.x) && a.y >= b.y && (a.x !== b.x || a.y !== b.y);
  return points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && !points.some((q) => better(q, p))).sort((a, b) => a.x - b.x);
}

/** One row of the study's Table 5 (Lialin et al. 2024, arXiv 2303.15647). */
export interface PublishedRow {
  model: string;
  method: string;
  score: number;
  ci: number | null;
  trainableParams: number;
  peakBytes: number;
  trainPctOfFull: number;
}

export function publishedRows(csv: string = PUBLISHED_CSV): PublishedRow[] {
  const [head, ...lines] = csv.trim().split(/\r?\n/);
  const names = head.split(',');
  return lines.map((line) => {
    const f = Object.fromEntries(line.split(',').map((v, i) => [names[i], v]));
    return {
      model: f.model, method: f.method, score: Number(f.score_mean), ci: f.score_ci95 ? Number(f.score_ci95) : null,
      trainableParams: Number(f.trainable_params_millions) * 1e6, peakBytes: Number(f.train_peak_ram_gb) * 1e9,
      trainPctOfFull: Number(f.train_throughput_pct_of_full),
    };
  });
}
