// Rows of a task file, JSON Lines or CSV (chosen by the extension), each with its line number,
// and the field readers that turn a bad row into an error naming the file, line and field.
import { readFileSync } from 'node:fs';
import { parseCsv } from './csv';

export interface FileRecord {
  file: string;
  line: number;
  row: Record<string, unknown>;
}

export function readRecords(file: string): FileRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read task file (${(err as Error).message})`);
  }
  const records = /\.csv$/i.test(file) ? parseCsv(text, file).map((r) => ({ file, ...r })) : parseJsonl(text, file);
  if (!records.length) throw new Error(`${file}: the split is empty; a task needs at least one example per split`);
  return records;
}

function parseJsonl(text: string, file: string): FileRecord[] {
  const out: FileRecord[] = [];
  (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      throw new Error(`${file} line ${i + 1}: not valid JSON`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${file} line ${i + 1}: expected a JSON object`);
    out.push({ file, line: i + 1, row: row as Record<string, unknown> });
  });
  return out;
}

export function rowError(r: FileRecord, field: string, problem: string): Error {
  return new Error(`${r.file} line ${r.line}: field "${field}" ${problem}`);
}

/** A text field (numbers and booleans are written as text). */
export function textField(r: FileRecord, field: string, fix = 'check the field names of the task'): string {
  const v = r.row[field];
  if (typeof v === 'string' && v.trim()) return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw rowError(r, field, `is missing or empty (${fix})`);
}

/** A label given as one of `values` (JSON) or their text form (CSV). */
export function labelField<T extends number | boolean>(r: FileRecord, field: string, values: readonly T[]): T {
  const v = r.row[field];
  const hit = values.find((x) => x === v || String(x) === (typeof v === 'string' ? v.trim().toLowerCase() : undefined));
  if (hit === undefined) throw rowError(r, field, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return hit;
}
