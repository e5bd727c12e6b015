// Schema of the workbench database, as an ordered list of migrations. Append new versions at
// the end; never edit one that has shipped. `PRAGMA user_version` and the schema_migrations
// table both record the highest version applied.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        config TEXT NOT NULL,            -- JSON, the comparison config after defaults
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted'))
      );
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        task TEXT NOT NULL,
        method TEXT NOT NULL,
        learning_rate REAL NOT NULL,
        seed INTEGER NOT NULL,
        spec TEXT NOT NULL,              -- JSON RunSpec
        env TEXT,                        -- JSON EnvironmentSnapshot, set when the run starts
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
        reason TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX runs_by_experiment ON runs (experiment_id, status);
      CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL,                      -- NULL stands for NaN (SQLite stores NaN as NULL)
        time REAL NOT NULL               -- milliseconds since the epoch
      );
      CREATE INDEX metrics_by_run_name_step ON metrics (run_id, name, step);
    `,
  },
  {
    version: 2,
    up: `
      CREATE TABLE results (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        total_params INTEGER NOT NULL,
        trainable_params INTEGER NOT NULL,
        changed_params INTEGER NOT NULL,
        storage_bytes INTEGER NOT NULL,
        peak_tensor_bytes INTEGER NOT NULL,
        peak_rss_bytes INTEGER NOT NULL,
        peak_gpu_bytes INTEGER,
        train_tokens_per_sec REAL,       -- REAL columns: NULL stands for NaN unless nullable in RunResult
        infer_tokens_per_sec_unmerged REAL,
        infer_tokens_per_sec_merged REAL,
        metric TEXT NOT NULL CHECK (metric IN ('accuracy', 'exact_match')),
        score REAL,
        validation_score REAL,
        final_loss REAL,
        train_seconds REAL
      );
      CREATE INDEX runs_by_task_method ON runs (task, method);
    `,
  },
  {
    // The protocol: which runs swept the learning rate and which repeated the chosen one on
    // other seeds, the rate chosen per task and method, and the metrics beyond accuracy
    // (SQLite cannot widen a CHECK in place, so results is rebuilt with its rows copied).
    version: 3,
    up: `
      ALTER TABLE runs ADD COLUMN role TEXT NOT NULL DEFAULT 'seed' CHECK (role IN ('sweep', 'seed'));
      CREATE TABLE lr_choices (
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        task TEXT NOT NULL,
        method TEXT NOT NULL,
        learning_rate REAL NOT NULL,
        validation_score REAL NOT NULL,  -- the best validation score of the sweep run at that rate
        candidates INTEGER NOT NULL,     -- learning rates swept
        chosen_at TEXT NOT NULL,
        PRIMARY KEY (experiment_id, task, method)
      );
      CREATE TABLE results_v3 (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        total_params INTEGER NOT NULL,
        trainable_params INTEGER NOT NULL,
        changed_params INTEGER NOT NULL,
        storage_bytes INTEGER NOT NULL,
        peak_tensor_bytes INTEGER NOT NULL,
        peak_rss_bytes INTEGER NOT NULL,
        peak_gpu_bytes INTEGER,
        train_tokens_per_sec REAL,
        infer_tokens_per_sec_unmerged REAL,
        infer_tokens_per_sec_merged REAL,
        metric TEXT NOT NULL CHECK (metric IN ('accuracy', 'exact_match', 'token_f1', 'rouge_l', 'rouge_l_stem')),
        score REAL,
        validation_score REAL,
        final_loss REAL,
        train_seconds REAL
      );
      INSERT INTO results_v3 SELECT run_id, total_params, trainable_params, changed_params, storage_bytes,
        peak_tensor_bytes, peak_rss_bytes, peak_gpu_bytes, train_tokens_per_sec, infer_tokens_per_sec_unmerged,
        infer_tokens_per_sec_merged, metric, score, validation_score, final_loss, train_seconds FROM results;
      DROP TABLE results;
      ALTER TABLE results_v3 RENAME TO results;
    `,
  },
  {
    // Crash recovery: when a run left 'running' by a process that died was found and marked
    // interrupted, and how many times a run was continued from its checkpoint.
    version: 4,
    up: `
      ALTER TABLE runs ADD COLUMN interrupted_at TEXT;
      ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // The app's queue of comparisons: its order, the device each item is assigned to, and
    // whether the queue is paused, so all of it survives a restart. run_attempts links a run
    // re-queued by a retry to the failed run it repeats (the failed run's record is kept).
    version: 5,
    up: `
      CREATE TABLE queue_items (
        id INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('comparison', 'retry')),
        name TEXT NOT NULL,
        payload TEXT NOT NULL,           -- JSON: the comparison request, or {experimentId, runIds}
        device TEXT NOT NULL,            -- 'cpu' or a GPU index ('0', '1', ...)
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
        estimate_seconds REAL,           -- the plan's estimate when the item was queued
        reason TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX queue_items_by_status ON queue_items (status, position);
      CREATE TABLE queue_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        paused INTEGER NOT NULL CHECK (paused IN (0, 1))
      );
      INSERT INTO queue_state (id, paused) VALUES (1, 0);
      CREATE TABLE run_attempts (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        retry_of INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        queue_item_id INTEGER REFERENCES queue_items(id) ON DELETE SET NULL
      );
    `,
  },
  {
    // Imported adapters: a run whose adapter was trained elsewhere (e.g. in Python with peft) and
    // only scored here. imported_runs says where it came from; its training dimensions were not
    // measured here, so results lets them be NULL (rebuilt as in version 3, rows copied; a NULL
    // there now reads as "not measured", as NaN did before).
    version: 6,
    up: `
      CREATE TABLE imported_runs (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        source_dir TEXT NOT NULL,        -- the adapter folder it was read from
        layout TEXT NOT NULL CHECK (layout IN ('peft', 'workbench')),
        peft_type TEXT,                  -- adapter_config.json's peft_type (NULL for the workbench layout)
        base_model TEXT,                 -- base_model_name_or_path as the adapter recorded it
        warnings TEXT NOT NULL,          -- JSON list: what loaded, but not exactly as the adapter says
        imported_at TEXT NOT NULL
      );
      CREATE TABLE results_v6 (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        total_params INTEGER NOT NULL,
        trainable_params INTEGER NOT NULL,
        changed_params INTEGER NOT NULL,
        storage_bytes INTEGER NOT NULL,
        peak_tensor_bytes INTEGER,
        peak_rss_bytes INTEGER,
        peak_gpu_bytes INTEGER,
        train_tokens_per_sec REAL,
        infer_tokens_per_sec_unmerged REAL,
        infer_tokens_per_sec_merged REAL,
        metric TEXT NOT NULL CHECK (metric IN ('accuracy', 'exact_match', 'token_f1', 'rouge_l', 'rouge_l_stem')),
        score REAL,
        validation_score REAL,
        final_loss REAL,
        train_seconds REAL
      );
      INSERT INTO results_v6 SELECT run_id, total_params, trainable_params, changed_params, storage_bytes,
        peak_tensor_bytes, peak_rss_bytes, peak_gpu_bytes, train_tokens_per_sec, infer_tokens_per_sec_unmerged,
        infer_tokens_per_sec_merged, metric, score, validation_score, final_loss, train_seconds FROM results;
      DROP TABLE results;
      ALTER TABLE results_v6 RENAME TO results;
    `,
  },
  {
    // Several models in one experiment: the model's name on each run and on each learning-rate
    // choice (now one per model, task and method). Rows stored before take the name of their
    // model folder (the last part of the run spec's modelDir, or of the experiment's model).
    version: 7,
    up: `
      ALTER TABLE runs ADD COLUMN model TEXT NOT NULL DEFAULT '';
      UPDATE runs SET model = COALESCE((
        SELECT replace(p, rtrim(p, replace(p, '/', '')), '')
        FROM (SELECT replace(json_extract(runs.spec, '$.modelDir'), '\\', '/') AS p)
      ), '');
      CREATE TABLE lr_choices_v7 (
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        task TEXT NOT NULL,
        method TEXT NOT NULL,
        learning_rate REAL NOT NULL,
        validation_score REAL NOT NULL,
        candidates INTEGER NOT NULL,
        chosen_at TEXT NOT NULL,
        PRIMARY KEY (experiment_id, model, task, method)
      );
      INSERT INTO lr_choices_v7 SELECT l.experiment_id, COALESCE(
          (SELECT r.model FROM runs r WHERE r.experiment_id = l.experiment_id AND r.task = l.task AND r.method = l.method ORDER BY r.id LIMIT 1),
          (SELECT replace(p, rtrim(p, replace(p, '/', '')), '')
           FROM (SELECT replace(json_extract(e.config, '$.model'), '\\', '/') AS p FROM experiments e WHERE e.id = l.experiment_id)),
          ''),
        l.task, l.method, l.learning_rate, l.validation_score, l.candidates, l.chosen_at
        FROM lr_choices l;
      DROP TABLE lr_choices;
      ALTER TABLE lr_choices_v7 RENAME TO lr_choices;
      CREATE INDEX runs_by_model ON runs (experiment_id, model);
    `,
  },
];

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}

function check_order(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration at index ${i} has version ${m.version}; versions must be 1, 2, 3, ... in order`);
  });
}

/**
 * Brings `db` up to the last of `migrations` in one transaction (all or nothing) and returns
 * the version it had before. `name` is used in errors (the database path).
 */
export function applyMigrations(db: Database.Database, name: string, migrations: readonly Migration[] = MIGRATIONS): number {
  check_order(migrations);
  const latest = latestVersion(migrations);
  const migrate = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new Error(
        `${name} has schema version ${current} but this version of peft-bench knows up to ${latest}; ` +
          'upgrade peft-bench or choose another --db',
      );
    }
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const m of migrations.slice(current)) {
      db.exec(m.up);
      record.run(m.version, new Date().toISOString());
      db.pragma(`user_version = ${m.version}`);
    }
    return current;
  });
  return migrate.immediate();
}
