// The store under kill -9: a writer killed at random points loses at most the batch it was
// writing, never a committed one, and the database stays intact; a second writer process is
// refused with a clear message while the first lives, and takes over once it is gone.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '../src/main/store/store';
import { makeRng } from '../src/main/engine/util/rng';

const CHILD = path.join(import.meta.dirname, 'children', 'store_writer.ts');
const BATCH = 50;

function start_writer(db: string, mode = 'write'): { child: ChildProcess; lines: string[]; ready: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffer = '';
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('run ')) resolve(Number(line.slice(4)));
      }
    });
    child.on('exit', (code) => reject(new Error(`writer exited with ${code} before starting`)));
  });
  return { child, lines, ready };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));

describe('store durability', () => {
  it('kill -9 during heavy writing never loses a committed batch nor corrupts the database', { timeout: 90_000 }, async () => {
    const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'peft-kill-')), 'workbench.db');
    const rng = makeRng(5);
    const acknowledged = new Map<number, number>();
    for (let round = 0; round < 6; round++) {
      const { child, lines, ready } = start_writer(db);
      const runId = await ready;
      await sleep(100 + rng() * 400);
      child.kill('SIGKILL');
      await exited(child);
      const committed = lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.slice(10)));
      acknowledged.set(runId, committed.length ? committed[committed.length - 1] : 0);
    }
    const check = new Database(db, { readonly: true });
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      check.close();
    }
    const store = Store.open(db);
    try {
      let total = 0;
      for (const [runId, acked] of acknowledged) {
        const stored = store.metrics(runId).length;
        total += stored;
        assert.ok(stored >= acked, `run ${runId}: ${stored} points stored but ${acked} were acknowledged as committed`);
        assert.equal(stored % BATCH, 0, `run ${runId}: a batch was half-written (${stored} points)`);
        assert.ok(stored - acked <= BATCH, `run ${runId}: more than the batch in flight appeared (${stored} vs ${acked})`);
      }
      assert.ok(total > 0, 'the writers committed something before being killed');
      // The stale lock of the last killed writer was taken over: this process can write.
      store.createExperiment('after the kills', {});
    } finally {
      store.close();
    }
  });

  it('a second writer process gets a clear message, readers are never refused, and a dead writer is taken over', { timeout: 30_000 }, async () => {
    const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'peft-lock-')), 'workbench.db');
    const { child, ready } = start_writer(db, 'hold');
    await ready;
    const store = Store.open(db);
    try {
      assert.equal(store.listExperiments().length, 1, 'reading while another process writes');
      assert.throws(() => store.createExperiment('second writer', {}), (err: Error) => {
        assert.match(err.message, new RegExp(`being written by another process \\(pid ${child.pid}`));
        assert.match(err.message, /--db/);
        return true;
      });
      assert.equal(store.listExperiments().length, 1, 'the refused write changed nothing');
      child.kill('SIGKILL');
      await exited(child);
      store.createExperiment('second writer', {});
      assert.equal(store.listExperiments().length, 2);
    } finally {
      store.close();
      child.kill('SIGKILL');
    }
    assert.ok(!fs.existsSync(`${db}.writer.lock`), 'close() releases the lock');
  });
});
