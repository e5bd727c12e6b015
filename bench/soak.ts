// Soak test of crash recovery: an experiment of many short runs on a tiny model is trained by
// the peft-bench command while this script, at random moments, kills the training worker
// (SIGKILL) or the whole command with its worker (SIGKILL to its process group: the app or the
// machine going down), then starts the command again with `peft-bench resume RUN` until every
// run is done. Before each kill it reads the metric points already committed; at the end every
// one of them must still be there with the same value, and PRAGMA integrity_check must pass
// after every kill.
//
//   node --import tsx bench/soak.ts                    # 12 runs, a kill every 2-8 s
//   node --import tsx bench/soak.ts --seed 3 --min-ms 1000 --max-ms 5000 --kills 40
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { initBackend } from '../src/main/engine/backend';
import { makeRng } from '../src/main/engine/util/rng';
import { makeTinyWorkspace } from '../test/ui/tiny_workspace';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    'min-ms': { type: 'string', default: '2000' },
    'max-ms': { type: 'string', default: '8000' },
    /** Kills at most; after that the runs finish undisturbed. */
    kills: { type: 'string', default: '30' },
    steps: { type: 'string', default: '40' },
  },
});
const BIN = fileURLToPath(new URL('../bin/peft-bench.mjs', import.meta.url));
const rng = makeRng(Number(values.seed));
const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-soak-'));
const db = path.join(dir, 'workbench.db');

type Point = { run_id: number; step: number; name: string; value: number | null };
const committed = new Map<string, number | null>();
const stats = { workerKills: 0, runnerKills: 0, starts: 0, integrityChecks: 0, integrityPassed: 0, pointsChecked: 0, pointsLost: 0, pointsChanged: 0 };

function readDb<T>(fn: (d: Database.Database) => T): T {
  const d = new Database(db, { readonly: true, timeout: 5000 });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

/** Remembers every point committed so far (what a kill must not take away). */
function snapshot(): void {
  if (!existsSync(db)) return;
  const rows = readDb((d) => d.prepare(`SELECT run_id, step, name, value FROM metrics WHERE name IN ('loss', 'lr', 'val_score')`).all() as Point[]);
  for (const r of rows) committed.set(`${r.run_id}/${r.step}/${r.name}`, r.value);
}

function integrity(): void {
  stats.integrityChecks++;
  if (readDb((d) => d.pragma('integrity_check', { simple: true })) === 'ok') stats.integrityPassed++;
}

function start(args: string[]): ChildProcess {
  stats.starts++;
  return spawn(process.execPath, [BIN, ...args, '--db', db], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PEFT_BENCH_HOME: dir },
  });
}

function workerOf(runner: ChildProcess): number | null {
  try {
    const kids = readFileSync(`/proc/${runner.pid}/task/${runner.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

/** Runs the command until it ends or a random kill; true when it ended by itself. */
async function drive(args: string[], killsLeft: () => boolean): Promise<boolean> {
  const runner = start(args);
  let stderr = '';
  runner.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => runner.on('exit', () => r()));
  const min = Number(values['min-ms']), max = Number(values['max-ms']);
  for (;;) {
    const wait = killsLeft() ? min + rng() * (max - min) : Infinity;
    const timer = new Promise<'kill'>((r) => (Number.isFinite(wait) ? setTimeout(() => r('kill'), wait) : undefined));
    if ((await Promise.race([exited.then(() => 'exit' as const), timer])) === 'exit') {
      if (runner.exitCode === 2) throw new Error(`peft-bench ${args.join(' ')} failed:\n${stderr}`);
      return true;
    }
    snapshot();
    const worker = workerOf(runner);
    if (worker && rng() < 0.6) {
      stats.workerKills++;
      process.kill(worker, 'SIGKILL'); // the command marks the run failed and goes on with the queue
      integrity();
      continue;
    }
    stats.runnerKills++;
    process.kill(-runner.pid!, 'SIGKILL'); // the command and its worker, as a crash of the app
    await exited;
    integrity();
    return false;
  }
}

/** The first run of the experiment that still has to train (stopped or queued), or null. */
function nextToResume(): number | null {
  const row = readDb((d) => d.prepare(`SELECT id FROM runs WHERE status != 'done' AND NOT (status = 'failed' AND reason NOT LIKE 'worker killed%' AND reason NOT LIKE 'interrupted%') ORDER BY id LIMIT 1`).get() as { id: number } | undefined);
  return row?.id ?? null;
}

async function main(): Promise<void> {
  await initBackend();
  const ws = makeTinyWorkspace(dir);
  const config = {
    ...ws.config, name: 'soak', methods: ['lora_qv', 'ia3', 'full'], learning_rates: [3e-2, 1e-2], seeds: [0, 1, 2],
    budget: { ...ws.config.budget, steps: Number(values.steps), eval_every: 10, checkpoint_every: 5 },
  };
  const configFile = path.join(dir, 'soak.json');
  writeFileSync(configFile, JSON.stringify(config));
  const maxKills = Number(values.kills);
  const killsLeft = () => stats.workerKills + stats.runnerKills < maxKills;
  const t0 = Date.now();
  await drive(['compare', configFile], killsLeft);
  for (let id = nextToResume(); id !== null; id = nextToResume()) await drive(['resume', String(id)], killsLeft);
  snapshot();
  integrity();
  const final = readDb((d) => ({
    runs: d.prepare(`SELECT status, resumes > 0 AS resumed, COUNT(*) AS n FROM runs GROUP BY status, resumes > 0`).all() as { status: string; resumed: number; n: number }[],
    points: new Map((d.prepare(`SELECT run_id, step, name, value FROM metrics WHERE name IN ('loss', 'lr', 'val_score')`).all() as Point[])
      .map((r) => [`${r.run_id}/${r.step}/${r.name}`, r.value])),
    duplicates: (d.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM metrics GROUP BY run_id, step, name HAVING COUNT(*) > 1)`).get() as { n: number }).n,
    gaps: (d.prepare(`SELECT COUNT(*) AS n FROM runs r WHERE r.status = 'done' AND (SELECT COUNT(DISTINCT step) FROM metrics m WHERE m.run_id = r.id AND m.name = 'loss') != json_extract(r.spec, '$.steps')`).get() as { n: number }).n,
    resumes: (d.prepare(`SELECT COALESCE(SUM(resumes), 0) AS n, SUM(resumes > 0) AS runs FROM runs`).get() as { n: number; runs: number }),
  }));
  for (const [key, value] of committed) {
    stats.pointsChecked++;
    if (!final.points.has(key)) stats.pointsLost++;
    else if (final.points.get(key) !== value) stats.pointsChanged++;
  }
  const done = final.runs.filter((r) => r.status === 'done').reduce((n, r) => n + r.n, 0);
  const report = {
    seed: Number(values.seed), minutes: +((Date.now() - t0) / 60000).toFixed(1),
    runsDone: done, runsTotal: final.runs.reduce((n, r) => n + r.n, 0), runsResumed: final.resumes.runs, resumes: final.resumes.n,
    workerKills: stats.workerKills, commandKills: stats.runnerKills, commandStarts: stats.starts,
    integrityChecksPassed: `${stats.integrityPassed}/${stats.integrityChecks}`,
    committedPointsChecked: stats.pointsChecked, committedPointsLost: stats.pointsLost, committedPointsChanged: stats.pointsChanged,
    duplicateSteps: final.duplicates, doneRunsWithMissingSteps: final.gaps, byStatus: final.runs,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.exitCode = stats.pointsLost || stats.pointsChanged || final.duplicates || final.gaps || stats.integrityPassed !== stats.integrityChecks ? 1 : 0;
}

await main();
