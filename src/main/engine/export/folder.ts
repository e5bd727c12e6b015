// The output folder of an export, written all or nothing: every file goes into a staging folder
// next to the destination, and only a verified export is renamed to the final name. A failure
// (a full disk, a verification that does not pass) removes the staging folder, so nothing
// half-written is ever left under the name the user asked for.
import * as fs from 'node:fs';
import path from 'node:path';

/** Refuses a destination that exists and is not an empty folder (unless `force`), or cannot be created. */
export function checkDestination(out: string, force: boolean): void {
  const dest = path.resolve(out);
  if (fs.existsSync(dest)) {
    if (!fs.statSync(dest).isDirectory()) throw new Error(`--out ${out} is a file, not a folder; choose a folder path`);
    const entries = fs.readdirSync(dest);
    if (entries.length && !force) {
      throw new Error(`--out ${out} exists and is not empty (${entries.length} entries); choose an empty or new folder, or pass --force to replace it`);
    }
  }
  const parent = nearestExisting(path.dirname(dest));
  if (!fs.statSync(parent).isDirectory()) throw new Error(`--out ${out}: ${parent} is a file, so no folder can be made under it`);
  try {
    fs.accessSync(parent, fs.constants.W_OK);
  } catch {
    throw new Error(`--out ${out}: ${parent} is not writable; choose a folder you can write to`);
  }
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** A fresh staging folder beside `out` (same file system, so the final rename is atomic). */
export function makeStaging(out: string): string {
  const dest = path.resolve(out);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  return fs.mkdtempSync(path.join(path.dirname(dest), `.${path.basename(dest)}.partial-`));
}

/** Moves the staging folder to `out`, replacing an empty folder, or (with force) an old export. */
export function commitStaging(staging: string, out: string): void {
  const dest = path.resolve(out);
  let old: string | null = null;
  if (fs.existsSync(dest)) {
    if (fs.readdirSync(dest).length === 0) fs.rmdirSync(dest);
    else {
      old = `${staging}.old`;
      fs.renameSync(dest, old);
    }
  }
  try {
    fs.renameSync(staging, dest);
  } catch (err) {
    if (old) fs.renameSync(old, dest); // put the previous export back
    throw err;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

export function removeStaging(staging: string): void {
  fs.rmSync(staging, { recursive: true, force: true });
}

/** An error from writing, reworded when the disk is full. */
export function writeError(err: unknown, out: string): Error {
  const code = (err as { code?: string }).code;
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'ENOSPC') return new Error(`export to ${out} failed: the disk is full (${msg}); nothing was written under ${out}, free some space and run it again`);
  if (code === 'EDQUOT') return new Error(`export to ${out} failed: disk quota exceeded (${msg}); nothing was written under ${out}`);
  return new Error(`export to ${out} failed: ${msg}; nothing was written under ${out}`);
}
