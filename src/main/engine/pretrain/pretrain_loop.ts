// The pretraining loop: span-corrupted batches, AdamW with linear warm-up and decay, gradient
// clipping by global norm, dropout off (as T5 v1.1 was pretrained), and checkpoints that let
// an interrupted run resume bit-for-bit where it stopped.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { disposeBatch, makeBatch } from '../data/batching';
import { loadModel, saveModel } from '../models/load';
import { T5Model } from '../models/t5';
import type { T5Config } from '../models/types';
import { readSafetensorsFile, writeSafetensorsFile } from '../safetensors';
import { AdamW, ADAMW_DEFAULTS, linearSchedule } from '../train/adamw';
import { subSeed } from '../util/rng';
import { ppmiSvdEmbedding } from './embedding_init';
import { pretrainBatch, type TokenBlocks } from './pretrain_data';
import type { SpanCorruptionOptions } from './span_corruption';

export interface PretrainConfig {
  model: T5Config;
  seed: number;
  steps: number;
  /** Sequences per update. */
  batchSize: number;
  learningRate: number;
  /** Scale each tensor's step by its RMS, as Adafactor's relative step (see AdamWOptions). */
  relativeStep: boolean;
  /** Encoder tokens per example after corruption (eos included). */
  inputLength: number;
  warmupSteps: number;
  weightDecay: number;
  /** Gradients are scaled so their global L2 norm is at most this. */
  clipNorm: number;
  noise: SpanCorruptionOptions;
  /** Fraction of examples trained to reconstruct the whole block (see BatchPlan). */
  reconstructFraction: number;
  /** Write a resumable checkpoint every this many updates (0: never). */
  checkpointEvery: number;
  /** Add the spam task's train-split e-mails to the corpus (see corpus.ts). */
  emails: boolean;
  /** Whole-block targets start with `<extra_id_0>` (see BatchPlan). */
  reconstructLead: boolean;
  /** The shared embedding's start: T5's random rows, or PPMI-SVD vectors of the corpus (embedding_init.ts). */
  embeddingInit: 'random' | 'ppmi-svd';
}

export interface PretrainStep {
  step: number;
  loss: number;
  lr: number;
  /** Encoder input tokens per second of this update. */
  tokensPerSec: number;
  seconds: number;
  /** CPU seconds of this process in updates: the idle-machine equivalent of `seconds` on one thread. */
  cpuSeconds: number;
}

export interface PretrainResult {
  model: T5Model;
  /** Loss of every update, 1-based step i at index i − 1 (resumed runs included). */
  losses: number[];
  /** Wall seconds spent in updates (all sessions of a resumed run). */
  seconds: number;
  /** CPU seconds of the process in updates (all sessions). */
  cpuSeconds: number;
  resumedFrom: number;
}

interface SavedState { step: number; losses: number[]; seconds: number; cpuSeconds: number; fingerprint: string }

/** What must match for a checkpoint to be resumed: everything but the step count's display. */
function fingerprint(cfg: PretrainConfig, blocks: TokenBlocks): string {
  return JSON.stringify({ ...cfg, checkpointEvery: undefined, blocks: [blocks.numBlocks, blocks.raw, blocks.corpusTokens] });
}

/** Global-norm clipping as torch.nn.utils.clip_grad_norm_: g·min(1, max/‖g‖). */
function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))); // () scalar
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return grads.map((g) => tf.mul(g, scale));
  });
}

function update(model: T5Model, vars: tf.Variable[], optimizer: AdamW, examples: ReturnType<typeof pretrainBatch>, lr: number, clip: number): number {
  const batch = makeBatch(examples, model.config.padTokenId);
  let grads: tf.NamedTensorMap = {};
  let value: tf.Scalar | null = null;
  try {
    ({ value, grads } = tf.variableGrads(() => model.loss(batch, { training: false }), vars));
    const clipped = clipByGlobalNorm(vars.map((v) => grads[v.name]), clip);
    try {
      optimizer.step(clipped, lr);
    } finally {
      tf.dispose(clipped);
    }
    return value.dataSync()[0]; // the one device sync of the update
  } finally {
    tf.dispose([...Object.values(grads), ...(value ? [value] : [])]);
    disposeBatch(batch);
  }
}

function saveCheckpoint(dir: string, model: T5Model, optimizer: AdamW, state: SavedState): void {
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  saveModel(staging, model);
  writeFileSync(path.join(staging, 'tokenizer.json'), readFileSync(path.join(dir, '..', 'tokenizer.json')));
  const o = optimizer.exportState();
  const moments = [...o.m.map((data, i) => ({ name: `m.${i}`, data })), ...o.v.map((data, i) => ({ name: `v.${i}`, data }))];
  writeSafetensorsFile(
    path.join(staging, 'optimizer.safetensors'),
    moments.map(({ name, data }) => ({ name, dtype: 'F32' as const, shape: [data.length], data })),
    { step: String(o.t) },
  );
  writeFileSync(path.join(staging, 'state.json'), JSON.stringify(state));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
}

/** The saved model, optimiser and losses, if `dir` holds a checkpoint of this very run. */
function loadCheckpoint(dir: string, expected: string, optimizerFor: (m: T5Model) => AdamW) {
  const stateFile = path.join(dir, 'state.json');
  if (!existsSync(stateFile)) return null;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState;
  if (state.fingerprint !== expected) {
    throw new Error(`${dir} holds a checkpoint of a different pretraining run (other settings or corpus); delete it to start afresh`);
  }
  const model = loadModel(dir).model as T5Model;
  const optimizer = optimizerFor(model);
  const file = readSafetensorsFile(path.join(dir, 'optimizer.safetensors'));
  try {
    const n = model.params.size;
    const read = (k: string) => Array.from({ length: n }, (_, i) => file.read(`${k}.${i}`) as Float32Array);
    optimizer.importState({ t: Number(file.metadata.step), m: read('m'), v: read('v') });
  } finally {
    file.close();
  }
  return { model, optimizer, state };
}

/** The model before update 1: T5's random initialisation, its shared embedding replaced as `cfg.embeddingInit` says. */
export function initialModel(cfg: PretrainConfig, blocks: TokenBlocks): T5Model {
  const model = T5Model.random(cfg.model, subSeed(cfg.seed, 'init'));
  if (cfg.embeddingInit === 'ppmi-svd') {
    const shared = model.checkpointTensor('shared.weight');
    const random = shared.dataSync() as Float32Array;
    shared.dispose();
    const rows = ppmiSvdEmbedding(blocks.ids, random, cfg.model.vocabSize, cfg.model.dModel, cfg.model.eosTokenId, subSeed(cfg.seed, 'embedding'));
    tf.tidy(() => model.assignCheckpointTensor('shared.weight', tf.tensor2d(rows, [cfg.model.vocabSize, cfg.model.dModel])));
  }
  return model;
}

/**
 * Pretrains from scratch, or resumes from `workDir/checkpoint` when it holds this run.
 * `workDir` must contain the run's tokenizer.json (checkpoints copy it).
 */
export async function pretrain(
  cfg: PretrainConfig, blocks: TokenBlocks, workDir: string,
  onStep: (s: PretrainStep) => void | Promise<void> = () => {},
): Promise<PretrainResult> {
  const expected = fingerprint(cfg, blocks);
  const checkpointDir = path.join(workDir, 'checkpoint');
  mkdirSync(workDir, { recursive: true });
  const optimizerFor = (m: T5Model) =>
    new AdamW([...m.params.values()], { ...ADAMW_DEFAULTS, weightDecay: cfg.weightDecay, relativeStep: cfg.relativeStep }, [...m.params.keys()]);
  const resumed = loadCheckpoint(checkpointDir, expected, optimizerFor);
  const model = resumed?.model ?? initialModel(cfg, blocks);
  const optimizer = resumed?.optimizer ?? optimizerFor(model);
  const losses = resumed?.state.losses ?? [];
  let seconds = resumed?.state.seconds ?? 0;
  let cpuSeconds = resumed?.state.cpuSeconds ?? 0;
  const vars = [...model.params.values()];
  const plan = { seed: cfg.seed, batchSize: cfg.batchSize, vocabSize: cfg.model.vocabSize, eosId: cfg.model.eosTokenId, noise: cfg.noise, reconstructFraction: cfg.reconstructFraction, reconstructLead: cfg.reconstructLead };
  try {
    for (let step = losses.length; step < cfg.steps; step++) {
      const lr = linearSchedule(step, cfg.steps, cfg.warmupSteps, cfg.learningRate);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const examples = pretrainBatch(blocks, plan, step);
      const loss = update(model, vars, optimizer, examples, lr, cfg.clipNorm);
      if (!Number.isFinite(loss)) throw new Error(`pretraining diverged at step ${step + 1}: loss is ${loss}; lower the learning rate`);
      const ms = performance.now() - start;
      seconds += ms / 1000;
      const cpu = process.cpuUsage(cpuStart);
      cpuSeconds += (cpu.user + cpu.system) / 1e6;
      losses.push(loss);
      const tokens = examples.reduce((n, e) => n + e.input.length, 0);
      await onStep({ step: step + 1, loss, lr, tokensPerSec: (tokens * 1000) / ms, seconds, cpuSeconds });
      const last = step + 1 === cfg.steps;
      if (cfg.checkpointEvery > 0 && ((step + 1) % cfg.checkpointEvery === 0 || last)) {
        saveCheckpoint(checkpointDir, model, optimizer, { step: step + 1, losses, seconds, cpuSeconds, fingerprint: expected });
      }
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  return { model, losses, seconds, cpuSeconds, resumedFrom: resumed?.state.step ?? 0 };
}
