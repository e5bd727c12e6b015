// Exports through main: a table rendered by the CLI report's formatter, or a chart's PNG,
// written into the folder the user chose. Answers a message for the page either way.
import type { TableFormat } from '../../../shared/explorer_ipc';
import { errorMessage, getApi } from './api';

export interface ExportStatus {
  ok: boolean;
  text: string;
}

export const TABLE_EXPORTS: { format: TableFormat; ext: string; label: string }[] = [
  { format: 'csv', ext: 'csv', label: 'CSV' },
  { format: 'md', ext: 'md', label: 'Markdown' },
  { format: 'latex', ext: 'tex', label: 'LaTeX' },
];

export async function saveFile(folder: string, name: string, content: string): Promise<ExportStatus> {
  try {
    const { path } = await getApi().saveExport({ folder, name, content });
    return { ok: true, text: `Saved ${path}` };
  } catch (error) {
    return { ok: false, text: errorMessage(error) };
  }
}

export async function saveTable(
  folder: string, base: string, format: TableFormat, table: { title: string; headers: string[]; rows: string[][] },
): Promise<ExportStatus> {
  try {
    const text = await getApi().renderTable({ format, ...table });
    const ext = TABLE_EXPORTS.find((e) => e.format === format)?.ext ?? 'txt';
    return await saveFile(folder, `${base}.${ext}`, text);
  } catch (error) {
    return { ok: false, text: errorMessage(error) };
  }
}
