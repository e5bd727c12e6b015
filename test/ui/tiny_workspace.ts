// A tiny model folder and JSONL task on disk, for tests that run real comparisons fast.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { saveModel } from '../../src/main/engine/models/load';
import { T5Model } from '../../src/main/engine/models/t5';
import { buildUnigramTokenizer } from '../../src/main/engine/models/tokenizer';
import { TINY_T5 } from '../helpers';

const WORDS = ['red', 'green', 'blue', 'apple', 'leaf', 'sky', 'sea', 'grass', 'fire'];

export interface TinyWorkspace {
  modelDir: string;
  /** The task as a comparison config gives it. */
  /** The folder holding the task's train/validation/test.jsonl. */
  taskDir: string;
  task: { name: string; train: string; validation: string; test: string };
  /** A comparison config (the JSON form) over that model and task. */
  config: { name: string; model: string; tasks: unknown[]; methods: unknown[]; learning_rates: number[]; seeds: number[]; budget: Record<string, number> };
  /** Writes the model's weights again (after a test damaged them). */
  restoreModel(): void;
}

function jsonl(file: string, n: number, offset: number): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const w = WORDS[(i + offset) % WORDS.length];
    return JSON.stringify({ input: `colour of ${w}`, target: ['apple', 'fire', 'red'].includes(w) ? 'red' : 'blue' });
  });
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** Needs a TF.js backend (initBackend) in this process to build the weights. */
export function makeTinyWorkspace(dir: string): TinyWorkspace {
  const modelDir = path.join(dir, 'model');
  mkdirSync(modelDir, { recursive: true });
  const texts = WORDS.flatMap((w) => [`colour of ${w}`, 'red', 'blue']);
  writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(buildUnigramTokenizer(texts, { vocabSize: TINY_T5.vocabSize })));
  const restoreModel = () => {
    const model = T5Model.random(TINY_T5, 0);
    saveModel(modelDir, model);
    model.dispose();
  };
  restoreModel();
  const task = {
    name: 'colours',
    train: jsonl(path.join(dir, 'train.jsonl'), 32, 0),
    validation: jsonl(path.join(dir, 'validation.jsonl'), 8, 3),
    test: jsonl(path.join(dir, 'test.jsonl'), 8, 5),
  };
  const config = {
    name: 'tiny', model: modelDir, tasks: [task], methods: ['full'], learning_rates: [1e-2], seeds: [0],
    budget: { steps: 4, micro_batch: 4, effective_batch: 8, max_input_tokens: 16, max_target_tokens: 4, eval_every: 2, eval_examples: 8, test_examples: 8 },
  };
  return { modelDir, taskDir: dir, task, config, restoreModel };
}
