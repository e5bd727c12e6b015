// The Hugging Face PEFT adapter layout (`adapter_config.json` + `adapter_model.safetensors`) for the
// methods PEFT has, in both directions. Names and layouts follow peft's own saving
// (peft/utils/save_and_load.py `get_peft_model_state_dict`): the module path under
// `base_model.model.`, the adapter name removed, torch (out, in) layouts. Reading: peft_read.ts.
//
//   lora_qv, lora_all  LORA      <site>.lora_A.weight (r, in), <site>.lora_B.weight (out, r)
//   dora               LORA      + <site>.lora_magnitude_vector (out), use_dora: true
//   ia3                IA3       <site>.ia3_l (out, 1); the workbench scales Linear outputs, so
//                                feedforward_modules is empty (peft's feed-forward form scales inputs)
//   krona              LOKR      <site>.lokr_w1, lokr_w2 | lokr_w2_a + lokr_w2_b
//   ln_tuning          LN_TUNING <norm>.ln_tuning_layers.weight (the trained norm, as peft copies it)
//   prompt_tuning      PROMPT_TUNING  prompt_embeddings (P, D), num_transformer_submodules 1 (encoder only)
//
// On an encoder every method also carries the trained classifier head as peft's modules_to_save
// (peft_head.ts): task_type SEQ_CLS, modules_to_save ["classifier", "score"].
import type { LinearSite, ModelShape } from '../models/types';
import type { DeltaTensor, MethodOptions } from '../peft/method';
import { OTHER_LINEARS, taskTypeOf } from './family';
import { headToPeft, SEQ_CLS_MODULES, splitHead } from './peft_head';
import { PREFIX } from './peft_read';

/** Methods written in PEFT's layout; the others use the workbench layout (own_layout.ts). */
export const PEFT_TYPES: Record<string, string> = {
  lora_qv: 'LORA', lora_all: 'LORA', dora: 'LORA', ia3: 'IA3', krona: 'LOKR', ln_tuning: 'LN_TUNING', prompt_tuning: 'PROMPT_TUNING',
};

export interface PeftAdapter {
  config: Record<string, unknown>;
  tensors: DeltaTensor[];
}

/** Fields of peft's PeftConfig base class. */
function baseConfig(peftType: string, family: string, baseModel: string): Record<string, unknown> {
  return {
    peft_type: peftType, task_type: taskTypeOf(family), base_model_name_or_path: baseModel,
    revision: null, inference_mode: true, auto_mapping: null,
  };
}

/** The Linear sites a delta touches, from its `base_model.model.<site>.<suffix>` names. */
function touchedSites(shape: ModelShape, delta: DeltaTensor[], suffixes: string[]): LinearSite[] {
  const byName = new Map(shape.linears.map((s) => [s.name, s]));
  const sites = new Map<string, LinearSite>();
  for (const d of delta) {
    const suffix = suffixes.find((s) => d.name.endsWith(`.${s}`));
    if (!suffix || !d.name.startsWith(PREFIX)) continue;
    const site = byName.get(d.name.slice(PREFIX.length, -suffix.length - 1));
    if (site) sites.set(site.name, site);
  }
  return [...sites.values()];
}

/**
 * peft's `target_modules`: the module names when they pick exactly these sites (peft matches a
 * list entry against the end of each module path, BERT's pooler included), else a full-match
 * regex of the site paths.
 */
export function targetModules(shape: ModelShape, sites: LinearSite[]): string[] | string {
  const modules = [...new Set(sites.map((s) => s.module))].sort();
  const linears = [...shape.linears.map((s) => s.name), ...(OTHER_LINEARS[shape.family] ?? [])];
  const matched = linears.filter((n) => modules.some((m) => n === m || n.endsWith(`.${m}`)));
  if (matched.length === sites.length) return modules;
  return `^(?:${sites.map((s) => s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}

function loraConfig(o: MethodOptions, targets: string[] | string, dora: boolean): Record<string, unknown> {
  return {
    r: o.r, lora_alpha: o.alpha, target_modules: targets, lora_dropout: 0, bias: 'none', use_dora: dora,
    use_rslora: false, fan_in_fan_out: false, init_lora_weights: true, modules_to_save: null,
    layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {}, exclude_modules: null,
  };
}

/**
 * The PEFT adapter for a delta saved by `method` (the task head, if any, under modules_to_save), or
 * null when PEFT has no such method.
 */
export function toPeft(method: string, o: MethodOptions, shape: ModelShape, delta: DeltaTensor[], baseModel: string): PeftAdapter | null {
  const peftType = PEFT_TYPES[method];
  if (!peftType) return null;
  const { head, own } = splitHead(shape, delta);
  const adapter = methodToPeft(method, peftType, o, shape, own, baseModel);
  return {
    config: { ...adapter.config, modules_to_save: head.length ? [...SEQ_CLS_MODULES] : null },
    tensors: [...adapter.tensors, ...headToPeft(head, peftType === 'PROMPT_TUNING')],
  };
}

function methodToPeft(method: string, peftType: string, o: MethodOptions, shape: ModelShape, delta: DeltaTensor[], baseModel: string): PeftAdapter {
  const base = baseConfig(peftType, shape.family, baseModel);
  if (method === 'lora_qv' || method === 'lora_all' || method === 'dora') {
    const sites = touchedSites(shape, delta, ['lora_A.weight']);
    return { config: { ...base, ...loraConfig(o, targetModules(shape, sites), method === 'dora') }, tensors: delta };
  }
  if (method === 'ia3') {
    const targets = targetModules(shape, touchedSites(shape, delta, ['ia3_l']));
    return {
      config: { ...base, target_modules: targets, feedforward_modules: [], fan_in_fan_out: false, modules_to_save: null, init_ia3_weights: true, exclude_modules: null },
      tensors: delta,
    };
  }
  if (method === 'krona') {
    const sites = touchedSites(shape, delta, ['lokr_w1']);
    return {
      config: {
        ...base, r: o.r, alpha: o.alpha, target_modules: targetModules(shape, sites), rank_dropout: 0, module_dropout: 0,
        use_effective_conv2d: false, decompose_both: false, decompose_factor: -1, rank_dropout_scale: false,
        init_weights: true, layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {},
        modules_to_save: null, exclude_modules: null,
      },
      tensors: delta,
    };
  }
  if (method === 'ln_tuning') {
    const tensors = delta.map((d) => ({ ...d, name: lnToPeft(d.name) }));
    const targets = [...new Set(delta.map((d) => d.name.split('.').slice(-2, -1)[0]))].sort();
    return { config: { ...base, target_modules: targets, exclude_modules: null, modules_to_save: null }, tensors };
  }
  return { config: promptConfig(base, o, shape, delta), tensors: delta };
}

function promptConfig(base: Record<string, unknown>, o: MethodOptions, shape: ModelShape, delta: DeltaTensor[]): Record<string, unknown> {
  const att = shape.attentions[0];
  const encoderLayers = new Set(shape.attentions.filter((a) => a.stack === 'encoder').map((a) => a.block)).size;
  return {
    ...base, num_virtual_tokens: o.num_virtual_tokens, token_dim: delta[0].shape[1], num_transformer_submodules: 1,
    num_attention_heads: att?.numHeads ?? null, num_layers: encoderLayers, modules_to_save: null,
    prompt_tuning_init: 'RANDOM', prompt_tuning_init_text: null, tokenizer_name_or_path: null, tokenizer_kwargs: null,
  };
}

/** `encoder.final_layer_norm.weight` → `base_model.model.encoder.final_layer_norm.ln_tuning_layers.weight`. */
function lnToPeft(name: string): string {
  const cut = name.lastIndexOf('.');
  return `${PREFIX}${name.slice(0, cut)}.ln_tuning_layers${name.slice(cut)}`;
}
