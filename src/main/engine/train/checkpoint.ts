// Checkpoint folders written atomically: every file goes to a temporary folder and is fsynced,
// the manifest (sizes and SHA-256 of every file) is written last, the folder is renamed into
// place and its parent fsynced. A crash at any point leaves the previous checkpoint valid; a
// folder whose manifest is missing or does not match its files is skipped when reading.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import path from 'node:path';

export const MANIFEST = 'manifest.json';
const FORMAT = 'peft-bench-checkpoint';
const VERSION = 1;
const FOLDER = /^step-(\d{8})$/;
const TEMP = /^\.tmp-step-/;

export interface CheckpointFile {
  name: string;
  data: Buffer;
}

export interface WriteOptions {
  /** Complete checkpoints kept (the newest); older ones are removed after the new one is in place. */
  keep?: number;
  /** Called after each data file is on disk; tests throw here to simulate a crash mid-write. */
  afterFile?: (name: string) => void;
}

export interface LoadedCheckpoint {
  step: number;
  dir: string;
  files: Map<string, Buffer>;
  /** Newer folders that were not valid, with why (a crash mid-write, a damaged file). */
  skipped: string[];
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  createdAt: string;
  files: { name: string; bytes: number; sha256: string }[];
}

/** Where the checkpoints of a run with artifacts folder `artifactsDir` live. */
export function checkpointDir(artifactsDir: string): string {
  return path.join(artifactsDir, 'checkpoints');
}

export function checkpointFolderName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Writes `files` as the checkpoint of update `step` under `root`; returns its folder. */
export function writeCheckpoint(root: string, step: number, files: CheckpointFile[], opts: WriteOptions = {}): string {
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint step must be an integer ≥ 0, got ${step}`);
  if (files.some((f) => f.name === MANIFEST || f.name.includes('/') || f.name.includes(path.sep))) {
    throw new Error(`checkpoint file names must be plain and not "${MANIFEST}"`);
  }
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, checkpointFolderName(step));
  const tmp = path.join(root, `.tmp-${checkpointFolderName(step)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const manifest: Manifest = { format: FORMAT, version: VERSION, step, createdAt: new Date().toISOString(), files: [] };
  for (const f of files) {
    writeDurably(path.join(tmp, f.name), f.data);
    manifest.files.push({ name: f.name, bytes: f.data.length, sha256: sha256(f.data) });
    opts.afterFile?.(f.name);
  }
  writeDurably(path.join(tmp, MANIFEST), Buffer.from(JSON.stringify(manifest, null, 1)));
  fsyncDir(tmp);
  // A folder of this step left by an earlier attempt (damaged, or from a run resumed before it) is replaced.
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  fsyncDir(root);
  prune(root, step, opts.keep ?? 2);
  return final;
}

/** The newest valid checkpoint under `root`, or null when there is none. */
export function readLatestCheckpoint(root: string): LoadedCheckpoint | null {
  const skipped: string[] = [];
  for (const { step, dir } of listCheckpoints(root).reverse()) {
    try {
      return { step, dir, files: readVerified(dir, step), skipped };
    } catch (err) {
      skipped.push(`${dir}: ${(err as Error).message}`);
    }
  }
  return null;
}

/** Complete-looking checkpoint folders under `root` (not yet verified), oldest first. */
export function listCheckpoints(root: string): { step: number; dir: string }[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root)
    .map((name) => ({ m: FOLDER.exec(name), name }))
    .filter((e) => e.m !== null)
    .map((e) => ({ step: Number(e.m![1]), dir: path.join(root, e.name) }))
    .sort((a, b) => a.step - b.step);
}

function readVerified(dir: string, step: number): Map<string, Buffer> {
  const manifestFile = path.join(dir, MANIFEST);
  if (!fs.existsSync(manifestFile)) throw new Error(`no ${MANIFEST} (the write did not finish)`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (err) {
    throw new Error(`${MANIFEST} is not valid JSON (${(err as Error).message})`);
  }
  if (manifest?.format !== FORMAT || manifest.version !== VERSION || !Array.isArray(manifest.files)) {
    throw new Error(`${MANIFEST} is not a version ${VERSION} ${FORMAT} manifest`);
  }
  if (manifest.step !== step) throw new Error(`${MANIFEST} says step ${manifest.step}, the folder name says ${step}`);
  const files = new Map<string, Buffer>();
  for (const f of manifest.files) {
    const file = path.join(dir, path.basename(String(f.name)));
    if (!fs.existsSync(file)) throw new Error(`${f.name} is missing`);
    const data = fs.readFileSync(file);
    if (data.length !== f.bytes) throw new Error(`${f.name} has ${data.length} bytes, the manifest says ${f.bytes}`);
    if (sha256(data) !== f.sha256) throw new Error(`${f.name} does not match its SHA-256 in the manifest (damaged)`);
    files.set(f.name, data);
  }
  return files;
}

/** Keeps the `keep` newest checkpoints at or before `step`; removes the rest and stale temporary folders. */
function prune(root: string, step: number, keep: number): void {
  const all = listCheckpoints(root);
  const kept = new Set(all.filter((c) => c.step <= step).slice(-Math.max(1, keep)).map((c) => c.dir));
  for (const c of all) if (!kept.has(c.dir)) fs.rmSync(c.dir, { recursive: true, force: true });
  for (const name of fs.readdirSync(root)) if (TEMP.test(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function writeDurably(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a rename or a new entry in `dir` durable. Windows cannot open a folder for fsync; NTFS journals it. */
function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
