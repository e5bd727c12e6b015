// The study's tables for an experiment (Table 4: score ± interval per task and method; Table 5:
// efficiency relative to full fine-tuning) and the views of `runs` and `show`.
import type { PublishedRow } from '../comparison/reference';
import type { RunRecord, RunResult } from '../../shared/types';
import { majorityBaselines } from '../comparison/baselines';
import type { Comparison } from '../comparison/config';
import { studyModelOf } from '../comparison/reference';
import { modelsOf, summariseCells, summariseMethods, type CellSummary, type MethodSummary } from '../comparison/summary';
import type { Store } from '../store/store';
import { verdict, type PairedTest } from '../comparison/stats';
import { fmtBytes, fmtCount, fmtRate, renderTable, table, type ReportFormat } from './format';

const pct = (part: number | null, whole: number | null | undefined) =>
  part !== null && whole && Number.isFinite(part) && Number.isFinite(whole) ? `${((100 * part) / whole).toFixed(1)}` : '—';

/** The mark of a training dimension an imported adapter has none of (it was trained elsewhere). */
export const NOT_MEASURED = 'n/m';

/** "85.3 ± 2.1" in points (×100); the interval is left out with one seed. */
function scoreCell(mean: number, ci: number): string {
  if (!Number.isFinite(mean)) return '—';
  return Number.isFinite(ci) ? `${(100 * mean).toFixed(2)} ± ${(100 * ci).toFixed(2)}` : (100 * mean).toFixed(2);
}

function testCell(t: PairedTest | null): string {
  if (!t) return '—';
  const p = Number.isFinite(t.p) ? ` (p=${t.p < 0.001 ? '<0.001' : t.p.toFixed(3)})` : '';
  return `${verdict(t)}${p}`;
}

export function table4(
  cells: CellSummary[], format: Exclude<ReportFormat, 'json'>, baselines = new Map<string, number | null>(),
  title = 'Table 4: test score over seeds (mean ± 95% t-interval)',
): string {
  const tasks = [...new Set(cells.map((c) => c.task))];
  const several = modelsOf(cells).length > 1;
  const lead = (model: string) => (several ? [model] : []);
  const headers = [...lead('model:'), 'method:', ...tasks.map((t) => `${t} (${cells.find((c) => c.task === t)!.metric})`), 'mean', 'vs full:', 'vs best:'];
  const baseline = tasks.map((t) => baselines.get(t) ?? null);
  const baselineRow = baseline.some((b) => b !== null)
    ? [[...lead('—'), 'majority class', ...baseline.map((b) => (b === null ? '—' : scoreCell(b, NaN))), '—', '—', '—']]
    : [];
  const rows = summariseMethods(cells).map((m) => [
    ...lead(m.model), m.label,
    ...tasks.map((t) => {
      const c = m.cells.get(t);
      if (!c) return '—';
      return `${scoreCell(c.score.mean, c.score.ci95)} [${c.learningRate === null ? 'imported' : `lr ${c.learningRate}`}, n=${c.score.n}]`;
    }),
    scoreCell(m.aggregate.mean, m.aggregate.ci95),
    testCell(m.vsFull), testCell(m.vsBest),
  ]);
  const detail = renderTable(format, several ? `${title}, per model and task` : title, headers, [...baselineRow, ...rows]);
  return several ? `${table4ByModel(cells, format)}\n\n${detail}` : detail;
}

/**
 * The study's layout of Table 4: one row per method (and per imported adapter, by its label), one
 * column per model, the mean over tasks ± its interval.
 */
export function table4ByModel(cells: CellSummary[], format: Exclude<ReportFormat, 'json'>): string {
  const models = modelsOf(cells);
  const summaries = summariseMethods(cells);
  const labels = [...new Set([...summaries.filter((m) => !m.imported), ...summaries.filter((m) => m.imported)].map((m) => m.label))];
  const rows = labels.map((label) => [label, ...models.map((model) => {
    const m = summaries.find((x) => x.model === model && x.label === label);
    return m ? scoreCell(m.aggregate.mean, m.aggregate.ci95) : '—';
  })]);
  return renderTable(format, 'Table 4: mean test score over tasks per model (mean ± 95% interval)', ['method:', ...models], rows);
}

export function table5(cells: CellSummary[], format: Exclude<ReportFormat, 'json'>, title = 'Table 5: efficiency, throughput as % of full fine-tuning'): string {
  const methods = summariseMethods(cells);
  const several = modelsOf(cells).length > 1;
  const headers = [...(several ? ['model:'] : []), 'method:', 'score', 'trainable (M)', 'trainable %', 'storage', 'peak tensors', 'peak RSS', 'peak GPU',
    'train tok/s', 'train %', 'infer tok/s', 'infer %', 'merged %'];
  // An imported adapter's training dimensions were not measured here: "n/m", explained below the tables.
  const trained = (m: MethodSummary, cell: string) => (m.imported ? NOT_MEASURED : cell);
  const rows = methods.map((m: MethodSummary) => {
    // Relative to full fine-tuning of the same model.
    const full = methods.find((x) => x.model === m.model && x.method === 'full' && !x.imported);
    return [
      ...(several ? [m.model] : []), m.label, scoreCell(m.aggregate.mean, m.aggregate.ci95),
      (m.trainableParams / 1e6).toFixed(3), ((100 * m.trainableParams) / m.totalParams).toPrecision(3),
      fmtBytes(m.storageBytes), trained(m, fmtBytes(m.peakTensorBytes)), trained(m, fmtBytes(m.peakRssBytes)), trained(m, fmtBytes(m.peakGpuBytes)),
      trained(m, fmtRate(m.trainTokensPerSec)), trained(m, pct(m.trainTokensPerSec, full?.trainTokensPerSec)),
      fmtRate(m.inferTokensPerSecUnmerged), pct(m.inferTokensPerSecUnmerged, full?.inferTokensPerSecUnmerged),
      // Merged inference against full fine-tuning's (unmerged: there is nothing to merge).
      pct(m.inferTokensPerSecMerged, full?.inferTokensPerSecUnmerged),
    ];
  });
  return renderTable(format, several ? `${title}, per model` : title, headers, rows);
}

const REFERENCE_TITLE = 'Published: Lialin et al. 2024, Table 5 (T5 on BoolQ, RTE, COPA, CNN/DailyMail; A100)';

/** The study's published rows for the models (matched by name) and methods of this experiment, to read ours against. */
export function referenceTable(rows: PublishedRow[], methods: string[], format: Exclude<ReportFormat, 'json'>, models: string[]): string {
  const studied = [...new Set(rows.map((r) => r.model))];
  const matched = models.map((m) => studyModelOf(m, studied)).filter((m): m is string => m !== null);
  if (!matched.length) {
    return `${REFERENCE_TITLE}: none of this experiment's models (${models.join(', ')}) is in it; the study reports ${studied.join(', ')}`;
  }
  const shown = rows.filter((r) => matched.includes(r.model) && methods.includes(r.method));
  const headers = ['model:', 'method:', 'score', 'trainable %', 'peak RAM', 'train %', 'infer %'];
  const cells = shown.map((r) => [
    r.model, r.method, r.score === null ? '—' : r.ci95 === null ? r.score.toFixed(2) : `${r.score.toFixed(2)} ± ${r.ci95.toFixed(2)}`,
    r.trainablePct.toPrecision(3), `${r.peakRamGb} GB`, r.trainThroughputPct.toFixed(1), r.inferThroughputPct.toFixed(1),
  ]);
  return shown.length ? renderTable(format, REFERENCE_TITLE, headers, cells) : `${REFERENCE_TITLE}: none of this experiment's methods is in it`;
}

export interface ReportExtras {
  /** task → majority-class test score (null: not a classification task). */
  baselines?: Map<string, number | null>;
  /** The study's published Table 5, to print beside ours. */
  reference?: PublishedRow[] | null;
}

/** The report of a stored experiment: its tables with the tasks' majority-class baselines. */
export function storedReport(store: Store, experimentId: number, format: ReportFormat, reference: PublishedRow[] | null = null): string {
  const runs = store.listRuns({ experimentId });
  const config = store.getExperiment(experimentId)?.config as Pick<Comparison, 'tasks'> | undefined;
  const baselines = config ? majorityBaselines(config, runs) : new Map<string, number | null>();
  return experimentReport(summariseCells(runs, store.lrChoices(experimentId)), format, { baselines, reference });
}

/** Both tables (and, asked for, the study's published rows), or their numbers as JSON. */
export function experimentReport(cells: CellSummary[], format: ReportFormat, extras: ReportExtras = {}): string {
  const reference = extras.reference ?? null;
  const baselines = extras.baselines ?? new Map<string, number | null>();
  const methods = [...new Set(cells.map((c) => c.method))];
  const models = modelsOf(cells);
  if (format === 'json') {
    const summary = summariseMethods(cells).map((m) => ({ ...m, cells: [...m.cells.values()].map(cellJson) }));
    const studied = [...new Set((reference ?? []).map((r) => r.model))];
    const matches = Object.fromEntries(models.map((m) => [m, studyModelOf(m, studied)]));
    const published = reference?.filter((r) => Object.values(matches).includes(r.model) && methods.includes(r.method));
    return JSON.stringify({
      models, cells: cells.map(cellJson), methods: summary, baselines: Object.fromEntries(baselines),
      ...(published ? { published, publishedModels: matches } : {}),
    }, null, 2);
  }
  const f = format === 'tex' ? 'latex' : format;
  if (!cells.length) return 'no finished runs to report';
  const ours = `${table4(cells, f, baselines)}\n\n${table5(cells, f)}${importedNote(cells, f)}`;
  return reference ? `${ours}\n\n${referenceTable(reference, methods, f, models)}` : ours;
}

/** Below the tables when some rows are imported adapters: what n/m means and where each came from (none in CSV). */
export function importedNote(cells: CellSummary[], format: Exclude<ReportFormat, 'json' | 'tex'>): string {
  const several = modelsOf(cells).length > 1;
  const rows = cells.filter((c) => c.imported).map((c) => `  ${c.label}${several ? ` on ${c.model}` : ''} from ${c.imported}`);
  const imported = [...new Set(rows)];
  if (!imported.length || format === 'csv') return '';
  const lines = [
    `${NOT_MEASURED}: not measured here. Imported adapters were trained elsewhere and only scored here (same test examples and`,
    'evaluation as the trained runs), so their peak memory, training throughput and learning rate are not known:',
    ...imported,
  ];
  return `\n\n${lines.map((l) => (format === 'latex' ? `% ${l}` : l)).join('\n')}`;
}

function cellJson(c: CellSummary) {
  return { ...c, bySeed: Object.fromEntries(c.bySeed) };
}

const pctOf = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(1));

export function runsTable(runs: RunRecord[]): string {
  return table(
    ['run', 'exp', 'model:', 'task:', 'method:', 'lr', 'seed', 'role:', 'status:', 'score %', 'val %', 'train tok/s', 'peak tensors', 'storage', 'finished:'],
    runs.map((r) => [
      String(r.id), String(r.experimentId), r.model, r.task, r.method, r.imported ? '—' : String(r.learningRate), r.imported ? '—' : String(r.seed),
      r.imported ? 'imported' : r.role, r.status,
      r.result ? (100 * r.result.score).toFixed(1) : '—', pctOf(r.result?.validationScore),
      fmtRate(r.result?.trainTokensPerSec ?? null),
      fmtBytes(r.result?.peakTensorBytes ?? null), fmtBytes(r.result?.storageBytes ?? null), r.finishedAt ?? '—',
    ]),
  );
}

export function runDetail(r: RunRecord, loss: { step: number; value: number }[]): string {
  const lines = r.imported ? importedHead(r) : [
    `run ${r.id} of experiment ${r.experimentId}: ${r.model} / ${r.task} / ${r.method}, lr ${r.learningRate}, seed ${r.seed} (${r.role} run)`,
  ];
  lines.push(
    `status: ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    `created ${r.createdAt}, started ${r.startedAt ?? '—'}, finished ${r.finishedAt ?? '—'}`,
  );
  if (r.env) lines.push(`backend: ${r.env.backend.name}${r.env.backend.forced ? ' (forced)' : ''} on ${r.env.device}`,
    ...r.env.backend.skipped.map((s) => `  skipped ${s.name}: ${s.reason}`));
  if (r.result) lines.push(...resultLines(r.result, r.imported !== null && r.imported !== undefined));
  if (loss.length) lines.push(`loss: ${loss.map((p) => `${p.step}:${p.value.toFixed(3)}`).join(' ')}`);
  lines.push('spec: ' + JSON.stringify(r.spec));
  return lines.join('\n');
}

function importedHead(r: RunRecord): string[] {
  const from = r.imported!;
  return [
    `run ${r.id} of experiment ${r.experimentId}: ${r.model} / ${r.task} / ${r.method}, imported (trained elsewhere, scored here)`,
    `source: ${from.sourceDir} (${from.layout === 'peft' ? `Hugging Face PEFT layout, peft_type ${from.peftType}` : 'workbench layout'}), imported ${from.importedAt}`,
    `base_model_name_or_path: ${from.baseModel ?? '—'}; scored on ${r.spec.modelDir}`,
    ...from.warnings.map((w) => `warning: ${w}`),
  ];
}

function resultLines(x: RunResult, imported: boolean): string[] {
  const lines = [
    `score (${x.metric}): test ${(100 * x.score).toFixed(2)}%${x.validationScore === null ? '' : `, best validation ${(100 * x.validationScore).toFixed(2)}%`}`,
    `parameters: ${fmtCount(x.trainableParams)} trainable of ${fmtCount(x.totalParams)}, ${fmtCount(x.changedParams)} changed`,
    `storage: ${fmtBytes(x.storageBytes)}`,
  ];
  const inference = `inference ${fmtRate(x.inferTokensPerSecUnmerged)} tok/s unmerged, ${fmtRate(x.inferTokensPerSecMerged)} merged`;
  if (imported) {
    return [...lines, `peak memory, training throughput, loss: not measured here (the adapter was trained elsewhere)`, `throughput: ${inference}`];
  }
  return [
    ...lines,
    `peak memory: tensors ${fmtBytes(x.peakTensorBytes)}, process RSS ${fmtBytes(x.peakRssBytes)}, GPU ${fmtBytes(x.peakGpuBytes)}`,
    `throughput: train ${fmtRate(x.trainTokensPerSec)} tok/s, ${inference}`,
    `final loss ${x.finalLoss === null ? '—' : x.finalLoss.toFixed(4)} after ${x.trainSeconds === null ? '—' : x.trainSeconds.toFixed(1)} s of training`,
  ];
}
