// An encoder's classification head in Hugging Face PEFT's adapter layout. The head trains beside
// every method (peft/task_head.ts) as peft's modules_to_save trains it: for task_type SEQ_CLS,
// PeftModelForSequenceClassification adds "classifier" and "score" to modules_to_save, trains a copy
// of the module that matches (ModulesToSaveWrapper) and saves that copy under the module's own path,
// without the wrapper's "modules_to_save.<adapter>" (peft/utils/other.py, adapter_state_dict):
//
//   BERT     base_model.model.classifier.weight (labels, D), .bias (labels)
//   RoBERTa  base_model.model.classifier.dense.weight (D, D), .bias (D)
//            base_model.model.classifier.out_proj.weight (labels, D), .bias (labels)
//
// Prompt learning wraps the transformers model itself (no tuner model in between), so there the
// head is saved under base_model.classifier… . The workbench's delta holds it under the checkpoint
// names (classifier.…), as the base model's own tensors.
import type { ModelShape } from '../models/types';
import type { DeltaTensor } from '../peft/method';

/** modules_to_save as peft sets it for sequence classification. */
export const SEQ_CLS_MODULES = ['classifier', 'score'];

/** Where peft saves the head's tensors: prompt learning wraps the model directly. */
export const headPrefix = (promptLearning: boolean): string => (promptLearning ? 'base_model.' : 'base_model.model.');

const headNames = (shape: ModelShape) => new Set(shape.head.map((h) => h.name));

/** A delta in the workbench's names, split into the head's tensors and the method's own. */
export function splitHead(shape: ModelShape, delta: DeltaTensor[]): { head: DeltaTensor[]; own: DeltaTensor[] } {
  const names = headNames(shape);
  return { head: delta.filter((d) => names.has(d.name)), own: delta.filter((d) => !names.has(d.name)) };
}

/** The head's tensor whose rows are the labels: its last Linear weight (classifier.weight, classifier.out_proj.weight). */
export function labelTensor(shape: ModelShape): string | null {
  return shape.head.map((h) => h.name).filter((n) => n.endsWith('.weight')).at(-1) ?? null;
}

/** How many labels the delta's head predicts; null when the model has no head or the delta lacks it. */
export function headLabelCount(shape: ModelShape, delta: DeltaTensor[]): number | null {
  const name = labelTensor(shape);
  const t = name === null ? undefined : delta.find((d) => d.name === name);
  return t ? t.shape[0] : null;
}

export function headToPeft(head: DeltaTensor[], promptLearning: boolean): DeltaTensor[] {
  return head.map((d) => ({ ...d, name: headPrefix(promptLearning) + d.name }));
}

function refuse(file: string, field: string, why: string): never {
  throw new Error(`${file}: ${field} ${why}`);
}

/** Every module path of a model with these parameters (`a.b.c.weight` → a, a.b, a.b.c). */
function modulePaths(params: string[]): string[] {
  const paths = new Set<string>();
  for (const p of params) {
    const parts = p.split('.');
    for (let i = 1; i < parts.length; i++) paths.add(parts.slice(0, i).join('.'));
  }
  return [...paths];
}

/**
 * modules_to_save must train nothing but the head: an entry may name the head, a module inside it,
 * or a module this model lacks (peft's "score" on BERT), which peft then skips as well.
 */
function checkModulesToSave(c: Record<string, unknown>, shape: ModelShape, params: string[], file: string): void {
  const v = c.modules_to_save;
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) refuse(file, 'modules_to_save', `must be a list of module names, got ${JSON.stringify(v)}`);
  const head = [...headNames(shape)];
  const inHead = (m: string) => head.some((n) => n.startsWith(`${m}.`));
  const modules = modulePaths(params);
  for (const entry of v as string[]) {
    const outside = modules.filter((m) => (m === entry || m.endsWith(`.${entry}`)) && !inHead(m));
    if (outside.length) {
      refuse(file, 'modules_to_save', `names "${entry}", so peft also trained whole copies of ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', …' : ''}; the workbench trains the classifier head beside a method and nothing else, so this adapter cannot be loaded exactly`);
    }
  }
}

export interface PeftHead {
  /** The head's tensors under the workbench's names (empty when the adapter has none). */
  head: DeltaTensor[];
  /** The other tensors, for the method's reader. */
  rest: DeltaTensor[];
  /** Workbench name → name in the adapter file. */
  fileNames: Map<string, string>;
}

/**
 * The head of a PEFT adapter file, read for a model of `shape` with parameters `params`; refuses
 * modules_to_save beyond the head, and a head saved in part. A model without a head (T5, decoders)
 * takes no modules_to_save at all.
 */
export function readPeftHead(c: Record<string, unknown>, tensors: DeltaTensor[], shape: ModelShape, params: string[], file: string): PeftHead {
  if (!shape.head.length) {
    const v = c.modules_to_save;
    if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null) {
      refuse(file, 'modules_to_save', `is ${JSON.stringify(v)}: the adapter also carries whole trained copies of those modules, and a ${shape.family} model has no task head the workbench trains beside its methods, so it cannot be loaded exactly`);
    }
    return { head: [], rest: tensors, fileNames: new Map() };
  }
  checkModulesToSave(c, shape, params, file);
  const prefix = headPrefix(c.peft_type === 'PROMPT_TUNING');
  const names = headNames(shape);
  const fileNames = new Map<string, string>();
  const head: DeltaTensor[] = [], rest: DeltaTensor[] = [];
  for (const d of tensors) {
    const name = d.name.startsWith(prefix) ? d.name.slice(prefix.length) : null;
    if (name === null || !names.has(name)) rest.push(d);
    else {
      head.push({ ...d, name });
      fileNames.set(name, d.name);
    }
  }
  const missing = [...names].filter((n) => !fileNames.has(n));
  if (head.length && missing.length) {
    refuse(file, `tensor "${prefix}${missing[0]}"`, `is missing while ${[...fileNames.values()].join(', ')} ${head.length > 1 ? 'are' : 'is'} there: the classifier head is saved whole (modules_to_save ["classifier"]); was the adapter trained with part of the head only?`);
  }
  return { head, rest, fileNames };
}
