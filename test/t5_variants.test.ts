// T5 variants: ByT5 (a t5 over bytes, no tokenizer.json) and mT5 (model_type mt5: T5 v1.1 with an
// untied head and a 250k vocabulary) are read, counted and loaded like T5.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { byteTokenizer } from '../src/main/engine/models/byte_tokenizer';
import { modelShape, parseModelConfig } from '../src/main/engine/models/families';
import { loadModel, readModelConfig, saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { buildUnigramTokenizer, loadTokenizer } from '../src/main/engine/models/tokenizer';
import type { T5Config } from '../src/main/engine/models/types';
import { TINY_T5_GATED } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 't5-variants-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => { await initBackend(); });

describe('ByT5', () => {
  test('ids are UTF-8 bytes + 3, then eos 1 (ByT5Tokenizer)', () => {
    const tok = byteTokenizer();
    assert.deepEqual(tok.encode('hé!'), [0x68 + 3, 0xc3 + 3, 0xa9 + 3, 0x21 + 3, 1]);
    assert.deepEqual([tok.padId, tok.eosId, tok.vocabSize, tok.bosId], [0, 1, 384, null]);
    assert.equal(tok.decode([107, 198, 172, 36, 1, 0]), 'hé!');
    assert.equal(tok.decode([107, 300, 383, 2, 107]), 'hh', 'sentinels and unk are skipped');
    assert.equal(tok.decode([107, 198]), 'h', 'a cut UTF-8 sequence is dropped');
  });

  test('a ByT5 folder opens without tokenizer.json: tokenizer_config.json names ByT5Tokenizer', () => {
    const config: T5Config = { ...TINY_T5_GATED, vocabSize: 384 };
    const folder = path.join(dir, 'byt5');
    const model = T5Model.random(config, 0);
    saveModel(folder, model);
    model.dispose();
    writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'ByT5Tokenizer', extra_ids: 125 }));
    const before = tf.memory().numTensors;
    const loaded = loadModel(folder);
    try {
      assert.equal(loaded.tokenizer.vocabSize, loaded.config.vocabSize);
      const out = loaded.model.generate([loaded.tokenizer.encode('abc')], 3);
      assert.equal(out.length, 1);
      assert.ok(out[0].every((id) => id >= 0 && id < 384));
    } finally {
      loaded.model.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  test('without tokenizer.json or the ByT5 class, the folder is refused with the fix', () => {
    const folder = path.join(dir, 'byt5');
    writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'T5Tokenizer' }));
    assert.throws(() => loadTokenizer(folder), /tokenizer\.json is missing: .*ByT5 needs none/);
  });
});

describe('mT5', () => {
  // google/mt5-small's config.json.
  const MT5_SMALL = {
    architectures: ['MT5ForConditionalGeneration'], d_ff: 1024, d_kv: 64, d_model: 512, decoder_start_token_id: 0,
    dropout_rate: 0.1, eos_token_id: 1, feed_forward_proj: 'gated-gelu', initializer_factor: 1.0, is_encoder_decoder: true,
    layer_norm_epsilon: 1e-6, model_type: 'mt5', num_decoder_layers: 8, num_heads: 6, num_layers: 8, pad_token_id: 0,
    relative_attention_num_buckets: 32, tie_word_embeddings: false, tokenizer_class: 'T5Tokenizer', vocab_size: 250112,
  };

  test('google/mt5-small parses as T5 v1.1 with an untied head and counts its 300,176,768 parameters', () => {
    const config = parseModelConfig(MT5_SMALL, 'mt5-small/config.json') as T5Config;
    assert.equal(config.modelType, 'mt5');
    assert.equal(config.feedForwardProj, 'gated-gelu');
    assert.equal(config.tieWordEmbeddings, false);
    // 2 × 250112·512 (embeddings, head) + 8 encoder layers of 2,360,320 + 8 decoder layers of 3,147,264 + biases and norms
    assert.equal(modelShape(config).totalParams, 300_176_768);
  });

  test('a tiny mT5 round-trips through its folder with model_type mt5 and lm_head.weight', () => {
    const config: T5Config = { ...TINY_T5_GATED, modelType: 'mt5' };
    const folder = path.join(dir, 'mt5');
    const model = T5Model.random(config, 1);
    saveModel(folder, model);
    writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(buildUnigramTokenizer(['hola mundo', 'bonjour le monde'], { vocabSize: config.vocabSize })));
    const read = readModelConfig(folder);
    assert.equal(read.modelType, 'mt5');
    const loaded = loadModel(folder);
    try {
      assert.ok(loaded.model.params.has('lm_head.weight'));
      const ids = [loaded.tokenizer.encode('hola')];
      assert.deepEqual(loaded.model.generate(ids, 4), model.generate(ids, 4));
    } finally {
      loaded.model.dispose();
      model.dispose();
    }
  });
});
