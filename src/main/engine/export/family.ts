// Per-family facts export needs beyond the model contract: the task type PEFT records, the
// checkpoint names that are other names for one parameter (tied weights), so a merged checkpoint
// can be written back under exactly the names the base checkpoint used, and the Linear layers a
// PEFT target list could also pick that no workbench method adapts.

/** Hugging Face PEFT's `task_type` for each family (peft/utils/peft_types.py `TaskType`). */
const TASK_TYPES: Record<string, string> = {
  t5: 'SEQ_2_SEQ_LM',
  llama: 'CAUSAL_LM',
  qwen2: 'CAUSAL_LM',
  mistral: 'CAUSAL_LM',
  bert: 'SEQ_CLS',
  roberta: 'SEQ_CLS',
};

/**
 * Linear modules outside the sites the methods adapt and outside the task head (which peft's
 * modules_to_save keeps away from target matching): BERT's pooler. A target list entry such as
 * "dense" would pick it in peft, so such a list is written as a regular expression instead.
 */
export const OTHER_LINEARS: Record<string, string[]> = {
  bert: ['bert.pooler.dense'],
};

/**
 * Checkpoint names that hold the same tensor as a model parameter. T5 writes the shared embedding
 * as `shared.weight` and, in many checkpoints, again as each stack's `embed_tokens.weight`; a tied
 * LM head may be written out as `lm_head.weight`.
 */
const ALIASES: Record<string, Record<string, string>> = {
  t5: {
    'encoder.embed_tokens.weight': 'shared.weight',
    'decoder.embed_tokens.weight': 'shared.weight',
    'lm_head.weight': 'shared.weight',
  },
  llama: { 'lm_head.weight': 'model.embed_tokens.weight' },
  qwen2: { 'lm_head.weight': 'model.embed_tokens.weight' },
  mistral: { 'lm_head.weight': 'model.embed_tokens.weight' },
  bert: {},
  roberta: {},
};

/** Tokeniser and generation files copied next to an exported model or adapter when present. */
export const SIDE_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'spiece.model', 'added_tokens.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'tokenizer.model', 'generation_config.json',
];

export function taskTypeOf(family: string): string {
  const t = TASK_TYPES[family];
  if (!t) throw new Error(`export: no PEFT task type known for model family "${family}"; add it to TASK_TYPES in export/family.ts`);
  return t;
}

/**
 * The parameter whose value the checkpoint tensor `name` holds: `name` itself when it is a
 * parameter, the aliased parameter for a tied copy, or null for a tensor the model does not use.
 */
export function parameterFor(family: string, name: string, params: { has(name: string): boolean }): string | null {
  if (params.has(name)) return name;
  const alias = ALIASES[family]?.[name];
  return alias !== undefined && params.has(alias) ? alias : null;
}
