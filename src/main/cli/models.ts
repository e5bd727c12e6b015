// `peft-bench models [--json] [--add DIR]`: the built-in models, the checkpoints in the Hugging
// Face cache and the folders the user added, with architecture, parameters, size on disk and
// dtype: what a comparison's `models:` can name, and what the app's model picker lists.
import path from 'node:path';
import { builtinEntries } from '../comparison/models';
import { addFolder, hfCacheDir, listModels, type ModelEntry } from '../engine/models/discover';
import { defaultDbPath } from '../store/store';

export const MODELS_USAGE = `  peft-bench models [--add DIR] [--json]
      the built-in models, the models of the Hugging Face cache ($HF_HOME/hub or ~/.cache/huggingface/hub) and added folders`;

/** The folder where the added-folders list lives: beside the default database. */
export const workbenchHome = (): string => path.dirname(defaultDbPath());

function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes, i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function params(n: number | null): string {
  if (n === null) return '-';
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(1)}K`;
}

export function modelsTable(entries: ModelEntry[], cacheDir: string): string {
  if (entries.length === 0) return `no models in ${cacheDir} and no added folders (peft-bench models --add DIR)`;
  const rows = entries.map((e) => [e.name, e.architecture ?? '-', params(e.params), size(e.sizeBytes), e.dtype ?? '-', e.problem ?? 'ok', e.path]);
  const head = ['model', 'architecture', 'params', 'size', 'dtype', 'state', 'folder'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** Runs the command; answers the text to print. */
export function modelsCommand(opts: { json?: boolean; add?: string }): string {
  const home = workbenchHome();
  if (opts.add !== undefined) {
    const entry = addFolder(home, opts.add);
    if (opts.json) return JSON.stringify(entry, null, 2);
    return `added ${entry.path}: ${entry.summary}`;
  }
  const cacheDir = hfCacheDir();
  const entries = [...builtinEntries(home), ...listModels({ home, cacheDir })];
  return opts.json ? JSON.stringify(entries, null, 2) : modelsTable(entries, cacheDir);
}
