// A flat field-by-field comparison of two runs: config, environment and results.
import type { RunRecord } from '../../../shared/types';

export interface DiffRow {
  field: string;
  a: string;
  b: string;
  same: boolean;
}

/** `{spec: {seed: 0}}` → `[['spec.seed', '0']]`; arrays and scalars are leaves. */
export function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined) return [[prefix, '—']];
  if (typeof value !== 'object' || Array.isArray(value)) return [[prefix, Array.isArray(value) ? JSON.stringify(value) : String(value)]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) return [[prefix, '{}']];
  return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

export function diffRuns(a: RunRecord, b: RunRecord): DiffRow[] {
  const pick = (r: RunRecord) => ({ spec: r.spec, env: r.env, result: r.result, status: r.status });
  const left = new Map(flatten(pick(a)));
  const right = new Map(flatten(pick(b)));
  const fields = [...new Set([...left.keys(), ...right.keys()])];
  return fields.map((field) => {
    const x = left.get(field) ?? '—';
    const y = right.get(field) ?? '—';
    return { field, a: x, b: y, same: x === y };
  });
}
