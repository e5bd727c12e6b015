// Small tokenizer.json files in the encoder families' styles, and an independent reference WordPiece
// encoder (BERT's basic tokenizer, then greedy longest-match-first) to check the loader against.
//
//   BERT (bert-base-uncased): BertNormalizer (lower case, accents stripped), BertPreTokenizer,
//     WordPiece with ## continuations, [CLS] A [SEP] by a TemplateProcessing post-processor.
//   RoBERTa (roberta-base): byte-level BPE (GPT-2's), <s> A </s> by a RobertaProcessing post-processor.
import { byteLevelTokenizer, type Merge } from './bpe_fixtures';

export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
/** Vocabulary after the specials (ids 5…): words, ## continuations, punctuation, single letters. */
export const BERT_WORDS = [
  'the', 'cat', 'sat', 'on', 'mat', 'un', '##aff', '##able', 'play', '##ing', '##s', 'cafe', ',', '.', '!', "'",
  'a', 'b', 'c', 'd', 'e', 'h', 'i', 'l', 'o', 'p', 'q', 's', 't', 'x', 'y', '##a', '##e', '##t', '##x', '##y',
];

function added(id: number, content: string): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export function bertTokenizer(): object {
  const vocab = Object.fromEntries([...BERT_SPECIALS, ...BERT_WORDS].map((t, i) => [t, i]));
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: BERT_SPECIALS.map((t, i) => added(i, t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** RoBERTa's layout on a small byte-level merge list: <s> <pad> </s> <unk> after the bytes and merges. */
export function robertaTokenizer(merges: Merge[]): { json: object; ids: Record<string, number> } {
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const json = byteLevelTokenizer('gpt2', merges, specials) as Record<string, unknown>;
  const first = 256 + merges.length;
  const ids = Object.fromEntries(specials.map((s, i) => [s, first + i]));
  json.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  json.post_processor = { type: 'RobertaProcessing', sep: ['</s>', ids['</s>']], cls: ['<s>', ids['<s>']], trim_offsets: true, add_prefix_space: false };
  return { json, ids };
}

const isPunctuation = (ch: string) => /[!-/:-@[-`{-~]/.test(ch) || /\p{P}/u.test(ch);

/** BERT's BasicTokenizer (lower case, accents stripped, punctuation split off), then WordPiece. */
export function referenceWordPiece(text: string): number[] {
  const vocab = new Map([...BERT_SPECIALS, ...BERT_WORDS].map((t, i) => [t, i]));
  const plain = text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
  const words: string[] = [];
  for (const chunk of plain.split(/\s+/).filter(Boolean)) {
    let current = '';
    for (const ch of chunk) {
      if (isPunctuation(ch)) {
        if (current) words.push(current);
        words.push(ch);
        current = '';
      } else current += ch;
    }
    if (current) words.push(current);
  }
  return words.flatMap((word) => {
    const pieces: number[] = [];
    for (let start = 0; start < word.length;) {
      let end = word.length;
      let found: number | undefined;
      for (; end > start; end--) {
        found = vocab.get((start > 0 ? '##' : '') + word.slice(start, end));
        if (found !== undefined) break;
      }
      if (found === undefined) return [vocab.get('[UNK]')!]; // one unknown piece makes the word unknown
      pieces.push(found);
      start = end;
    }
    return pieces;
  });
}
