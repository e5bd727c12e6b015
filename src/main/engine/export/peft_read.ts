// Reading a Hugging Face PEFT adapter (adapter_config.json + adapter_model.safetensors, as peft's
// save_pretrained writes it in Python, or as export writes it here) as a workbench method. The
// mapping is taken only where the maths is the same; anything else is refused naming the field.
//
//   LORA  q, v of every attention        → lora_qv   (r from lora_A, lora_alpha → alpha)
//   LORA  every Linear                   → lora_all
//   LORA  use_dora, q and v              → dora
//   LORA  use_rslora                     → the same, with alpha = lora_alpha·√r (peft scales by α/√r)
//   IA3   no feedforward_modules         → ia3 (targets: the roles of the scaled Linears)
//   LOKR  q and v                        → krona
//   LN_TUNING                            → ln_tuning (…<norm>.ln_tuning_layers.weight → <norm>.weight)
//   PROMPT_TUNING, one submodule         → prompt_tuning
//
// On an encoder (task_type SEQ_CLS) the trained classifier head comes along as modules_to_save and
// is read as the head every workbench method trains (peft_head.ts).
//
// peft itself sets fan_in_fan_out to false on torch Linear layers (every target here), so that
// flag loads with a warning, as it does in peft.
import type { LinearSite, ModelShape } from '../models/types';
import type { DeltaTensor, MethodOptions } from '../peft/method';
import { OTHER_LINEARS, taskTypeOf } from './family';
import { readPeftHead } from './peft_head';

export const PREFIX = 'base_model.model.';

export interface Imported {
  method: string;
  options: MethodOptions;
  delta: DeltaTensor[];
  /** What loads, but not exactly as the adapter's config says (peft's own adjustments, rsLoRA's scale). */
  warnings: string[];
  /** Workbench tensor name → the name in the adapter file, where the two differ (LN tuning). */
  fileNames?: Map<string, string>;
}

type Fields = Record<string, unknown>;

function refuse(file: string, field: string, why: string): never {
  throw new Error(`${file}: ${field} ${why}`);
}

function positive(c: Fields, key: string, file: string): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) refuse(file, key, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

const empty = (v: unknown) => v === undefined || v === null || v === false || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** Settings whose adapters compute something the workbench's methods do not; each says what it would take. */
const UNSUPPORTED: [string, string][] = [
  ['layers_to_transform', 'adapts only some layers; the workbench\'s methods adapt every layer of their kind'],
  ['rank_pattern', 'gives some modules another rank; the workbench\'s LoRA has one r for every module'],
  ['alpha_pattern', 'gives some modules another alpha; the workbench\'s LoRA has one alpha for every module'],
  ['trainable_token_indices', 'also trains some embedding rows; no workbench method does'],
  ['decompose_both', 'splits w1 as well; the workbench\'s krona keeps w1 whole (peft\'s default)'],
  ['lora_bias', 'adds a trained bias to lora_B; the workbench\'s LoRA has none'],
  ['use_qalora', 'is quantisation-aware LoRA, which pools the input; the workbench\'s LoRA does not'],
  ['alora_invocation_tokens', 'makes an activated LoRA that applies only after its invocation tokens; the workbench\'s LoRA applies everywhere'],
  ['target_parameters', 'adapts parameters that are not Linear layers; the workbench\'s LoRA adapts Linear layers'],
  ['layer_replication', 'duplicates layers of the base model; the workbench keeps the base model as it is'],
];

/** init_lora_weights values that change the base weights at initialisation, so the adapter only fits the changed base. */
const BASE_CHANGING_INIT = /^(pissa|olora|corda|loftq)/i;

function refuseUnsupported(c: Fields, file: string): void {
  for (const [key, why] of UNSUPPORTED) {
    if (!empty(c[key])) refuse(file, key, `is ${JSON.stringify(c[key])}: it ${why}, so this adapter cannot be loaded exactly`);
  }
  if (c.bias !== undefined && c.bias !== 'none') refuse(file, 'bias', `is ${JSON.stringify(c.bias)}; only "none" is supported (training biases is the bitfit method)`);
  if (typeof c.init_lora_weights === 'string' && BASE_CHANGING_INIT.test(c.init_lora_weights)) {
    refuse(file, 'init_lora_weights', `is "${c.init_lora_weights}": that initialisation changes the base weights, so the adapter fits only the changed base; save it with path_initial_model_for_weight_conversion (peft converts it to a plain LoRA on the original base) and import that`);
  }
}

/** Whether a peft target_modules entry picks the module at `name` (peft matches the whole path or its end). */
const entryMatches = (entry: string, name: string) => name === entry || name.endsWith(`.${entry}`);

/** Refuses target_modules that name no Linear layer of this model: the adapter was made for another architecture. */
function checkTargets(c: Fields, shape: ModelShape, file: string): void {
  const t = c.target_modules;
  if (t === undefined || t === null || t === 'all-linear') return;
  const names = shape.linears.map((s) => s.name);
  const modules = [...new Set(shape.linears.map((s) => s.module))].join(', ');
  const hint = `this ${shape.family} model's Linear modules are ${modules}; was the adapter made for another architecture? Check --model`;
  if (typeof t === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${t})$`);
    } catch (err) {
      return refuse(file, 'target_modules', `is not a valid regular expression (${(err as Error).message})`);
    }
    if (!names.some((n) => re.test(n))) refuse(file, 'target_modules', `${JSON.stringify(t)} matches no module of this model; ${hint}`);
    return;
  }
  if (!Array.isArray(t) || !t.every((x) => typeof x === 'string')) refuse(file, 'target_modules', `must be a list of module names or a regular expression, got ${JSON.stringify(t)}`);
  if (!t.some((entry) => names.some((n) => entryMatches(entry, n)))) {
    refuse(file, 'target_modules', `${JSON.stringify(t)} name no module of this model; ${hint}`);
  }
}

/**
 * The Linear sites a delta adapts, from its `base_model.model.<site>.<suffix>` names. A tensor with
 * the suffix whose module this model lacks is refused, naming it.
 */
function touchedSites(shape: ModelShape, delta: DeltaTensor[], suffix: string, file: string): LinearSite[] {
  const byName = new Map(shape.linears.map((s) => [s.name, s]));
  const sites = new Map<string, LinearSite>();
  for (const d of delta) {
    if (!d.name.endsWith(`.${suffix}`)) continue;
    const module = d.name.startsWith(PREFIX) ? d.name.slice(PREFIX.length, -suffix.length - 1) : null;
    const site = module === null ? undefined : byName.get(module);
    if (!site && module !== null && OTHER_LINEARS[shape.family]?.includes(module)) {
      refuse(file, `tensor "${d.name}"`, `adapts module "${module}", which no workbench method adapts (they adapt the Linear layers of the ${shape.family} model's layers, named like "${shape.linears[0]?.name}"); train the adapter without it`);
    }
    if (!site) {
      refuse(file, `tensor "${d.name}"`, `adapts ${module === null ? `a module outside ${PREFIX}` : `module "${module}"`}, which this ${shape.family} model does not have (its Linear layers are named like "${shape.linears[0]?.name}"); is --model the adapter's base model?`);
    }
    sites.set(site.name, site);
  }
  if (!sites.size) refuse(file, 'adapter_model.safetensors', `holds no ${suffix} tensor; peft saves one per adapted module (base_model.model.<module>.${suffix})`);
  return [...sites.values()];
}

/** The roles of the Linear sites an adapter touches, checked against a method's role set. */
function rolesOf(sites: LinearSite[]): string {
  return [...new Set(sites.map((s) => s.role))].sort().join(',');
}

function loraMethodFor(c: Fields, shape: ModelShape, sites: LinearSite[], file: string): string {
  const roles = rolesOf(sites);
  const complete = (r: string) => sites.length === shape.linears.filter((s) => r.split(',').includes(s.role)).length;
  if (c.use_dora === true) {
    if (roles === 'query,value' && complete(roles)) return 'dora';
    refuse(file, 'target_modules', `make DoRA touch ${sites.length} Linear layers with roles ${roles}; the workbench's dora covers query and value of every attention`);
  }
  if (roles === 'query,value' && complete(roles)) return 'lora_qv';
  if (sites.length === shape.linears.length) return 'lora_all';
  return refuse(file, 'target_modules', `cover ${sites.length} Linear layers with roles ${roles}; the workbench's LoRA methods are lora_qv (query and value of every attention) and lora_all (every Linear)`);
}

function fanInFanOut(c: Fields, warnings: string[], file: string): void {
  if (c.fan_in_fan_out === true) {
    warnings.push(`${file}: fan_in_fan_out is true, but every adapted layer is a torch Linear, for which peft itself sets it to false; loaded with torch's (out, in) layout, as peft loads it`);
  }
}

function lora(c: Fields, tensors: DeltaTensor[], shape: ModelShape, file: string, warnings: string[]): Imported {
  const sites = touchedSites(shape, tensors, 'lora_A.weight', file);
  const ranks = tensors.filter((d) => d.name.endsWith('.lora_A.weight'));
  const r = ranks[0].shape[0];
  const other = ranks.find((d) => d.shape[0] !== r);
  if (other) refuse(file, `tensor "${other.name}"`, `has rank ${other.shape[0]} where "${ranks[0].name}" has ${r}; the workbench's LoRA has one rank for every module`);
  if (c.r !== r) refuse(file, 'r', `is ${JSON.stringify(c.r)} but the lora_A weights have rank ${r}`);
  fanInFanOut(c, warnings, file);
  let alpha = positive(c, 'lora_alpha', file);
  if (c.use_rslora === true) {
    // rsLoRA scales the update by α/√r; the workbench's LoRA by α/r, so α' = α·√r gives the same update.
    const scaled = alpha * Math.sqrt(r);
    warnings.push(`${file}: use_rslora scales by lora_alpha/√r = ${(alpha / Math.sqrt(r)).toPrecision(6)}; loaded as alpha ${scaled.toPrecision(6)} over r ${r}, the same scale`);
    alpha = scaled;
  }
  return { method: loraMethodFor(c, shape, sites, file), options: { r, alpha }, delta: tensors, warnings };
}

function ia3(c: Fields, tensors: DeltaTensor[], shape: ModelShape, file: string, warnings: string[]): Imported {
  const ff = c.feedforward_modules;
  if (Array.isArray(ff) ? ff.length > 0 : ff !== undefined && ff !== null) {
    refuse(file, 'feedforward_modules', `is ${JSON.stringify(ff)}: peft scales those Linears' inputs, while the workbench's ia3 scales outputs only; export again without feed-forward modules`);
  }
  fanInFanOut(c, warnings, file);
  const sites = touchedSites(shape, tensors, 'ia3_l', file);
  return { method: 'ia3', options: { targets: [...new Set(sites.map((s) => s.role))] }, delta: tensors, warnings };
}

function lokr(c: Fields, tensors: DeltaTensor[], shape: ModelShape, file: string, warnings: string[]): Imported {
  if (c.decompose_factor !== undefined && c.decompose_factor !== -1) {
    refuse(file, 'decompose_factor', `is ${JSON.stringify(c.decompose_factor)}; the workbench's krona factorises each dimension as peft's default (-1) does`);
  }
  const sites = touchedSites(shape, tensors, 'lokr_w1', file);
  if (rolesOf(sites) !== 'query,value') refuse(file, 'target_modules', `cover roles ${rolesOf(sites)}; the workbench's krona covers query and value`);
  return { method: 'krona', options: { r: positive(c, 'r', file), alpha: positive(c, 'alpha', file) }, delta: tensors, warnings };
}

function lnTuning(tensors: DeltaTensor[], file: string, warnings: string[]): Imported {
  const fileNames = new Map<string, string>();
  const delta = tensors.map((d) => {
    const m = /^base_model\.model\.(.+)\.ln_tuning_layers\.([^.]+)$/.exec(d.name);
    if (!m) refuse(file, `tensor "${d.name}"`, 'is not an LN tuning weight (expected base_model.model.<norm>.ln_tuning_layers.weight)');
    fileNames.set(`${m[1]}.${m[2]}`, d.name);
    return { ...d, name: `${m[1]}.${m[2]}` };
  });
  return { method: 'ln_tuning', options: {}, delta, warnings, fileNames };
}

/**
 * The workbench method, options and delta for a PEFT adapter on a model of `shape` whose
 * parameters are `params`; an encoder's trained head (modules_to_save) joins the delta.
 */
export function fromPeft(c: Fields, tensors: DeltaTensor[], shape: ModelShape, params: string[], file: string): Imported {
  const type = c.peft_type;
  if (typeof type !== 'string') refuse(file, 'peft_type', `is missing or not a string, got ${JSON.stringify(type)}`);
  const taskType = taskTypeOf(shape.family);
  if (c.task_type !== undefined && c.task_type !== null && c.task_type !== taskType) {
    refuse(file, 'task_type', `is ${JSON.stringify(c.task_type)} but a ${shape.family} model is ${taskType}; was the adapter trained on another kind of model?`);
  }
  refuseUnsupported(c, file);
  const { head, rest, fileNames } = readPeftHead(c, tensors, shape, params, file);
  const imported = methodFromPeft(type, taskType, c, rest, shape, file);
  if (!head.length) return imported;
  return { ...imported, delta: [...imported.delta, ...head], fileNames: new Map([...(imported.fileNames ?? []), ...fileNames]) };
}

function methodFromPeft(type: string, taskType: string, c: Fields, tensors: DeltaTensor[], shape: ModelShape, file: string): Imported {
  const warnings: string[] = [];
  if (['LORA', 'IA3', 'LOKR'].includes(type)) checkTargets(c, shape, file);
  if (type === 'LORA') return lora(c, tensors, shape, file, warnings);
  if (type === 'IA3') return ia3(c, tensors, shape, file, warnings);
  if (type === 'LOKR') return lokr(c, tensors, shape, file, warnings);
  if (type === 'LN_TUNING') return lnTuning(tensors, file, warnings);
  if (type === 'PROMPT_TUNING') {
    // peft's default is 2 (encoder and decoder) for sequence-to-sequence models, 1 for decoders and encoders.
    const submodules = c.num_transformer_submodules ?? (taskType === 'SEQ_2_SEQ_LM' ? 2 : 1);
    if (submodules !== 1) {
      refuse(file, 'num_transformer_submodules', `is ${JSON.stringify(submodules)}${c.num_transformer_submodules === undefined ? ' (peft\'s default here)' : ''}; the workbench's prompt tuning prompts the encoder only (1)`);
    }
    return { method: 'prompt_tuning', options: { num_virtual_tokens: positive(c, 'num_virtual_tokens', file) }, delta: tensors, warnings };
  }
  return refuse(file, 'peft_type', `${JSON.stringify(type)} is not one the workbench loads (LORA, IA3, LOKR, LN_TUNING, PROMPT_TUNING)`);
}
