// The on-disk cache of tokenised training sets: a hit gives the same ids without tokenising,
// any change of text, tokenizer or length is a new entry, and a bad entry or folder is harmless.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cachedEncode, tokenizerFingerprint } from '../src/main/engine/data/encode_cache';

const texts = [{ input: 'spam or ham: cheap pills', target: 'spam' }, { input: 'spam or ham: lunch?', target: 'ham' }];
const key = { tokenizer: 'tok-a', maxInput: 64, maxTarget: 8, layout: 'seq2seq' };
const ids = (t: { input: string; target: string }[]) => t.map((x) => ({ input: [x.input.length, 1], target: [x.target.length, 1] }));

test('a second encode of the same texts reads the cache; any change of key or text misses it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-enc-'));
  let calls = 0;
  const encode = (t = texts) => () => (calls++, ids(t));
  const first = cachedEncode(dir, key, texts, encode());
  assert.deepEqual(cachedEncode(dir, key, texts, encode()), first);
  assert.equal(calls, 1, 'tokenised once');
  cachedEncode(dir, { ...key, maxInput: 32 }, texts, encode());
  cachedEncode(dir, { ...key, tokenizer: 'tok-b' }, texts, encode());
  const changed = [texts[0], { ...texts[1], target: 'spam' }];
  cachedEncode(dir, key, changed, encode(changed));
  assert.equal(calls, 4);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 4);
});

test('a damaged entry is recomputed, and an unwritable folder only costs the cache', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-enc-'));
  cachedEncode(dir, key, texts, () => ids(texts));
  const [entry] = readdirSync(dir);
  writeFileSync(path.join(dir, entry), '[{"input": [1], "target": "not ids"}]');
  let calls = 0;
  assert.deepEqual(cachedEncode(dir, key, texts, () => (calls++, ids(texts))), ids(texts));
  assert.equal(calls, 1);
  const file = path.join(dir, 'a-file');
  writeFileSync(file, '');
  assert.deepEqual(cachedEncode(path.join(file, 'sub'), key, texts, () => ids(texts)), ids(texts), 'a folder that cannot be made');
});

test('the tokenizer fingerprint changes with the tokenizer file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-tok-'));
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"a": 1}');
  const a = tokenizerFingerprint(dir);
  assert.equal(tokenizerFingerprint(dir), a);
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"a": 2}');
  assert.notEqual(tokenizerFingerprint(dir), a);
});
