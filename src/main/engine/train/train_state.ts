// What a training checkpoint holds and how it is laid out in files: the trainable weights and
// both AdamW moments in one safetensors file, everything else (update count, schedule position,
// data order, running measurements, the caller's own numbers) in state.json.
import * as tf from '@tensorflow/tfjs-core';
import { encodeSafetensors, readSafetensorsFile } from '../safetensors';
import type { CheckpointFile } from './checkpoint';
import type { AdamWState } from './adamw';
import type { DataOrderState } from './data_order';
import path from 'node:path';

const TENSORS = 'tensors.safetensors';
const STATE = 'state.json';

/** Running figures of the training loop, carried across a resume. */
export interface TrainProgress {
  /** Updates done; the schedule's position (the learning rate of update `step` comes next). */
  step: number;
  loss: number;
  peakTensorBytes: number;
  peakRssBytes: number;
  timedTokens: number;
  timedMs: number;
  /** Training seconds before this checkpoint (all sessions). */
  seconds: number;
}

export interface TrainSnapshot {
  /** Settings that must be equal for the checkpoint to continue this run. */
  fingerprint: Record<string, unknown>;
  progress: TrainProgress;
  data: DataOrderState;
  adam: AdamWState;
  weights: Float32Array[];
  /** The caller's numbers (e.g. the best validation score so far). */
  extra: Record<string, number>;
}

interface StateJson extends Omit<TrainSnapshot, 'adam' | 'weights'> {
  adamStep: number;
  tensors: { name: string; shape: number[] }[];
}

export function encodeSnapshot(s: TrainSnapshot, vars: { name: string; shape: number[] }[]): CheckpointFile[] {
  const tensors = vars.flatMap((v, i) => [
    { name: `weight.${i}`, dtype: 'F32' as const, shape: v.shape, data: s.weights[i] },
    { name: `adam_m.${i}`, dtype: 'F32' as const, shape: v.shape, data: s.adam.m[i] },
    { name: `adam_v.${i}`, dtype: 'F32' as const, shape: v.shape, data: s.adam.v[i] },
  ]);
  const state: StateJson = {
    fingerprint: s.fingerprint, progress: s.progress, data: s.data, extra: s.extra, adamStep: s.adam.t,
    tensors: vars.map((v) => ({ name: v.name, shape: v.shape })),
  };
  return [
    { name: TENSORS, data: encodeSafetensors(tensors) },
    { name: STATE, data: Buffer.from(JSON.stringify(state)) },
  ];
}

/** Reads files written by encodeSnapshot, refusing a checkpoint of another run or model. */
export function decodeSnapshot(
  dir: string, files: Map<string, Buffer>, vars: { name: string; shape: number[] }[], fingerprint: Record<string, unknown>,
): TrainSnapshot {
  const where = dir;
  const stateBytes = files.get(STATE), tensorBytes = files.get(TENSORS);
  if (!stateBytes || !tensorBytes) throw new Error(`${where}: checkpoint lacks ${STATE} or ${TENSORS}`);
  const state = JSON.parse(stateBytes.toString('utf8')) as StateJson;
  for (const [key, value] of Object.entries(fingerprint)) {
    if (JSON.stringify(state.fingerprint?.[key]) !== JSON.stringify(value)) {
      throw new Error(`${where}: checkpoint was written with ${key} = ${JSON.stringify(state.fingerprint?.[key])}, this run has ${JSON.stringify(value)}; it belongs to another run`);
    }
  }
  const expected = vars.map((v) => `${v.name}[${v.shape}]`).join(', ');
  const found = (state.tensors ?? []).map((v) => `${v.name}[${v.shape}]`).join(', ');
  if (expected !== found) throw new Error(`${where}: checkpoint holds trainable tensors ${found}, this run trains ${expected}`);
  const read = readTensors(path.join(dir, TENSORS));
  const pick = (prefix: string) => vars.map((_, i) => read(`${prefix}.${i}`));
  return {
    fingerprint: state.fingerprint, progress: state.progress, data: state.data, extra: state.extra ?? {},
    adam: { t: state.adamStep, m: pick('adam_m'), v: pick('adam_v') }, weights: pick('weight'),
  };
}

/** Values of the listed variables, copied out of the backend. */
export function readWeights(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => (v.dataSync() as Float32Array).slice());
}

export function assignWeights(vars: tf.Variable[], weights: Float32Array[]): void {
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape))));
}

/** Tensors of the (already verified) safetensors file in the checkpoint folder. */
function readTensors(file: string): (name: string) => Float32Array {
  const st = readSafetensorsFile(file);
  try {
    const out = new Map(st.tensors.map((t) => [t.name, st.read(t.name) as Float32Array]));
    return (name) => {
      const t = out.get(name);
      if (!t) throw new Error(`${file} lacks "${name}"`);
      return t;
    };
  } finally {
    st.close();
  }
}
