// How an example becomes model text, per model family. One function per family, so decoders
// (prompt + answer) and encoders (a label head) plug in beside T5's text-to-text form.
//
//   t5       source "rte hypothesis: … premise: …"      target "entailment"     (seq2seq)
//   decoder  source "hypothesis: …\npremise: …\nanswer:" target " entailment"    (loss on the answer only)
//   encoder  source "…\n…" (the fields' texts)           target "entailment" = label 0 of the head
import type { Example, TaskData } from './task';

export type ModelFamily = 't5' | 'decoder' | 'encoder';

export interface FormattedExample {
  source: string;
  /** Text the model learns to produce; for an encoder, the label word its head's index stands for. */
  target: string;
  /** Index into the task's labels for an encoder's head; null where the target is text. */
  labelIndex: number | null;
}

export type Formatter = (ex: Example, task: Pick<TaskData, 'name' | 'labels'>) => FormattedExample;

const fieldsOf = (ex: Example): [string, string][] => ex.fields ?? [['input', ex.input]];

export const FORMATTERS: Record<ModelFamily, Formatter> = {
  t5: (ex) => ({ source: ex.input, target: ex.target, labelIndex: null }),
  decoder: (ex) => ({
    source: `${fieldsOf(ex).map(([k, v]) => `${k}: ${v}`).join('\n')}\nanswer:`,
    target: ` ${ex.target}`,
    labelIndex: null,
  }),
  encoder: (ex, task) => {
    const labelIndex = task.labels?.indexOf(ex.target) ?? -1;
    if (labelIndex < 0) {
      throw new Error(`task ${task.name}: an encoder's label head needs a classification task whose target "${ex.target}" is one of its labels`);
    }
    return { source: fieldsOf(ex).map(([, v]) => v).join('\n'), target: ex.target, labelIndex };
  },
};

/** The family of a Hugging Face `model_type`. */
export function familyOf(modelType: string): ModelFamily {
  if (/^(t5|mt5|umt5|longt5)$/.test(modelType)) return 't5';
  if (/^(bert|roberta|deberta(-v2)?|distilbert|electra|xlm-roberta)$/.test(modelType)) return 'encoder';
  return 'decoder';
}
