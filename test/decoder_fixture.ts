// The decoder fixtures of test/fixtures/gen_decoder_fixture.py: weights, config and reference outputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDecoderConfig } from '../src/main/engine/models/decoder_config';
import { readSafetensorsFile } from '../src/main/engine/safetensors';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

interface Values { shape: number[]; values: number[] }
export interface Reference {
  prompts: number[][];
  labels: number[][];
  prompt_logits: Values[];
  target_logits: Values[];
  loss: number;
  grads: Record<string, Values>;
  generate: { input_ids: number[][]; max_new_tokens: number; output: number[][] };
}

export function readDecoderFixture(name: string) {
  const dir = path.join(FIXTURES, name);
  const configJson = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const file = readSafetensorsFile(path.join(dir, 'model.safetensors'));
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  try {
    for (const t of file.tensors) {
      weights.set(t.name, Float32Array.from(file.read(t.name)));
      shapes.set(t.name, t.shape);
    }
  } finally {
    file.close();
  }
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
  return { dir, configJson, config: parseDecoderConfig(configJson, `${name}/config.json`), weights, shapes, ref };
}

