// Small tokenizer.json files in the styles of the decoder families, built from a hand-written merge
// list, and an independent reference encoder (the textbook BPE loop) to check the loader against.
//
//   byte-level (LLaMA-3, Qwen2, SmolLM/GPT-2): ids 0..255 are the 256 bytes in GPT-2's printable
//     mapping, in byte order; the merges follow; then the special tokens.
//   SentencePiece style (LLaMA-2, Mistral): <unk> <s> </s>, the 256 byte-fallback pieces
//     <0x00>..<0xFF>, single characters, then the merges.

export type Merge = [string, string];

/** GPT-2's byte → printable character map, written from its definition. */
export function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep(b) ? b : 256 + extra++));
  return out;
}

/** The regular expressions of the byte-level families' pre-tokenizers (tokenizer.json's Split patterns). */
export const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

export type ByteLevelStyle = 'llama3' | 'qwen2' | 'gpt2';

function added(id: number, content: string): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function template(bos: string, bosId: number): object {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
  };
}

/** A byte-level BPE tokenizer.json: LLaMA-3 (Split + ByteLevel, bos template), Qwen2 (single digits), GPT-2/SmolLM. */
export function byteLevelTokenizer(style: ByteLevelStyle, merges: Merge[], specials: string[]): object {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((c, i) => { vocab[c] = i; });
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  const split = style === 'llama3' ? LLAMA3_SPLIT : QWEN2_SPLIT;
  const preTokenizer = style === 'gpt2'
    ? { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
    : {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((s, i) => added(first + i, s)),
    normalizer: style === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: preTokenizer,
    post_processor: style === 'llama3' ? template(specials[0], first) : byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: style === 'llama3', vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A LLaMA-2 style tokenizer.json: ▁ for spaces, BPE with byte fallback, `<s>` in front. */
export function sentencePieceTokenizer(chars: string[], merges: Merge[]): object {
  const specials = ['<unk>', '<s>', '</s>'];
  const pieces = [...specials, ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), ...chars, ...merges.map(([a, b]) => a + b)];
  const vocab = Object.fromEntries(pieces.map((p, i) => [p, i]));
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((s, i) => added(i, s)),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: template('<s>', 1),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** The textbook BPE loop: merge the adjacent pair of lowest rank everywhere, until none is left. */
export function referenceBpe(symbols: string[], merges: Merge[]): string[] {
  const rank = new Map(merges.map(([a, b], i) => [`${a}\u0000${b}`, i]));
  let word = symbols.slice();
  for (;;) {
    let best = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = rank.get(`${word[i]}\u0000${word[i + 1]}`);
      if (r !== undefined && (best < 0 || r < best)) best = r;
    }
    if (best < 0) return word;
    const [a, b] = merges[best];
    const next: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
        next.push(a + b);
        i++;
      } else next.push(word[i]);
    }
    word = next;
  }
}

/** Reference ids of `text` under byteLevelTokenizer(style, merges, …), no special tokens. */
export function referenceByteLevel(text: string, style: ByteLevelStyle, merges: Merge[]): number[] {
  const map = bytesToUnicode();
  const vocab = new Map<string, number>(map.map((c, i) => [c, i]));
  for (const [a, b] of merges) vocab.set(a + b, vocab.size);
  const pattern = style === 'gpt2' ? GPT2_SPLIT : (style === 'llama3' ? LLAMA3_SPLIT : QWEN2_SPLIT).replace('(?i:', '(?:');
  const words = text.normalize(style === 'qwen2' ? 'NFC' : undefined).match(new RegExp(pattern, 'gu')) ?? [];
  return words.flatMap((w) => {
    const chars = Array.from(new TextEncoder().encode(w), (b) => map[b]);
    if (style === 'llama3' && vocab.has(chars.join(''))) return [vocab.get(chars.join(''))!]; // ignore_merges
    return referenceBpe(chars, merges).map((p) => vocab.get(p)!);
  });
}
