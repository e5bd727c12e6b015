// From stored runs to the study's tables. Per model, task and method: the chosen learning rate
// (from the store's record of the sweep) and, over the runs at that rate only, the test score's
// mean and 95% interval across seeds and the other four dimensions' means. Per model and method:
// the aggregate over tasks and paired tests against full fine-tuning and against the best method
// on the same model.
import type { LrChoice, ResultRow, RunRecord, RunResult, TaskMetric } from '../../shared/types';
import { aggregateTasks, mean, pairedTTest, seedStats, type PairedTest, type SeedStats } from './stats';

export interface CellSummary {
  model: string;
  task: string;
  method: string;
  metric: TaskMetric;
  learningRate: number;
  /** Rates swept (1 when none was). */
  candidates: number;
  /** Test score over seeds, in [0, 1]. */
  score: SeedStats;
  /** seed → test score, for paired tests. */
  bySeed: Map<number, number>;
  result: Omit<RunResult, 'metric' | 'score' | 'validationScore' | 'finalLoss' | 'trainSeconds'>;
}

export interface MethodSummary {
  model: string;
  method: string;
  cells: Map<string, CellSummary>;
  /** Mean over the tasks this method finished, with the study's aggregate spread. */
  aggregate: SeedStats;
  vsFull: PairedTest | null;
  vsBest: PairedTest | null;
  /** Means over tasks of each dimension. */
  totalParams: number;
  trainableParams: number;
  storageBytes: number;
  peakTensorBytes: number;
  peakRssBytes: number;
  peakGpuBytes: number | null;
  trainTokensPerSec: number;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
}

export function summariseCells(runs: RunRecord[], choices: LrChoice[]): CellSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.model}\u0000${r.task}\u0000${r.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const models = [...new Set(runs.map((r) => r.model))];
  const cells: CellSummary[] = [];
  for (const group of groups.values()) {
    const { model, task, method } = group[0];
    const choice = choices.find((c) => c.model === model && c.task === task && c.method === method);
    const done = group.filter((r): r is RunRecord & { result: RunResult } => r.status === 'done' && r.result !== null);
    const lr = choice?.learningRate ?? bestByValidation(done);
    const chosen = done.filter((r) => r.learningRate === lr);
    if (lr === null || !chosen.length) continue;
    const res = chosen.map((r) => r.result);
    const merged = res.every((x) => x.inferTokensPerSecMerged !== null);
    const gpu = res.every((x) => x.peakGpuBytes !== null);
    cells.push({
      model, task, method, metric: res[0].metric, learningRate: lr,
      candidates: choice?.candidates ?? new Set(group.map((r) => r.learningRate)).size,
      score: seedStats(res.map((x) => x.score)),
      bySeed: new Map(chosen.map((r) => [r.seed, r.result.score])),
      result: {
        totalParams: res[0].totalParams, trainableParams: res[0].trainableParams, changedParams: res[0].changedParams,
        storageBytes: mean(res.map((x) => x.storageBytes)),
        peakTensorBytes: mean(res.map((x) => x.peakTensorBytes)),
        peakRssBytes: mean(res.map((x) => x.peakRssBytes)),
        peakGpuBytes: gpu ? mean(res.map((x) => x.peakGpuBytes!)) : null,
        trainTokensPerSec: mean(res.map((x) => x.trainTokensPerSec)),
        inferTokensPerSecUnmerged: mean(res.map((x) => x.inferTokensPerSecUnmerged)),
        inferTokensPerSecMerged: merged ? mean(res.map((x) => x.inferTokensPerSecMerged!)) : null,
      },
    });
  }
  // Models in the order the experiment ran them, then tasks by name, full fine-tuning first.
  return cells.sort((a, b) => models.indexOf(a.model) - models.indexOf(b.model) || a.task.localeCompare(b.task) || rank(a.method) - rank(b.method) || a.method.localeCompare(b.method));
}

/** For experiments stored before rates were recorded: the rate whose runs score best on validation. */
function bestByValidation(done: (RunRecord & { result: RunResult })[]): number | null {
  const rates = [...new Set(done.map((r) => r.learningRate))];
  let best: number | null = null;
  let bestScore = -Infinity;
  for (const lr of rates) {
    const s = mean(done.filter((r) => r.learningRate === lr).map((r) => r.result.validationScore));
    if (s > bestScore) [best, bestScore] = [lr, s];
  }
  return best;
}

/** The app's comparison table: plain numbers, one row per model, task and method. */
export function resultRows(cells: CellSummary[]): ResultRow[] {
  return cells.map((c) => ({
    model: c.model, task: c.task, method: c.method, learningRate: c.learningRate, seeds: c.score.n,
    score: c.score.mean, scoreCi: c.score.n > 1 ? c.score.ci95 : 0, ...c.result,
  }));
}

const rank = (m: string) => (m === 'full' ? 0 : 1);

/** The models of `cells`, in their order. */
export const modelsOf = (cells: CellSummary[]): string[] => [...new Set(cells.map((c) => c.model))];

/** Per model and method (models in order, full fine-tuning first): aggregates and paired tests within the model. */
export function summariseMethods(cells: CellSummary[]): MethodSummary[] {
  return modelsOf(cells).flatMap((model) => summariseModel(model, cells.filter((c) => c.model === model)));
}

function summariseModel(model: string, cells: CellSummary[]): MethodSummary[] {
  const methods = [...new Set(cells.map((c) => c.method))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out = methods.map((method) => {
    const mine = cells.filter((c) => c.method === method);
    const avg = (f: (c: CellSummary) => number) => mean(mine.map(f));
    return {
      model, method,
      cells: new Map(mine.map((c) => [c.task, c])),
      aggregate: aggregateTasks(mine.map((c) => c.score)),
      vsFull: null as PairedTest | null,
      vsBest: null as PairedTest | null,
      totalParams: avg((c) => c.result.totalParams),
      trainableParams: avg((c) => c.result.trainableParams),
      storageBytes: avg((c) => c.result.storageBytes),
      peakTensorBytes: avg((c) => c.result.peakTensorBytes),
      peakRssBytes: avg((c) => c.result.peakRssBytes),
      peakGpuBytes: mine.every((c) => c.result.peakGpuBytes !== null) ? avg((c) => c.result.peakGpuBytes!) : null,
      trainTokensPerSec: avg((c) => c.result.trainTokensPerSec),
      inferTokensPerSecUnmerged: avg((c) => c.result.inferTokensPerSecUnmerged),
      inferTokensPerSecMerged: mine.every((c) => c.result.inferTokensPerSecMerged !== null) ? avg((c) => c.result.inferTokensPerSecMerged!) : null,
    };
  });
  const pairs = (m: MethodSummary) => new Map([...m.cells.values()].flatMap((c) => [...c.bySeed].map(([seed, s]) => [`${c.task}:${seed}`, s] as [string, number])));
  const full = out.find((m) => m.method === 'full');
  const best = out.reduce<MethodSummary | undefined>((b, m) => (!b || m.aggregate.mean > b.aggregate.mean ? m : b), undefined);
  for (const m of out) {
    if (full && m !== full) m.vsFull = pairedTTest(pairs(m), pairs(full));
    if (best && m !== best) m.vsBest = pairedTTest(pairs(m), pairs(best));
  }
  return out;
}
