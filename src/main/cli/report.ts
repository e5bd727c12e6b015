// The comparison table (methods × the five dimensions) and the views of `runs` and `show`.
import type { RunRecord } from '../../shared/types';
import type { SummaryRow } from '../comparison/summary';
import { fmtBytes, fmtCount, fmtRate, table } from './format';

const pct = (part: number, whole: number | null | undefined) =>
  whole && Number.isFinite(part) && Number.isFinite(whole) ? `${((100 * part) / whole).toFixed(0)}%` : '—';

export function comparisonTable(rows: SummaryRow[]): string {
  const fullOf = (task: string) => rows.find((r) => r.task === task && r.method === 'full');
  const body = rows.map((r) => {
    const full = fullOf(r.task);
    return [
      r.task, r.method, String(r.learningRate), String(r.seeds),
      `${(100 * r.score).toFixed(1)}${r.seeds > 1 ? ` ±${(100 * r.scoreCi).toFixed(1)}` : ''}`,
      fmtCount(r.trainableParams), `${((100 * r.trainableParams) / r.totalParams).toPrecision(3)}%`, fmtCount(r.changedParams),
      fmtBytes(r.storageBytes),
      fmtBytes(r.peakTensorBytes), fmtBytes(r.peakRssBytes), fmtBytes(r.peakGpuBytes),
      fmtRate(r.trainTokensPerSec), pct(r.trainTokensPerSec, full?.trainTokensPerSec),
      fmtRate(r.inferTokensPerSecUnmerged), pct(r.inferTokensPerSecUnmerged, full?.inferTokensPerSecUnmerged),
      fmtRate(r.inferTokensPerSecMerged),
    ];
  });
  return table(
    ['task:', 'method:', 'lr', 'seeds', 'score %', 'trainable', 'of total', 'changed', 'storage', 'peak tensors', 'peak RSS', 'peak GPU',
      'train tok/s', 'vs full', 'infer tok/s', 'vs full', 'merged tok/s'],
    body,
  );
}

export function runsTable(runs: RunRecord[]): string {
  return table(
    ['run', 'exp', 'task:', 'method:', 'lr', 'seed', 'status:', 'score %', 'train tok/s', 'peak tensors', 'storage', 'finished:'],
    runs.map((r) => [
      String(r.id), String(r.experimentId), r.task, r.method, String(r.learningRate), String(r.seed), r.status,
      r.result ? (100 * r.result.score).toFixed(1) : '—', fmtRate(r.result?.trainTokensPerSec ?? null),
      fmtBytes(r.result?.peakTensorBytes ?? null), fmtBytes(r.result?.storageBytes ?? null), r.finishedAt ?? '—',
    ]),
  );
}

export function runDetail(r: RunRecord, loss: { step: number; value: number }[]): string {
  const lines = [
    `run ${r.id} of experiment ${r.experimentId}: ${r.task} / ${r.method}, lr ${r.learningRate}, seed ${r.seed}`,
    `status: ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    `created ${r.createdAt}, started ${r.startedAt ?? '—'}, finished ${r.finishedAt ?? '—'}`,
  ];
  if (r.env) lines.push(`backend: ${r.env.backend.name}${r.env.backend.forced ? ' (forced)' : ''} on ${r.env.device}`,
    ...r.env.backend.skipped.map((s) => `  skipped ${s.name}: ${s.reason}`));
  if (r.result) {
    const x = r.result;
    lines.push(
      `score (${x.metric}): test ${(100 * x.score).toFixed(2)}%, best validation ${(100 * x.validationScore).toFixed(2)}%`,
      `parameters: ${fmtCount(x.trainableParams)} trainable of ${fmtCount(x.totalParams)}, ${fmtCount(x.changedParams)} changed`,
      `storage: ${fmtBytes(x.storageBytes)}`,
      `peak memory: tensors ${fmtBytes(x.peakTensorBytes)}, process RSS ${fmtBytes(x.peakRssBytes)}, GPU ${fmtBytes(x.peakGpuBytes)}`,
      `throughput: train ${fmtRate(x.trainTokensPerSec)} tok/s, inference ${fmtRate(x.inferTokensPerSecUnmerged)} tok/s unmerged, ${fmtRate(x.inferTokensPerSecMerged)} merged`,
      `final loss ${x.finalLoss.toFixed(4)} after ${x.trainSeconds.toFixed(1)} s of training`,
    );
  }
  if (loss.length) lines.push(`loss: ${loss.map((p) => `${p.step}:${p.value.toFixed(3)}`).join(' ')}`);
  lines.push('spec: ' + JSON.stringify(r.spec));
  return lines.join('\n');
}
