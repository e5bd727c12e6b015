// The tokenizer of the pretrained default model: the project's deterministic Unigram builder
// run on the pretraining corpus only, plus T5's sentinels `<extra_id_0>` … at the top of the
// vocabulary (extra_id_0 = V−1, counting down), as in t5-small's tokenizer.json.
import { buildUnigramTokenizer } from '../models/tokenizer';

interface TokenizerJson {
  added_tokens: Record<string, unknown>[];
  model: { vocab: [string, number][] };
  [key: string]: unknown;
}

export function sentinelText(k: number): string {
  return `<extra_id_${k}>`;
}

/**
 * tokenizer.json object with `vocabSize` entries: `vocabSize − numSentinels` Unigram pieces
 * learned from `texts`, then `<extra_id_{numSentinels−1}>` … `<extra_id_0>`. Byte-identical
 * for the same input.
 */
export function buildPretrainTokenizer(texts: string[], vocabSize: number, numSentinels: number): object {
  if (!Number.isInteger(numSentinels) || numSentinels < 1 || numSentinels >= vocabSize - 4) {
    throw new Error(`numSentinels must be an integer in [1, vocabSize − 4), got ${numSentinels}`);
  }
  const json = buildUnigramTokenizer(texts, { vocabSize: vocabSize - numSentinels }) as TokenizerJson;
  const base = json.model.vocab.length;
  for (let i = 0; i < numSentinels; i++) {
    const k = numSentinels - 1 - i;
    json.model.vocab.push([sentinelText(k), 0]);
    json.added_tokens.push({
      id: base + i, content: sentinelText(k), single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    });
  }
  if (json.model.vocab.length !== vocabSize) {
    throw new Error(`the pretraining corpus gave only ${base} Unigram pieces; lower vocabSize to at most ${base + numSentinels}`);
  }
  return json;
}

/** tokenizer_config.json for the same folder: T5's special tokens and the sentinel list. */
export function pretrainTokenizerConfig(numSentinels: number, maxLength: number): object {
  return {
    tokenizer_class: 'T5Tokenizer',
    eos_token: '</s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    extra_ids: numSentinels,
    additional_special_tokens: Array.from({ length: numSentinels }, (_, k) => sentinelText(k)),
    model_max_length: maxLength,
    clean_up_tokenization_spaces: false,
  };
}
