// A task from JSON Lines or CSV files (the extension decides) with chosen input and target fields.
import type { TaskMetric } from '../../../shared/types';
import { readRecords, textField } from './records';
import type { Example, TaskData, TaskKind } from './task';

export interface FileTaskSpec {
  name: string;
  train: string;
  validation: string;
  test: string;
  /** Field holding the input text (default "input"). */
  input: string;
  /** Field holding the target text (default "target"). */
  target: string;
  metric: TaskMetric;
  /** Written before the input, as T5's task prefixes are ("" for none). */
  prefix: string;
}

export function kindOfMetric(metric: TaskMetric): TaskKind {
  return metric === 'accuracy' ? 'classification' : metric.startsWith('rouge') ? 'summarization' : 'generation';
}

export function loadFileTask(spec: FileTaskSpec): TaskData {
  const read = (split: 'train' | 'validation' | 'test') => readFileExamples(spec[split], spec.input, spec.target, spec.prefix);
  const train = read('train');
  const kind = kindOfMetric(spec.metric);
  return {
    name: spec.name,
    description: `task ${spec.name} from files (${spec.input} → ${spec.target})`,
    kind,
    metric: spec.metric,
    labels: kind === 'classification' ? [...new Set(train.map((e) => e.target))].sort() : null,
    train,
    validation: read('validation'),
    test: read('test'),
    source: spec.train,
  };
}

/** Examples of one file; a bad row is an error naming the file, line and field. */
export function readFileExamples(file: string, inputField: string, targetField: string, prefix = ''): Example[] {
  const fix = `set the task's "input"/"target" to the field names your rows use`;
  return readRecords(file).map((r) => {
    const text = textField(r, inputField, fix);
    return { input: prefix ? `${prefix} ${text}` : text, target: textField(r, targetField, fix).trim(), fields: [[inputField, text]] };
  });
}
