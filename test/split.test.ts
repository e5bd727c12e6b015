// The split rule, checked against MD5 buckets computed independently (Python's hashlib).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitOfKey, splitOfMd5 } from '../src/main/engine/data/split';

describe('split rule', () => {
  it('maps MD5 buckets 0, 1 and 2–9 to test, validation and train', () => {
    assert.equal(splitOfKey('key2'), 'test'); // 78f825aa % 10 = 0
    assert.equal(splitOfKey('key9'), 'validation'); // 0cd6c8eb % 10 = 1
    assert.equal(splitOfKey('sotu:1961:John F. Kennedy'), 'train'); // cb10b521 % 10 = 3
    assert.equal(splitOfMd5('0cc175b9c0f1b6a831c399e269772661'), 'train'); // bucket 7
  });

  it('refuses a digest that is not hex', () => {
    assert.throws(() => splitOfMd5('not-a-digest'), /not a hex MD5 digest/);
  });
});
