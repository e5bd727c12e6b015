// Loading model folders of every family: the registry by model_type, sharded checkpoints with
// model.safetensors.index.json, F16/BF16 weights, bad folders, and the peak host memory of a load.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { DecoderModel } from '../src/main/engine/models/decoder';
import { checkModelFolder, loadWeights, readModelConfig } from '../src/main/engine/models/load';
import { f16ToF32, f32BitsToBf16, f32BitsToF16, writeSafetensorsFile, type WritableDtype } from '../src/main/engine/safetensors';
import { parseDecoderConfig } from '../src/main/engine/models/decoder_config';
import { readDecoderFixture } from './parity_fixture';
import { relError, values } from './helpers';

const FIXTURE = 'llama_tiny_gqa';
const work = mkdtempSync(path.join(tmpdir(), 'peft-load-'));

before(async () => {
  await initBackend();
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the fixture's config with its tensors written as `shards` files of `dtype`. */
function writeFolder(name: string, shards: number, dtype: WritableDtype): string {
  const fx = readDecoderFixture(FIXTURE);
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  const names = [...fx.weights.keys()];
  const per = Math.ceil(names.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = shards === 1 ? 'model.safetensors' : `model-0000${s + 1}-of-0000${shards}.safetensors`;
    const part = names.slice(s * per, (s + 1) * per);
    writeSafetensorsFile(path.join(dir, file), part.map((n) => ({ name: n, dtype, shape: fx.shapes.get(n)!, data: fx.weights.get(n)! })));
    for (const n of part) weightMap[n] = file;
  }
  if (shards > 1) writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  copyFileSync(path.join(fx.dir, 'config.json'), path.join(dir, 'config.json'));
  return dir;
}

function paramsOf(model: { checkpointTensor(n: string): tf.Tensor; params: Map<string, unknown> }, name: string): Float32Array {
  const t = model.checkpointTensor(name);
  try {
    return values(t).slice();
  } finally {
    t.dispose();
  }
}

test('the family is chosen from model_type; a sharded checkpoint loads the same weights as one file', () => {
  const fx = readDecoderFixture(FIXTURE);
  const dir = writeFolder('sharded', 3, 'F32');
  assert.equal(readModelConfig(dir).modelType, 'llama');
  const model = loadWeights(dir);
  try {
    assert.ok(model instanceof DecoderModel);
    for (const [name, data] of fx.weights) assert.equal(relError(paramsOf(model, name), data), 0, name);
  } finally {
    model.dispose();
  }
});

test('F16 and BF16 weights load as the float32 values they round to', () => {
  const fx = readDecoderFixture(FIXTURE);
  const round = {
    F16: (x: number) => f16ToF32(f32BitsToF16(new Uint32Array(Float32Array.of(x).buffer)[0])),
    BF16: (x: number) => new Float32Array(Uint32Array.of(f32BitsToBf16(new Uint32Array(Float32Array.of(x).buffer)[0]) << 16).buffer)[0],
  };
  for (const dtype of ['F16', 'BF16'] as const) {
    const model = loadWeights(writeFolder(dtype, 1, dtype));
    try {
      for (const [name, data] of fx.weights) {
        const expected = Float32Array.from(data, round[dtype]);
        assert.equal(relError(paramsOf(model, name), expected), 0, `${dtype} ${name}`);
        if (dtype === 'BF16') assert.ok(relError(paramsOf(model, name), data) > 0, 'BF16 should round');
      }
    } finally {
      model.dispose();
    }
  }
});

test('a broken sharded index names the shard or tensor and the fix', () => {
  const dir = writeFolder('broken', 2, 'F32');
  rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
  assert.throws(() => loadWeights(dir), /names shard model-00002-of-00002\.safetensors, which is missing/);
  const wrong = writeFolder('wrong', 2, 'F32');
  writeFileSync(path.join(wrong, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00002.safetensors' } }));
  assert.throws(() => loadWeights(wrong), /is not mapped to this shard by model\.safetensors\.index\.json; regenerate the index/);
});

test('bad folders: no config, no weights, an unsupported architecture', () => {
  const empty = path.join(work, 'empty');
  writeFolder('empty', 1, 'F32');
  rmSync(path.join(empty, 'config.json'));
  assert.throws(() => readModelConfig(empty), /config\.json is missing/);
  const noWeights = writeFolder('noweights', 1, 'F32');
  rmSync(path.join(noWeights, 'model.safetensors'));
  assert.throws(() => checkModelFolder(noWeights), /has no weights: expected model\.safetensors or model\.safetensors\.index\.json/);
  const gpt = writeFolder('gpt', 1, 'F32');
  writeFileSync(path.join(gpt, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 2 }));
  assert.throws(() => readModelConfig(gpt), /model_type "gpt2" is not supported; supported: t5\/mt5 .*llama\/qwen2\/mistral/);
});

test('loading streams: peak host memory stays under 1.3x the float32 model size', () => {
  // 29M parameters (118 MB); the largest tensor is 7% of the model, as the embedding of LLaMA 3 8B is.
  const config = {
    model_type: 'llama', vocab_size: 4096, hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8,
    num_attention_heads: 8, num_key_value_heads: 8, tie_word_embeddings: false, rms_norm_eps: 1e-6,
  };
  const dir = path.join(work, 'big');
  const model = DecoderModel.random(parseDecoderConfig(config, 'big/config.json'), 1);
  const bytes = model.numParams() * 4;
  try {
    writeSafetensorsFile(path.join(dir, 'model.safetensors'), model.checkpointNames().map((name) => {
      const t = model.checkpointTensor(name);
      try {
        return { name, dtype: 'F32' as const, shape: t.shape.slice(), data: values(t) };
      } finally {
        t.dispose();
      }
    }));
  } finally {
    model.dispose();
  }
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'children', 'load_memory.ts'), dir], { encoding: 'utf8' });
  const m = JSON.parse(out.trim().split('\n').pop()!) as { before: number; peakBefore: number; peakAfter: number; params: number };
  assert.equal(m.params * 4, bytes);
  assert.ok(m.peakAfter > m.peakBefore, 'the peak must be the load\'s, not an earlier one');
  const ratio = (m.peakAfter - m.before) / bytes;
  assert.ok(ratio < 1.3, `loading took ${(ratio).toFixed(2)}x the float32 size (${bytes} bytes)`);
});
