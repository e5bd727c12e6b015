// The one small interface every PEFT method implements (see STYLE.md: one file per method,
// one registry row, one test row).
import * as tf from '@tensorflow/tfjs-core';
import { modelShape } from '../models/families';
import type { HookableModel, ModelConfig, ModelShape } from '../models/types';

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

/** Parameter accounting of a method on a model, from the model's shape alone. */
export interface MethodCounts {
  /** Parameters the optimiser updates (re-parameterising networks included). */
  trainable: number;
  /** Entries of the final model that differ from the base model (see AttachedMethod). */
  changed: number;
  /** Numbers in the saved delta (float32 each). */
  stored: number;
  updateRank: number | null;
}

export interface PeftMethod<O extends MethodOptions = MethodOptions> {
  id: string;
  title: string;
  /** Paper the method comes from. */
  paper: string;
  defaults: O;
  /** Whether the trained delta can be folded into the base weights (attach().merge is then set). */
  mergeable: boolean;
  /** Merges user options over the defaults; throws an error naming the field on a bad value. */
  validate(options: MethodOptions, config: ModelConfig): O;
  /** The counts attach() will report, computed from the model's structure without weights. */
  count(shape: ModelShape, options: O): MethodCounts;
  attach(model: HookableModel, options: O, seed: number): AttachedMethod;
  /** Its own variables already hold the task head (full fine-tuning), so none is added (see task_head.ts). */
  trainsHead?: boolean;
  /**
   * Positions the method puts in front of the input (a soft prompt), with the option that sets
   * them: on a model with learned positions they count against its limit (see checkPositions).
   */
  positions?(options: O): { count: number; field: string };
}

/** The structure of the model a config describes (one case per model family). */
export function shapeOf(config: ModelConfig): ModelShape {
  return modelShape(config);
}

/** Reads the current values of variables as delta tensors under their checkpoint names. */
export function snapshotParams(model: HookableModel, names: string[]): DeltaTensor[] {
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
export function restoreParams(model: HookableModel, delta: DeltaTensor[]): void {
  for (const d of delta) {
    if (!model.params.has(d.name)) throw new Error(`delta tensor "${d.name}" is not a parameter of this model`);
    tf.tidy(() => model.assignCheckpointTensor(d.name, tf.tensor(d.data, d.shape)));
  }
}

/**
 * A method that trains some of the model's own weights in place (full, ln_tuning, bitfit): they
 * become trainable, the delta is their new values, and merging has nothing left to fold in.
 */
export function trainInPlace(model: HookableModel, names: string[]): AttachedMethod {
  const trainable = names.map((n) => model.params.get(n)!);
  for (const v of trainable) v.trainable = true;
  const count = trainable.reduce((n, v) => n + v.size, 0);
  return {
    trainable,
    trainableParams: count,
    changedParams: count,
    updateRank: null,
    save: () => snapshotParams(model, names),
    load: (delta) => restoreParams(model, delta),
    merge: () => {},
    dispose: () => {
      for (const v of trainable) v.trainable = false;
    },
  };
}

/**
 * Refuses, before any run starts, inputs the model cannot place: `maxInputTokens` (plus the
 * method's soft prompt) beyond its position table. `where` names the method's entry in the config.
 */
export function checkPositions(shape: ModelShape, method: PeftMethod, options: MethodOptions, maxInputTokens: number, where: string): void {
  const max = shape.maxPositions;
  if (max === null) return;
  const model = `this ${shape.family} model embeds at most ${max.limit} positions (${max.field} in config.json)`;
  if (maxInputTokens > max.limit) {
    throw new Error(`budget.max_input_tokens is ${maxInputTokens}, but ${model}; set budget.max_input_tokens to at most ${max.limit}`);
  }
  const extra = method.positions?.(options);
  if (extra && maxInputTokens + extra.count > max.limit) {
    const fixes = [
      max.limit - extra.count >= 1 ? `budget.max_input_tokens to ${max.limit - extra.count}` : null,
      max.limit - maxInputTokens >= 1 ? `${extra.field} to ${max.limit - maxInputTokens}` : null,
    ].filter((f) => f !== null);
    throw new Error(
      `${where}.${extra.field}: ${method.id} puts ${extra.count} tokens in front of up to ${maxInputTokens} input tokens (budget.max_input_tokens), ` +
        `${extra.count + maxInputTokens} positions, but ${model}; lower ${fixes.join(' or ')}`,
    );
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

export function nonNegativeNumber(methodId: string, key: string, value: OptionValue): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${methodId}.${key} must be a number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(methodId: string, key: string, value: OptionValue, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`${methodId}.${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function bool(methodId: string, key: string, value: OptionValue): boolean {
  if (typeof value !== 'boolean') throw new Error(`${methodId}.${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Option values over the defaults, after refusing unknown names. */
export function withDefaults<O extends MethodOptions>(methodId: string, options: MethodOptions, defaults: O): O {
  checkKnownOptions(methodId, options, defaults);
  return { ...defaults, ...options } as O;
}

/** A bottleneck width d/reduction_factor that is at least 1, or an error naming the field. */
export function bottleneckWidth(methodId: string, dModel: number, reductionFactor: number): number {
  const m = Math.floor(dModel / reductionFactor);
  if (m < 1) throw new Error(`${methodId}.reduction_factor ${reductionFactor} leaves no bottleneck on d_model ${dModel}; use at most ${dModel}`);
  return m;
}

/** The current value of a variable as a delta tensor named `name` (layout as held). */
export function variableDelta(name: string, v: tf.Variable | tf.Tensor): DeltaTensor {
  return { name, shape: v.shape.slice(), data: (v.dataSync() as Float32Array).slice() };
}

/** Assigns delta tensors to the variables named in `vars`; every name must be present, shapes equal. */
export function loadVariables(methodId: string, vars: Map<string, tf.Variable>, delta: DeltaTensor[]): void {
  const byName = new Map(delta.map((d) => [d.name, d]));
  for (const [name, v] of vars) {
    const d = byName.get(name);
    if (!d) throw new Error(`${methodId} delta is missing "${name}"; was it saved with the same method and options?`);
    if (d.shape.join() !== v.shape.join()) {
      throw new Error(`${methodId} delta "${name}" has shape [${d.shape}], expected [${v.shape}] (same options as the run that saved it)`);
    }
    tf.tidy(() => v.assign(tf.tensor(d.data, v.shape)));
  }
}
