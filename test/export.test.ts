// Export and import: files read back with a reader written for the tests (peft_fixture.ts, not engine/safetensors.ts), key
// names and layouts against Hugging Face PEFT's, round trips, and the refusals of bad input.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../src/main/engine/backend';
import { exportDelta, type ExportKind } from '../src/main/engine/export/export';
import { importAdapter } from '../src/main/engine/export/import_adapter';
import { probeLogits } from '../src/main/engine/export/verify';
import { saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { buildUnigramTokenizer } from '../src/main/engine/models/tokenizer';
import type { DeltaTensor, MethodOptions } from '../src/main/engine/peft/method';
import { writeSafetensorsFile } from '../src/main/engine/safetensors';
import { TINY_T5 } from './helpers';
import { readSt, trainedDelta as trainedDeltaOf, trainedLogits as trainedLogitsOf, type ReadTensor as Read } from './peft_fixture';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-export-'));
const modelDir = path.join(dir, 'model');
let outCount = 0;
const freshOut = () => path.join(dir, `out-${++outCount}`);

// ---------------------------------------------------------------------------------------
// Fixtures

const trainedDelta = (method: string, options: MethodOptions = {}) => trainedDeltaOf(modelDir, method, options);
const trainedLogits = (method: string, options: MethodOptions, delta: DeltaTensor[], base = modelDir) => trainedLogitsOf(base, method, options, delta);

function run(method: string, kind: ExportKind, options: MethodOptions = {}, extra: Partial<Parameters<typeof exportDelta>[0]> = {}) {
  const delta = trainedDelta(method, options);
  const out = freshOut();
  const report = exportDelta({ modelDir, method, options, delta, kind, out, ...extra });
  return { delta, out, report };
}

before(async () => {
  await initBackend();
  mkdirSync(modelDir, { recursive: true });
  const texts = ['colour of red', 'colour of blue', 'sky sea grass fire', 'red', 'blue'];
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(buildUnigramTokenizer(texts, { vocabSize: TINY_T5.vocabSize })));
  writeFileSync(path.join(modelDir, 'tokenizer_config.json'), '{}\n');
  const model = T5Model.random(TINY_T5, 0);
  saveModel(modelDir, model);
  model.dispose();
});

// ---------------------------------------------------------------------------------------
// Golden names, from peft's saving code (src/peft/utils/save_and_load.py, get_peft_model_state_dict:
// the state-dict key of the wrapped model `base_model.model.<module>.<param>.<adapter>.weight` with
// ".<adapter>" removed; ParameterDict entries such as ia3_l / lokr_w1 / lora_magnitude_vector end
// in ".<adapter>", which is removed whole) and from transformers' T5 module names.

const ENC = [0, 1].map((b) => `encoder.block.${b}.layer.0.SelfAttention`);
const DEC_SELF = [0, 1].map((b) => `decoder.block.${b}.layer.0.SelfAttention`);
const DEC_CROSS = [0, 1].map((b) => `decoder.block.${b}.layer.1.EncDecAttention`);
const ATTN = [...ENC, ...DEC_SELF, ...DEC_CROSS];
const FFN = [...[0, 1].map((b) => `encoder.block.${b}.layer.1.DenseReluDense`), ...[0, 1].map((b) => `decoder.block.${b}.layer.2.DenseReluDense`)];
const keys = (modules: string[], params: string[]) => modules.flatMap((m) => params.map((p) => `base_model.model.${m}.${p}`)).sort();

const GOLDEN: Record<string, string[]> = {
  lora_qv: keys(ATTN.flatMap((a) => [`${a}.q`, `${a}.v`]), ['lora_A.weight', 'lora_B.weight']),
  dora: keys(ATTN.flatMap((a) => [`${a}.q`, `${a}.v`]), ['lora_A.weight', 'lora_B.weight', 'lora_magnitude_vector']),
  ia3: keys([...ATTN.flatMap((a) => [`${a}.k`, `${a}.v`]), ...FFN.map((f) => `${f}.wi`)], ['ia3_l']),
  // d = 16 = 4·4: r 8 ≥ max(4, 4)/2, so lokr_w2 stays whole (peft's LoKrLayer.update_layer).
  krona: keys(ATTN.flatMap((a) => [`${a}.q`, `${a}.v`]), ['lokr_w1', 'lokr_w2']),
  ln_tuning: keys([
    ...[0, 1].flatMap((b) => [`encoder.block.${b}.layer.0.layer_norm`, `encoder.block.${b}.layer.1.layer_norm`]),
    ...[0, 1].flatMap((b) => [0, 1, 2].map((l) => `decoder.block.${b}.layer.${l}.layer_norm`)),
    'encoder.final_layer_norm', 'decoder.final_layer_norm',
  ], ['ln_tuning_layers.weight']),
  prompt_tuning: ['prompt_embeddings'],
};

describe('adapter export in Hugging Face PEFT layout', () => {
  test('lora_qv: config fields, key names, [r, in] / [out, r] layouts, format metadata', () => {
    const { out, report } = run('lora_qv', 'adapter', { r: 4, alpha: 8 });
    assert.equal(report.layout, 'peft');
    const config = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    assert.equal(config.peft_type, 'LORA');
    assert.equal(config.task_type, 'SEQ_2_SEQ_LM');
    assert.equal(config.r, 4);
    assert.equal(config.lora_alpha, 8);
    assert.deepEqual(config.target_modules, ['q', 'v']);
    assert.equal(config.use_dora, false);
    assert.equal(config.bias, 'none');
    assert.equal(config.base_model_name_or_path, path.resolve(modelDir));
    const st = readSt(path.join(out, 'adapter_model.safetensors'));
    assert.deepEqual([...st.tensors.keys()].sort(), GOLDEN.lora_qv);
    assert.deepEqual(st.meta, { format: 'pt' });
    const d = TINY_T5.dModel, inner = TINY_T5.numHeads * TINY_T5.dKv;
    assert.deepEqual(st.tensors.get(`base_model.model.${ENC[0]}.q.lora_A.weight`)!.shape, [4, d]);
    assert.deepEqual(st.tensors.get(`base_model.model.${ENC[0]}.q.lora_B.weight`)!.shape, [inner, 4]);
    assert.ok(existsSync(path.join(out, 'tokenizer.json')));
    assert.ok(report.checks.every((c) => c.ok && c.relDiff <= 1e-4), JSON.stringify(report.checks));
  });

  const CASES: [string, MethodOptions, string, (c: Record<string, unknown>) => void][] = [
    ['lora_all', { r: 2 }, 'LORA', (c) => assert.deepEqual(c.target_modules, ['k', 'o', 'q', 'v', 'wi', 'wo'])],
    ['dora', {}, 'LORA', (c) => { assert.equal(c.use_dora, true); assert.deepEqual(c.target_modules, ['q', 'v']); }],
    ['ia3', {}, 'IA3', (c) => { assert.deepEqual(c.target_modules, ['k', 'v', 'wi']); assert.deepEqual(c.feedforward_modules, []); }],
    ['krona', {}, 'LOKR', (c) => { assert.equal(c.r, 8); assert.equal(c.alpha, 8); assert.equal(c.decompose_both, false); }],
    ['ln_tuning', {}, 'LN_TUNING', (c) => assert.deepEqual(c.target_modules, ['final_layer_norm', 'layer_norm'])],
    ['prompt_tuning', { num_virtual_tokens: 3 }, 'PROMPT_TUNING', (c) => {
      assert.equal(c.num_virtual_tokens, 3); assert.equal(c.num_transformer_submodules, 1); assert.equal(c.token_dim, TINY_T5.dModel);
    }],
  ];
  for (const [method, options, peftType, more] of CASES) {
    test(`${method}: ${peftType} config, peft's key names, and export → import gives identical outputs`, () => {
      const { out, delta, report } = run(method, 'adapter', options);
      const config = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
      assert.equal(config.peft_type, peftType);
      assert.equal(config.task_type, 'SEQ_2_SEQ_LM');
      more(config);
      const st = readSt(path.join(out, 'adapter_model.safetensors'));
      if (GOLDEN[method]) assert.deepEqual([...st.tensors.keys()].sort(), GOLDEN[method]);
      if (method === 'ia3') for (const t of st.tensors.values()) assert.equal(t.shape[1], 1, 'ia3_l is (out, 1) for non-feed-forward modules');
      if (method === 'dora') assert.deepEqual(st.tensors.get(`base_model.model.${ENC[0]}.q.lora_magnitude_vector`)!.shape, [TINY_T5.numHeads * TINY_T5.dKv]);
      if (method === 'prompt_tuning') assert.deepEqual(st.tensors.get('prompt_embeddings')!.shape, [3, TINY_T5.dModel]);
      assert.ok(report.checks.every((c) => c.ok), JSON.stringify(report.checks));
      const { loaded, attached, adapter } = importAdapter(out, modelDir);
      try {
        assert.equal(adapter.method, method);
        assert.equal(adapter.layout, 'peft');
        assert.deepEqual(probeLogits(loaded.model), trainedLogits(method, options, delta));
      } finally {
        attached.dispose();
        loaded.model.dispose();
      }
    });
  }
});

describe('methods PEFT does not have: the workbench layout', () => {
  for (const [method, options] of [
    ['houlsby', {}], ['pfeiffer', {}], ['parallel_adapter', {}], ['compacter', { phm_dim: 2, reduction_factor: 4 }],
    ['mam', { prefix_length: 2, bottleneck_size: 4 }], ['unipelt', { prefix_length: 2, bottleneck_size: 4, reduction_factor: 4 }],
    ['prefix_tuning', { prefix_length: 2, bottleneck_size: 4 }],
  ] as [string, MethodOptions][]) {
    test(`${method}: documented layout, says it cannot merge and what it costs, round trip identical`, () => {
      const { out, delta, report } = run(method, 'adapter', options);
      assert.equal(report.layout, 'workbench');
      assert.ok(!existsSync(path.join(out, 'adapter_config.json')), 'no PEFT config for a method PEFT cannot load');
      const config = JSON.parse(readFileSync(path.join(out, 'workbench_adapter.json'), 'utf8'));
      assert.equal(config.format, 'peft-workbench-adapter');
      assert.equal(config.method, method);
      assert.equal(config.mergeable, false);
      assert.match(config.merge_note, /cannot be merged/);
      assert.ok(config.inference_overhead.length > 10);
      assert.match(report.inferenceOverhead!, /extra|slots/);
      const st = readSt(path.join(out, 'workbench_adapter.safetensors'));
      assert.deepEqual([...st.tensors.keys()].sort(), delta.map((d) => d.name).sort());
      const { loaded, attached } = importAdapter(out, modelDir);
      try {
        assert.deepEqual(probeLogits(loaded.model), trainedLogits(method, options, delta));
      } finally {
        attached.dispose();
        loaded.model.dispose();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Merged export

/** A copy of the base model stored as `dtype`, with the shared embedding also under encoder.embed_tokens. */
function baseIn(dtype: 'F16' | 'BF16'): string {
  const to = path.join(dir, `model-${dtype}`);
  if (existsSync(to)) return to;
  mkdirSync(to);
  for (const f of ['config.json', 'tokenizer.json']) writeFileSync(path.join(to, f), readFileSync(path.join(modelDir, f)));
  const st = readSt(path.join(modelDir, 'model.safetensors'));
  const tensors = st.order.map((name) => ({ name, dtype, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data }));
  tensors.push({ ...tensors.find((t) => t.name === 'shared.weight')!, name: 'encoder.embed_tokens.weight' });
  writeSafetensorsFile(path.join(to, 'model.safetensors'), tensors, { format: 'pt' });
  return to;
}

/** The (out, in) product b (out, r) · a (r, in). */
function matmul(b: Read, a: Read): Float32Array {
  const [out, r] = b.shape, inF = a.shape[1];
  const y = new Float32Array(out * inF);
  for (let i = 0; i < out; i++) for (let k = 0; k < r; k++) for (let j = 0; j < inF; j++) y[i * inF + j] += b.data[i * r + k] * a.data[k * inF + j];
  return y;
}

describe('merged export', () => {
  test('lora_qv: the base checkpoint\'s names, order and dtype, W + (α/r)·B·A, config and tokeniser copied', () => {
    const options = { r: 4, alpha: 8 };
    const { out, delta, report } = run('lora_qv', 'merged', options);
    assert.equal(report.layout, 'merged');
    const base = readSt(path.join(modelDir, 'model.safetensors'));
    const merged = readSt(path.join(out, 'model.safetensors'));
    assert.deepEqual(merged.order, base.order);
    assert.deepEqual(merged.meta, { format: 'pt' });
    for (const [name, t] of merged.tensors) assert.equal(t.dtype, base.tensors.get(name)!.dtype);
    assert.deepEqual(readFileSync(path.join(out, 'config.json')), readFileSync(path.join(modelDir, 'config.json')));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(path.join(out, f)), f);
    const byName = new Map(delta.map((d) => [d.name, { dtype: 'F32', shape: d.shape, data: d.data }]));
    const q = `${DEC_CROSS[1]}.q`;
    const update = matmul(byName.get(`base_model.model.${q}.lora_B.weight`)!, byName.get(`base_model.model.${q}.lora_A.weight`)!);
    const w = base.tensors.get(`${q}.weight`)!.data, got = merged.tensors.get(`${q}.weight`)!.data;
    let err = 0;
    for (let i = 0; i < w.length; i++) err = Math.max(err, Math.abs(got[i] - (w[i] + (8 / 4) * update[i])));
    assert.ok(err < 1e-6, `merged q differs from W + (α/r)·B·A by ${err}`);
    assert.deepEqual(merged.tensors.get(`${ENC[0]}.k.weight`)!.data, base.tensors.get(`${ENC[0]}.k.weight`)!.data, 'untouched weights copied exactly');
    assert.ok(report.checks[0].ok && report.checks[0].relDiff <= 1e-4, JSON.stringify(report.checks));
  });

  test('full on a float16 checkpoint: float16 out, sharded with an index, tied copies written under their own names', () => {
    const base = baseIn('F16');
    const delta = trainedDelta('full');
    const out = freshOut();
    const report = exportDelta({ modelDir: base, method: 'full', options: {}, delta, kind: 'merged', out, shardBytes: 4000 });
    const index = JSON.parse(readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
    const shards = [...new Set(Object.values(index.weight_map as Record<string, string>))].sort();
    assert.ok(shards.length > 2, `expected several shards, got ${shards.length}`);
    assert.match(shards[0], /^model-00001-of-000\d\d\.safetensors$/);
    let total = 0;
    const all = new Map<string, Read>();
    for (const s of shards) {
      const st = readSt(path.join(out, s));
      assert.deepEqual(st.meta, { format: 'pt' });
      for (const [name, t] of st.tensors) {
        assert.equal(index.weight_map[name], s);
        assert.equal(t.dtype, 'F16');
        total += t.data.length * 2;
        all.set(name, t);
      }
    }
    assert.equal(index.metadata.total_size, total);
    assert.deepEqual([...all.keys()].sort(), [...readSt(path.join(base, 'model.safetensors')).tensors.keys()].sort());
    assert.deepEqual(all.get('encoder.embed_tokens.weight')!.data, all.get('shared.weight')!.data);
    assert.deepEqual(report.dtypes, ['F16']);
    assert.ok(report.checks[0].ok, JSON.stringify(report.checks));
    assert.ok(report.checks[0].tolerance > 1e-4 && report.checks[0].tolerance < 1e-2);
  });

  test('a sharded base checkpoint: the merged export keeps its shard files, the tensors in each and its index', () => {
    const base = path.join(dir, 'model-sharded');
    mkdirSync(base);
    for (const f of ['config.json', 'tokenizer.json']) writeFileSync(path.join(base, f), readFileSync(path.join(modelDir, f)));
    const st = readSt(path.join(modelDir, 'model.safetensors'));
    const names = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
    // Round-robin, so a shard's tensors are not a contiguous run of the single file's.
    const shardOf = new Map(st.order.map((name, i) => [name, names[i % 3]]));
    for (const shard of names) {
      const mine = st.order.filter((name) => shardOf.get(name) === shard).reverse();
      writeSafetensorsFile(path.join(base, shard), mine.map((name) => ({ name, dtype: 'F32' as const, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data })), { format: 'pt' });
    }
    const index = { metadata: { total_size: 0, total_parameters: 1234 }, weight_map: Object.fromEntries(shardOf) };
    writeFileSync(path.join(base, 'model.safetensors.index.json'), JSON.stringify(index));
    const options = { r: 4, alpha: 8 };
    const delta = trainedDelta('lora_qv', options);
    const out = freshOut();
    const report = exportDelta({ modelDir: base, method: 'lora_qv', options, delta, kind: 'merged', out });
    assert.deepEqual(report.files.sort(), [...names, 'config.json', 'model.safetensors.index.json', 'tokenizer.json'].sort());
    const written = JSON.parse(readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
    assert.deepEqual(written.weight_map, index.weight_map);
    assert.equal(written.metadata.total_parameters, 1234, 'the base index\'s metadata is kept');
    let total = 0;
    for (const shard of names) {
      const got = readSt(path.join(out, shard)), was = readSt(path.join(base, shard));
      assert.deepEqual(got.order, was.order, `${shard}: the same tensors in the same order`);
      assert.deepEqual(got.meta, { format: 'pt' });
      for (const t of got.tensors.values()) total += 4 * t.data.length;
    }
    assert.equal(written.metadata.total_size, total);
    const q = `${DEC_CROSS[0]}.q`;
    const byName = new Map(delta.map((d) => [d.name, { dtype: 'F32', shape: d.shape, data: d.data }]));
    const update = matmul(byName.get(`base_model.model.${q}.lora_B.weight`)!, byName.get(`base_model.model.${q}.lora_A.weight`)!);
    const w = st.tensors.get(`${q}.weight`)!.data, got = readSt(path.join(out, shardOf.get(`${q}.weight`)!)).tensors.get(`${q}.weight`)!.data;
    assert.ok(got.every((v, i) => Math.abs(v - (w[i] + 2 * update[i])) < 1e-6), 'W + (α/r)·B·A in its shard');
    assert.ok(report.checks[0].ok && report.checks[0].relDiff <= 1e-4, JSON.stringify(report.checks));
    // An explicit size re-shards it.
    const resharded = exportDelta({ modelDir: base, method: 'lora_qv', options, delta, kind: 'merged', out: freshOut(), shardBytes: 1e9 });
    assert.deepEqual(resharded.files.filter((f) => f.startsWith('model')), ['model.safetensors']);
  });

  test('ia3 on a bfloat16 checkpoint stays bfloat16 and within bfloat16 tolerance', () => {
    const base = baseIn('BF16');
    const out = freshOut();
    const report = exportDelta({ modelDir: base, method: 'ia3', options: {}, delta: trainedDelta('ia3'), kind: 'merged', out });
    for (const t of readSt(path.join(out, 'model.safetensors')).tensors.values()) assert.equal(t.dtype, 'BF16');
    assert.ok(report.checks[0].ok, JSON.stringify(report.checks));
  });
});

// ---------------------------------------------------------------------------------------
// Bad input

const leftovers = () => readdirSync(dir).filter((f) => f.includes('.partial-'));

describe('bad input', () => {
  test('a method that cannot be merged is refused with --merged, saying why and what it costs; nothing is written', () => {
    const out = freshOut();
    assert.throws(() => exportDelta({ modelDir, method: 'houlsby', options: {}, delta: trainedDelta('houlsby'), kind: 'merged', out }),
      /houlsby cannot be merged: .*non-linearity.*--adapter.*inference overhead.*multiply-adds per token/);
    assert.ok(!existsSync(out));
  });

  test('full fine-tuning as an adapter is refused', () => {
    assert.throws(() => exportDelta({ modelDir, method: 'full', options: {}, delta: [], kind: 'adapter', out: freshOut() }), /full fine-tuning has no adapter.*--merged/);
  });

  test('an output folder that is not empty is refused unless forced, and left as it was', () => {
    const out = freshOut();
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'mine');
    const delta = trainedDelta('lora_qv');
    assert.throws(() => exportDelta({ modelDir, method: 'lora_qv', options: {}, delta, kind: 'adapter', out }), /exists and is not empty.*--force/);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
    exportDelta({ modelDir, method: 'lora_qv', options: {}, delta, kind: 'adapter', out, force: true });
    assert.ok(!existsSync(path.join(out, 'keep.txt')));
    assert.ok(existsSync(path.join(out, 'adapter_config.json')));
    assert.deepEqual(leftovers(), []);
  });

  test('an output folder that cannot be made is refused before anything is written', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => exportDelta({ modelDir, method: 'lora_qv', options: {}, delta: trainedDelta('lora_qv'), kind: 'adapter', out: path.join(file, 'out') }),
      /a-file is a file, so no folder can be made under it/);
  });

  test('a disk that fills up mid-write leaves no folder under the final name and no partial files', () => {
    const out = freshOut();
    let writes = 0;
    const hooks = { beforeWrite: () => { if (++writes === 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); } };
    assert.throws(() => exportDelta({ modelDir, method: 'full', options: {}, delta: trainedDelta('full'), kind: 'merged', out, shardBytes: 4000, hooks }),
      /disk is full.*nothing was written under/);
    assert.ok(writes >= 3);
    assert.ok(!existsSync(out));
    assert.deepEqual(leftovers(), []);
  });

  test('files that do not reproduce the trained model are refused, and removed', () => {
    const out = freshOut();
    // After the weights are written, one of them is changed behind the exporter's back.
    const hooks = {
      beforeWrite: (file: string) => {
        if (path.basename(file) !== 'config.json') return;
        const weights = path.join(path.dirname(file), 'model.safetensors');
        const st = readSt(weights);
        const tensors = st.order.map((name) => ({ name, dtype: 'F32' as const, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data }));
        tensors[1].data = tensors[1].data.map((v) => v * 1.5);
        writeSafetensorsFile(weights, tensors, { format: 'pt' });
      },
    };
    assert.throws(() => exportDelta({ modelDir, method: 'lora_qv', options: {}, delta: trainedDelta('lora_qv'), kind: 'merged', out, hooks }),
      /refused: the written files do not reproduce the trained model \(merged checkpoint .*largest relative difference .* > tolerance 1\.00e-4\); nothing was written/);
    assert.ok(!existsSync(out));
    assert.deepEqual(leftovers(), []);
  });

  test('an adapter that is not for this model or uses settings the workbench lacks is refused naming the field', () => {
    const { out } = run('lora_qv', 'adapter', { r: 2 });
    const cfgFile = path.join(out, 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    const withConfig = (c: Record<string, unknown>) => writeFileSync(cfgFile, JSON.stringify({ ...cfg, ...c }));
    withConfig({ modules_to_save: ['lm_head'] });
    assert.throws(() => importAdapter(out, modelDir), /adapter_config\.json: modules_to_save is \["lm_head"\]/);
    withConfig({ task_type: 'CAUSAL_LM' });
    assert.throws(() => importAdapter(out, modelDir), /task_type is "CAUSAL_LM" but a t5 model is SEQ_2_SEQ_LM/);
    withConfig({ peft_type: 'VERA' });
    assert.throws(() => importAdapter(out, modelDir), /peft_type "VERA" is not one the workbench loads/);
    withConfig({ r: 3 });
    assert.throws(() => importAdapter(out, modelDir), /r is 3 but the lora_A weights have rank 2/);
    assert.throws(() => importAdapter(dir, modelDir), /is not an adapter folder/);
  });
});
