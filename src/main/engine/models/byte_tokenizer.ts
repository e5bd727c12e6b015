// ByT5's tokenizer (transformers' ByT5Tokenizer), which has no tokenizer.json: a token is a UTF-8
// byte, id = byte + 3, after pad 0, eos 1 and unk 2; the 125 sentinel ids <extra_id_N> follow the
// bytes (259 … 383). A folder uses it when tokenizer_config.json names tokenizer_class "ByT5Tokenizer".
import type { TextTokenizer } from './types';

export const BYT5_CLASS = 'ByT5Tokenizer';
const OFFSET = 3;
const PAD = 0, EOS = 1;

/** The ByT5 tokenizer with `extraIds` sentinel tokens (125 in every released checkpoint). */
export function byteTokenizer(extraIds = 125): TextTokenizer {
  if (!Number.isSafeInteger(extraIds) || extraIds < 0) throw new Error(`extra_ids must be a non-negative integer, got ${extraIds}`);
  const encodeText = (text: string): number[] => Array.from(new TextEncoder().encode(text), (b) => b + OFFSET);
  return {
    vocabSize: OFFSET + 256 + extraIds,
    padId: PAD,
    eosId: EOS,
    bosId: null,
    encodeText,
    encode(text: string): number[] {
      const ids = encodeText(text);
      ids.push(EOS);
      return ids;
    },
    /** Specials and sentinels are skipped; bytes that do not form valid UTF-8 are dropped, as ByT5Tokenizer's errors="ignore". */
    decode(ids: number[]): string {
      const bytes = ids.filter((id) => id >= OFFSET && id < OFFSET + 256).map((id) => id - OFFSET);
      return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(new Uint8Array(bytes)).replaceAll('\uFFFD', '');
    },
  };
}
