// The one rule that fixes every built-in task's train/validation/test split, and keeps the
// text of validation and test examples out of anything pretrained for the default model.
// An example (or a group of examples that must stay together, such as the paragraphs of one
// speech) has a stable key; the first 8 hex digits of the MD5 of that key, mod 10, pick its
// split: 0 → test, 1 → validation, 2–9 → train.
import { createHash } from 'node:crypto';

export type SplitName = 'train' | 'validation' | 'test';

/** Split of an item whose MD5 (hex) is already known, such as a corpus checksum. */
export function splitOfMd5(md5Hex: string): SplitName {
  if (!/^[0-9a-f]{8}/i.test(md5Hex)) throw new Error(`splitOfMd5: "${md5Hex}" is not a hex MD5 digest`);
  const bucket = parseInt(md5Hex.slice(0, 8), 16) % 10;
  return bucket === 0 ? 'test' : bucket === 1 ? 'validation' : 'train';
}

/** Split of an item identified by `key` (for example `sotu:1961:John F. Kennedy`). */
export function splitOfKey(key: string): SplitName {
  return splitOfMd5(createHash('md5').update(key, 'utf8').digest('hex'));
}
