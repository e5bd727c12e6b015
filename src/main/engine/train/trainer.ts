// The training loop: shuffled microbatches, gradient accumulation to the effective batch,
// AdamW with a linear schedule, the measurements the study takes while training, and
// checkpoints from which an interrupted run continues exactly where it stopped.
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqModel } from '../models/types';
import type { AttachedMethod } from '../peft/method';
import { disposeBatch, inputTokens, makeBatch, type EncodedExample } from '../data/batching';
import { subSeed } from '../util/rng';
import { AdamW, ADAMW_DEFAULTS, linearSchedule } from './adamw';
import { readLatestCheckpoint, writeCheckpoint } from './checkpoint';
import { DataOrder } from './data_order';
import { assignWeights, decodeSnapshot, encodeSnapshot, readWeights, type TrainProgress, type TrainSnapshot } from './train_state';

export interface TrainConfig {
  steps: number;
  microBatch: number;
  effectiveBatch: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  seed: number;
}

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  /** Input tokens per second of this update. */
  tokensPerSec: number;
  tensorBytes: number;
  rssBytes: number;
}

export interface TrainOutcome {
  finalLoss: number;
  /** Input tokens per second over the timed updates (the first ones are warm-up). */
  trainTokensPerSec: number;
  /** Peak TF.js bytes inside a profiled update (weights, optimiser state, activations, gradients). */
  peakTensorBytes: number;
  peakRssBytes: number;
  seconds: number;
}

export interface TrainHooks {
  /** Called after every update. Return a promise to pause training (evaluation, IPC). */
  onStep?(info: StepInfo): void | Promise<void>;
}

/** Updates excluded from the throughput figure: kernel set-up, allocation, the profiled step. */
export function warmupUpdates(steps: number): number {
  return Math.min(2, Math.floor(steps / 4));
}

/** Where and how often a run checkpoints, and whether it continues from its newest checkpoint. */
export interface CheckpointOptions {
  /** This run's checkpoint folder. */
  dir: string;
  /** Updates between checkpoints; 0 writes none. */
  every: number;
  /** Continue from the newest valid checkpoint in `dir` (from scratch when there is none). */
  resume: boolean;
  /** Checkpoints kept (default 2). */
  keep?: number;
  /** The caller's numbers, saved with each checkpoint and given back on resume (after onStep of that update). */
  extra?: { save(): Record<string, number>; restore(values: Record<string, number>): void };
  /** Told the update a resumed run continues after, and newer checkpoints skipped as invalid. */
  onResume?(step: number, skipped: string[]): void;
  /** Tests: called after each file of a checkpoint is on disk. */
  afterFile?: (name: string) => void;
}

/** A non-finite loss: the run stops, and the reason names the update. */
export class DivergedError extends Error {
  constructor(readonly step: number, loss: number) {
    super(`diverged at step ${step}: loss is ${loss}; try a lower learning rate`);
    this.name = 'DivergedError';
  }
}

export async function train(
  model: Seq2SeqModel, method: AttachedMethod, data: EncodedExample[], padId: number,
  cfg: TrainConfig, hooks: TrainHooks = {}, checkpoint?: CheckpointOptions,
): Promise<TrainOutcome> {
  const accumulation = cfg.effectiveBatch / cfg.microBatch;
  const names = nameOf(model, method.trainable);
  const optimizer = new AdamW(method.trainable, { ...ADAMW_DEFAULTS, weightDecay: cfg.weightDecay }, names);
  const order = new DataOrder(data.length, cfg.microBatch, subSeed(cfg.seed, 'data'));
  const warmup = Math.round(cfg.warmupRatio * cfg.steps);
  const skip = warmupUpdates(cfg.steps);
  const p: TrainProgress = { step: 0, loss: NaN, peakTensorBytes: 0, peakRssBytes: 0, timedTokens: 0, timedMs: 0, seconds: 0 };
  const ck = checkpoint ? checkpointer(checkpoint, cfg, data.length, method.trainable, names, optimizer, order) : null;
  const t0 = performance.now();
  try {
    const resumed = ck && checkpoint!.resume ? ck.restore(p) : null;
    for (let step = p.step; step < cfg.steps; step++) {
      const lr = linearSchedule(step, cfg.steps, warmup, cfg.learningRate);
      const micro = Array.from({ length: accumulation }, () => order.next().map((i) => data[i]));
      const tokens = micro.reduce((n, mb) => n + inputTokens(mb), 0);
      const start = performance.now();
      const update = () => accumulateAndStep(model, method, optimizer, micro, padId, lr, subSeed(cfg.seed, `dropout${step}`));
      const profiled = step === 0 || step === cfg.steps - 1;
      if (profiled) {
        // Profiled updates give the peak of live tensor bytes; they are not timed.
        const profile = await tf.profile(() => { p.loss = update(); return []; });
        p.peakTensorBytes = Math.max(p.peakTensorBytes, profile.peakBytes);
      } else {
        p.loss = update(); // reading the loss is the sync point that makes the timing honest
      }
      const ms = performance.now() - start;
      // The first update after a resume sets up kernels again: not timed either.
      if (step >= skip && !profiled && step !== resumed?.step) {
        p.timedTokens += tokens;
        p.timedMs += ms;
      }
      const rss = process.memoryUsage().rss;
      p.peakRssBytes = Math.max(p.peakRssBytes, rss);
      if (!Number.isFinite(p.loss)) throw new DivergedError(step + 1, p.loss);
      p.step = step + 1;
      await hooks.onStep?.({ step: step + 1, loss: p.loss, lr, tokensPerSec: (tokens * 1000) / ms, tensorBytes: tf.memory().numBytes, rssBytes: rss });
      if (ck && checkpoint!.every > 0 && p.step % checkpoint!.every === 0 && p.step < cfg.steps) {
        ck.save({ ...p, seconds: p.seconds + (performance.now() - t0) / 1000 });
      }
    }
  } finally {
    optimizer.dispose();
  }
  return {
    finalLoss: p.loss,
    trainTokensPerSec: p.timedMs > 0 ? (p.timedTokens * 1000) / p.timedMs : NaN,
    peakTensorBytes: p.peakTensorBytes,
    peakRssBytes: p.peakRssBytes,
    seconds: p.seconds + (performance.now() - t0) / 1000,
  };
}

/** Saving and restoring the whole training state through atomic checkpoint folders. */
function checkpointer(
  o: CheckpointOptions, cfg: TrainConfig, examples: number, vars: tf.Variable[], names: string[], optimizer: AdamW, order: DataOrder,
) {
  const { steps, microBatch, effectiveBatch, learningRate, warmupRatio, weightDecay, seed } = cfg;
  const fingerprint = { steps, microBatch, effectiveBatch, learningRate, warmupRatio, weightDecay, seed, examples };
  // A method's own variables have names TF.js numbers per process: those are known by position.
  const shapes = vars.map((v, i) => ({ name: names[i] === v.name ? `trainable.${i}` : names[i], shape: v.shape.slice() }));
  return {
    save(progress: TrainProgress): void {
      const snapshot: TrainSnapshot = {
        fingerprint, progress, data: order.state, adam: optimizer.exportState(), weights: readWeights(vars), extra: o.extra?.save() ?? {},
      };
      writeCheckpoint(o.dir, progress.step, encodeSnapshot(snapshot, shapes), { keep: o.keep, afterFile: o.afterFile });
    },
    /** Loads the newest valid checkpoint into the weights, optimiser, data order and `p`; null when none. */
    restore(p: TrainProgress): TrainProgress | null {
      const found = readLatestCheckpoint(o.dir);
      if (!found) return null;
      const s = decodeSnapshot(found.dir, found.files, shapes, fingerprint);
      assignWeights(vars, s.weights);
      optimizer.importState(s.adam);
      order.state = s.data;
      Object.assign(p, s.progress);
      o.extra?.restore(s.extra);
      o.onResume?.(s.progress.step, found.skipped);
      return { ...s.progress };
    },
  };
}

/** Sum of microbatch gradients / accumulation, then one optimiser step. Returns the mean loss. */
function accumulateAndStep(
  model: Seq2SeqModel, method: AttachedMethod, optimizer: AdamW,
  micro: EncodedExample[][], padId: number, lr: number, dropoutSeed: number,
): number {
  const vars = method.trainable;
  let acc: tf.Tensor[] | null = null;
  let lossSum = tf.scalar(0);
  try {
    micro.forEach((items, i) => {
      const batch = makeBatch(items, padId);
      try {
        const { value, grads } = tf.variableGrads(
          () => tf.div(model.loss(batch, { training: true, dropoutSeed: dropoutSeed + i }), micro.length) as tf.Scalar,
          vars,
        );
        const g = vars.map((v) => grads[v.name]);
        const next: tf.Tensor[] = acc ? tf.tidy(() => g.map((t, j) => tf.add(acc![j], t))) : g;
        if (acc) tf.dispose([...acc, ...g]);
        acc = next;
        const sum = tf.add(lossSum, value) as tf.Scalar;
        tf.dispose([lossSum, value]);
        lossSum = sum;
      } finally {
        disposeBatch(batch);
      }
    });
    optimizer.step(acc!, lr);
    return lossSum.dataSync()[0];
  } finally {
    if (acc) tf.dispose(acc);
    lossSum.dispose();
  }
}

function nameOf(model: Seq2SeqModel, vars: tf.Variable[]): string[] {
  const byVar = new Map<tf.Variable, string>();
  for (const [name, v] of model.params) byVar.set(v, name);
  return vars.map((v) => byVar.get(v) ?? v.name);
}
