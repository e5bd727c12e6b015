// The names of an encoder's labels for an export: head output i predicts labels[i]. They are the
// task's labels when the export knows its task (a run's), else the base config.json's id2label
// where it names as many labels, else transformers' default names LABEL_0, LABEL_1, ….
import * as fs from 'node:fs';
import path from 'node:path';
import type { LoadedModel } from '../models/load';
import type { EncoderConfig } from '../models/types';
import { labelTensor } from './peft_head';

export interface HeadLabels {
  names: string[];
  /** Where the names came from, for the export's notes. */
  source: string;
}

/** id2label of `modelDir`'s config.json in index order, when it names exactly `n` labels. */
function configLabels(modelDir: string, n: number): string[] | null {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { id2label?: Record<string, unknown> };
    const names = Array.from({ length: n }, (_, i) => json.id2label?.[String(i)]);
    return Object.keys(json.id2label ?? {}).length === n && names.every((x) => typeof x === 'string') ? (names as string[]) : null;
  } catch {
    return null;
  }
}

/**
 * The label names of the loaded model's head (null for a model without one). `given` (the task's
 * labels) must have one name per head output; the head tensor and both counts are named otherwise.
 */
export function headNamesFor(loaded: LoadedModel, modelDir: string, given: string[] | null): HeadLabels | null {
  const shape = loaded.model.shape();
  const name = labelTensor(shape);
  if (name === null) return null;
  const n = (loaded.config as EncoderConfig).numLabels;
  if (given) {
    if (given.length !== n) {
      const width = shape.head.find((h) => h.name === name)!.size / n;
      throw new Error(`the delta's classifier head "${name}" is [${n}, ${width}], ${n} labels, but its task has ${given.length} (${given.join(', ')}); was it trained on another task?`);
    }
    return { names: given, source: 'the task\'s labels' };
  }
  const fromConfig = configLabels(modelDir, n);
  if (fromConfig) return { names: fromConfig, source: 'id2label of the base model\'s config.json' };
  return { names: Array.from({ length: n }, (_, i) => `LABEL_${i}`), source: 'transformers\' default names, as the task\'s labels were not at hand' };
}
