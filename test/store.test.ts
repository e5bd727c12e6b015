import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { EnvironmentSnapshot, MetricPoint, RunResult, RunSpec } from '../src/shared/types';
import { MIGRATIONS, applyMigrations, latestVersion } from '../src/main/store/migrations';
import { summariseCells } from '../src/main/comparison/summary';
import { Store, defaultDbPath } from '../src/main/store/store';

const dir = mkdtempSync(path.join(tmpdir(), 'store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dbCounter = 0;
const fresh_path = (): string => path.join(dir, `db${dbCounter++}`, 'workbench.db');

const SPEC: RunSpec = {
  modelDir: '/models/t5-tiny',
  task: 'sst2',
  method: 'lora',
  methodOptions: { r: 8, alpha: 16, dropout: 0.05, bias: false, targets: ['q', 'v'], init: 'gaussian' },
  learningRate: 3e-4,
  seed: 7,
  microBatch: 8,
  effectiveBatch: 32,
  steps: 200,
  warmupRatio: 0.06,
  weightDecay: 0.01,
  maxInputTokens: 128,
  maxTargetTokens: 8,
  evalEvery: 50,
  evalExamples: 0,
  testExamples: 500,
};

const ENV: EnvironmentSnapshot = {
  backend: { name: 'wasm', skipped: [{ name: 'tensorflow', reason: 'tfjs-node is not installed' }], forced: false },
  device: 'cpu: Example CPU x2',
  gpu: null,
  versions: { node: '20.20.2', tfjs: '4.22.0' },
  platform: 'linux x64',
  totalMemoryBytes: 8 * 2 ** 30,
  hostname: 'bench-host',
};

const RESULT: RunResult = {
  totalParams: 60_506_624,
  trainableParams: 294_912,
  changedParams: 294_912,
  storageBytes: 1_179_960,
  peakTensorBytes: 812_345_678,
  peakRssBytes: 1_512_000_000,
  peakGpuBytes: null,
  trainTokensPerSec: 1534.25,
  inferTokensPerSecUnmerged: 4100.5,
  inferTokensPerSecMerged: 4800.125,
  metric: 'accuracy',
  score: 0.875,
  validationScore: 0.9,
  finalLoss: 0.3125,
  trainSeconds: 321.5,
};

function with_store<T>(fn: (store: Store, file: string) => T, file = fresh_path()): T {
  const store = Store.open(file);
  try {
    return fn(store, file);
  } finally {
    store.close();
  }
}

function table_names(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('records', () => {
  test('experiments round trip', () => {
    with_store((store) => {
      const config = { tasks: ['sst2'], methods: ['lora', 'ia3'], seeds: [1, 2], nested: { lr: [1e-3, 3e-4] } };
      const id = store.createExperiment('lora vs ia3', config);
      const other = store.createExperiment('empty', undefined);
      const record = store.getExperiment(id);
      assert.ok(record);
      assert.deepEqual(record, { id, name: 'lora vs ia3', createdAt: record.createdAt, config, status: 'running' });
      assert.ok(!Number.isNaN(Date.parse(record.createdAt)));
      store.setExperimentStatus(id, 'done');
      assert.deepEqual(store.listExperiments().map((e) => [e.id, e.status, e.config]), [[id, 'done', config], [other, 'running', null]]);
      assert.equal(store.getExperiment(9999), null);
      assert.throws(() => store.setExperimentStatus(9999, 'failed'), /experiment 9999 does not exist/);
    });
  });

  test('runs round trip through queued, running and done', () => {
    with_store((store) => {
      const exp = store.createExperiment('e', {});
      const id = store.createRun(exp, SPEC);
      const queued = store.getRun(id);
      assert.ok(queued);
      assert.deepEqual(queued, {
        id, experimentId: exp, model: 't5-tiny', task: 'sst2', method: 'lora', learningRate: 3e-4, seed: 7, role: 'seed', spec: SPEC, env: null,
        status: 'queued', reason: null, createdAt: queued.createdAt, startedAt: null, finishedAt: null, result: null, interruptedAt: null, resumes: 0, imported: null,
      });
      store.startRun(id, ENV);
      const running = store.getRun(id);
      assert.equal(running?.status, 'running');
      assert.deepEqual(running?.env, ENV);
      assert.ok(running?.startedAt);
      store.finishRun(id, RESULT);
      const done = store.getRun(id);
      assert.equal(done?.status, 'done');
      assert.ok(done?.finishedAt);
      assert.deepEqual(done?.result, RESULT);
      assert.deepEqual(done?.spec, SPEC);
    });
  });

  test('results keep NaN and nulls apart', () => {
    with_store((store) => {
      const run = store.createRun(store.createExperiment('e', {}), SPEC);
      const odd: RunResult = { ...RESULT, inferTokensPerSecUnmerged: NaN, score: 0, peakGpuBytes: 2 ** 33, inferTokensPerSecMerged: null, metric: 'exact_match' };
      store.finishRun(run, odd);
      assert.deepEqual(store.getRun(run)?.result, odd);
      // A training dimension that could not be measured (too few timed steps) reads back as null: not measured.
      const short = store.createRun(store.createExperiment('f', {}), SPEC);
      store.finishRun(short, { ...RESULT, trainTokensPerSec: NaN });
      assert.equal(store.getRun(short)?.result?.trainTokensPerSec, null);
    });
  });

  test('failed and interrupted runs, and listing with filters', () => {
    with_store((store) => {
      const a = store.createExperiment('a', {});
      const b = store.createExperiment('b', {});
      const r1 = store.createRun(a, SPEC);
      const r2 = store.createRun(a, { ...SPEC, method: 'ia3', seed: 8 });
      const r3 = store.createRun(b, { ...SPEC, task: 'rte' });
      store.failRun(r1, 'loss became NaN at step 12');
      store.failRun(r2, 'stopped by the user', 'interrupted');
      const failed = store.getRun(r1);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.reason, 'loss became NaN at step 12');
      assert.deepEqual(store.listRuns().map((r) => r.id), [r1, r2, r3]);
      assert.deepEqual(store.listRuns({ experimentId: a }).map((r) => r.id), [r1, r2]);
      assert.deepEqual(store.listRuns({ status: 'interrupted' }).map((r) => [r.id, r.method, r.seed]), [[r2, 'ia3', 8]]);
      assert.deepEqual(store.listRuns({ experimentId: b, status: 'queued' }).map((r) => r.task), ['rte']);
      assert.deepEqual(store.listRuns({ experimentId: b, status: 'failed' }), []);
      assert.equal(store.getRun(9999), null);
      assert.throws(() => store.failRun(9999, 'x'), /run 9999 does not exist/);
      assert.throws(() => store.startRun(9999, ENV), /run 9999 does not exist/);
    });
  });

  test('metrics are ordered by step and filtered by name', () => {
    with_store((store) => {
      const run = store.createRun(store.createExperiment('e', {}), SPEC);
      const points: MetricPoint[] = [
        { step: 20, name: 'loss', value: 1.5, time: 1_700_000_000_020.5 },
        { step: 10, name: 'lr', value: 1e-4, time: 1_700_000_000_010 },
        { step: 10, name: 'loss', value: 2.5, time: 1_700_000_000_011 },
        { step: 30, name: 'loss', value: NaN, time: 1_700_000_000_030 },
      ];
      store.addMetrics(run, points.slice(0, 2));
      store.addMetrics(run, points.slice(2));
      store.addMetrics(run, []);
      assert.deepEqual(store.metrics(run), [points[1], points[2], points[0], points[3]]);
      assert.deepEqual(store.metrics(run, 'loss'), [points[2], points[0], points[3]]);
      assert.deepEqual(store.metrics(run, 'val_score'), []);
      assert.deepEqual(store.metrics(9999), []);
    });
  });
});

describe('database file', () => {
  test('opens in WAL mode, creating parent folders', () => {
    const file = path.join(dir, 'deep', 'er', 'wal.db');
    with_store(() => {
      const db = new Database(file);
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        db.close();
      }
    }, file);
  });

  test('migrates an empty database, and reopening changes nothing', () => {
    const file = fresh_path();
    with_store((store) => store.createExperiment('kept', {}), file);
    const read_versions = (): [number, number[]] => {
      const db = new Database(file, { readonly: true });
      try {
        const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
        return [db.pragma('user_version', { simple: true }) as number, versions];
      } finally {
        db.close();
      }
    };
    const latest = latestVersion();
    assert.deepEqual(read_versions(), [latest, MIGRATIONS.map((m) => m.version)]);
    with_store((store) => assert.deepEqual(store.listExperiments().map((e) => e.name), ['kept']), file);
    assert.deepEqual(read_versions(), [latest, MIGRATIONS.map((m) => m.version)]);
    assert.deepEqual(table_names(file), ['experiments', 'imported_runs', 'lr_choices', 'metrics', 'queue_items', 'queue_state', 'results', 'run_attempts', 'runs', 'schema_migrations']);
  });

  test('migrates a database left at an older version, keeping its data', () => {
    const file = fresh_path();
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    applyMigrations(db, file, MIGRATIONS.slice(0, 1));
    db.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('old', '2024-01-01T00:00:00.000Z', '{"a":1}', 'done')`).run();
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
    assert.ok(!table_names(file).includes('results'));
    with_store((store) => {
      assert.deepEqual(store.listExperiments(), [{ id: 1, name: 'old', createdAt: '2024-01-01T00:00:00.000Z', config: { a: 1 }, status: 'done' }]);
      const run = store.createRun(1, SPEC);
      store.finishRun(run, RESULT);
      assert.deepEqual(store.getRun(run)?.result, RESULT);
    }, file);
  });

  test('a database from a newer version is refused', () => {
    const file = fresh_path();
    with_store(() => undefined, file);
    const db = new Database(file);
    db.pragma(`user_version = ${latestVersion() + 5}`);
    db.close();
    assert.throws(() => Store.open(file), (err: Error) => {
      assert.ok(err.message.includes(file));
      assert.match(err.message, new RegExp(`schema version ${latestVersion() + 5}.*upgrade peft-bench or choose another --db`));
      return true;
    });
  });

  test('a file that is not a database gives a clear error and is left unchanged', () => {
    for (const content of ['{"this is": "json, not sqlite"}\n'.repeat(300), 'tiny']) {
      const file = path.join(dir, `not-a-db-${content.length}.json`);
      writeFileSync(file, content);
      assert.throws(() => Store.open(file), (err: Error) => {
        assert.ok(err.message.includes(file));
        assert.match(err.message, /not a SQLite database.*choose another file with --db/);
        return true;
      });
      assert.equal(readFileSync(file, 'utf8'), content);
      assert.equal(existsSync(`${file}-wal`), false);
    }
  });

  test('default path follows PEFT_BENCH_HOME, then the platform data folder', () => {
    const names = ['PEFT_BENCH_HOME', 'XDG_DATA_HOME'] as const;
    const saved = names.map((n) => process.env[n]);
    try {
      process.env.PEFT_BENCH_HOME = path.join(dir, 'home');
      assert.equal(defaultDbPath(), path.join(dir, 'home', 'workbench.db'));
      delete process.env.PEFT_BENCH_HOME;
      if (process.platform === 'linux') {
        process.env.XDG_DATA_HOME = '/data/xdg';
        assert.equal(defaultDbPath(), '/data/xdg/peft-workbench/workbench.db');
        delete process.env.XDG_DATA_HOME;
        assert.match(defaultDbPath(), /\.local\/share\/peft-workbench\/workbench\.db$/);
      }
    } finally {
      names.forEach((n, i) => {
        if (saved[i] === undefined) delete process.env[n];
        else process.env[n] = saved[i];
      });
    }
  });
});

describe('integrity', () => {
  test('foreign keys are enforced', () => {
    with_store((store, file) => {
      assert.throws(() => store.createRun(4242, SPEC), /experiment 4242 does not exist/);
      assert.throws(() => store.addMetrics(4242, [{ step: 1, name: 'loss', value: 1, time: 1 }]), /run 4242 does not exist/);
      assert.throws(() => store.finishRun(4242, RESULT), /run 4242 does not exist/);
      const raw = new Database(file);
      try {
        raw.pragma('foreign_keys = ON');
        assert.throws(() => raw.prepare('INSERT INTO metrics (run_id, step, name, value, time) VALUES (77, 0, ?, 0, 0)').run('x'), /FOREIGN KEY/);
      } finally {
        raw.close();
      }
      assert.deepEqual(store.listRuns(), []);
    });
  });

  test('a failing transaction leaves earlier data intact', () => {
    with_store((store) => {
      const run = store.createRun(store.createExperiment('e', {}), SPEC);
      const first: MetricPoint[] = [{ step: 0, name: 'loss', value: 3, time: 10 }, { step: 1, name: 'loss', value: 2, time: 11 }];
      store.addMetrics(run, first);
      const bad = [
        { step: 2, name: 'loss', value: 1.5, time: 12 },
        { step: 3, name: 'loss', value: 1.2, time: 13 },
        { step: 4.5, name: 'loss', value: 1, time: 14 },
      ];
      assert.throws(() => store.addMetrics(run, bad), /points\[2\]\.step must be an integer/);
      assert.deepEqual(store.metrics(run), first);

      store.finishRun(run, RESULT);
      assert.throws(() => store.finishRun(run, { ...RESULT, score: 0.1 }), /already has a result/);
      assert.equal(store.getRun(run)?.result?.score, RESULT.score);
    });
  });
});

test('migration 3 keeps stored results, marks old runs as seed runs and records learning-rate choices', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mig3-')), 'old.db');
  const old = new Database(file);
  applyMigrations(old, file, MIGRATIONS.slice(0, 2));
  old.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('e', 'now', '{}', 'done')`).run();
  old.prepare(`INSERT INTO runs (experiment_id, task, method, learning_rate, seed, spec, status, created_at) VALUES (1, 't', 'full', 0.001, 0, '{}', 'done', 'now')`).run();
  old.prepare(`INSERT INTO results (run_id, total_params, trainable_params, changed_params, storage_bytes, peak_tensor_bytes, peak_rss_bytes, metric, score)
    VALUES (1, 10, 10, 10, 40, 100, 200, 'accuracy', 0.75)`).run();
  old.close();
  const store = Store.open(file);
  try {
    const run = store.getRun(1)!;
    assert.equal(run.role, 'seed');
    assert.equal(run.result!.score, 0.75);
    store.setLrChoice(1, { model: 'm', task: 't', method: 'full', learningRate: 1e-3, validationScore: 0.7, candidates: 3 });
    assert.deepEqual(store.lrChoices(1).map(({ chosenAt: _c, ...c }) => c), [{ model: 'm', task: 't', method: 'full', learningRate: 1e-3, validationScore: 0.7, candidates: 3 }]);
    assert.throws(() => store.setLrChoice(99, { model: 'm', task: 't', method: 'full', learningRate: 1e-3, validationScore: 0.7, candidates: 3 }), /experiment 99 does not exist/);
    const id = store.createRun(1, { ...(run.spec as object), task: 't', method: 'full', learningRate: 1e-3, seed: 1 } as never, 'sweep');
    assert.equal(store.getRun(id)!.role, 'sweep');
  } finally {
    store.close();
  }
});

test('migrations 6 and 7: migration 7 names the model of every stored run and learning-rate choice; old experiments read as before', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mig7-')), 'old.db');
  const old = new Database(file);
  applyMigrations(old, file, MIGRATIONS.slice(0, 5));
  old.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('e', 'now', ?, 'done')`).run(JSON.stringify({ model: '/models/t5-small', tasks: ['rte'] }));
  old.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('no runs', 'now', ?, 'done')`).run(JSON.stringify({ model: 'C:\\ckpt\\t5-base' }));
  const insertRun = old.prepare(`INSERT INTO runs (experiment_id, task, method, learning_rate, seed, role, spec, status, created_at) VALUES (1, 'rte', ?, 0.001, ?, 'seed', ?, 'done', 'now')`);
  for (const [method, seed] of [['full', 0], ['full', 1], ['lora_qv', 0]] as const) insertRun.run(method, seed, JSON.stringify({ ...SPEC, modelDir: '/models/t5-small', task: 'rte', method, seed }));
  old.prepare(`INSERT INTO runs (experiment_id, task, method, learning_rate, seed, role, spec, status, created_at) VALUES (1, 'rte', 'ia3', 0.001, 0, 'seed', '{}', 'failed', 'now')`).run();
  const insertResult = old.prepare(`INSERT INTO results (run_id, total_params, trainable_params, changed_params, storage_bytes, peak_tensor_bytes, peak_rss_bytes, metric, score, validation_score)
    VALUES (?, 10, 10, 10, 40, 100, 200, 'accuracy', ?, 0.5)`);
  [[1, 0.7], [2, 0.8], [3, 0.6]].forEach(([id, score]) => insertResult.run(id, score));
  const choice = old.prepare(`INSERT INTO lr_choices (experiment_id, task, method, learning_rate, validation_score, candidates, chosen_at) VALUES (?, ?, ?, 0.001, 0.5, 3, 'then')`);
  choice.run(1, 'rte', 'full');
  choice.run(2, 'rte', 'full');
  old.close();
  const store = Store.open(file);
  try {
    assert.deepEqual(store.listRuns().map((r) => [r.id, r.model]), [[1, 't5-small'], [2, 't5-small'], [3, 't5-small'], [4, '']]);
    assert.deepEqual(store.lrChoices(1).map((c) => [c.model, c.task, c.method, c.learningRate, c.chosenAt]), [['t5-small', 'rte', 'full', 1e-3, 'then']]);
    assert.deepEqual(store.lrChoices(2).map((c) => c.model), ['t5-base'], 'an experiment without runs: its config names the model');
    // The tables read the old experiment as one model, with the chosen rate's two seeds.
    const cells = summariseCells(store.listRuns({ experimentId: 1 }), store.lrChoices(1));
    assert.deepEqual(cells.map((c) => [c.model, c.method, c.score.n]), [['t5-small', 'full', 2], ['t5-small', 'lora_qv', 1]]);
    // One choice per model, task and method now.
    store.setLrChoice(1, { model: 'other', task: 'rte', method: 'full', learningRate: 1e-4, validationScore: 0.6, candidates: 3 });
    assert.throws(() => store.setLrChoice(1, { model: 'other', task: 'rte', method: 'full', learningRate: 1e-4, validationScore: 0.6, candidates: 3 }), /UNIQUE|PRIMARY/);
    const id = store.createRun(1, { ...SPEC, modelDir: '/models/other' }, 'seed', 'named');
    assert.equal(store.getRun(id)!.model, 'named');
    assert.equal(store.getRun(store.createRun(1, { ...SPEC, modelDir: '/x/y/t5-large' }))!.model, 't5-large', 'by default the folder names it');
    // Results as migration 6 rebuilt them: a row stored at version 5 keeps its measured training dimensions.
    assert.deepEqual([store.getRun(1)!.result!.peakTensorBytes, store.getRun(1)!.result!.peakRssBytes, store.getRun(1)!.result!.score], [100, 200, 0.7]);
  } finally {
    store.close();
  }
});

test('migration 7 over a database at version 6: an imported run takes its base model\'s name and keeps its null training dimensions', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mig7-')), 'v6.db');
  const old = new Database(file);
  applyMigrations(old, file, MIGRATIONS.slice(0, 6));
  old.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('imported: a', 'now', ?, 'done')`).run(JSON.stringify({ model: '/models/t5-small' }));
  old.prepare(`INSERT INTO runs (experiment_id, task, method, learning_rate, seed, role, spec, status, created_at) VALUES (1, 'rte', 'lora_qv', 0, 0, 'seed', ?, 'done', 'now')`)
    .run(JSON.stringify({ ...SPEC, modelDir: '/models/t5-small', task: 'rte', method: 'lora_qv', learningRate: 0, seed: 0 }));
  old.prepare(`INSERT INTO imported_runs (run_id, source_dir, layout, peft_type, base_model, warnings, imported_at) VALUES (1, '/adapters/a', 'peft', 'LORA', NULL, '[]', 'then')`).run();
  old.prepare(`INSERT INTO results (run_id, total_params, trainable_params, changed_params, storage_bytes, infer_tokens_per_sec_unmerged, metric, score)
    VALUES (1, 10, 2, 2, 8, 3000, 'accuracy', 0.6)`).run();
  old.close();
  const store = Store.open(file);
  try {
    const run = store.getRun(1)!;
    assert.equal(run.model, 't5-small');
    assert.equal(run.imported?.sourceDir, '/adapters/a');
    assert.deepEqual([run.result!.peakTensorBytes, run.result!.trainTokensPerSec, run.result!.validationScore, run.result!.score], [null, null, null, 0.6]);
    assert.deepEqual(summariseCells(store.listRuns({ experimentId: 1 }), store.lrChoices(1)).map((c) => [c.model, c.label, c.score.n]), [['t5-small', 'lora_qv (imported: a)', 1]]);
  } finally {
    store.close();
  }
});

test('migration 6 keeps stored results; an imported run is stored in one transaction with its training dimensions null', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mig6-')), 'old.db');
  const old = new Database(file);
  applyMigrations(old, file, MIGRATIONS.slice(0, 5));
  old.prepare(`INSERT INTO experiments (name, created_at, config, status) VALUES ('e', 'now', '{}', 'done')`).run();
  old.prepare(`INSERT INTO runs (experiment_id, task, method, learning_rate, seed, spec, status, created_at) VALUES (1, 't', 'full', 0.001, 0, '{}', 'done', 'now')`).run();
  old.prepare(`INSERT INTO results (run_id, total_params, trainable_params, changed_params, storage_bytes, peak_tensor_bytes, peak_rss_bytes,
    train_tokens_per_sec, infer_tokens_per_sec_unmerged, metric, score, validation_score, final_loss, train_seconds)
    VALUES (1, 10, 10, 10, 40, 100, 200, 1500, 3000, 'accuracy', 0.75, 0.7, 0.5, 12)`).run();
  old.close();
  const store = Store.open(file);
  try {
    const kept = store.getRun(1)!;
    assert.deepEqual(
      [kept.result!.score, kept.result!.peakTensorBytes, kept.result!.peakRssBytes, kept.result!.trainTokensPerSec, kept.result!.finalLoss, kept.imported],
      [0.75, 100, 200, 1500, 0.5, null],
    );
    const from = { sourceDir: '/adapters/a', layout: 'peft' as const, peftType: 'LORA', baseModel: 'org/m', warnings: ['w'] };
    const result = { ...RESULT, peakTensorBytes: null, peakRssBytes: null, trainTokensPerSec: null, validationScore: null, finalLoss: null, trainSeconds: null };
    const placed: number[] = [];
    const { experimentId, runId } = store.addImportedRun(1, { ...SPEC, learningRate: 0, steps: 0 }, 'base', ENV, from, result, (id) => placed.push(id));
    assert.equal(experimentId, 1);
    assert.deepEqual(placed, [runId]);
    const run = store.getRun(runId)!;
    assert.equal(run.status, 'done');
    assert.equal(run.model, 'base', 'an imported run is on the model it was given');
    assert.deepEqual(run.result, result, 'NULL training dimensions read back as null, not NaN');
    assert.deepEqual({ ...run.imported, importedAt: 'x' }, { ...from, importedAt: 'x' });
    // A failure while placing the files stores nothing, not even the new experiment.
    assert.throws(() => store.addImportedRun({ name: 'new', config: {} }, SPEC, 'base', ENV, from, result, () => { throw new Error('disk full'); }), /disk full/);
    assert.deepEqual(store.listExperiments().map((e) => e.name), ['e']);
    assert.equal(store.listRuns().length, 2);
    const made = store.addImportedRun({ name: 'new', config: { model: '/m' } }, SPEC, 'm', ENV, from, result);
    assert.equal(store.getExperiment(made.experimentId)!.status, 'done');
  } finally {
    store.close();
  }
});
