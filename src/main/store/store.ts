// The workbench database: experiments, their runs, per-step metrics and final results, in
// one SQLite file (WAL journal, so the UI can read while a training worker writes).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type {
  EnvironmentSnapshot, ExperimentRecord, ImportedFrom, LrChoice, MetricPoint, RunRecord, RunResult, RunRole, RunSpec, RunStatus,
} from '../../shared/types';
import { dataHome } from '../engine/util/data_home';
import { applyMigrations } from './migrations';
import { QueueStore } from './queue_store';
import { acquireWriterLock, type WriterLock } from './writer_lock';

type ExperimentStatus = ExperimentRecord['status'];
type SqlValue = number | string | null;
type Row = Record<string, SqlValue>;

/** RunResult field → results column. The type check below fails when a field is missing. */
const RESULT_COLUMNS = [
  ['totalParams', 'total_params'],
  ['trainableParams', 'trainable_params'],
  ['changedParams', 'changed_params'],
  ['storageBytes', 'storage_bytes'],
  ['peakTensorBytes', 'peak_tensor_bytes'],
  ['peakRssBytes', 'peak_rss_bytes'],
  ['peakGpuBytes', 'peak_gpu_bytes'],
  ['trainTokensPerSec', 'train_tokens_per_sec'],
  ['inferTokensPerSecUnmerged', 'infer_tokens_per_sec_unmerged'],
  ['inferTokensPerSecMerged', 'infer_tokens_per_sec_merged'],
  ['metric', 'metric'],
  ['score', 'score'],
  ['validationScore', 'validation_score'],
  ['finalLoss', 'final_loss'],
  ['trainSeconds', 'train_seconds'],
] as const satisfies readonly (readonly [keyof RunResult, string])[];
type MissingResultField = Exclude<keyof RunResult, (typeof RESULT_COLUMNS)[number][0]>;
const EVERY_RESULT_FIELD_HAS_A_COLUMN: [MissingResultField] extends [never] ? true : MissingResultField = true;
void EVERY_RESULT_FIELD_HAS_A_COLUMN;
/**
 * Fields that RunResult allows to be null (not measured: no GPU, no merge, or, for an imported
 * adapter, no training here); elsewhere a NULL number reads back as NaN.
 */
const NULLABLE_RESULT_FIELDS = new Set<keyof RunResult>([
  'peakGpuBytes', 'inferTokensPerSecMerged', 'peakTensorBytes', 'peakRssBytes', 'trainTokensPerSec', 'validationScore', 'finalLoss', 'trainSeconds',
]);

const RUN_SELECT = `
  SELECT r.*, ${RESULT_COLUMNS.map(([, c]) => `res.${c} AS res_${c}`).join(', ')}, res.run_id AS res_run_id,
    imp.run_id AS imp_run_id, imp.source_dir AS imp_source_dir, imp.layout AS imp_layout, imp.peft_type AS imp_peft_type,
    imp.base_model AS imp_base_model, imp.warnings AS imp_warnings, imp.imported_at AS imp_imported_at
  FROM runs r LEFT JOIN results res ON res.run_id = r.id LEFT JOIN imported_runs imp ON imp.run_id = r.id`;

const SQLITE_MAGIC = 'SQLite format 3\0';

/** The default database file, in the user's data folder (or $PEFT_BENCH_HOME). */
export function defaultDbPath(): string {
  return path.join(dataHome(), 'workbench.db');
}

/** Refuses, before SQLite touches it, a non-empty file that does not start with the SQLite header. */
function check_is_sqlite(file: string): void {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return;
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_MAGIC) {
    throw new Error(`${file} is not a SQLite database (left unchanged); choose another file with --db`);
  }
}

const now = (): string => new Date().toISOString();
const num_or_nan = (v: SqlValue): number => (v === null ? NaN : Number(v));
const parse_json = (v: SqlValue): unknown => (v === null ? null : JSON.parse(String(v)));

function to_experiment(row: Row): ExperimentRecord {
  return {
    id: Number(row.id),
    name: String(row.name),
    createdAt: String(row.created_at),
    config: parse_json(row.config),
    status: row.status as ExperimentStatus,
  };
}

function to_result(row: Row): RunResult | null {
  if (row.res_run_id === null) return null;
  const result: Record<string, unknown> = {};
  for (const [field, column] of RESULT_COLUMNS) {
    const v = row[`res_${column}`];
    if (field === 'metric') result[field] = v;
    else result[field] = v === null && NULLABLE_RESULT_FIELDS.has(field) ? null : num_or_nan(v);
  }
  return result as unknown as RunResult;
}

function to_imported(row: Row): ImportedFrom | null {
  if (row.imp_run_id === null || row.imp_run_id === undefined) return null;
  return {
    sourceDir: String(row.imp_source_dir),
    layout: row.imp_layout as ImportedFrom['layout'],
    peftType: row.imp_peft_type === null ? null : String(row.imp_peft_type),
    baseModel: row.imp_base_model === null ? null : String(row.imp_base_model),
    warnings: parse_json(row.imp_warnings) as string[],
    importedAt: String(row.imp_imported_at),
  };
}

function to_run(row: Row): RunRecord {
  return {
    id: Number(row.id),
    experimentId: Number(row.experiment_id),
    model: String(row.model ?? ''),
    task: String(row.task),
    method: String(row.method),
    learningRate: Number(row.learning_rate),
    seed: Number(row.seed),
    role: row.role as RunRole,
    spec: parse_json(row.spec) as RunSpec,
    env: parse_json(row.env) as EnvironmentSnapshot | null,
    status: row.status as RunStatus,
    reason: row.reason === null ? null : String(row.reason),
    createdAt: String(row.created_at),
    startedAt: row.started_at === null ? null : String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    result: to_result(row),
    interruptedAt: row.interrupted_at === null || row.interrupted_at === undefined ? null : String(row.interrupted_at),
    resumes: Number(row.resumes ?? 0),
    imported: to_imported(row),
  };
}

function check_point(p: MetricPoint, i: number): void {
  if (p === null || typeof p !== 'object') throw new Error(`points[${i}] must be a {step, name, value, time} object`);
  if (!Number.isSafeInteger(p.step)) throw new Error(`points[${i}].step must be an integer, got ${p.step}`);
  if (typeof p.name !== 'string' || p.name === '') throw new Error(`points[${i}].name must be a non-empty string, got ${JSON.stringify(p.name)}`);
  if (typeof p.value !== 'number') throw new Error(`points[${i}].value must be a number, got ${JSON.stringify(p.value)}`);
  if (!Number.isFinite(p.time)) throw new Error(`points[${i}].time must be milliseconds since the epoch, got ${p.time}`);
}

/** Rethrows a foreign-key failure as an error naming the missing parent. */
function explain_fk<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new Error(`${what} does not exist`);
    throw err;
  }
}

export class Store {
  private readonly statements = new Map<string, Database.Statement>();
  /** Taken at the first write, so readers (`peft-bench runs`, the app's pages) never wait on it. */
  private writer: WriterLock | null = null;
  private queueTables: QueueStore | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** A prepared statement for `sql`, compiled once per Store. */
  private sql(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    if (!statement.reader && this.writer === null && this.path !== ':memory:') this.writer = acquireWriterLock(this.path);
    return statement;
  }

  /** Opens (creating it and its folders if needed) and migrates the database at `file`. */
  static open(file: string): Store {
    if (file !== ':memory:') {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      check_is_sqlite(file);
    }
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 5000 });
    } catch (err) {
      throw new Error(`cannot open database ${file}: ${(err as Error).message}; choose another file with --db`);
    }
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('journal_mode = WAL');
      // Every commit (a metric batch, a run's end) is on disk before the call returns.
      db.pragma('synchronous = FULL');
      applyMigrations(db, file);
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
        throw new Error(`${file} is not a SQLite database; choose another file with --db`);
      }
      throw err;
    }
    return new Store(db, file);
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
    this.writer?.release();
    this.writer = null;
  }

  // -- experiments ------------------------------------------------------------------------

  createExperiment(name: string, config: unknown): number {
    const info = this
      .sql(`INSERT INTO experiments (name, created_at, config, status) VALUES (?, ?, ?, 'running')`)
      .run(name, now(), JSON.stringify(config ?? null));
    return Number(info.lastInsertRowid);
  }

  setExperimentStatus(id: number, status: ExperimentStatus): void {
    const info = this.sql('UPDATE experiments SET status = ? WHERE id = ?').run(status, id);
    if (info.changes === 0) throw new Error(`experiment ${id} does not exist`);
  }

  listExperiments(): ExperimentRecord[] {
    return (this.sql('SELECT * FROM experiments ORDER BY id').all() as Row[]).map(to_experiment);
  }

  getExperiment(id: number): ExperimentRecord | null {
    const row = this.sql('SELECT * FROM experiments WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? null : to_experiment(row);
  }

  // -- runs -------------------------------------------------------------------------------

  /**
   * A queued run; `role` says whether it sweeps the learning rate or repeats the chosen one on
   * another seed; `model` is the model's name in its experiment (by default its folder's name).
   */
  createRun(experimentId: number, spec: RunSpec, role: RunRole = 'seed', model: string = path.basename(spec.modelDir ?? '')): number {
    const insert = this.sql(`
      INSERT INTO runs (experiment_id, model, task, method, learning_rate, seed, role, spec, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)`);
    const info = explain_fk(`experiment ${experimentId}`, () =>
      insert.run(experimentId, model, spec.task, spec.method, spec.learningRate, spec.seed, role, JSON.stringify(spec), now()),
    );
    return Number(info.lastInsertRowid);
  }

  startRun(runId: number, env: EnvironmentSnapshot): void {
    const info = this
      .sql(`UPDATE runs SET status = 'running', env = ?, started_at = COALESCE(started_at, ?), finished_at = NULL, reason = NULL WHERE id = ?`)
      .run(JSON.stringify(env), now(), runId);
    if (info.changes === 0) throw new Error(`run ${runId} does not exist`);
  }

  /** Stores the result and marks the run done, in one transaction. */
  finishRun(runId: number, result: RunResult): void {
    const columns = RESULT_COLUMNS.map(([, c]) => c);
    const insert = this.sql(
      `INSERT INTO results (run_id, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
    );
    const update = this.sql(`UPDATE runs SET status = 'done', finished_at = ?, reason = NULL WHERE id = ?`);
    const values = RESULT_COLUMNS.map(([field]) => result[field]);
    this.db.transaction(() => {
      try {
        explain_fk(`run ${runId}`, () => insert.run(runId, ...values));
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new Error(`run ${runId} already has a result`);
        throw err;
      }
      update.run(now(), runId);
    })();
  }

  /**
   * Stores an imported adapter as a finished run in one transaction: the run (a 'seed' run, done,
   * on `model`, the name of its base model in the experiment), where it came from, and its result;
   * in experiment `target`, or in a new experiment (then marked done) when `target` gives a name
   * and config. `place(runId)` runs inside the transaction (it moves the run's files into place);
   * if anything throws, nothing is stored.
   */
  addImportedRun(
    target: number | { name: string; config: unknown }, spec: RunSpec, model: string, env: EnvironmentSnapshot, from: Omit<ImportedFrom, 'importedAt'>,
    result: RunResult, place: (runId: number) => void = () => {},
  ): { experimentId: number; runId: number } {
    const at = now();
    return this.db.transaction(() => {
      const experimentId = typeof target === 'number' ? target : this.createExperiment(target.name, target.config);
      const runId = this.createRun(experimentId, spec, 'seed', model);
      this.startRun(runId, env);
      this.sql(`INSERT INTO imported_runs (run_id, source_dir, layout, peft_type, base_model, warnings, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(runId, from.sourceDir, from.layout, from.peftType, from.baseModel, JSON.stringify(from.warnings), at);
      this.finishRun(runId, result);
      if (typeof target !== 'number') this.setExperimentStatus(experimentId, 'done');
      place(runId);
      return { experimentId, runId };
    })();
  }

  failRun(runId: number, reason: string, status: 'failed' | 'interrupted' = 'failed'): void {
    const info = this
      .sql('UPDATE runs SET status = ?, reason = ?, finished_at = ? WHERE id = ?')
      .run(status, reason, now(), runId);
    if (info.changes === 0) throw new Error(`run ${runId} does not exist`);
  }

  /**
   * Marks runs left 'running' (and experiments left 'running') by a process that ended without
   * recording how they ended as 'interrupted', with the time. Takes the writer lock first: it is
   * only granted when no other live process writes this database, so nothing marked is still
   * training. Call at start-up, before this process starts runs of its own.
   */
  recoverInterrupted(): { runs: number[]; experiments: number[] } {
    this.sql('UPDATE runs SET status = status WHERE 0'); // takes the writer lock, or throws naming its holder
    const at = now();
    return this.db.transaction(() => {
      const runs = (this.sql(`SELECT id FROM runs WHERE status = 'running' ORDER BY id`).all() as Row[]).map((r) => Number(r.id));
      const experiments = (this.sql(`SELECT id FROM experiments WHERE status = 'running' ORDER BY id`).all() as Row[]).map((r) => Number(r.id));
      this.sql(`UPDATE runs SET status = 'interrupted', interrupted_at = ?, finished_at = ?,
        reason = 'interrupted: the process running it ended before the run did (found at ' || ? || '); resume it to continue from its last checkpoint'
        WHERE status = 'running'`).run(at, at, at);
      this.sql(`UPDATE experiments SET status = 'interrupted' WHERE status = 'running'`).run();
      return { runs, experiments };
    })();
  }

  /** Queues a run that did not finish to be continued from its checkpoint, counting the resume. */
  requeueRun(runId: number): void {
    const run = this.getRun(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    if (run.status === 'done') throw new Error(`run ${runId} is done; there is nothing to resume`);
    if (run.status === 'running') throw new Error(`run ${runId} is running; it can be resumed once it has stopped`);
    // A run still queued never started: it has nothing to continue from, and is not counted as resumed.
    this.sql(`UPDATE runs SET resumes = resumes + (status != 'queued'), status = 'queued', reason = NULL, finished_at = NULL WHERE id = ?`).run(runId);
  }

  /** The highest step with a stored metric point of `runId` (0 when none). */
  lastMetricStep(runId: number): number {
    const row = this.sql('SELECT MAX(step) AS step FROM metrics WHERE run_id = ?').get(runId) as Row;
    return row.step === null ? 0 : Number(row.step);
  }

  getRun(id: number): RunRecord | null {
    const row = this.sql(`${RUN_SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
    return row === undefined ? null : to_run(row);
  }

  listRuns(filter: { experimentId?: number; status?: RunStatus } = {}): RunRecord[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.experimentId !== undefined) {
      where.push('r.experiment_id = ?');
      params.push(filter.experimentId);
    }
    if (filter.status !== undefined) {
      where.push('r.status = ?');
      params.push(filter.status);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return (this.sql(`${RUN_SELECT} ${clause} ORDER BY r.id`).all(...params) as Row[]).map(to_run);
  }

  // -- learning-rate choices ---------------------------------------------------------------

  /** Records the learning rate the sweep chose for a model, task and method (once per experiment). */
  setLrChoice(experimentId: number, choice: Omit<LrChoice, 'chosenAt'>): void {
    const insert = this.sql(`
      INSERT INTO lr_choices (experiment_id, model, task, method, learning_rate, validation_score, candidates, chosen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    explain_fk(`experiment ${experimentId}`, () =>
      insert.run(experimentId, choice.model, choice.task, choice.method, choice.learningRate, choice.validationScore, choice.candidates, now()),
    );
  }

  lrChoices(experimentId: number): LrChoice[] {
    const rows = this.sql('SELECT * FROM lr_choices WHERE experiment_id = ? ORDER BY model, task, method').all(experimentId) as Row[];
    return rows.map((r) => ({
      model: String(r.model),
      task: String(r.task), method: String(r.method), learningRate: Number(r.learning_rate),
      validationScore: Number(r.validation_score), candidates: Number(r.candidates), chosenAt: String(r.chosen_at),
    }));
  }

  // -- queue ------------------------------------------------------------------------------

  /** The app's queue of comparisons (queue_store.ts), through this store's statements and writer lock. */
  get queue(): QueueStore {
    this.queueTables ??= new QueueStore((text) => this.sql(text), (fn) => this.db.transaction(fn)());
    return this.queueTables;
  }

  // -- metrics ----------------------------------------------------------------------------

  /** Appends `points` in one transaction: all of them or, on any error, none. */
  addMetrics(runId: number, points: MetricPoint[]): void {
    if (points.length === 0) return;
    const insert = this.sql('INSERT INTO metrics (run_id, step, name, value, time) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      points.forEach((p, i) => {
        check_point(p, i);
        explain_fk(`run ${runId}`, () => insert.run(runId, p.step, p.name, Number.isNaN(p.value) ? null : p.value, p.time));
      });
    })();
  }

  /** Points of `runId` (only those called `name` when given), by step, then in insertion order. */
  metrics(runId: number, name?: string): MetricPoint[] {
    const rows = (
      name === undefined
        ? this.sql('SELECT step, name, value, time FROM metrics WHERE run_id = ? ORDER BY step, rowid').all(runId)
        : this
            .sql('SELECT step, name, value, time FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, rowid')
            .all(runId, name)
    ) as Row[];
    return rows.map((r) => ({ step: Number(r.step), name: String(r.name), value: num_or_nan(r.value), time: Number(r.time) }));
  }
}
