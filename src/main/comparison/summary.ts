// From stored runs to the study's tables. Per model, task and method: the chosen learning rate
// (from the store's record of the sweep) and, over the runs at that rate only, the test score's
// mean and 95% interval across seeds and the other four dimensions' means. Per model and method:
// the aggregate over tasks and paired tests against full fine-tuning and against the best method
// on the same model. An imported adapter (trained elsewhere, scored here, on one of the
// experiment's models) is a row of its own, "<method> (imported: <folder>)", with no learning
// rate, its training dimensions null, and no paired tests (its seeds pair with nothing).
import path from 'node:path';
import type { LrChoice, ResultRow, RunRecord, RunResult, TaskMetric } from '../../shared/types';
import { aggregateTasks, mean, pairedTTest, seedStats, type PairedTest, type SeedStats } from './stats';

export interface CellSummary {
  model: string;
  task: string;
  method: string;
  /** The row's name: the method id, or "<method> (imported: <folder>)". */
  label: string;
  /** The adapter folder of an imported row; null for runs trained here. */
  imported: string | null;
  metric: TaskMetric;
  /** The chosen rate; null for an imported adapter. */
  learningRate: number | null;
  /** Rates swept (1 when none was; 0 for an imported adapter). */
  candidates: number;
  /** Test score over seeds, in [0, 1]. */
  score: SeedStats;
  /** seed → test score, for paired tests (empty for an imported adapter). */
  bySeed: Map<number, number>;
  result: Omit<RunResult, 'metric' | 'score' | 'validationScore' | 'finalLoss' | 'trainSeconds'>;
}

export interface MethodSummary {
  model: string;
  method: string;
  /** The row's name (see CellSummary.label). */
  label: string;
  imported: string | null;
  cells: Map<string, CellSummary>;
  /** Mean over the tasks this method finished, with the study's aggregate spread. */
  aggregate: SeedStats;
  vsFull: PairedTest | null;
  vsBest: PairedTest | null;
  /** Means over tasks of each dimension (null where a cell has none: not measured). */
  totalParams: number;
  trainableParams: number;
  storageBytes: number;
  peakTensorBytes: number | null;
  peakRssBytes: number | null;
  peakGpuBytes: number | null;
  trainTokensPerSec: number | null;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
}

type Done = RunRecord & { result: RunResult };

/** The mean, or null when any value is missing (a dimension not measured for every run). */
function meanOrNull(xs: (number | null)[]): number | null {
  return xs.every((x): x is number => x !== null) ? mean(xs as number[]) : null;
}

/** Result means of the runs of one cell. */
function resultOf(res: RunResult[]): CellSummary['result'] {
  return {
    totalParams: res[0].totalParams, trainableParams: res[0].trainableParams, changedParams: res[0].changedParams,
    storageBytes: mean(res.map((x) => x.storageBytes)),
    peakTensorBytes: meanOrNull(res.map((x) => x.peakTensorBytes)),
    peakRssBytes: meanOrNull(res.map((x) => x.peakRssBytes)),
    peakGpuBytes: meanOrNull(res.map((x) => x.peakGpuBytes)),
    trainTokensPerSec: meanOrNull(res.map((x) => x.trainTokensPerSec)),
    inferTokensPerSecUnmerged: mean(res.map((x) => x.inferTokensPerSecUnmerged)),
    inferTokensPerSecMerged: meanOrNull(res.map((x) => x.inferTokensPerSecMerged)),
  };
}

/** Trained runs group by model, task and method; an imported adapter by model, task, method and folder. */
function groupKey(r: RunRecord): string {
  const cell = `${r.model}\u0000${r.task}\u0000${r.method}`;
  return r.imported ? `${cell}\u0000${r.imported.sourceDir}` : cell;
}

function trainedCell(group: RunRecord[], choices: LrChoice[]): CellSummary | null {
  const { model, task, method } = group[0];
  const choice = choices.find((c) => c.model === model && c.task === task && c.method === method);
  const done = group.filter((r): r is Done => r.status === 'done' && r.result !== null);
  const lr = choice?.learningRate ?? bestByValidation(done);
  const chosen = done.filter((r) => r.learningRate === lr);
  if (lr === null || !chosen.length) return null;
  const res = chosen.map((r) => r.result);
  return {
    model, task, method, label: method, imported: null, metric: res[0].metric, learningRate: lr,
    candidates: choice?.candidates ?? new Set(group.map((r) => r.learningRate)).size,
    score: seedStats(res.map((x) => x.score)),
    bySeed: new Map(chosen.map((r) => [r.seed, r.result.score])),
    result: resultOf(res),
  };
}

function importedCell(group: RunRecord[]): CellSummary | null {
  const done = group.filter((r): r is Done => r.status === 'done' && r.result !== null);
  if (!done.length) return null;
  const { model, task, method } = done[0];
  const dir = done[0].imported!.sourceDir;
  const res = done.map((r) => r.result);
  return {
    model, task, method, label: `${method} (imported: ${path.basename(dir)})`, imported: dir, metric: res[0].metric, learningRate: null,
    candidates: 0, score: seedStats(res.map((x) => x.score)), bySeed: new Map(), result: resultOf(res),
  };
}

/** Two imported folders with the same name and method on one model get their parent folder's name in the label too. */
function distinctLabels(cells: CellSummary[]): void {
  const dirs = new Map<string, Set<string>>();
  const key = (c: CellSummary) => `${c.model}\u0000${c.label}`;
  for (const c of cells) if (c.imported) dirs.set(key(c), (dirs.get(key(c)) ?? new Set()).add(c.imported));
  for (const c of cells) {
    if (c.imported && dirs.get(key(c))!.size > 1) c.label = `${c.method} (imported: ${path.basename(path.dirname(c.imported))}/${path.basename(c.imported)})`;
  }
}

export function summariseCells(runs: RunRecord[], choices: LrChoice[]): CellSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);
  const models = [...new Set(runs.map((r) => r.model))];
  const cells = [...groups.values()]
    .map((g) => (g[0].imported ? importedCell(g) : trainedCell(g, choices)))
    .filter((c): c is CellSummary => c !== null);
  distinctLabels(cells);
  // Models in the order the experiment ran them, then tasks by name, full fine-tuning first, imported adapters last.
  return cells.sort((a, b) => models.indexOf(a.model) - models.indexOf(b.model) || a.task.localeCompare(b.task) || rank(a) - rank(b) || a.label.localeCompare(b.label));
}

/** For experiments stored before rates were recorded: the rate whose runs score best on validation. */
function bestByValidation(done: Done[]): number | null {
  const rates = [...new Set(done.map((r) => r.learningRate))];
  let best: number | null = null;
  let bestScore = -Infinity;
  for (const lr of rates) {
    const scores = done.filter((r) => r.learningRate === lr).map((r) => r.result.validationScore).filter((v): v is number => v !== null);
    const s = scores.length ? mean(scores) : -Infinity;
    if (best === null || s > bestScore) [best, bestScore] = [lr, s];
  }
  return best;
}

/** The app's comparison table: plain numbers, one row per model, task and method (or imported adapter). */
export function resultRows(cells: CellSummary[]): ResultRow[] {
  return cells.map((c) => ({
    model: c.model, task: c.task, method: c.method, label: c.label, imported: c.imported, learningRate: c.learningRate, seeds: c.score.n,
    score: c.score.mean, scoreCi: c.score.n > 1 ? c.score.ci95 : 0, ...c.result,
  }));
}

/** Full fine-tuning first, then the methods trained here, then imported adapters. */
const rank = (c: { method: string; imported: string | null }) => (c.imported ? 2 : c.method === 'full' ? 0 : 1);

/** The models of `cells`, in their order. */
export const modelsOf = (cells: CellSummary[]): string[] => [...new Set(cells.map((c) => c.model))];

/** Per model and method (models in order, full fine-tuning first): aggregates and paired tests within the model. */
export function summariseMethods(cells: CellSummary[]): MethodSummary[] {
  return modelsOf(cells).flatMap((model) => summariseModel(model, cells.filter((c) => c.model === model)));
}

/** The rows of one model: each method trained here and each imported adapter (by label). */
function summariseModel(model: string, cells: CellSummary[]): MethodSummary[] {
  const firsts = [...new Map(cells.map((c) => [c.label, c])).values()].sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label));
  const out: MethodSummary[] = firsts.map(({ label, method, imported }) => {
    const mine = cells.filter((c) => c.label === label);
    const avg = (f: (c: CellSummary) => number) => mean(mine.map(f));
    const avgOrNull = (f: (c: CellSummary) => number | null) => meanOrNull(mine.map(f));
    return {
      model, method, label, imported,
      cells: new Map(mine.map((c) => [c.task, c])),
      aggregate: aggregateTasks(mine.map((c) => c.score)),
      vsFull: null,
      vsBest: null,
      totalParams: avg((c) => c.result.totalParams),
      trainableParams: avg((c) => c.result.trainableParams),
      storageBytes: avg((c) => c.result.storageBytes),
      peakTensorBytes: avgOrNull((c) => c.result.peakTensorBytes),
      peakRssBytes: avgOrNull((c) => c.result.peakRssBytes),
      peakGpuBytes: avgOrNull((c) => c.result.peakGpuBytes),
      trainTokensPerSec: avgOrNull((c) => c.result.trainTokensPerSec),
      inferTokensPerSecUnmerged: avg((c) => c.result.inferTokensPerSecUnmerged),
      inferTokensPerSecMerged: avgOrNull((c) => c.result.inferTokensPerSecMerged),
    };
  });
  // Paired tests pair the seeds of one task; an imported adapter has no seeds to pair.
  const trained = out.filter((m) => !m.imported);
  const pairs = (m: MethodSummary) => new Map([...m.cells.values()].flatMap((c) => [...c.bySeed].map(([seed, s]) => [`${c.task}:${seed}`, s] as [string, number])));
  const full = trained.find((m) => m.method === 'full');
  const best = trained.reduce<MethodSummary | undefined>((b, m) => (!b || m.aggregate.mean > b.aggregate.mean ? m : b), undefined);
  for (const m of trained) {
    if (full && m !== full) m.vsFull = pairedTTest(pairs(m), pairs(full));
    if (best && m !== best) m.vsBest = pairedTTest(pairs(m), pairs(best));
  }
  return out;
}
