// Golden token ids of the encoder families' tokenizers: BERT's WordPiece with [CLS]/[SEP] and
// RoBERTa's byte-level BPE with <s>/</s>, added as each checkpoint's post_processor says.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeExamples } from '../src/main/engine/data/batching';
import { loadEncoderTokenizer } from '../src/main/engine/models/tokenizer';
import { referenceByteLevel, type Merge } from './bpe_fixtures';
import { bertTokenizer, referenceWordPiece, robertaTokenizer } from './wordpiece_fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'encoder-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, json: object): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(json));
  return folder;
}

describe('BERT WordPiece', () => {
  const tok = loadEncoderTokenizer(save('bert', bertTokenizer()), 0);
  const [CLS, SEP] = [2, 3];

  test('hand-worked ids: lower case, accents stripped, ## continuations, [CLS] … [SEP]', () => {
    // the 5, cat 6, sat 7, on 8, the 5, mat 9, "." 18
    assert.deepEqual(tok.encode('The cat sat on the MAT.'), [CLS, 5, 6, 7, 8, 5, 9, 18, SEP]);
    // un 10 ##aff 11 ##able 12 | play 13 ##ing 14 ##s 15 | ! 19 ; Café → cafe 16
    assert.deepEqual(tok.encodeText('Unaffable playings! Café'), [10, 11, 12, 13, 14, 15, 19, 16]);
    // "qq": q is a word piece but ##q is not, so the whole word is [UNK] (1)
    assert.deepEqual(tok.encodeText('qq cat'), [1, 6]);
    assert.equal(tok.eosId, SEP, 'the token the post-processor puts last');
    assert.equal(tok.padId, 0);
    assert.equal(tok.bosId, null);
    assert.equal(tok.decode([CLS, 10, 11, 12, 13, 14, SEP]), 'unaffable playing');
  });

  test('agrees with an independent WordPiece encoder on mixed text', () => {
    for (const text of ["the cat's mat, sat!", 'EXTRA text: taxa yes', 'a  b\tc\nd', 'héllo wörld', 'playing, playings.']) {
      assert.deepEqual(tok.encodeText(text), referenceWordPiece(text), text);
    }
  });

  test('truncation keeps [CLS] first and [SEP] last; targets are label indices', () => {
    const [ex] = encodeExamples(tok, [{ input: 'the cat sat on the mat', target: 'neg' }], 5, 8, 'classify', ['pos', 'neg']);
    assert.deepEqual(ex, { input: [CLS, 5, 6, 7, SEP], target: [1] });
    assert.throws(() => encodeExamples(tok, [{ input: 'the', target: 'maybe' }], 5, 8, 'classify', ['pos', 'neg']), /target "maybe" is not one of the labels pos, neg/);
  });
});

describe('RoBERTa byte-level BPE', () => {
  // Merges get ids 256 + rank: Ġt 256, he 257, Ġthe 258, Ġc 259, Ġca 260, Ġcat 261; <s> 262 … <unk> 265
  const MERGES: Merge[] = [['\u0120', 't'], ['h', 'e'], ['\u0120t', 'he'], ['\u0120', 'c'], ['\u0120c', 'a'], ['\u0120ca', 't']];
  const { json, ids } = robertaTokenizer(MERGES);
  const tok = loadEncoderTokenizer(save('roberta', json), ids['<pad>']);

  test('hand-worked ids: no prefix space, <s> … </s>', () => {
    // "the": t h e → t he (no Ġ at the start); " the cat": Ġthe Ġcat
    assert.deepEqual(tok.encode('the the cat'), [ids['<s>'], 116, 257, 258, 261, ids['</s>']]);
    assert.equal(tok.eosId, ids['</s>']);
    assert.equal(tok.padId, ids['<pad>']);
    assert.equal(tok.decode([ids['<s>'], 116, 257, 258, 261, ids['</s>']]), 'the the cat');
  });

  test('agrees with an independent byte-level encoder on mixed text', () => {
    for (const text of ['the cat, the catalogue!', "it's 2024 — café", 'the\n\ncat  the']) {
      assert.deepEqual(tok.encodeText(text), referenceByteLevel(text, 'gpt2', MERGES), text);
    }
  });
});

test('a tokenizer.json that adds no [CLS]/[SEP] is refused for an encoder', () => {
  const json = bertTokenizer() as Record<string, unknown>;
  json.post_processor = null;
  assert.throws(() => loadEncoderTokenizer(save('bare', json), 0), /tokenizer\.json: its post_processor does not put \[CLS\]\/\[SEP\]/);
});
