// peft-bench: the headless command line of the workbench (same engine and store as the app).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../../shared/types';
import { readComparisonFile } from '../comparison/config';
import { prepareBuiltins } from '../comparison/models';
import { runComparison } from '../comparison/runner';
import { Store, defaultDbPath } from '../store/store';
import { EXPORT_USAGE, exportCommand } from './export';
import { MODELS_USAGE, modelsCommand } from './models';
import { parsePlanRequest, planRows, planTable, readPlanConfig } from './plan';
import { isComparisonConfig, planComparison } from './plan_comparison';
import { methodsReport } from './methods';
import { Progress } from './progress';
import { publishedTable5 } from '../comparison/reference';
import { workerCount } from '../comparison/workers';
import { REPORT_FORMATS, type ReportFormat } from './format';
import { runDetail, runsTable, storedReport } from './report';
import { artifactsRootFor, recoverAtStart, resume } from './resume';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const DEFAULT_CONFIG = path.join(ROOT, 'resources', 'default-comparison.yaml');

const USAGE = `peft-bench — compare PEFT methods on your model and tasks

usage:
  peft-bench compare [CONFIG] [--db PATH] [--backend NAME] [--json]
      run a comparison (YAML or JSON config; default: ${path.relative(process.cwd(), DEFAULT_CONFIG)})
  peft-bench resume RUN [--db PATH] [--backend NAME] [--json]
      continue a run that stopped (crash, kill) from its last checkpoint, then the rest of its experiment
  peft-bench report EXPERIMENT [--format text|md|csv|latex|json] [--with-reference] [--db PATH]
      Table 4 (score ± 95% interval per task and method, chosen learning rate only) and
      Table 5 (trainable %, storage, peak memory, throughput relative to full fine-tuning);
      --with-reference adds the study's published Table 5 rows of the same methods
  peft-bench runs [--experiment ID] [--db PATH] [--json]
  peft-bench show RUN [--db PATH] [--json]
  peft-bench methods [--json]
      the capability matrix: merges, model families, export format, inference cost, parameter formula
  peft-bench plan CONFIG_JSON|MODEL_DIR [--method ID[={"option": value}]]... [--json]
      parameters, changed parameters, delta storage and mergeability of each method (default: all)
  peft-bench plan COMPARISON.yaml [--db PATH] [--json]
      the estimate before a comparison starts, for every model: runs, trainable parameters, delta,
      peak training memory and training time per method, and whether a run fits the device
${MODELS_USAGE}
${EXPORT_USAGE}

options:
  --db PATH        SQLite store (default: ${defaultDbPath()})
  --backend NAME   force a TF.js backend: tensorflow-gpu, tensorflow, wasm or cpu
  --format FORMAT  report format: text (default), md, csv, latex (or tex), json
  --workers N      runs trained at once (default: the config's workers, else one per core on wasm/cpu)
  --json           machine-readable output`;

const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export async function main(argv: string[]): Promise<number> {
  if (['export', 'import', 'evaluate'].includes(argv[0]) && !argv.includes('--help') && !argv.includes('-h')) return exportCommand(argv);
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { db: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, experiment: { type: 'string' }, format: { type: 'string' }, workers: { type: 'string' }, 'with-reference': { type: 'boolean' }, method: { type: 'string', multiple: true }, add: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, arg] = positionals;
  if (values.help || !command || command === 'help') return print(USAGE, 0);
  if (values.backend && !BACKENDS.includes(values.backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`);
  if (command === 'models') return print(modelsCommand({ json: values.json, add: values.add }), 0);
  if (command === 'methods') return print(methodsReport(values.json ?? false), 0);
  if (command === 'plan') {
    if (!arg) throw new Error('plan needs a config.json or a model folder, e.g. peft-bench plan resources/model-configs/t5-large');
    if (isComparisonConfig(arg)) return print(await planComparison(arg, path.resolve(values.db ?? defaultDbPath()), path.dirname(defaultDbPath()), values.json ?? false), 0);
    const rows = planRows(readPlanConfig(arg), values.method?.map(parsePlanRequest));
    return print(values.json ? JSON.stringify(rows, null, 2) : planTable(rows, arg), 0);
  }
  const db = path.resolve(values.db ?? defaultDbPath());
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!REPORT_FORMATS.includes(format as ReportFormat)) throw new Error(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  if (command === 'compare') {
    const workers = values.workers === undefined ? undefined : workersOption(values.workers);
    return compare(arg ?? DEFAULT_CONFIG, db, { backend: values.backend as BackendName | undefined, workers }, format as ReportFormat);
  }
  if (command === 'resume') return resume(positiveId(arg, 'RUN'), db, values.backend as BackendName | undefined, format as ReportFormat);
  const store = Store.open(db);
  try {
    if (command === 'runs') {
      const experimentId = values.experiment === undefined ? undefined : positiveId(values.experiment, '--experiment');
      const runs = store.listRuns(experimentId === undefined ? {} : { experimentId });
      return print(values.json ? JSON.stringify(runs, null, 2) : runs.length ? runsTable(runs) : `no runs in ${db}`, 0);
    }
    if (command === 'report') {
      const id = positiveId(arg, 'EXPERIMENT');
      if (!store.getExperiment(id)) throw new Error(`experiment ${id} is not in ${db}; list runs with \`peft-bench runs\``);
      const reference = values['with-reference'] ? publishedTable5() : null;
      return print(storedReport(store, id, format as ReportFormat, reference), 0);
    }
    if (command === 'show') {
      const run = store.getRun(positiveId(arg, 'RUN'));
      if (!run) throw new Error(`run ${arg} is not in ${db}; list runs with \`peft-bench runs\``);
      const loss = store.metrics(run.id, 'loss');
      return print(values.json ? JSON.stringify({ ...run, metrics: store.metrics(run.id) }, null, 2) : runDetail(run, loss), 0);
    }
  } finally {
    store.close();
  }
  throw new Error(`unknown command "${command}"\n\n${USAGE}`);
}

async function compare(
  configFile: string, db: string, overrides: { backend?: BackendName; workers?: number }, format: ReportFormat,
): Promise<number> {
  const comparison = readComparisonFile(configFile);
  if (overrides.backend) comparison.backend = overrides.backend;
  if (overrides.workers) comparison.workers = overrides.workers;
  const log = (l: string) => process.stderr.write(`${l}\n`);
  // Building a built-in model needs tensors in this process (training happens in workers).
  comparison.models = await prepareBuiltins(comparison.models, path.dirname(defaultDbPath()), log, comparison.backend ? { force: comparison.backend } : {});
  const store = Store.open(db);
  try {
    recoverAtStart(store);
    const progress = new Progress(workerCount(comparison.workers, comparison.backend, Infinity), process.stderr, comparison.models.length > 1);
    const artifactsRoot = artifactsRootFor(db);
    const on = comparison.models.map((m) => (m.name === m.path ? m.path : `${m.name} (${m.path})`)).join(', ');
    process.stderr.write(`comparison "${comparison.name}" on ${on}\nstore: ${db}\n`);
    const { experimentId, failed } = await runComparison(comparison, store, {
      artifactsRoot,
      events: {
        planned: (_id, runs, total) => progress.planned(runs, total),
        message: (id, msg) => progress.message(id, msg),
        ended: (id, outcome) => progress.ended(id, outcome),
        chosen: (task, method, lr, model) => progress.chosen(task, method, lr, model),
      },
    });
    const runs = store.listRuns({ experimentId });
    const report = storedReport(store, experimentId, format);
    if (format === 'json') {
      process.stdout.write(JSON.stringify({ experimentId, report: JSON.parse(report), runs }, null, 2) + '\n');
    } else {
      const backends = [...new Set(runs.map((r) => r.env?.backend.name).filter(Boolean))].join(', ');
      process.stdout.write(`\nexperiment ${experimentId}: ${runs.length} runs, ${failed} failed, backend ${backends || '—'}\n\n${report}\n`);
    }
    return failed ? 1 : 0;
  } finally {
    store.close();
  }
}

function workersOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers must be a whole number of parallel runs from 1 to 64, got "${v}"`);
  return n;
}

function positiveId(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a run or experiment id (a positive integer), got ${v === undefined ? 'nothing' : `"${v}"`}`);
  return n;
}

function print(text: string, code: number): number {
  process.stdout.write(text + '\n');
  return code;
}
