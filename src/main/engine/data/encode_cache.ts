// Tokenised training sets, cached on disk by content: every run of a comparison that trains on
// the same task with the same tokenizer and lengths reads the ids instead of tokenising again
// (the sotu_era training split takes ~10 s to tokenise on one core). The key hashes the
// tokenizer's files, the lengths, the layout and every example's text, so a changed file or
// option is simply a different entry. The cache is a help, never a source of truth: an entry
// that cannot be read or does not match is recomputed, and a failed write is ignored.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EncodedExample } from './batching';

const VERSION = 'encoded-v1';

/** A fingerprint of what decides the ids: the tokenizer's files in a model folder. */
export function tokenizerFingerprint(modelDir: string): string {
  const h = createHash('sha256');
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) {
    const file = path.join(modelDir, f);
    h.update(`${f}\0`);
    if (existsSync(file)) h.update(readFileSync(file));
  }
  return h.digest('hex');
}

export interface EncodeKey {
  tokenizer: string;
  maxInput: number;
  maxTarget: number;
  layout: string;
}

/** `encode()`'s result for `texts`, read from `dir` when cached there, else computed and stored. */
export function cachedEncode(
  dir: string, key: EncodeKey, texts: { input: string; target: string }[], encode: () => EncodedExample[],
): EncodedExample[] {
  const h = createHash('sha256').update(`${VERSION}\0${key.tokenizer}\0${key.maxInput}\0${key.maxTarget}\0${key.layout}\0`);
  for (const t of texts) h.update(`${t.input}\0${t.target}\0`);
  const file = path.join(dir, `${h.digest('hex')}.json`);
  const hit = read(file, texts.length);
  if (hit) return hit;
  const encoded = encode();
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(encoded));
    renameSync(tmp, file); // whole or absent: two workers writing the same entry both succeed
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was written
    }
  }
  return encoded;
}

function read(file: string, count: number): EncodedExample[] | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const ids = (x: unknown) => Array.isArray(x) && x.length > 0 && x.every((v) => Number.isInteger(v) && v >= 0);
    if (!Array.isArray(data) || data.length !== count) return null;
    for (const ex of data as { input?: unknown; target?: unknown }[]) if (!ids(ex?.input) || !ids(ex?.target)) return null;
    return data as EncodedExample[];
  } catch {
    return null;
  }
}
