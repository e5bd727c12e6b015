// The study's published Table 5 (Lialin et al. 2024), shipped in resources/reference, for
// `peft-bench report --with-reference`; the app's explorer overlays the same file.
import { readFileSync } from 'node:fs';
import { parseCsv } from '../engine/data/csv';
import { findResource } from '../engine/util/resources';

export interface PublishedRow {
  model: string;
  method: string;
  /** Mean over BoolQ, RTE, COPA and CNN/DailyMail; null (and ci95 null) where the study gives none. */
  score: number | null;
  ci95: number | null;
  trainableMillions: number;
  trainablePct: number;
  peakRamGb: number;
  trainThroughputPct: number;
  inferThroughputPct: number;
}

export function referenceCsvPath(): string {
  const file = findResource('reference/lialin2024_table5.csv');
  if (file === null) throw new Error('resources/reference/lialin2024_table5.csv is missing; restore it with `git checkout -- resources/reference`');
  return file;
}

export function publishedTable5(file = referenceCsvPath()): PublishedRow[] {
  const num = (v: string | undefined, field: string, line: number): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) throw new Error(`${file} line ${line}: field "${field}" is not a number`);
    return n;
  };
  return parseCsv(readFileSync(file, 'utf8'), file).map((r) => {
    const f: Partial<Record<string, string>> = r.row;
    return {
      model: f.model ?? '', method: f.method ?? '',
      score: f.score_mean ? num(f.score_mean, 'score_mean', r.line) : null, ci95: f.score_ci95 ? num(f.score_ci95, 'score_ci95', r.line) : null,
      trainableMillions: num(f.trainable_params_millions, 'trainable_params_millions', r.line),
      trainablePct: num(f.trainable_params_pct, 'trainable_params_pct', r.line),
      peakRamGb: num(f.train_peak_ram_gb, 'train_peak_ram_gb', r.line),
      trainThroughputPct: num(f.train_throughput_pct_of_full, 'train_throughput_pct_of_full', r.line),
      inferThroughputPct: num(f.infer_throughput_pct_of_full, 'infer_throughput_pct_of_full', r.line),
    };
  });
}

/** Lower-case letters and digits of the last part of a name: "google-t5/t5-large" and "T5-Large" both read "t5large". */
const plain = (name: string) => (name.split(/[\\/]/).pop() ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');

/** The study's model of the same name as our model `model` (e.g. a folder t5-large is T5-Large), or null. */
export function studyModelOf(model: string, studied: string[]): string | null {
  return studied.find((s) => plain(s) === plain(model)) ?? null;
}
