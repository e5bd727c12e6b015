// The result explorer's handlers: every experiment's summary rows, tables rendered by the CLI
// report's formatter, exports written into a folder the user chose, and the method registry's
// capability matrix.
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExploreRow, MethodCapability, RenderTableReq, SaveFileReq } from '../shared/explorer_ipc';
import { renderTable } from './cli/format';
import { planRows, readPlanConfig } from './cli/plan';
import { resultRows, summariseCells } from './comparison/summary';
import { inferenceOverhead } from './engine/export/own_layout';
import { PEFT_TYPES } from './engine/export/peft_layout';
import { modelShape } from './engine/models/families';
import type { ModelConfig } from './engine/models/types';
import { findResource } from './engine/util/resources';
import { METHODS } from './engine/peft/registry';
import type { Store } from './store/store';

type Reader = Pick<Store, 'listExperiments' | 'listRuns' | 'lrChoices'>;

/** One row per model × task × method of every experiment with a finished run at its chosen rate. */
export function exploreRows(store: Reader): ExploreRow[] {
  return store.listExperiments().flatMap((e) => {
    const cells = summariseCells(store.listRuns({ experimentId: e.id }), store.lrChoices(e.id));
    return resultRows(cells).map((row, i) => ({ ...row, experimentId: e.id, experimentName: e.name, metric: cells[i].metric }));
  });
}

/** The default export folder, next to the database (made on first ask). */
export function exploreInfo(dbPath: string): { exportDir: string } {
  const exportDir = path.join(path.dirname(path.resolve(dbPath)), 'exports');
  try {
    mkdirSync(exportDir, { recursive: true });
  } catch {
    // Saving there will then say why it cannot write.
  }
  return { exportDir };
}

/** A table as the CLI's reports write it (`peft-bench report --format ...`). */
export function renderView(req: RenderTableReq): string {
  return renderTable(req.format, req.title, req.headers, req.rows);
}

/** Writes `content` (text, or a PNG data URL) to folder/name; errors say what to do. */
export function saveExport(req: SaveFileReq): { path: string } {
  const { folder, name, content } = req;
  if (!path.isAbsolute(folder)) throw new Error(`explore:save: field 'folder': give the folder as an absolute path, got "${folder}"`);
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    throw new Error(`explore:save: field 'folder': ${folder} does not exist; choose an existing folder`);
  }
  if (!isDir) throw new Error(`explore:save: field 'folder': ${folder} is a file, not a folder; choose a folder`);
  const file = path.join(folder, name);
  try {
    accessSync(folder, constants.W_OK);
    const data = name.endsWith('.png') ? Buffer.from(content.slice(content.indexOf(',') + 1), 'base64') : content;
    writeFileSync(file, data);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new Error(`explore:save: field 'folder': cannot write ${name} into ${folder} (${code}); choose a folder you can write to`, { cause: err });
  }
  return { path: file };
}

/** A public config of each family, for the counts and refusals of the capability matrix. */
function referenceConfig(name: string): ModelConfig {
  const dir = findResource(`model-configs/${name}`);
  if (dir === null) throw new Error(`resources/model-configs/${name} is missing; restore it with \`git checkout -- resources/model-configs\``);
  return readPlanConfig(dir);
}

/** Trainable-parameter formulas (docs/methods.md; d model width, a = H·dk, f feed-forward, L layers, m bottleneck, r rank, P prefix length, b prefix MLP width). */
const FORMULAS: Record<string, string> = {
  full: 'every weight: V·d + L(4da + 2df + 2d) + L(8da + 2df + 3d) + 2d + 2·nb·H',
  houlsby: '4L(2dm + m + d)',
  pfeiffer: '2L(2dm + m + d)',
  parallel_adapter: '2L(2dm + m + d + 1)',
  ia3: '3L·2a + 2L·f',
  prefix_tuning: '3[Pd + db + b + 2La(b + 1)]',
  prompt_tuning: 'P·d',
  ln_tuning: '(5L + 2)d',
  lora_qv: '3L·2r(d + a)',
  lora_all: '3L·4r(d + a) + 2L·2r(d + f)',
  krona: '3L·2(k² + 2rk), with d = k·k',
  compacter: '4L·3(d + m) + n³',
  compacter_pp: '2L·3(d + m) + n³',
  mam: 'prefix(b = 800) + 2L(2dm + m + d)',
  unipelt: '3L·2(r(d + a) + d + 1) + prefix(P = 10) + 3L(d + 1) + 2L(2dm + m + 2d + 1)',
  bitfit: 'sum of the bias sizes',
  dora: 'lora_qv + 3L·2a',
};

/** The families, each with the public config whose refusals stand for it. */
const FAMILIES = [
  ['T5 (encoder-decoder)', 't5-large'], ['LLaMA (decoder)', 'llama-2-7b'], ['BERT/RoBERTa (encoder)', 'bert-base-uncased'],
] as const;

export function methodCapabilities(): MethodCapability[] {
  const t5Large = referenceConfig('t5-large');
  const shape = modelShape(t5Large);
  const counts = planRows(t5Large);
  const rows = FAMILIES.map(([, config]) => (config === 't5-large' ? counts : planRows(referenceConfig(config))));
  return Object.values(METHODS).map((m) => {
    const t5 = counts.find((r) => r.method === m.id);
    return {
      id: m.id, title: m.title, paper: m.paper, mergeable: m.mergeable, formula: FORMULAS[m.id] ?? '—',
      defaults: { ...m.defaults },
      families: Object.fromEntries(FAMILIES.map(([family], i) => [family, rows[i].find((r) => r.method === m.id)?.refused ?? null])),
      t5LargeTrainable: t5?.trainable ?? null,
      exportFormat: PEFT_TYPES[m.id] ? `Hugging Face PEFT (${PEFT_TYPES[m.id]})` : m.id === 'full' ? 'a full checkpoint' : 'workbench layout (docs/export.md)',
      inferenceOverhead: m.id === 'full' ? 'none: the fine-tuned model itself' : m.mergeable ? 'none once merged' : inferenceOverhead(m.id, shape, m.defaults),
    };
  });
}
