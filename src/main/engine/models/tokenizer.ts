// Text ↔ token ids for every family (Unigram, BPE and WordPiece tokenizer.json files), plus a small
// deterministic builder of T5-style Unigram tokenizers for tiny models trained from scratch.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BYT5_CLASS, byteTokenizer } from './byte_tokenizer';
import type { TextTokenizer } from './types';

/**
 * tokenizer.json model types this loader accepts: Unigram (T5, Flan-T5, mT5), BPE (byte-level
 * LLaMA-3, Qwen2, SmolLM, RoBERTa; SentencePiece-style LLaMA-2 and Mistral with byte fallback)
 * and WordPiece (BERT).
 */
export const SUPPORTED_TOKENIZER_MODELS = ['Unigram', 'BPE', 'WordPiece'];
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
  if (Array.isArray(model.vocab)) return 'Unigram';
  if (model.merges !== undefined) return 'BPE';
  return 'unknown';
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

/** The special ids of a decoder-only model, from its config.json (see loadTokenizer). */
export interface DecoderSpecials {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number;
}

interface Opened {
  tokenizer: Tokenizer;
  json: Json;
  configs: Json[];
  file: string;
}

function open_tokenizer(dir: string): Opened {
  const file = path.join(dir, 'tokenizer.json');
  const json = read_json(file, 'a model folder needs the tokenizer.json of its Hugging Face repository (the "fast" tokenizer file; ByT5 needs none, its tokenizer_config.json names ByT5Tokenizer)');
  const type = model_type(json, file);
  if (!SUPPORTED_TOKENIZER_MODELS.includes(type)) {
    throw new Error(`${file}: tokenizer model type "${type}" is not supported; supported: ${SUPPORTED_TOKENIZER_MODELS.join(', ')}`);
  }
  const configs = [read_optional_json(path.join(dir, 'tokenizer_config.json')), read_optional_json(path.join(dir, 'special_tokens_map.json'))];
  // Without an explicit setting, decode exactly as tokenizer.json says (no space clean-up).
  const cleanUp = configs[0].clean_up_tokenization_spaces === true;
  const eosText = config_token(configs, 'eos_token', '</s>');
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer({ added_tokens: [], ...json }, { eos_token: eosText, clean_up_tokenization_spaces: cleanUp });
  } catch (err) {
    throw new Error(`${file}: cannot build the tokenizer (${(err as Error).message}); re-save it with a recent tokenizers release`);
  }
  return { tokenizer, json, configs, file };
}

function vocab_size(tokenizer: Tokenizer): number {
  let size = 0;
  for (const id of tokenizer.get_vocab(true).values()) size = Math.max(size, id + 1);
  return size;
}

/**
 * Whether a decoder's prompt starts with bos: when config.json has a bos_token_id and the
 * tokenizer adds it, as its `add_bos_token` says or, without one, as its post-processor does
 * (LLaMA 2/3 add it; Qwen2 and SmolLM, whose post-processor is ByteLevel, do not).
 */
function adds_bos({ tokenizer, json, configs }: Opened, bos: number | null): boolean {
  if (bos === null) return false;
  if (typeof configs[0].add_bos_token === 'boolean') return configs[0].add_bos_token;
  if (json.post_processor === null || json.post_processor === undefined) return false;
  return tokenizer.encode('a', { add_special_tokens: true }).ids[0] === bos;
}

/** The eos a decoder's targets end with: the tokenizer's eos_token if config.json lists it, else the first listed. */
function decoder_eos(opened: Opened, specials: DecoderSpecials): number {
  if (specials.eosTokenIds.length === 0) {
    throw new Error(`${opened.file}: config.json has no eos_token_id; a decoder needs one to end its answers`);
  }
  const text = config_token(opened.configs, 'eos_token', '');
  const id = text === '' ? undefined : opened.tokenizer.token_to_id(text);
  return id !== undefined && specials.eosTokenIds.includes(id) ? id : specials.eosTokenIds[0];
}

/** ByT5's byte tokenizer where the folder has no tokenizer.json and tokenizer_config.json names ByT5Tokenizer. */
function byt5_of(dir: string): TextTokenizer | null {
  if (existsSync(path.join(dir, 'tokenizer.json'))) return null;
  const config = read_optional_json(path.join(dir, 'tokenizer_config.json'));
  if (config.tokenizer_class !== BYT5_CLASS) return null;
  const extra = config.extra_ids ?? 125;
  if (typeof extra !== 'number') throw new Error(`${path.join(dir, 'tokenizer_config.json')}: extra_ids must be a number, got ${JSON.stringify(extra)}`);
  return byteTokenizer(extra);
}

/**
 * Loads `dir/tokenizer.json` (with tokenizer_config.json and special_tokens_map.json when
 * present). decode() drops special tokens; encodeText() adds none. For T5 (no `decoder`
 * argument) pad and eos come from the tokenizer's configs and encode() appends eos unless the
 * text already ends with it, as T5Tokenizer does. For a decoder-only model, pad, eos and bos are
 * config.json's ids (`decoder`), encode() is encodeText() followed by eos, and bosId is set
 * when the prompt starts with bos (see adds_bos).
 */
export function loadTokenizer(dir: string, decoder?: DecoderSpecials): TextTokenizer {
  const byt5 = byt5_of(dir);
  if (byt5 !== null) return byt5;
  const opened = open_tokenizer(dir);
  const { tokenizer, configs, file } = opened;
  const vocabSize = vocab_size(tokenizer);
  const eosId = decoder ? decoder_eos(opened, decoder) : token_id(tokenizer, config_token(configs, 'eos_token', '</s>'), 'eos_token', file);
  const padId = decoder ? decoder.padTokenId : token_id(tokenizer, config_token(configs, 'pad_token', '<pad>'), 'pad_token', file);
  const bosId = decoder && adds_bos(opened, decoder.bosTokenId) ? decoder.bosTokenId : null;
  const { encodeText, decode } = text_api(tokenizer);
  return {
    vocabSize,
    padId,
    eosId,
    bosId,
    encodeText,
    encode(text: string): number[] {
      const ids = encodeText(text);
      if (decoder || ids[ids.length - 1] !== eosId) ids.push(eosId);
      return ids;
    },
    decode,
  };
}

/**
 * An encoder's tokenizer (BERT's WordPiece, RoBERTa's byte-level BPE): encode() adds what the
 * checkpoint's post_processor adds — [CLS] … [SEP] or <s> … </s> — and eosId is the token it puts
 * last, which truncation keeps last; pad is config.json's pad_token_id.
 */
export function loadEncoderTokenizer(dir: string, padTokenId: number): TextTokenizer {
  const { tokenizer, file } = open_tokenizer(dir);
  const plain = tokenizer.encode('a', { add_special_tokens: false }).ids;
  const full = tokenizer.encode('a', { add_special_tokens: true }).ids;
  if (full.length < plain.length + 2) {
    throw new Error(`${file}: its post_processor does not put [CLS]/[SEP] (or <s>/</s>) around the text; an encoder classifies from its first token, so use the checkpoint's own tokenizer.json`);
  }
  return {
    vocabSize: vocab_size(tokenizer),
    padId: padTokenId,
    eosId: full[full.length - 1],
    bosId: null,
    ...text_api(tokenizer),
    encode: (text: string) => tokenizer.encode(text, { add_special_tokens: true }).ids,
  };
}

/** Ids of the text alone, and text of ids with special tokens skipped. */
function text_api(tokenizer: Tokenizer): Pick<TextTokenizer, 'encodeText' | 'decode'> {
  return {
    encodeText: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decode: (ids: number[]) => (ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: true })),
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
