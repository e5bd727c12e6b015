// Text ↔ token ids for T5-family models, over a Hugging Face tokenizer.json, plus a small
// deterministic builder of T5-style Unigram tokenizers for tiny models trained from scratch.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TextTokenizer } from './types';

/** tokenizer.json model types this loader accepts (T5, Flan-T5 and mT5 all use Unigram). */
const SUPPORTED_MODEL_TYPES = ['Unigram'];
const METASPACE = '\u2581';
/** Longest piece, in characters, that the builder considers. */
const MAX_PIECE_CHARS = 16;

type Json = Record<string, unknown>;

function read_json(file: string, need: string): Json {
  if (!existsSync(file)) throw new Error(`${file} is missing: ${need}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file} must hold a JSON object`);
  return json as Json;
}

function read_optional_json(file: string): Json {
  return existsSync(file) ? read_json(file, '') : {};
}

/** A special token as written in tokenizer_config.json: a string or {content: string}. */
function token_text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return undefined;
}

function model_type(json: Json, file: string): string {
  const model = json.model as Json | undefined;
  if (model === undefined || model === null || typeof model !== 'object') throw new Error(`${file} has no "model" section`);
  if (typeof model.type === 'string') return model.type;
  return Array.isArray(model.vocab) ? 'Unigram' : 'unknown';
}

/** The special token `field` as the configs name it (tokenizer_config.json first), else `fallback`. */
function config_token(configs: Json[], field: string, fallback: string): string {
  return configs.map((c) => token_text(c[field])).find((t) => t !== undefined) ?? fallback;
}

function token_id(tokenizer: Tokenizer, text: string, field: string, file: string): number {
  const id = tokenizer.token_to_id(text);
  if (id === undefined) {
    throw new Error(`${file} has no token "${text}" for ${field}; set ${field} in tokenizer_config.json to a token of the vocabulary`);
  }
  return id;
}

/**
 * Loads `dir/tokenizer.json` (with tokenizer_config.json and special_tokens_map.json when
 * present, for the pad and eos tokens). decode() drops special tokens. encode() skips the
 * file's post-processor (T5's appends `</s>`) and adds eos itself unless the text already
 * ends with it, as T5Tokenizer does, so ids always end with exactly one eos.
 */
export function loadTokenizer(dir: string): TextTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  const json = read_json(file, 'a model folder needs the tokenizer.json of its Hugging Face repository (the "fast" tokenizer file)');
  const type = model_type(json, file);
  if (!SUPPORTED_MODEL_TYPES.includes(type)) {
    throw new Error(`${file}: tokenizer model type "${type}" is not supported; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const configs = [read_optional_json(path.join(dir, 'tokenizer_config.json')), read_optional_json(path.join(dir, 'special_tokens_map.json'))];
  const eosText = config_token(configs, 'eos_token', '</s>');
  // Without an explicit setting, decode exactly as tokenizer.json says (no space clean-up).
  const cleanUp = configs[0].clean_up_tokenization_spaces === true;
  const tokenizer = new Tokenizer({ added_tokens: [], ...json }, { eos_token: eosText, clean_up_tokenization_spaces: cleanUp });
  const eosId = token_id(tokenizer, eosText, 'eos_token', file);
  const padId = token_id(tokenizer, config_token(configs, 'pad_token', '<pad>'), 'pad_token', file);
  let vocabSize = 0;
  for (const id of tokenizer.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1);
  return {
    vocabSize,
    padId,
    eosId,
    encode(text: string): number[] {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      if (ids[ids.length - 1] !== eosId) ids.push(eosId);
      return ids;
    },
    decode(ids: number[]): string {
      if (ids.length === 0) return '';
      return tokenizer.decode(ids, { skip_special_tokens: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// Building a tokenizer from a corpus

/** What the built tokenizer's normalizer does: NFKC, trailing whitespace dropped, runs of spaces made one. */
function normalise(text: string): string {
  return text.normalize('NFKC').trimEnd().replace(/ {2,}/g, ' ');
}

/** Word counts after Metaspace pre-tokenisation: every word starts with ▁. */
function count_words(texts: string[]): Map<string, number> {
  const words = new Map<string, number>();
  for (const text of texts) {
    const n = normalise(text);
    if (n === '') continue;
    let spaced = n.replaceAll(' ', METASPACE);
    if (!spaced.startsWith(METASPACE)) spaced = METASPACE + spaced;
    for (const word of spaced.match(/\u2581[^\u2581]*/gu) ?? []) words.set(word, (words.get(word) ?? 0) + 1);
  }
  return words;
}

/** Occurrences of every substring of 1..MAX_PIECE_CHARS characters inside words (▁ only first). */
function count_substrings(words: Map<string, number>): { chars: Map<string, number>; pieces: Map<string, number> } {
  const chars = new Map<string, number>();
  const pieces = new Map<string, number>();
  for (const [word, count] of words) {
    const cps = Array.from(word);
    for (let i = 0; i < cps.length; i++) {
      chars.set(cps[i], (chars.get(cps[i]) ?? 0) + count);
      for (let len = 2; len <= Math.min(MAX_PIECE_CHARS, cps.length - i); len++) {
        const piece = cps.slice(i, i + len).join('');
        pieces.set(piece, (pieces.get(piece) ?? 0) + count);
      }
    }
  }
  return { chars, pieces };
}

const by_count_then_text = (a: [string, number], b: [string, number]): number =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Chosen pieces with their counts: all characters, then frequent words, then frequent substrings. */
function choose_pieces(texts: string[], vocabSize: number, reserved: number): [string, number][] {
  const words = count_words(texts);
  const { chars, pieces } = count_substrings(words);
  const budget = vocabSize - reserved;
  if (chars.size > budget) {
    throw new Error(
      `vocabSize ${vocabSize} is too small: the corpus has ${chars.size} distinct characters, so vocabSize must be at least ${chars.size + reserved}`,
    );
  }
  const chosen = [...chars].sort(by_count_then_text);
  const taken = new Set(chosen.map(([p]) => p));
  const take = (piece: string): void => {
    chosen.push([piece, pieces.get(piece) as number]);
    taken.add(piece);
  };
  const wordBudget = chosen.length + Math.ceil((budget - chosen.length) / 2);
  const frequentWords = [...words].filter(([w, c]) => c >= 2 && Array.from(w).length >= 2 && pieces.has(w)).sort(by_count_then_text);
  for (const [word] of frequentWords) {
    if (chosen.length >= wordBudget) break;
    take(word);
  }
  // Rank substrings by the characters they would save: count × (length − 1).
  const ranked = [...pieces]
    .filter(([p, c]) => c >= 2 && !taken.has(p))
    .map(([p, c]): [string, number] => [p, c * (Array.from(p).length - 1)])
    .sort(by_count_then_text);
  for (const [piece] of ranked) {
    if (chosen.length >= budget) break;
    take(piece);
  }
  return chosen;
}

function special_token(id: number, content: string): Json {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * A T5-style tokenizer.json object (Unigram model, `<pad>`=0, `</s>`=1, `<unk>`=2, Metaspace
 * pre-tokenizer and decoder, `</s>` appended by the post-processor) built from `texts`: every
 * character seen, then the most frequent whole words and substrings, up to `vocabSize`
 * pieces, scored by log relative frequency. The same input gives byte-identical JSON.
 */
export function buildUnigramTokenizer(texts: string[], opts: { vocabSize: number }): object {
  const { vocabSize } = opts;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 4) throw new Error(`vocabSize must be an integer of at least 4, got ${vocabSize}`);
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new Error('texts must be an array of strings');
  const specials = ['<pad>', '</s>', '<unk>'];
  const chosen = choose_pieces(texts, vocabSize, specials.length);
  const total = chosen.reduce((sum, [, count]) => sum + count, 0);
  const vocab: [string, number][] = [
    ...specials.map((s): [string, number] => [s, 0]),
    ...chosen.map(([piece, count]): [string, number] => [piece, Math.log(count / total)]),
  ];
  const metaspace = { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true };
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => special_token(i, s)),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Strip', strip_left: false, strip_right: true },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
      ],
    },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, eos],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, eos, { Sequence: { id: 'B', type_id: 0 } }, eos],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
}
