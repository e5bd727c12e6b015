// Parity fixtures of test/fixtures (gen_t5_fixture.py, gen_decoder_fixture.py, gen_encoder_fixture.py): weights, config and reference outputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { paramSpecs } from '../src/main/engine/models/families';
import type { LanguageModel, Seq2SeqBatch } from '../src/main/engine/models/types';
import { parseDecoderConfig } from '../src/main/engine/models/decoder_config';
import { parseEncoderConfig } from '../src/main/engine/models/encoder_config';
import { readSafetensorsFile } from '../src/main/engine/safetensors';
import { relError, values } from './helpers';

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

/** A parity fixture folder: its config.json, every weight (checkpoint layout) and reference.json. */
export function readFixtureFolder<R>(name: string) {
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
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as R;
  return { dir, configJson, weights, shapes, names: file.tensors.map((t) => t.name), ref };
}

/** An encoder fixture: its folder (loaded by the engine's own loader, stray tensors and all), config and reference. */
export interface EncoderReference {
  rows: number[][];
  labels: number[];
  logits: Values;
  loss: number;
  grads: Record<string, Values>;
}

export function readEncoderFixture(name: string) {
  const dir = path.join(FIXTURES, name);
  const configJson = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as EncoderReference;
  return { dir, configJson, config: parseEncoderConfig(configJson, `${name}/config.json`), ref };
}

export function readDecoderFixture(name: string) {
  const fx = readFixtureFolder<Reference>(name);
  return { ...fx, config: parseDecoderConfig(fx.configJson, `${name}/config.json`) };
}


/**
 * The eval loss of `batch` and its gradients w.r.t. the reference's parameters, compared in the
 * checkpoint's layout (Linear weights are held (in, out), so their gradients are transposed back).
 */
export function checkLossAndGrads(
  model: LanguageModel, batch: Seq2SeqBatch, ref: { loss: number; grads: Record<string, Values> }, tolerance: number,
): void {
  const linear = new Set(paramSpecs(model.config).filter((s) => s.linear).map((s) => s.name));
  const names = Object.keys(ref.grads);
  const vars = names.map((n) => model.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => model.loss(batch, { training: false }), vars);
  try {
    const loss = value.dataSync()[0];
    assert.ok(Math.abs(loss - ref.loss) / ref.loss < tolerance, `loss ${loss} vs ${ref.loss}`);
    names.forEach((n, i) => {
      const g = grads[vars[i].name];
      const err = tf.tidy(() => relError(values(linear.has(n) ? tf.transpose(g) : g), ref.grads[n].values));
      assert.ok(err < tolerance, `${n}: gradient relative error ${err}`);
    });
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}
