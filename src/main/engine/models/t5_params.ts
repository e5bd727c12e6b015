// T5's parameters: names and shapes in the Hugging Face checkpoint layout, HF's initialisation,
// and loading from checkpoint tensors. Linear weights are checkpointed (out, in) and held (in, out).
import * as tf from '@tensorflow/tfjs-core';
import { initParams, loadParams, type LoadRules, type ParamSpec, type TensorSource } from './params';
import type { AttentionSite, LinearRole, LinearSite, ModelShape, SublayerSite, T5Config } from './types';

export type { ParamSpec };

/** Tensors a T5 checkpoint may hold besides the parameters: aliases of `shared.weight`, and extras. */
const SHARED_ALIASES = ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'];
/** Written by some conversions and ignored by transformers (`_keys_to_ignore_on_load_unexpected`). */
const IGNORED = ['decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight'];

function attentionSpecs(c: T5Config, prefix: string, ownsBias: boolean): ParamSpec[] {
  const inner = c.numHeads * c.dKv;
  const specs: ParamSpec[] = [
    { name: `${prefix}.q.weight`, shape: [inner, c.dModel], linear: true, std: (c.dModel * c.dKv) ** -0.5 },
    { name: `${prefix}.k.weight`, shape: [inner, c.dModel], linear: true, std: c.dModel ** -0.5 },
    { name: `${prefix}.v.weight`, shape: [inner, c.dModel], linear: true, std: c.dModel ** -0.5 },
    { name: `${prefix}.o.weight`, shape: [c.dModel, inner], linear: true, std: inner ** -0.5 },
  ];
  if (ownsBias) {
    const shape = [c.relativeAttentionNumBuckets, c.numHeads];
    specs.push({ name: `${prefix}.relative_attention_bias.weight`, shape, linear: false, std: c.dModel ** -0.5 });
  }
  return specs;
}

function feedForwardSpecs(c: T5Config, prefix: string): ParamSpec[] {
  const wi = c.feedForwardProj === 'gated-gelu' ? ['wi_0', 'wi_1'] : ['wi'];
  const specs = wi.map((m) => ({
    name: `${prefix}.DenseReluDense.${m}.weight`,
    shape: [c.dFf, c.dModel],
    linear: true,
    std: c.dModel ** -0.5,
  }));
  specs.push({ name: `${prefix}.DenseReluDense.wo.weight`, shape: [c.dModel, c.dFf], linear: true, std: c.dFf ** -0.5 });
  return specs;
}

function norm(c: T5Config, name: string): ParamSpec {
  return { name, shape: [c.dModel], linear: false, std: null };
}

function stackSpecs(c: T5Config, stack: 'encoder' | 'decoder'): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const layers = stack === 'encoder' ? c.numLayers : c.numDecoderLayers;
  for (let i = 0; i < layers; i++) {
    const p = `${stack}.block.${i}.layer`;
    specs.push(...attentionSpecs(c, `${p}.0.SelfAttention`, i === 0), norm(c, `${p}.0.layer_norm.weight`));
    if (stack === 'decoder') {
      specs.push(...attentionSpecs(c, `${p}.1.EncDecAttention`, false), norm(c, `${p}.1.layer_norm.weight`));
    }
    const f = stack === 'decoder' ? 2 : 1;
    specs.push(...feedForwardSpecs(c, `${p}.${f}`), norm(c, `${p}.${f}.layer_norm.weight`));
  }
  specs.push(norm(c, `${stack}.final_layer_norm.weight`));
  return specs;
}

/** Every parameter in the order transformers' save_pretrained writes them. */
export function t5ParamSpecs(c: T5Config): ParamSpec[] {
  const specs = [
    { name: 'shared.weight', shape: [c.vocabSize, c.dModel], linear: false, std: 1.0 },
    ...stackSpecs(c, 'encoder'),
    ...stackSpecs(c, 'decoder'),
  ];
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.dModel], linear: true, std: 1.0 });
  return specs;
}

/** The Linear layers PEFT methods may hook (every q, k, v, o, wi / wi_0 / wi_1, wo). */
export function t5LinearSites(c: T5Config): LinearSite[] {
  return t5ParamSpecs(c)
    .filter((s) => s.linear && s.name !== 'lm_head.weight')
    .map((s) => {
      const name = s.name.slice(0, -'.weight'.length);
      const parts = name.split('.');
      const owner = parts[parts.length - 2];
      const module = parts[parts.length - 1];
      return {
        name,
        module,
        role: linearRole(c, module),
        stack: parts[0] as 'encoder' | 'decoder',
        block: Number(parts[2]),
        attention: owner === 'SelfAttention' ? 'self' : owner === 'EncDecAttention' ? 'cross' : null,
        inFeatures: s.shape[1],
        outFeatures: s.shape[0],
      };
    });
}

function linearRole(c: T5Config, module: string): LinearRole {
  const roles: Record<string, LinearRole> = {
    q: 'query', k: 'key', v: 'value', o: 'attention_output', wo: 'ffn_down',
    wi: 'ffn_up', wi_0: 'ffn_gate', wi_1: 'ffn_up', // gated: gelu_new(wi_0·x) * (wi_1·x)
  };
  const role = roles[module];
  if (role === undefined) throw new Error(`T5 (${c.feedForwardProj}): no role for Linear "${module}"`);
  return role;
}

/** Sublayers in forward order: encoder [self, ffn] per block, decoder [self, cross, ffn]. */
export function t5SublayerSites(c: T5Config): SublayerSite[] {
  const sites: SublayerSite[] = [];
  const add = (stack: 'encoder' | 'decoder', block: number, layer: number, kind: SublayerSite['kind']) =>
    sites.push({ name: `${stack}.block.${block}.layer.${layer}`, kind, stack, block, dim: c.dModel });
  for (let i = 0; i < c.numLayers; i++) {
    add('encoder', i, 0, 'self_attention');
    add('encoder', i, 1, 'feed_forward');
  }
  for (let i = 0; i < c.numDecoderLayers; i++) {
    add('decoder', i, 0, 'self_attention');
    add('decoder', i, 1, 'cross_attention');
    add('decoder', i, 2, 'feed_forward');
  }
  return sites;
}

/** Every attention module: encoder self, decoder self and decoder cross (3L on a symmetric T5). */
export function t5AttentionSites(c: T5Config): AttentionSite[] {
  return t5SublayerSites(c)
    .filter((s) => s.kind !== 'feed_forward')
    .map((s) => ({
      name: `${s.name}.${s.kind === 'cross_attention' ? 'EncDecAttention' : 'SelfAttention'}`,
      kind: s.kind === 'cross_attention' ? 'cross' : 'self',
      stack: s.stack, block: s.block, numHeads: c.numHeads, headDim: c.dKv, queryDim: c.dModel,
    }));
}

/** The structure of a T5 from its config alone (parameter accounting needs no weights). */
export function t5Shape(c: T5Config): ModelShape {
  const specs = t5ParamSpecs(c);
  return {
    family: 't5',
    dModel: c.dModel,
    totalParams: specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    linears: t5LinearSites(c),
    sublayers: t5SublayerSites(c),
    attentions: t5AttentionSites(c),
    norms: specs.filter((s) => s.name.endsWith('layer_norm.weight')).map((s) => ({ name: s.name, size: s.shape[0] })),
    biases: [], // T5 Linear layers have no bias; the relative attention "bias" is a position table
    head: [],
    maxPositions: null, // relative positions: any length
  };
}

/** HF's `_init_weights` for T5, drawn with TF.js's seeded normal generator. */
export function initT5Params(c: T5Config, seed: number): Map<string, tf.Variable> {
  return initParams(t5ParamSpecs(c), seed);
}

/** The loading rules of a T5 checkpoint: `shared.weight` may be stored as either embedding. */
export function t5LoadRules(c: T5Config): LoadRules {
  return {
    family: 'T5',
    aliases: { 'shared.weight': SHARED_ALIASES },
    // a tied head may be written out (it equals shared); some conversions add an unused cross-attention bias table
    ignored: (n) => IGNORED.includes(n) || (c.tieWordEmbeddings && n === 'lm_head.weight'),
    fields: 'num_layers, num_decoder_layers, feed_forward_proj and tie_word_embeddings',
  };
}

/** Variables from checkpoint-layout tensors keyed by HF name (Linear (out, in) stored as (in, out)). */
export function loadT5Params(c: T5Config, source: TensorSource): Map<string, tf.Variable> {
  return loadParams(t5ParamSpecs(c), source, t5LoadRules(c));
}
