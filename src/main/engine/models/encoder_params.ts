// BERT's and RoBERTa's parameters in the layout of transformers' BertForSequenceClassification and
// RobertaForSequenceClassification checkpoints, their hook sites and structure. Linear weights are
// checkpointed (out, in) and held (in, out); init is transformers' N(0, 0.02), LayerNorm 1 and 0.
//
//   BERT:    bert.{embeddings, encoder.layer.i, pooler.dense} ─ classifier (D → labels)
//   RoBERTa: roberta.{embeddings, encoder.layer.i} ─ classifier.dense (D → D) ─ classifier.out_proj
import { encoderMaxPositions } from './encoder_config';
import type { LoadRules, ParamSpec } from './params';
import type { AttentionSite, EncoderConfig, LinearRole, LinearSite, ModelShape, SublayerSite } from './types';

const INIT_STD = 0.02;
const HEAD = 'classifier.';
/** Linear modules of one layer: path under `encoder.layer.i`, role, whether it is attention's. */
const LINEARS: [path: string, role: LinearRole, attention: boolean][] = [
  ['attention.self.query', 'query', true],
  ['attention.self.key', 'key', true],
  ['attention.self.value', 'value', true],
  ['attention.output.dense', 'attention_output', true],
  ['intermediate.dense', 'ffn_up', false],
  ['output.dense', 'ffn_down', false],
];

/** `bert` or `roberta`: the base model's prefix in the checkpoint. */
export const basePrefix = (c: EncoderConfig): string => c.modelType;

function dense(name: string, out: number, inF: number, optional = false): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [out, inF], linear: true, std: INIT_STD, optional },
    { name: `${name}.bias`, shape: [out], linear: false, std: 0, optional },
  ];
}

const layerNorm = (name: string, D: number): ParamSpec[] => [
  { name: `${name}.weight`, shape: [D], linear: false, std: null },
  { name: `${name}.bias`, shape: [D], linear: false, std: 0 },
];

function layerSpecs(c: EncoderConfig, i: number): ParamSpec[] {
  const p = `${basePrefix(c)}.encoder.layer.${i}`, D = c.hiddenSize, F = c.intermediateSize;
  const width = (path: string) => (path === 'intermediate.dense' ? [F, D] : path === 'output.dense' ? [D, F] : [D, D]);
  const specs: ParamSpec[] = [];
  for (const [path] of LINEARS) {
    const [out, inF] = width(path);
    specs.push(...dense(`${p}.${path}`, out, inF));
    if (path === 'attention.output.dense') specs.push(...layerNorm(`${p}.attention.output.LayerNorm`, D));
  }
  specs.push(...layerNorm(`${p}.output.LayerNorm`, D));
  return specs;
}

/** The classification head, optional in the checkpoint (a base model's folder has none). */
function headSpecs(c: EncoderConfig): ParamSpec[] {
  const D = c.hiddenSize, N = c.numLabels;
  if (c.modelType === 'bert') return dense('classifier', N, D, true);
  return [...dense('classifier.dense', D, D, true), ...dense('classifier.out_proj', N, D, true)];
}

/** Every parameter in the order save_pretrained writes them. */
export function encoderParamSpecs(c: EncoderConfig): ParamSpec[] {
  const e = `${basePrefix(c)}.embeddings`, D = c.hiddenSize;
  const specs: ParamSpec[] = [
    { name: `${e}.word_embeddings.weight`, shape: [c.vocabSize, D], linear: false, std: INIT_STD },
    { name: `${e}.position_embeddings.weight`, shape: [c.maxPositionEmbeddings, D], linear: false, std: INIT_STD },
    { name: `${e}.token_type_embeddings.weight`, shape: [c.typeVocabSize, D], linear: false, std: INIT_STD },
    ...layerNorm(`${e}.LayerNorm`, D),
  ];
  for (let i = 0; i < c.numLayers; i++) specs.push(...layerSpecs(c, i));
  if (c.modelType === 'bert') specs.push(...dense('bert.pooler.dense', D, D));
  return [...specs, ...headSpecs(c)];
}

function linearSites(c: EncoderConfig): LinearSite[] {
  const sites: LinearSite[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    for (const [path, role, attention] of LINEARS) {
      const [out, inF] = role === 'ffn_up' ? [c.intermediateSize, c.hiddenSize] : role === 'ffn_down' ? [c.hiddenSize, c.intermediateSize] : [c.hiddenSize, c.hiddenSize];
      sites.push({
        name: `${basePrefix(c)}.encoder.layer.${i}.${path}`, module: path.split('.').at(-1)!, role, stack: 'encoder', block: i,
        attention: attention ? 'self' : null, inFeatures: inF, outFeatures: out,
      });
    }
  }
  return sites;
}

/** Residual adds: BertSelfOutput (after attention) and BertOutput (after the feed-forward), each before its LayerNorm. */
function sublayerSites(c: EncoderConfig): SublayerSite[] {
  return Array.from({ length: c.numLayers }, (_, i): SublayerSite[] => {
    const p = `${basePrefix(c)}.encoder.layer.${i}`;
    return [
      { name: `${p}.attention.output`, kind: 'self_attention', stack: 'encoder', block: i, dim: c.hiddenSize },
      { name: `${p}.output`, kind: 'feed_forward', stack: 'encoder', block: i, dim: c.hiddenSize },
    ];
  }).flat();
}

function attentionSites(c: EncoderConfig): AttentionSite[] {
  return Array.from({ length: c.numLayers }, (_, i) => ({
    name: `${basePrefix(c)}.encoder.layer.${i}.attention.self`, kind: 'self', stack: 'encoder', block: i,
    numHeads: c.numHeads, headDim: c.hiddenSize / c.numHeads, queryDim: c.hiddenSize,
  }));
}

/** The structure of a BERT or RoBERTa from its config alone. */
export function encoderShape(c: EncoderConfig): ModelShape {
  const specs = encoderParamSpecs(c);
  const sized = (s: ParamSpec) => ({ name: s.name, size: s.shape.reduce((a, b) => a * b, 1) });
  const base = specs.filter((s) => !s.name.startsWith(HEAD));
  return {
    family: c.modelType,
    dModel: c.hiddenSize,
    totalParams: specs.reduce((n, s) => n + sized(s).size, 0),
    linears: linearSites(c),
    sublayers: sublayerSites(c),
    attentions: attentionSites(c),
    norms: base.filter((s) => s.name.includes('LayerNorm.')).map(sized),
    biases: base.filter((s) => s.name.endsWith('.bias')).map(sized),
    head: specs.filter((s) => s.name.startsWith(HEAD)).map(sized),
    maxPositions: { limit: encoderMaxPositions(c), field: 'max_position_embeddings' },
  };
}

/** Older names of a base parameter: without the model prefix (a bare BertModel), LayerNorm gamma/beta. */
function aliasesOf(name: string, prefix: string): string[] {
  const bare = name.slice(prefix.length + 1);
  const old = (n: string) => n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  return [...new Set([bare, old(name), old(bare)])].filter((n) => n !== name);
}

/**
 * Checkpoints of pretraining (BertForPreTraining's `cls.*`, RobertaForMaskedLM's `lm_head.*`, a
 * RoBERTa pooler) hold tensors a classifier does not use; position_ids are a stored buffer.
 */
export function encoderLoadRules(c: EncoderConfig): LoadRules {
  const prefix = basePrefix(c);
  const aliases = Object.fromEntries(encoderParamSpecs(c).filter((s) => !s.name.startsWith(HEAD)).map((s) => [s.name, aliasesOf(s.name, prefix)]));
  return {
    family: c.modelType === 'bert' ? 'BERT' : 'RoBERTa',
    aliases,
    ignored: (n) => n.startsWith('cls.') || n.startsWith('lm_head.') || n.endsWith('position_ids')
      || (c.modelType === 'roberta' && /^(roberta\.)?pooler\./.test(n)),
    fields: 'num_hidden_layers, hidden_size, intermediate_size, vocab_size, max_position_embeddings, type_vocab_size '
      + '(and for classifier.*, the number of labels: the task\'s, or id2label)',
  };
}
