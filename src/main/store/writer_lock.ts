// One writer per database: the first process that writes takes `<db>.writer.lock`; a second
// process that tries to write (the app and the CLI on one database) gets a clear message
// instead of interleaved runs. Readers never take the lock. A lock whose process is gone
// (crash, kill -9) is taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface WriterLock {
  readonly file: string;
  release(): void;
}

export function acquireWriterLock(dbFile: string): WriterLock {
  const file = `${dbFile}.writer.lock`;
  const mine: LockInfo = {
    pid: process.pid, host: os.hostname(), command: process.argv.slice(1).join(' ').slice(0, 200), since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(mine));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return { file, release: () => release(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`cannot create the writer lock ${file}: ${(err as Error).message}`);
      }
    }
    const holder = read_lock(file);
    if (holder && holder.pid === process.pid && holder.host === mine.host) {
      throw new Error(`${dbFile} is already open for writing in this process; share one Store`);
    }
    if (holder && is_alive(holder)) {
      throw new Error(
        `${dbFile} is being written by another process (pid ${holder.pid}${holder.command ? `, "${holder.command}"` : ''}, since ${holder.since}); ` +
          'wait for it to finish or close it, or choose another database with --db',
      );
    }
    fs.rmSync(file, { force: true }); // stale: its process is gone, or the file is unreadable
  }
  throw new Error(`cannot take the writer lock ${file}: another process keeps taking it; try again`);
}

function read_lock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof info.pid !== 'number' || typeof info.host !== 'string') return null;
    return { pid: info.pid, host: info.host, command: String(info.command ?? ''), since: String(info.since ?? '?') };
  } catch {
    return null; // half-written by a process killed while creating it: stale
  }
}

/** A lock from another host is assumed alive: we cannot see its processes. */
function is_alive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(file: string): void {
  const holder = read_lock(file);
  if (holder && holder.pid === process.pid && holder.host === os.hostname()) fs.rmSync(file, { force: true });
}
