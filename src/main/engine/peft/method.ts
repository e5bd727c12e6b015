// The one small interface every PEFT method implements (see STYLE.md: one file per method,
// one registry row, one test row).
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqModel, T5Config } from '../models/types';

export type OptionValue = number | string | boolean | string[];
export type MethodOptions = Record<string, OptionValue>;

/** One tensor of a saved delta, in the checkpoint's layout and naming. */
export interface DeltaTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface AttachedMethod {
  /** The explicit list of variables the optimiser updates. */
  trainable: tf.Variable[];
  trainableParams: number;
  /** Entries of the final (merged, if it merges) model that differ from the base model. */
  changedParams: number;
  /** Rank of each weight update where the method defines one (LoRA: r), else null. */
  updateRank: number | null;
  /** The tensors one ships for this task. */
  save(): DeltaTensor[];
  /** Loads tensors written by save() (same model, same options). */
  load(delta: DeltaTensor[]): void;
  /** Folds the delta into the base weights so inference costs what the base model costs; null if impossible. */
  merge: (() => void) | null;
  /** Removes hooks and frees the method's own tensors; base weights stay as they are. */
  dispose(): void;
}

export interface PeftMethod<O extends MethodOptions = MethodOptions> {
  id: string;
  title: string;
  /** Paper the method comes from. */
  paper: string;
  defaults: O;
  /** Merges user options over the defaults; throws an error naming the field on a bad value. */
  validate(options: MethodOptions, config: T5Config): O;
  attach(model: Seq2SeqModel, options: O, seed: number): AttachedMethod;
}

/** Reads the current values of variables as delta tensors under their checkpoint names. */
export function snapshotParams(model: Seq2SeqModel, names: string[]): DeltaTensor[] {
  return names.map((name) => {
    const t = model.checkpointTensor(name);
    try {
      return { name, shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    } finally {
      t.dispose();
    }
  });
}

/** Writes delta tensors given in checkpoint layout back into the model's variables. */
export function restoreParams(model: Seq2SeqModel, delta: DeltaTensor[]): void {
  for (const d of delta) {
    if (!model.params.has(d.name)) throw new Error(`delta tensor "${d.name}" is not a parameter of this model`);
    tf.tidy(() => model.assignCheckpointTensor(d.name, tf.tensor(d.data, d.shape)));
  }
}

/** Unknown option names are refused, so a typo never silently runs the defaults. */
export function checkKnownOptions(methodId: string, options: MethodOptions, defaults: MethodOptions): void {
  for (const key of Object.keys(options)) {
    if (!(key in defaults)) {
      const known = Object.keys(defaults);
      throw new Error(`${methodId}.${key} is not an option of ${methodId}; known options: ${known.length ? known.join(', ') : 'none'}`);
    }
  }
}

export function positiveInteger(methodId: string, key: string, value: OptionValue): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${methodId}.${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function positiveNumber(methodId: string, key: string, value: OptionValue): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${methodId}.${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}
