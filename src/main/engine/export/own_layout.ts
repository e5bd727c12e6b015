// The workbench adapter layout, for methods Hugging Face PEFT does not have (bottleneck adapters,
// Compacter, MAM, UniPELT), for prefix tuning (whose maths PEFT's encoder-decoder prefix tuning
// does not share: PEFT feeds prefixes to the decoder only) and for BitFit:
//
//   workbench_adapter.json         what was trained: method, options, base model, mergeable, overhead
//   workbench_adapter.safetensors  the method's save() tensors under the workbench's names, float32
//
// Loading it back: `peft-bench import DIR --model BASE`.
import type { ModelShape } from '../models/types';
import type { MethodOptions } from '../peft/method';

export const OWN_CONFIG = 'workbench_adapter.json';
export const OWN_WEIGHTS = 'workbench_adapter.safetensors';
export const OWN_FORMAT = 'peft-workbench-adapter';

export interface OwnConfig {
  format: typeof OWN_FORMAT;
  format_version: 1;
  method: string;
  method_options: MethodOptions;
  model_family: string;
  base_model_name_or_path: string;
  mergeable: boolean;
  /** Why the delta cannot be folded into the base weights, or null where it can. */
  merge_note: string | null;
  inference_overhead: string;
}

const num = (o: MethodOptions, key: string, fallback: number) => (typeof o[key] === 'number' ? (o[key] as number) : fallback);

function adapterSites(shape: ModelShape, kinds: string[]): number {
  return shape.sublayers.filter((s) => kinds.includes(s.kind)).length;
}

function bottleneck(shape: ModelShape, kinds: string[], o: MethodOptions, what: string): string {
  const m = Math.max(1, Math.floor(shape.dModel / num(o, 'reduction_factor', 16)));
  const n = adapterSites(shape, kinds);
  return `${n} ${what} (d ${shape.dModel} → ${m} → ${shape.dModel}): ${n} × 2·${shape.dModel}·${m} = ${(n * 2 * shape.dModel * m).toLocaleString('en-US')} extra multiply-adds per token`;
}

function prefix(shape: ModelShape, o: MethodOptions): string {
  const P = num(o, 'prefix_length', 30);
  return `${P} extra key/value slots at each of ${shape.attentions.length} attentions: every query attends ${P} more positions`;
}

/** What keeping the method's modules separate costs at inference, from the model's structure. */
export function inferenceOverhead(method: string, shape: ModelShape, o: MethodOptions): string {
  const ffn = ['feed_forward'];
  switch (method) {
    case 'houlsby': return bottleneck(shape, ['self_attention', 'feed_forward'], o, 'serial bottleneck adapters');
    case 'pfeiffer': return bottleneck(shape, ffn, o, 'serial bottleneck adapters');
    case 'parallel_adapter': return bottleneck(shape, ffn, o, 'parallel bottleneck adapters');
    case 'compacter':
    case 'compacter_pp': return `${bottleneck(shape, ffn, o, 'PHM bottleneck adapters')}; the PHM weights are rebuilt from their Kronecker factors once per forward pass`;
    case 'mam': return `${prefix(shape, o)}; plus ${bottleneck(shape, ffn, { reduction_factor: num(o, 'reduction_factor', 2) }, 'parallel adapters')}`;
    case 'unipelt': return `${prefix(shape, o)}; gated LoRA on q and v (rank ${num(o, 'r', 8)}, not mergeable while gated); ${bottleneck(shape, ffn, o, 'gated serial adapters')}; three per-example gates per layer`;
    case 'prefix_tuning': return prefix(shape, o);
    case 'prompt_tuning': return `${num(o, 'num_virtual_tokens', 20)} soft-prompt vectors in front of every encoder input: that many more positions through every layer`;
    case 'bitfit': return 'none once merged: the trained biases replace the base ones';
    default: return 'see docs/methods.md';
  }
}

const MERGE_NOTES: Record<string, string> = {
  houlsby: 'adapters contain a non-linearity between their two projections, so they cannot be folded into a Linear weight',
  pfeiffer: 'adapters contain a non-linearity between their two projections, so they cannot be folded into a Linear weight',
  parallel_adapter: 'adapters contain a non-linearity between their two projections, so they cannot be folded into a Linear weight',
  compacter: 'PHM adapters contain a non-linearity between their two projections, so they cannot be folded into a Linear weight',
  compacter_pp: 'PHM adapters contain a non-linearity between their two projections, so they cannot be folded into a Linear weight',
  mam: 'prefixes add attention positions and the adapters contain a non-linearity; neither is a weight change',
  unipelt: 'every part is gated per example (sigmoid of the input), so no fixed weight change exists',
  prefix_tuning: 'prefixes add attention positions; they are not a weight change',
};

export function ownConfig(method: string, mergeable: boolean, o: MethodOptions, shape: ModelShape, baseModel: string): OwnConfig {
  return {
    format: OWN_FORMAT, format_version: 1, method, method_options: o, model_family: shape.family,
    base_model_name_or_path: baseModel, mergeable,
    merge_note: mergeable ? null : `${method} cannot be merged: ${MERGE_NOTES[method] ?? 'the method changes the computation, not the weights'}`,
    inference_overhead: inferenceOverhead(method, shape, o),
  };
}

/** Checks a parsed workbench_adapter.json; throws naming the field. */
export function parseOwnConfig(raw: unknown, file: string): OwnConfig {
  const c = raw as Partial<OwnConfig> | null;
  if (!c || typeof c !== 'object') throw new Error(`${file}: must be a JSON object`);
  if (c.format !== OWN_FORMAT) throw new Error(`${file}: format must be "${OWN_FORMAT}", got ${JSON.stringify(c.format)}`);
  if (c.format_version !== 1) throw new Error(`${file}: format_version ${JSON.stringify(c.format_version)} is not supported (1 is)`);
  if (typeof c.method !== 'string') throw new Error(`${file}: method must be a method id, got ${JSON.stringify(c.method)}`);
  if (!c.method_options || typeof c.method_options !== 'object') throw new Error(`${file}: method_options must be an object`);
  return c as OwnConfig;
}
