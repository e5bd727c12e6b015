// The LLaMA family's parameters in the Hugging Face checkpoint layout, its hook sites and structure.
// Linear weights are checkpointed (out, in) and held (in, out); init is transformers' N(0, 0.02).
import type { ParamSpec } from './params';
import type { AttentionSite, DecoderConfig, LinearRole, LinearSite, ModelShape, SublayerSite } from './types';

const INIT_STD = 0.02;
const ROLES: Record<string, LinearRole> = {
  q_proj: 'query', k_proj: 'key', v_proj: 'value', o_proj: 'attention_output',
  gate_proj: 'ffn_gate', up_proj: 'ffn_up', down_proj: 'ffn_down',
};

function linear(name: string, out: number, inF: number): ParamSpec {
  return { name: `${name}.weight`, shape: [out, inF], linear: true, std: INIT_STD };
}

const bias = (name: string, size: number): ParamSpec => ({ name: `${name}.bias`, shape: [size], linear: false, std: 0 });
const norm = (name: string, size: number): ParamSpec => ({ name, shape: [size], linear: false, std: null });

function layerSpecs(c: DecoderConfig, i: number): ParamSpec[] {
  const p = `model.layers.${i}`;
  const q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, D = c.hiddenSize;
  const specs: ParamSpec[] = [];
  for (const [m, out] of [['q_proj', q], ['k_proj', kv], ['v_proj', kv]] as const) {
    specs.push(linear(`${p}.self_attn.${m}`, out, D));
    if (c.qkvBias) specs.push(bias(`${p}.self_attn.${m}`, out));
  }
  specs.push(linear(`${p}.self_attn.o_proj`, D, q));
  if (c.outputBias) specs.push(bias(`${p}.self_attn.o_proj`, D));
  specs.push(
    linear(`${p}.mlp.gate_proj`, c.intermediateSize, D),
    linear(`${p}.mlp.up_proj`, c.intermediateSize, D),
    linear(`${p}.mlp.down_proj`, D, c.intermediateSize),
    norm(`${p}.input_layernorm.weight`, D),
    norm(`${p}.post_attention_layernorm.weight`, D),
  );
  return specs;
}

/** Every parameter in the order transformers' save_pretrained writes them (tied head omitted). */
export function decoderParamSpecs(c: DecoderConfig): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, c.hiddenSize], linear: false, std: INIT_STD }];
  for (let i = 0; i < c.numLayers; i++) specs.push(...layerSpecs(c, i));
  specs.push(norm('model.norm.weight', c.hiddenSize));
  if (!c.tieWordEmbeddings) specs.push(linear('lm_head', c.vocabSize, c.hiddenSize));
  return specs;
}

function linearSites(c: DecoderConfig): LinearSite[] {
  return decoderParamSpecs(c)
    .filter((s) => s.linear && s.name !== 'lm_head.weight')
    .map((s) => {
      const name = s.name.slice(0, -'.weight'.length);
      const parts = name.split('.'); // model.layers.i.(self_attn|mlp).module
      const module = parts[4];
      return {
        name, module, role: ROLES[module], stack: 'decoder', block: Number(parts[2]),
        attention: parts[3] === 'self_attn' ? 'self' : null,
        inFeatures: s.shape[1], outFeatures: s.shape[0],
      };
    });
}

function sublayerSites(c: DecoderConfig): SublayerSite[] {
  const sites: SublayerSite[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    sites.push({ name: `model.layers.${i}.self_attn`, kind: 'self_attention', stack: 'decoder', block: i, dim: c.hiddenSize });
    sites.push({ name: `model.layers.${i}.mlp`, kind: 'feed_forward', stack: 'decoder', block: i, dim: c.hiddenSize });
  }
  return sites;
}

/** Prefixes go in front of the key/value heads (before they are repeated for grouped queries). */
function attentionSites(c: DecoderConfig): AttentionSite[] {
  return Array.from({ length: c.numLayers }, (_, i) => ({
    name: `model.layers.${i}.self_attn`, kind: 'self', stack: 'decoder', block: i,
    numHeads: c.numKvHeads, headDim: c.headDim, queryDim: c.hiddenSize,
  }));
}

/** The structure of a LLaMA-family decoder from its config alone. */
export function decoderShape(c: DecoderConfig): ModelShape {
  const specs = decoderParamSpecs(c);
  return {
    family: c.modelType,
    dModel: c.hiddenSize,
    totalParams: specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    linears: linearSites(c),
    sublayers: sublayerSites(c),
    attentions: attentionSites(c),
    norms: specs.filter((s) => s.name.endsWith('norm.weight')).map((s) => ({ name: s.name, size: s.shape[0] })),
    biases: specs.filter((s) => s.name.endsWith('.bias')).map((s) => ({ name: s.name, size: s.shape[0] })),
    head: [], // the LM head is pretrained, not a task head
    maxPositions: null, // rotary positions: max_position_embeddings is the trained context, not a hard limit
  };
}
