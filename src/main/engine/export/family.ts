// Per-family facts export needs beyond the model contract: the task type PEFT records, and the
// checkpoint names that are other names for one parameter (tied weights), so a merged checkpoint
// can be written back under exactly the names the base checkpoint used.

/** Hugging Face PEFT's `task_type` for each family (peft/utils/peft_types.py `TaskType`). */
const TASK_TYPES: Record<string, string> = {
  t5: 'SEQ_2_SEQ_LM',
  llama: 'CAUSAL_LM',
  bert: 'FEATURE_EXTRACTION',
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
  bert: {},
};

/** Tokeniser and generation files copied next to an exported model or adapter when present. */
export const SIDE_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'spiece.model', 'added_tokens.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'tokenizer.model', 'generation_config.json',
];

/**
 * Encoders are refused by export and import for now: their classifier head trains with every
 * method, and neither layout writes it yet (PEFT's modules_to_save, a merged checkpoint with the head).
 */
export function refuseEncoder(family: string, what: 'export' | 'import'): void {
  if (family !== 'bert' && family !== 'roberta') return;
  throw new Error(
    `${what}: ${family} classifiers cannot be ${what}ed yet: the trained classification head is not written or read by the adapter and merged layouts; ` +
      'a run\'s own delta.safetensors (in its artifacts folder) holds the method\'s tensors and the head under their checkpoint names',
  );
}

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
