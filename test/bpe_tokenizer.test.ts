// Golden token ids of the decoder families' tokenizer styles: byte-level BPE (LLaMA-3, Qwen2,
// SmolLM) and SentencePiece-style BPE with byte fallback (LLaMA-2, Mistral). The expected ids are
// worked out by hand from the merge lists below and, for longer texts, by an independent encoder.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeExamples } from '../src/main/engine/data/batching';
import { loadTokenizer, type DecoderSpecials } from '../src/main/engine/models/tokenizer';
import { byteLevelTokenizer, referenceByteLevel, sentencePieceTokenizer, type ByteLevelStyle, type Merge } from './bpe_fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bpe-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, json: object, extra: Record<string, object> = {}): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(json));
  for (const [file, body] of Object.entries(extra)) writeFileSync(path.join(folder, file), JSON.stringify(body));
  return folder;
}

// Byte-level merges; their ids are 256 + rank: he 256, ll 257, Ġw 258, or 259, Ġwor 260,
// ld 261, hell 262, hello 263, Ġworld 264, 12 265.
const BYTE_MERGES: Merge[] = [
  ['h', 'e'], ['l', 'l'], ['\u0120', 'w'], ['o', 'r'], ['\u0120w', 'or'], ['l', 'd'], ['he', 'll'], ['hell', 'o'], ['\u0120wor', 'ld'], ['1', '2'],
];
const SPECIALS: Record<ByteLevelStyle, string[]> = {
  llama3: ['<|begin_of_text|>', '<|end_of_text|>'],
  qwen2: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  gpt2: ['<|endoftext|>'],
};
const decoderIds = (bos: number | null, eos: number[], pad = eos[0]): DecoderSpecials => ({ bosTokenId: bos, eosTokenIds: eos, padTokenId: pad });

const TEXTS = [
  'hello world', 'held the world', "it's 12345 hello, world!", 'hello\n\nworld  hello', 'café über 2024', "we'll see  12 worlds",
];

describe('byte-level BPE (LLaMA-3, Qwen2, SmolLM)', () => {
  const llama3 = loadTokenizer(save('llama3', byteLevelTokenizer('llama3', BYTE_MERGES, SPECIALS.llama3)), decoderIds(266, [267]));
  const qwen2 = loadTokenizer(save('qwen2', byteLevelTokenizer('qwen2', BYTE_MERGES, SPECIALS.qwen2)), decoderIds(266, [266, 268]));
  const gpt2 = loadTokenizer(save('gpt2', byteLevelTokenizer('gpt2', BYTE_MERGES, SPECIALS.gpt2)), decoderIds(266, [266]));

  test('hand-computed merge sequences', () => {
    // hello: h e l l o → he l l o → he ll o → hell o → hello; " world": Ġ w o r l d → Ġw or l d → Ġwor ld → Ġworld
    for (const tok of [llama3, qwen2, gpt2]) {
      assert.deepEqual(tok.encodeText('hello world'), [263, 264]);
      assert.deepEqual(tok.encodeText('held'), [256, 261]); // he l d → he ld: no "he ld" merge
      assert.deepEqual(tok.encodeText('é'), [0xc3, 0xa9]); // two bytes, no merge
    }
    // Digits: LLaMA-3 splits runs of three (123|45 → 12 3 4 5), Qwen2 single digits, GPT-2 whole runs.
    assert.deepEqual(llama3.encodeText('12345'), [265, 51, 52, 53]);
    assert.deepEqual(qwen2.encodeText('12345'), [49, 50, 51, 52, 53]);
    assert.deepEqual(gpt2.encodeText('12345'), [265, 51, 52, 53]);
  });

  test('agree with an independent encoder on mixed text', () => {
    for (const [style, tok] of [['llama3', llama3], ['qwen2', qwen2], ['gpt2', gpt2]] as const) {
      for (const text of TEXTS) assert.deepEqual(tok.encodeText(text), referenceByteLevel(text, style, BYTE_MERGES), `${style}: ${text}`);
    }
  });

  test('decode gives the text back', () => {
    for (const tok of [llama3, qwen2, gpt2]) for (const text of TEXTS) assert.equal(tok.decode(tok.encodeText(text)), text);
  });

  test('bos only where the config has one and the tokenizer adds it', () => {
    assert.equal(llama3.bosId, 266); // its template puts <|begin_of_text|> first
    assert.equal(qwen2.bosId, null); // ByteLevel post-processor: no bos even though config.json names one
    assert.equal(gpt2.bosId, null);
    const forced = loadTokenizer(save('gpt2-bos', byteLevelTokenizer('gpt2', BYTE_MERGES, SPECIALS.gpt2), { 'tokenizer_config.json': { add_bos_token: true } }), decoderIds(266, [266]));
    assert.equal(forced.bosId, 266);
    assert.equal(loadTokenizer(path.join(dir, 'llama3'), decoderIds(null, [267])).bosId, null);
  });

  test('eos: the tokenizer’s eos_token when config.json lists it, else the first listed', () => {
    assert.equal(qwen2.eosId, 266);
    const chat = loadTokenizer(save('qwen2-chat', byteLevelTokenizer('qwen2', BYTE_MERGES, SPECIALS.qwen2), { 'tokenizer_config.json': { eos_token: '<|im_end|>' } }), decoderIds(null, [266, 268]));
    assert.equal(chat.eosId, 268);
    assert.throws(() => loadTokenizer(path.join(dir, 'qwen2'), decoderIds(null, [])), /no eos_token_id/);
  });

  test('a decoder prompt is bos + text, its answer ends in eos, and decode drops the specials', () => {
    const [ex] = encodeExamples(llama3, [{ input: 'hello', target: ' world' }], 16, 8, 'causal');
    assert.deepEqual(ex, { input: [266, 263], target: [264, 267] });
    const [q] = encodeExamples(qwen2, [{ input: 'hello world', target: ' world' }], 1, 2, 'causal');
    assert.deepEqual(q, { input: [263], target: [264, 266] }); // prompt keeps its start; target keeps eos
    assert.equal(llama3.decode([266, 263, 264, 267]), 'hello world');
  });
});

describe('SentencePiece-style BPE with byte fallback (LLaMA-2, Mistral)', () => {
  // Pieces: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, ▁ h e l o w r d 259..266, then merges 267…
  const chars = ['\u2581', 'h', 'e', 'l', 'o', 'w', 'r', 'd'];
  const merges: Merge[] = [
    ['\u2581', 'h'], ['e', 'l'], ['\u2581h', 'el'], ['l', 'o'], ['\u2581hel', 'lo'], ['\u2581', 'w'], ['o', 'r'], ['\u2581w', 'or'], ['l', 'd'], ['\u2581wor', 'ld'],
  ];
  const folder = save('llama2', sentencePieceTokenizer(chars, merges), { 'tokenizer_config.json': { add_bos_token: true, bos_token: '<s>', eos_token: '</s>' } });
  const tok = loadTokenizer(folder, decoderIds(1, [2], 0));

  test('hand-computed ids', () => {
    // "▁hello▁world": ▁h, el, ▁hel, lo, ▁hello (271); ▁w, or, ▁wor, ld, ▁world (276)
    assert.deepEqual(tok.encodeText('hello world'), [271, 276]);
    // "▁hi▁é": ▁h (267); i is no piece → <0x69> (3 + 0x69); ▁ (259); é → <0xC3> <0xA9>
    assert.deepEqual(tok.encodeText('hi é'), [267, 3 + 0x69, 259, 3 + 0xc3, 3 + 0xa9]);
    assert.equal(tok.decode([1, 267, 3 + 0x69, 259, 3 + 0xc3, 3 + 0xa9, 2]), 'hi é');
    assert.equal(tok.bosId, 1);
    assert.equal(tok.eosId, 2);
    assert.equal(tok.padId, 0);
  });
});
