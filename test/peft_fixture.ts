// Adapter folders as Python's peft writes them with save_pretrained (peft 0.15-0.17): the
// adapter_config.json fields LoraConfig.to_dict() gives, and adapter_model.safetensors under
// get_peft_model_state_dict's names (base_model.model.<module>.lora_A.weight (r, in),
// …lora_B.weight (out, r), the adapter name removed; a sequence classifier's trained head, kept by
// modules_to_save, under its module path: base_model.model.classifier.weight), written here with the
// project's safetensors writer. Values come from a fixed pseudo-random stream: test data, not a
// trained adapter. Also an independent safetensors reader, encoder model folders and trained-looking
// deltas for the export and import tests.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { importAdapter } from '../src/main/engine/export/import_adapter';
import { probeLogits } from '../src/main/engine/export/verify';
import { loadModel } from '../src/main/engine/models/load';
import type { DeltaTensor, MethodOptions } from '../src/main/engine/peft/method';
import { getMethod } from '../src/main/engine/peft/registry';
import { writeSafetensorsFile, type WritableDtype } from '../src/main/engine/safetensors';
import { readEncoderFixture } from './parity_fixture';
import { bertTokenizer, robertaTokenizer } from './wordpiece_fixtures';

/** A Linear of the base model: its module path and (in, out). */
export interface FixtureSite {
  name: string;
  inFeatures: number;
  outFeatures: number;
}

export interface LoraFixture {
  r: number;
  alpha: number;
  sites: FixtureSite[];
  /** adapter_config.json's target_modules (peft saves the set as a list, in no fixed order). */
  targets: string[] | string;
  baseModel: string;
  taskType?: string;
  /** Fields written over the defaults (e.g. use_rslora, modules_to_save). */
  config?: Record<string, unknown>;
  dtype?: WritableDtype;
  seed?: number;
  /** Replaces a tensor's shape (to make a mismatch). */
  shapeOf?: (name: string, shape: number[]) => number[];
  /** A classifier's trained head, saved by modules_to_save: its tensors (checkpoint names and shapes). */
  head?: { name: string; shape: number[] }[];
}

function stream(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
}

/** LoraConfig.to_dict() as peft 0.17 saves it, with the fixture's values. */
export function loraConfig(f: LoraFixture): Record<string, unknown> {
  return {
    alora_invocation_tokens: null, alpha_pattern: {}, arrow_config: null, auto_mapping: null, base_model_name_or_path: f.baseModel,
    bias: 'none', corda_config: null, ensure_weight_tying: false, eva_config: null, exclude_modules: null, fan_in_fan_out: false,
    inference_mode: true, init_lora_weights: true, layer_replication: null, layers_pattern: null, layers_to_transform: null,
    loftq_config: {}, lora_alpha: f.alpha, lora_bias: false, lora_dropout: 0.05, megatron_config: null, megatron_core: 'megatron.core',
    modules_to_save: null, peft_type: 'LORA', peft_version: '0.17.1', qalora_group_size: 16, r: f.r, rank_pattern: {}, revision: null,
    target_modules: f.targets, target_parameters: null, task_type: f.taskType ?? 'SEQ_2_SEQ_LM', trainable_token_indices: null,
    use_dora: false, use_qalora: false, use_rslora: false, ...f.config,
  };
}

export interface WrittenLora {
  dir: string;
  /** module path → { A (r, in), B (out, r) } as written. */
  weights: Map<string, { A: Float32Array; B: Float32Array }>;
  /** The head's tensors as written, by checkpoint name (classifier.weight, …). */
  head: Map<string, Float32Array>;
}

/** Writes the adapter folder `dir` (adapter_config.json + adapter_model.safetensors + README.md). */
export function writePeftLora(dir: string, f: LoraFixture): WrittenLora {
  mkdirSync(dir, { recursive: true });
  const next = stream(f.seed ?? 11);
  const weights = new Map<string, { A: Float32Array; B: Float32Array }>();
  const tensors = f.sites.flatMap((s) => {
    const A = Float32Array.from({ length: f.r * s.inFeatures }, () => 0.4 * next());
    const B = Float32Array.from({ length: s.outFeatures * f.r }, () => 0.4 * next());
    weights.set(s.name, { A, B });
    const key = (k: string) => `base_model.model.${s.name}.${k}`;
    const shape = (name: string, sh: number[]) => f.shapeOf?.(name, sh) ?? sh;
    const a = { name: key('lora_A.weight'), shape: shape(key('lora_A.weight'), [f.r, s.inFeatures]), data: A };
    const b = { name: key('lora_B.weight'), shape: shape(key('lora_B.weight'), [s.outFeatures, f.r]), data: B };
    const fit = (t: typeof a) => ({ ...t, dtype: f.dtype ?? 'F32', data: t.data.length === t.shape.reduce((x, y) => x * y, 1) ? t.data : new Float32Array(t.shape.reduce((x, y) => x * y, 1)) });
    return [fit(a), fit(b)];
  });
  const head = new Map((f.head ?? []).map((h) => [h.name, Float32Array.from({ length: h.shape.reduce((x, y) => x * y, 1) }, () => 2 * next())]));
  for (const h of f.head ?? []) tensors.push({ name: `base_model.model.${h.name}`, shape: h.shape, data: head.get(h.name)!, dtype: f.dtype ?? 'F32' });
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(loraConfig(f), null, 2));
  writeFileSync(path.join(dir, 'README.md'), '---\nlibrary_name: peft\n---\n');
  return { dir, weights, head };
}

export interface ReadTensor { dtype: string; shape: number[]; data: Float32Array }

function halfToFloat(h: number): number {
  const e = (h >> 10) & 0x1f, m = h & 0x3ff, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * Math.pow(2, -14) * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + m / 1024);
}

function decode(bytes: Buffer, dtype: string, i: number): number {
  if (dtype === 'F32') return bytes.readFloatLE(4 * i);
  if (dtype === 'F16') return halfToFloat(bytes.readUInt16LE(2 * i));
  if (dtype === 'I64') return Number(bytes.readBigInt64LE(8 * i));
  if (dtype !== 'BF16') throw new Error(`test reader: dtype ${dtype}`);
  const b = Buffer.alloc(4);
  b.writeUInt16LE(bytes.readUInt16LE(2 * i), 2);
  return b.readFloatLE(0);
}

/**
 * A safetensors file read here, not by the engine's reader: [u64 LE header length][JSON header][data].
 * Tensors by name (values as float32), the metadata, and the names in data order.
 */
export function readSt(file: string): { meta: Record<string, string>; tensors: Map<string, ReadTensor>; order: string[] } {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const { __metadata__: meta, ...rest } = header as unknown as Record<string, never>;
  const entries = Object.entries(rest) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][];
  const tensors = new Map<string, ReadTensor>();
  for (const [name, e] of entries) {
    const bytes = buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    const data = Float32Array.from({ length: e.shape.reduce((a, b) => a * b, 1) }, (_, i) => decode(bytes, e.dtype, i));
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  const order = entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]).map(([k]) => k);
  return { meta: (meta ?? {}) as Record<string, string>, tensors, order };
}

/** An F32 safetensors file read here (not by the engine's reader): name → { shape, data }. */
export function readF32(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of readSt(file).tensors) {
    if (t.dtype !== 'F32') throw new Error(`test reader: ${name} is ${t.dtype}`);
    out.set(name, { shape: t.shape, data: t.data });
  }
  return out;
}

/**
 * The base checkpoint with W + scale·B·A folded into every adapted Linear (torch (out, in) layout)
 * and the adapter's head in place of the base's, computed here: the model PEFT's LoRA describes,
 * written as a model folder next to `baseDir` (non-float buffers left out, as the loader skips them).
 */
export function mergeByHand(baseDir: string, lora: WrittenLora, r: number, scale: number, to: string): string {
  mkdirSync(to, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json']) writeFileSync(path.join(to, f), readFileSync(path.join(baseDir, f)));
  const base = [...readSt(path.join(baseDir, 'model.safetensors')).tensors].filter(([, t]) => t.dtype === 'F32');
  const tensors = base.map(([name, t]) => {
    const data = Float32Array.from(lora.head.get(name) ?? t.data);
    const w = lora.weights.get(name.replace(/\.weight$/, ''));
    const [out, inF] = t.shape;
    if (w) for (let i = 0; i < out; i++) for (let k = 0; k < r; k++) for (let j = 0; j < inF; j++) data[i * inF + j] += scale * w.B[i * r + k] * w.A[k * inF + j];
    return { name, dtype: 'F32' as const, shape: t.shape, data };
  });
  for (const name of lora.head.keys()) {
    if (!base.some(([n]) => n === name)) throw new Error(`mergeByHand: the base has no ${name} to replace`);
  }
  writeSafetensorsFile(path.join(to, 'model.safetensors'), tensors, { format: 'pt' });
  return to;
}

/**
 * A BERT or RoBERTa model folder from a parity fixture (old gamma/beta names, pretraining heads, the
 * I64 position_ids buffer, RoBERTa's unused pooler), with a tokenizer.json. `withHead` false leaves
 * the classifier out (and writes only the float tensors), as a base model's folder.
 */
export function encoderFolder(fixture: 'bert_tiny' | 'roberta_tiny', to: string, withHead = true): string {
  const fx = readEncoderFixture(fixture);
  mkdirSync(to, { recursive: true });
  const tokenizer = fixture === 'bert_tiny' ? bertTokenizer() : robertaTokenizer([]).json;
  writeFileSync(path.join(to, 'tokenizer.json'), JSON.stringify(tokenizer));
  copyFileSync(path.join(fx.dir, 'config.json'), path.join(to, 'config.json'));
  if (withHead) {
    copyFileSync(path.join(fx.dir, 'model.safetensors'), path.join(to, 'model.safetensors'));
    return to;
  }
  const st = readSt(path.join(fx.dir, 'model.safetensors'));
  const kept = st.order.filter((n) => !n.startsWith('classifier.') && st.tensors.get(n)!.dtype === 'F32');
  writeSafetensorsFile(path.join(to, 'model.safetensors'), kept.map((name) => ({ name, dtype: 'F32' as const, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data })), { format: 'pt' });
  return to;
}

/**
 * A trained-looking delta of `method` on the model in `base`: every trainable variable moved by
 * N(0, std) noise. `numLabels` sizes an encoder's head (initialised where the checkpoint has none).
 */
export function trainedDelta(base: string, method: string, options: MethodOptions = {}, o: { numLabels?: number; std?: number; seed?: number } = {}): DeltaTensor[] {
  const loaded = loadModel(base, { numLabels: o.numLabels });
  const m = getMethod(method);
  const attached = m.attach(loaded.model, m.validate(options, loaded.config), 0);
  try {
    attached.trainable.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, o.std ?? 0.05, 'float32', (o.seed ?? 100) + i)))));
    return attached.save();
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
}

/** Probe logits of the model in `base` with the delta attached (unmerged). */
export function trainedLogits(base: string, method: string, options: MethodOptions, delta: DeltaTensor[], numLabels?: number): Float32Array {
  const loaded = loadModel(base, { numLabels });
  const m = getMethod(method);
  const attached = m.attach(loaded.model, m.validate(options, loaded.config), 0);
  try {
    attached.load(delta);
    return probeLogits(loaded.model);
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
}

/** Probe logits of the model in `modelDir` with the adapter in `adapterDir` imported (unmerged), and what it was read as. */
export function importedLogits(adapterDir: string, modelDir: string) {
  const { loaded, attached, adapter } = importAdapter(adapterDir, modelDir);
  try {
    return { logits: probeLogits(loaded.model), adapter };
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
}
