// A CSV reader (RFC 4180): quoted fields with "" escapes, commas and newlines inside quotes,
// CRLF or LF line ends, a UTF-8 byte-order mark. The first record is the header.

export interface CsvRecord {
  /** 1-based line of the file where the record starts (for error messages). */
  line: number;
  row: Record<string, string>;
}

/** Records of `text` keyed by the header's names; `file` only names the source in errors. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records = splitRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  if (!records.length) throw new Error(`${file}: the CSV file is empty; it needs a header line and at least one row`);
  const [header, ...rows] = records;
  const names = header.cells.map((h) => h.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`${file} line 1: column "${dup}" appears twice in the header`);
  return rows
    .filter((r) => !(r.cells.length === 1 && r.cells[0] === ''))
    .map((r) => {
      if (r.cells.length !== names.length) {
        throw new Error(`${file} line ${r.line}: ${r.cells.length} fields where the header has ${names.length} (quote fields that contain commas or newlines)`);
      }
      return { line: r.line, row: Object.fromEntries(names.map((n, i) => [n, r.cells[i]])) };
    });
}

/** Character-level state machine: returns each record's cells and starting line. */
function splitRecords(text: string, file: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let quoteLine = 0;
  const endRecord = () => {
    cells.push(cell);
    out.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') [cell, i] = [cell + '"', i + 1];
      else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') {
      [quoted, quoteLine] = [true, line];
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      start = ++line;
    } else {
      cell += ch;
    }
  }
  if (quoted) throw new Error(`${file} line ${quoteLine}: a quoted field is never closed (a " is missing)`);
  if (cell !== '' || cells.length) endRecord();
  return out;
}
