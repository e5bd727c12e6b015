// Import of PEFT adapters: a folder as Python's peft writes it (test/peft_fixture.ts) loads onto its
// base model and reproduces W + scale·B·A computed here (with a classifier's saved head on BERT and
// RoBERTa); scoring uses the trained runs' code (an exported run scores identically once imported);
// refusals name the field, the tensor and both shapes; a different base model only warns.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import type { TaskData } from '../src/main/engine/data/task';
import { loadTask } from '../src/main/engine/data/tasks';
import { evaluateAdapter } from '../src/main/engine/export/evaluate_adapter';
import { exportDelta } from '../src/main/engine/export/export';
import { importAdapter, namesModel } from '../src/main/engine/export/import_adapter';
import { probeLogits } from '../src/main/engine/export/verify';
import { evalOptions, scoreUnmergedThenMerged, splitEncoder, type ScoreSettings } from '../src/main/engine/measure/score_split';
import { modelShape } from '../src/main/engine/models/families';
import { loadModel, readModelConfig } from '../src/main/engine/models/load';
import type { DeltaTensor } from '../src/main/engine/peft/method';
import { getMethod } from '../src/main/engine/peft/registry';
import { DecoderModel } from '../src/main/engine/models/decoder';
import { saveModel } from '../src/main/engine/models/load';
import { byteLevelTokenizer } from './bpe_fixtures';
import { relError, TINY_LLAMA } from './helpers';
import { encoderFolder, importedLogits as importedLogitsOf, mergeByHand, trainedDelta, writePeftLora, type FixtureSite, type LoraFixture } from './peft_fixture';
import { makeTinyWorkspace, type TinyWorkspace } from './ui/tiny_workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-import-'));
let ws: TinyWorkspace;
let qv: FixtureSite[];
let n = 0;
const fresh = (name: string) => path.join(dir, `${name}-${++n}`);

before(async () => {
  await initBackend();
  ws = makeTinyWorkspace(dir);
  const shape = modelShape(readModelConfig(ws.modelDir));
  qv = shape.linears.filter((s) => s.role === 'query' || s.role === 'value').map((s) => ({ name: s.name, inFeatures: s.inFeatures, outFeatures: s.outFeatures }));
});

const fixture = (o: Partial<LoraFixture> = {}): LoraFixture => ({ r: 4, alpha: 16, sites: qv, targets: ['v', 'q'], baseModel: 'google-t5/t5-small', ...o });

/** Probe logits of the base model with the adapter in `adapterDir` imported (unmerged), and what it was read as. */
const importedLogits = (adapterDir: string, modelDir = ws.modelDir) => importedLogitsOf(adapterDir, modelDir);

function logitsOf(modelDir: string): Float32Array {
  const loaded = loadModel(modelDir);
  try {
    return probeLogits(loaded.model);
  } finally {
    loaded.model.dispose();
  }
}

describe('an adapter as Python\'s peft writes it', () => {
  test('LoRA on q and v loads as lora_qv and reproduces W + (α/r)·B·A computed here; another base model only warns', () => {
    const before = tf.memory().numTensors;
    const written = writePeftLora(fresh('py-lora'), fixture());
    const { logits, adapter } = importedLogits(written.dir);
    assert.equal(adapter.method, 'lora_qv');
    assert.deepEqual(adapter.options, { r: 4, alpha: 16 });
    assert.equal(adapter.peftType, 'LORA');
    assert.equal(adapter.warnings.length, 1);
    assert.match(adapter.warnings[0], /base_model_name_or_path is "google-t5\/t5-small" but the base model here is .*its tensors fit this model, so it loads/);
    const reference = logitsOf(mergeByHand(ws.modelDir, written, 4, 16 / 4, fresh('merged-by-hand')));
    assert.ok(relError(logits, reference) < 1e-5, `relative error ${relError(logits, reference)}`);
    assert.ok(relError(logits, logitsOf(ws.modelDir)) > 1e-3, 'the adapter changes the outputs');
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  });

  test('use_rslora scales by α/√r: loaded as alpha α·√r, the same update', () => {
    const written = writePeftLora(fresh('py-rslora'), fixture({ config: { use_rslora: true } }));
    const { logits, adapter } = importedLogits(written.dir);
    assert.deepEqual(adapter.options, { r: 4, alpha: 32 });
    assert.ok(adapter.warnings.some((w) => /use_rslora scales by lora_alpha\/√r = 8\.00000; loaded as alpha 32\.0000 over r 4/.test(w)), adapter.warnings.join('\n'));
    const reference = logitsOf(mergeByHand(ws.modelDir, written, 4, 16 / Math.sqrt(4), fresh('merged-rs')));
    assert.ok(relError(logits, reference) < 1e-5);
  });

  test('fan_in_fan_out on Linear layers loads with peft\'s own correction, as a warning', () => {
    const written = writePeftLora(fresh('py-fifo'), fixture({ config: { fan_in_fan_out: true } }));
    const { logits, adapter } = importedLogits(written.dir);
    assert.ok(adapter.warnings.some((w) => /fan_in_fan_out is true, but every adapted layer is a torch Linear/.test(w)));
    assert.ok(relError(logits, logitsOf(mergeByHand(ws.modelDir, written, 4, 4, fresh('merged-fifo')))) < 1e-5);
  });

  test('a float16 adapter is read as float32; the base model named by its folder raises no warning', () => {
    const written = writePeftLora(fresh('py-f16'), fixture({ dtype: 'F16', baseModel: path.join(os.tmpdir(), 'elsewhere', path.basename(ws.modelDir)) }));
    const { adapter } = importedLogits(written.dir);
    assert.deepEqual(adapter.warnings, []);
    assert.equal(namesModel('org/model', ws.modelDir), true, 'a hub id whose name is the folder\'s');
    assert.equal(namesModel('org/other', ws.modelDir), false);
    assert.equal(namesModel(ws.modelDir, ws.modelDir), true);
  });
});

test('a decoder: LoRA on q_proj and v_proj of a LLaMA (CAUSAL_LM, base_model.model.model.layers…) loads as lora_qv', () => {
  const llama = fresh('llama');
  mkdirSync(llama, { recursive: true });
  writeFileSync(path.join(llama, 'tokenizer.json'), JSON.stringify(byteLevelTokenizer('llama3', [], ['<|begin_of_text|>', '<|end_of_text|>'])));
  const model = DecoderModel.random({ ...TINY_LLAMA, vocabSize: 258, bosTokenId: 256, eosTokenIds: [257], padTokenId: 257 }, 0);
  saveModel(llama, model);
  model.dispose();
  const sites = modelShape(readModelConfig(llama)).linears.filter((s) => s.role === 'query' || s.role === 'value');
  assert.equal(sites[0].name, 'model.layers.0.self_attn.q_proj');
  const written = writePeftLora(fresh('py-llama'), fixture({ sites, targets: ['q_proj', 'v_proj'], taskType: 'CAUSAL_LM', baseModel: 'meta-llama/Llama-3.2-1B', r: 2, alpha: 4 }));
  const { logits, adapter } = importedLogits(written.dir, llama);
  assert.equal(adapter.method, 'lora_qv');
  assert.ok(relError(logits, logitsOf(mergeByHand(llama, written, 2, 2, fresh('llama-merged')))) < 1e-5);
  // k_proj and v_proj have fewer outputs than q_proj (grouped-query attention): a T5 adapter does not fit.
  assert.throws(() => importAdapter(writePeftLora(fresh('t5-on-llama'), fixture()).dir, llama), /task_type is "SEQ_2_SEQ_LM" but a llama model is CAUSAL_LM/);
});

describe('refusals name the field, the tensor and both shapes', () => {
  const refused = (o: Partial<LoraFixture>, pattern: RegExp, tweak?: (dir: string) => void) => {
    const written = writePeftLora(fresh('bad'), fixture(o));
    tweak?.(written.dir);
    assert.throws(() => importAdapter(written.dir, ws.modelDir), pattern);
  };

  test('no adapter_config.json', () => {
    refused({}, /has adapter_model\.safetensors but no adapter_config\.json; peft's save_pretrained writes both/, (d) => rmSync(path.join(d, 'adapter_config.json')));
    const empty = fresh('empty');
    mkdirSync(empty);
    assert.throws(() => importAdapter(empty, ws.modelDir), /is not an adapter folder: it has neither adapter_config\.json \(Hugging Face PEFT\) nor workbench_adapter\.json/);
  });

  test('an unknown peft_type', () => {
    refused({ config: { peft_type: 'BOFT' } }, /adapter_config\.json: peft_type "BOFT" is not one the workbench loads \(LORA, IA3, LOKR, LN_TUNING, PROMPT_TUNING\)/);
  });

  test('target modules the base model does not have', () => {
    const llamaNames = qv.map((s) => ({ ...s, name: s.name.replace(/\.q$/, '.q_proj').replace(/\.v$/, '.v_proj') }));
    refused({ targets: ['q_proj', 'v_proj'], sites: llamaNames },
      /target_modules \["q_proj","v_proj"\] name no module of this model; this t5 model's Linear modules are q, k, v, o, wi, wo; was the adapter made for another architecture\? Check --model/);
    const deeper = [...qv, { ...qv[0], name: qv[0].name.replace('block.0', 'block.7') }];
    refused({ sites: deeper }, /tensor "base_model\.model\.encoder\.block\.7\.layer\.0\.SelfAttention\.q\.lora_A\.weight" adapts module "encoder\.block\.7\.layer\.0\.SelfAttention\.q", which this t5 model does not have/);
  });

  test('a tensor whose shape disagrees with the base model: the tensor and both shapes', () => {
    const bad = `base_model.model.${qv[2].name}.lora_A.weight`;
    refused({ shapeOf: (name, shape) => (name === bad ? [4, 32] : shape) },
      new RegExp(`adapter_model\\.safetensors: tensor "${bad.replace(/\./g, '\\.')}" is \\[4, 32\\] in the adapter but lora_qv \\{"r":4,"alpha":16\\} needs \\[4, 16\\] on .*the adapter was made for a model with other dimensions`));
  });

  test('settings with other maths: modules_to_save, lora_bias, a base-changing init, one rank per module', () => {
    refused({ config: { modules_to_save: ['lm_head'] } }, /modules_to_save is \["lm_head"\]: the adapter also carries whole trained copies of those modules/);
    refused({ config: { lora_bias: true } }, /lora_bias is true: it adds a trained bias to lora_B/);
    refused({ config: { init_lora_weights: 'pissa' } }, /init_lora_weights is "pissa": that initialisation changes the base weights.*path_initial_model_for_weight_conversion/);
    refused({ config: { rank_pattern: { q: 8 } } }, /rank_pattern is \{"q":8\}: it gives some modules another rank/);
    refused({ sites: qv.slice(0, 4) }, /target_modules cover 4 Linear layers with roles query,value; the workbench's LoRA methods are lora_qv/);
  });
});

// ---------------------------------------------------------------------------------------
// Scoring

const SETTINGS: ScoreSettings = { microBatch: 4, maxInputTokens: 16, maxTargetTokens: 4 };

const LORA = { r: 4, alpha: 8 };

/** The model in `modelDir` with a lora_qv delta, scored on the task's test split as run.ts scores it. */
function scoredAsRun(modelDir: string, delta: DeltaTensor[], task: TaskData): ReturnType<typeof scoreUnmergedThenMerged> {
  const loaded = loadModel(modelDir);
  const m = getMethod('lora_qv');
  const attached = m.attach(loaded.model, m.validate(LORA, loaded.config), 0);
  try {
    attached.load(delta);
    const enc = splitEncoder(loaded.tokenizer, loaded.config, task, SETTINGS);
    return scoreUnmergedThenMerged(loaded.model, loaded.tokenizer, enc.encode(task.test), task.test, evalOptions(task, SETTINGS, enc), attached.merge);
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
}

test('export → import → evaluate: the same predictions, scores and merge as the trained run\'s scoring code', () => {
  const delta = trainedDelta(ws.modelDir, 'lora_qv', LORA, { std: 0.3, seed: 50 });
  const task = loadTask({ format: 'fields', ...ws.task, input: 'input', target: 'target', metric: 'accuracy', prefix: '' });
  const reference = scoredAsRun(ws.modelDir, delta, task);
  const out = fresh('exported');
  exportDelta({ modelDir: ws.modelDir, method: 'lora_qv', options: LORA, delta, kind: 'adapter', out });
  const e = evaluateAdapter({ adapterDir: out, modelDir: ws.modelDir, task, split: 'test', settings: SETTINGS, examples: 0 });
  assert.equal(e.adapter.method, 'lora_qv');
  assert.deepEqual(e.adapter.warnings, []);
  assert.deepEqual(e.predictions, reference.unmerged.predictions);
  assert.ok(new Set(e.predictions).size > 1, `the moved adapter predicts varied text: ${e.predictions}`);
  assert.equal(e.score, reference.unmerged.score);
  assert.equal(e.mergedScore, reference.merged!.score);
  assert.equal(e.examples, task.test.length);
  assert.ok(e.inferTokensPerSecUnmerged > 0 && e.inferTokensPerSecMerged! > 0);
  assert.equal(e.trainableParams, getMethod('lora_qv').count(modelShape(readModelConfig(ws.modelDir)), LORA).trainable);
  const validation = evaluateAdapter({ adapterDir: out, modelDir: ws.modelDir, task, split: 'validation', settings: SETTINGS, examples: 3 });
  assert.equal(validation.examples, 3);
});

test('an adapter folder whose tensors are not floating point is refused naming the tensor', () => {
  const written = writePeftLora(fresh('ints'), fixture());
  const file = path.join(written.dir, 'adapter_model.safetensors');
  const buf = readFileSync(file);
  const len = Number(buf.readBigUInt64LE(0));
  const header = buf.subarray(8, 8 + len).toString('utf8').replace('"dtype":"F32"', '"dtype":"I32"');
  writeFileSync(file, Buffer.concat([buf.subarray(0, 8), Buffer.from(header), buf.subarray(8 + len)]));
  assert.throws(() => importAdapter(written.dir, ws.modelDir), /adapter_model\.safetensors: tensor ".*" is I32; adapter weights must be floating point/);
});

// ---------------------------------------------------------------------------------------
// Encoders: a sequence classifier's adapter carries its trained head (modules_to_save)

describe('an encoder adapter as Python\'s peft writes it for SEQ_CLS', () => {
  const HEADS = {
    bert_tiny: [{ name: 'classifier.weight', shape: [3, 32] }, { name: 'classifier.bias', shape: [3] }],
    roberta_tiny: [
      { name: 'classifier.dense.weight', shape: [32, 32] }, { name: 'classifier.dense.bias', shape: [32] },
      { name: 'classifier.out_proj.weight', shape: [2, 32] }, { name: 'classifier.out_proj.bias', shape: [2] },
    ],
  };
  const seqCls = (base: string, o: Partial<LoraFixture>): LoraFixture => fixture({
    sites: modelShape(readModelConfig(base)).linears.filter((s) => s.role === 'query' || s.role === 'value'),
    targets: ['query', 'value'], taskType: 'SEQ_CLS', baseModel: 'org/base', config: { modules_to_save: ['classifier', 'score'] }, ...o,
  });

  for (const name of ['bert_tiny', 'roberta_tiny'] as const) {
    test(`${name}: LoRA on query and value with the head in modules_to_save reproduces W + (α/r)·B·A and the saved head`, () => {
      const base = encoderFolder(name, fresh(name));
      const written = writePeftLora(fresh(`py-${name}`), seqCls(base, { head: HEADS[name] }));
      const before = tf.memory().numTensors;
      const { logits, adapter } = importedLogits(written.dir, base);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      assert.equal(adapter.method, 'lora_qv');
      assert.equal(adapter.delta.filter((d) => d.name.startsWith('classifier.')).length, HEADS[name].length);
      const reference = logitsOf(mergeByHand(base, written, 4, 16 / 4, fresh('merged-head')));
      assert.ok(relError(logits, reference) < 1e-5, `relative error ${relError(logits, reference)}`);
      const baseHeadOnly = logitsOf(mergeByHand(base, { ...written, head: new Map() }, 4, 16 / 4, fresh('merged-base-head')));
      assert.ok(relError(logits, baseHeadOnly) > 1e-3, 'the adapter\'s head, not the base\'s, classifies');
    });
  }

  test('without its head: the base checkpoint\'s classifier is used with a warning, and a base without one is refused', () => {
    const base = encoderFolder('bert_tiny', fresh('bert-head'));
    const written = writePeftLora(fresh('py-headless'), seqCls(base, { config: { modules_to_save: null } }));
    const { logits, adapter } = importedLogits(written.dir, base);
    assert.ok(adapter.warnings.some((w) => /holds no classifier head \("base_model\.model\.classifier\.weight", …\); the base checkpoint's own classifier/.test(w)), adapter.warnings.join('\n'));
    assert.ok(relError(logits, logitsOf(mergeByHand(base, written, 4, 4, fresh('merged-headless')))) < 1e-5);
    const bare = encoderFolder('bert_tiny', fresh('bert-base'), false);
    assert.throws(() => importAdapter(written.dir, bare), /holds no classifier head .* has none either, so the classifier would be untrained/);
  });
});

test('an encoder: export → import → evaluate predicts the trained labels; a task of another label count is refused naming the head', () => {
  const base = encoderFolder('bert_tiny', fresh('bert-eval'));
  const taskDir = fresh('bert-task');
  mkdirSync(taskDir);
  const words = ['the cat sat', 'on the mat', 'a cat', 'playing cats', 'the mat sat on a cat', 'cafe, tea!', 'tax', 'yes yes'];
  const split = (n: number, labels: string[]) => words.slice(0, n).map((w, i) => JSON.stringify({ input: w, target: labels[i % labels.length] })).join('\n');
  const write = (labels: string[]) => {
    for (const [s, n] of [['train', 8], ['validation', 4], ['test', 8]] as const) writeFileSync(path.join(taskDir, `${s}.jsonl`), split(n, labels));
    return loadTask({ format: 'fields', name: 'moods', train: path.join(taskDir, 'train.jsonl'), validation: path.join(taskDir, 'validation.jsonl'), test: path.join(taskDir, 'test.jsonl'), input: 'input', target: 'target', metric: 'accuracy', prefix: '' });
  };
  const task = write(['neg', 'neu', 'pos']);
  const delta = trainedDelta(base, 'lora_qv', LORA, { std: 0.5, seed: 70 });
  const reference = scoredAsRun(base, delta, task);
  const out = fresh('bert-exported');
  exportDelta({ modelDir: base, method: 'lora_qv', options: LORA, delta, kind: 'adapter', out, labels: task.labels });
  const e = evaluateAdapter({ adapterDir: out, modelDir: base, task, split: 'test', settings: SETTINGS, examples: 0 });
  assert.deepEqual(e.predictions, reference.unmerged.predictions);
  assert.ok(new Set(e.predictions).size > 1, `varied labels: ${e.predictions}`);
  assert.equal(e.score, reference.unmerged.score);
  assert.equal(e.mergedScore, reference.merged!.score);
  assert.throws(() => evaluateAdapter({ adapterDir: out, modelDir: base, task: write(['neg', 'pos']), split: 'test', settings: SETTINGS, examples: 0 }),
    /adapter_model\.safetensors: the classifier head's tensor "base_model\.model\.classifier\.weight" is \[3, 32\], 3 labels, but task moods has 2 labels \(neg, pos\)/);
});
