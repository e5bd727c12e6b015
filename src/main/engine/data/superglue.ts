// SuperGLUE BoolQ, RTE and COPA in their released JSONL format (or CSV with the same columns),
// written in T5's text-to-text form: the task name, the features in alphabetical order, and the
// label as T5 names it. The released test files carry no labels: give a labelled file as `test`
// (commonly the released val.jsonl, with part of train.jsonl held out as validation).
import { labelField, readRecords, textField, type FileRecord } from './records';
import { t5Prompt, type Example, type TaskData } from './task';

export type SuperGlueFormat = 'boolq' | 'rte' | 'copa';

interface Reader {
  labels: string[];
  example(r: FileRecord): Example;
  describe: string;
}

function fieldsOf(r: FileRecord, names: string[]): [string, string][] {
  return names.map((n) => [n, textField(r, n, 'SuperGLUE rows need the released field names')]);
}

const READERS: Record<SuperGlueFormat, Reader> = {
  // {"question": "...", "passage": "...", "idx": 0, "label": true}
  boolq: {
    labels: ['False', 'True'],
    describe: 'BoolQ: passage and yes/no question → True or False',
    example(r) {
      const fields = fieldsOf(r, ['passage', 'question']);
      return { input: t5Prompt('boolq', fields), target: labelField(r, 'label', [false, true]) ? 'True' : 'False', fields };
    },
  },
  // {"premise": "...", "hypothesis": "...", "label": "entailment" | "not_entailment", "idx": 0}
  rte: {
    labels: ['entailment', 'not_entailment'],
    describe: 'RTE: premise and hypothesis → entailment or not_entailment',
    example(r) {
      const fields = fieldsOf(r, ['hypothesis', 'premise']);
      const label = textField(r, 'label');
      if (label !== 'entailment' && label !== 'not_entailment') {
        throw new Error(`${r.file} line ${r.line}: field "label" must be entailment or not_entailment, got ${JSON.stringify(label)}`);
      }
      return { input: t5Prompt('rte', fields), target: label, fields };
    },
  },
  // {"premise": "...", "choice1": "...", "choice2": "...", "question": "cause" | "effect", "label": 0 | 1, "idx": 0}
  copa: {
    labels: ['choice1', 'choice2'],
    describe: 'COPA: premise, two choices and cause/effect → choice1 or choice2',
    example(r) {
      const fields = fieldsOf(r, ['choice1', 'choice2', 'premise', 'question']);
      if (fields[3][1] !== 'cause' && fields[3][1] !== 'effect') {
        throw new Error(`${r.file} line ${r.line}: field "question" must be cause or effect, got ${JSON.stringify(fields[3][1])}`);
      }
      return { input: t5Prompt('copa', fields), target: labelField(r, 'label', [0, 1]) === 0 ? 'choice1' : 'choice2', fields };
    },
  },
};

export interface SuperGlueSpec {
  name: string;
  format: SuperGlueFormat;
  train: string;
  validation: string;
  test: string;
}

export function loadSuperGlue(spec: SuperGlueSpec): TaskData {
  const reader = READERS[spec.format];
  const read = (split: 'train' | 'validation' | 'test') => readRecords(spec[split]).map((r) => reader.example(r));
  return {
    name: spec.name,
    description: `SuperGLUE ${reader.describe}`,
    kind: 'classification',
    metric: 'accuracy',
    labels: reader.labels,
    train: read('train'),
    validation: read('validation'),
    test: read('test'),
    source: spec.train,
  };
}
