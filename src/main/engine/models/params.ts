// Family-neutral parameter plumbing: specs in checkpoint layout, seeded init, and loading that
// checks every name and shape against the headers first, then streams one tensor at a time into
// a variable, so host memory holds at most one checkpoint tensor beside the model.
import * as tf from '@tensorflow/tfjs-core';

export interface ParamSpec {
  /** Checkpoint name, e.g. `encoder.block.0.layer.0.SelfAttention.q.weight`. */
  name: string;
  /** Shape in the checkpoint: (out, in) for Linear layers. */
  shape: number[];
  /** Stored transposed, (in, out), so the forward pass is x·W. */
  linear: boolean;
  /** Standard deviation of the family's normal init; null: ones (norm scales); 0: zeros (biases). */
  std: number | null;
  /** A task head the checkpoint may lack (an encoder's classifier): then initialised from the seed. */
  optional?: boolean;
}

/** Where checkpoint tensors come from: a Map in tests, safetensors files (one or sharded) when loading. */
export interface TensorSource {
  names(): string[];
  /** Checkpoint shape of `name` (from the header; no data read). */
  shape(name: string): number[];
  /**
   * The values of `name` as float32 (F16/BF16/F64 converted). With `reuse`, the source may return
   * a buffer it reuses on the next read (the caller copies the values before reading again).
   */
  read(name: string, reuse?: boolean): Float32Array;
}

export function mapSource(weights: Map<string, Float32Array>, shapes: Map<string, number[]>): TensorSource {
  return {
    names: () => [...weights.keys()],
    shape: (n) => shapes.get(n) ?? [weights.get(n)!.length],
    read: (n) => {
      const data = weights.get(n);
      if (data === undefined) throw new Error(`no tensor named "${n}"`);
      return data;
    },
  };
}

export interface LoadRules {
  /** Family label for messages, e.g. "LLaMA". */
  family: string;
  /** Other names a parameter may be stored under (T5's `encoder.embed_tokens.weight` for `shared.weight`). */
  aliases?: Record<string, string[]>;
  /** Tensors a checkpoint may hold that the model does not use (a written-out tied head, rotary caches). */
  ignored?: (name: string) => boolean;
  /** Config fields to check when the checkpoint and config disagree. */
  fields: string;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Which stored tensor holds each spec; refuses missing, stray and wrongly shaped tensors. */
export function resolveTensors(specs: ParamSpec[], source: TensorSource, rules: LoadRules): Map<ParamSpec, string> {
  const present = new Set(source.names());
  const used = new Set<string>();
  const out = new Map<ParamSpec, string>();
  for (const spec of specs) {
    const found = [spec.name, ...(rules.aliases?.[spec.name] ?? [])].find((n) => present.has(n));
    if (found === undefined && spec.optional) continue;
    if (found === undefined) {
      throw new Error(`${rules.family} checkpoint: tensor ${spec.name} is missing (expected shape [${spec.shape}]); check ${rules.fields} in config.json`);
    }
    const shape = source.shape(found);
    if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`${rules.family} checkpoint: tensor ${found} has shape [${shape}], the config expects [${spec.shape}]; check ${rules.fields} in config.json`);
    }
    out.set(spec, found);
  }
  for (const spec of specs) for (const n of [spec.name, ...(rules.aliases?.[spec.name] ?? [])]) used.add(n);
  const strays = [...present].filter((n) => !used.has(n) && !(rules.ignored?.(n) ?? false));
  if (strays.length > 0) {
    const listed = strays.slice(0, 4).join(', ') + (strays.length > 4 ? `, … (${strays.length} in all)` : '');
    throw new Error(`${rules.family} checkpoint: unexpected tensors ${listed}; check ${rules.fields} in config.json`);
  }
  return out;
}

/**
 * Backends that copy a new tensor's values into their own memory at creation, so a reused read
 * buffer is safe; cpu and tensorflow keep a reference to the array they are given.
 */
const COPYING_BACKENDS = new Set(['wasm', 'webgl', 'webgpu']);

/**
 * Variables from checkpoint tensors, read one at a time (Linear (out, in) held as (in, out)).
 * On copying backends every tensor is read through one reused buffer, so no garbage piles up
 * between collections and peak host memory stays near the model's size plus its largest tensor.
 * An optional spec the checkpoint lacks is initialised as `initParams` would with `seed`.
 */
export function loadParams(specs: ParamSpec[], source: TensorSource, rules: LoadRules, seed = 0): Map<string, tf.Variable> {
  const where = resolveTensors(specs, source, rules); // every check before any allocation
  const reuse = COPYING_BACKENDS.has(tf.getBackend());
  const params = new Map<string, tf.Variable>();
  let scratch = new Float32Array(0); // transposed Linear weights, reused on copying backends
  try {
    for (const [i, spec] of specs.entries()) {
      const stored = where.get(spec);
      if (stored === undefined) {
        params.set(spec.name, tf.tidy(() => tf.variable(initTensor(spec, seed, i))));
        continue;
      }
      const data = source.read(stored, reuse);
      const n = numel(spec.shape);
      if (data.length !== n) {
        throw new Error(`${rules.family} checkpoint: tensor ${spec.name} holds ${data.length} values, shape [${spec.shape}] needs ${n}`);
      }
      if (!spec.linear) {
        params.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(data, spec.shape))));
        continue;
      }
      // Transposed on the host, so the backend allocates each weight once and keeps no holes.
      if (!reuse || scratch.length < n) scratch = new Float32Array(n);
      const [out, inF] = spec.shape;
      const held = transpose(data, out, inF, scratch.subarray(0, n)); // (in, out)
      params.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(held, [inF, out]))));
    }
  } catch (err) {
    for (const v of params.values()) v.dispose();
    throw err;
  }
  return params;
}

/** (rows, cols) row-major → (cols, rows) row-major, into `out`. */
function transpose(data: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[row + c];
  }
  return out;
}

/** A positive 31-bit seed for parameter `index`, never 0 (TF.js treats seed 0 as "unseeded"). */
export function paramSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h & 0x7fffffff) || 1;
}

/** The fresh value of spec number `index` (held layout): N(0, std), ones for norms, zeros for biases. */
function initTensor(s: ParamSpec, seed: number, index: number): tf.Tensor {
  const shape = s.linear ? [s.shape[1], s.shape[0]] : s.shape;
  return s.std === null ? tf.ones(shape) : s.std === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, s.std, 'float32', paramSeed(seed, index));
}

/** Fresh variables: N(0, std) drawn with TF.js's seeded generator, ones for norms, zeros for biases. */
export function initParams(specs: ParamSpec[], seed: number): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  specs.forEach((s, i) => params.set(s.name, tf.tidy(() => tf.variable(initTensor(s, seed, i)))));
  return params;
}

export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((n, s) => n + numel(s.shape), 0);
}
