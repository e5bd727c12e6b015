// Plain-text rendering for the terminal: units, tables, progress bars.

export function fmtBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) [n, i] = [n / 1000, i + 1];
  return `${n.toFixed(i === 0 ? 0 : n < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function fmtRate(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  return n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0);
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Columns whose header ends in ':' are left-aligned; the others (numbers) right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const left = headers.map((h) => h.endsWith(':'));
  const names = headers.map((h) => h.replace(/:$/, ''));
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (left[i] ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(names), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export const REPORT_FORMATS = ['text', 'md', 'csv', 'latex', 'tex', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A titled table as plain text, Markdown, CSV or LaTeX (json is rendered by the caller). */
export function renderTable(format: Exclude<ReportFormat, 'json'>, title: string, headers: string[], rows: string[][]): string {
  const names = headers.map((h) => h.replace(/:$/, ''));
  if (format === 'text') return `${title}\n\n${table(headers, rows)}`;
  if (format === 'md') {
    const align = headers.map((h) => (h.endsWith(':') ? ':---' : '---:'));
    const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    return [`**${title}**`, '', line(names), line(align), ...rows.map(line)].join('\n');
  }
  if (format === 'csv') {
    const cell = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    return [names, ...rows].map((r) => r.map(cell).join(',')).join('\n');
  }
  const tex = (c: string) => c.replace(/\\/g, '\\textbackslash{}').replace(/([&%$#_{}])/g, '\\$1').replace(/±/g, '$\\pm$').replace(/—/g, '--');
  const spec = headers.map((h) => (h.endsWith(':') ? 'l' : 'r')).join('');
  return [
    '\\begin{table}[t]', '\\centering', `\\begin{tabular}{${spec}}`, '\\hline',
    `${names.map(tex).join(' & ')} \\\\`, '\\hline',
    ...rows.map((r) => `${r.map(tex).join(' & ')} \\\\`),
    '\\hline', '\\end{tabular}', `\\caption{${tex(title)}}`, '\\end{table}',
  ].join('\n');
}
