// Adapter folders as Python's peft writes them with save_pretrained (peft 0.15-0.17): the
// adapter_config.json fields LoraConfig.to_dict() gives, and adapter_model.safetensors under
// get_peft_model_state_dict's names (base_model.model.<module>.lora_A.weight (r, in),
// …lora_B.weight (out, r), the adapter name removed), written here with the project's safetensors
// writer. Values come from a fixed pseudo-random stream: test data, not a trained adapter.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeSafetensorsFile, type WritableDtype } from '../src/main/engine/safetensors';

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
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(loraConfig(f), null, 2));
  writeFileSync(path.join(dir, 'README.md'), '---\nlibrary_name: peft\n---\n');
  return { dir, weights };
}

/** An F32 safetensors file read here (not by the engine's reader): name → { shape, data }. */
export function readF32(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e.dtype !== 'F32') throw new Error(`test reader: ${name} is ${e.dtype}`);
    const bytes = buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    out.set(name, { shape: e.shape, data: Float32Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(4 * i)) });
  }
  return out;
}

/**
 * The base checkpoint with W + scale·B·A folded into every adapted Linear (torch (out, in) layout),
 * computed here: the model PEFT's LoRA describes, written as a model folder next to `baseDir`.
 */
export function mergeByHand(baseDir: string, lora: WrittenLora, r: number, scale: number, to: string): string {
  mkdirSync(to, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json']) writeFileSync(path.join(to, f), readFileSync(path.join(baseDir, f)));
  const base = readF32(path.join(baseDir, 'model.safetensors'));
  const tensors = [...base].map(([name, t]) => {
    const w = lora.weights.get(name.replace(/\.weight$/, ''));
    if (!w) return { name, dtype: 'F32' as const, shape: t.shape, data: t.data };
    const [out, inF] = t.shape;
    const data = Float32Array.from(t.data);
    for (let i = 0; i < out; i++) for (let k = 0; k < r; k++) for (let j = 0; j < inF; j++) data[i * inF + j] += scale * w.B[i * r + k] * w.A[k * inF + j];
    return { name, dtype: 'F32' as const, shape: t.shape, data };
  });
  writeSafetensorsFile(path.join(to, 'model.safetensors'), tensors, { format: 'pt' });
  return to;
}
