// The training loop: shuffled microbatches, gradient accumulation to the effective batch,
// AdamW with a linear schedule, and the measurements the study takes while training.
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2SeqModel } from '../models/types';
import type { AttachedMethod } from '../peft/method';
import { disposeBatch, inputTokens, makeBatch, type EncodedExample } from '../data/batching';
import { makeRng, shuffled, subSeed } from '../util/rng';
import { AdamW, ADAMW_DEFAULTS, linearSchedule } from './adamw';

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

export async function train(
  model: Seq2SeqModel, method: AttachedMethod, data: EncodedExample[], padId: number,
  cfg: TrainConfig, hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  const accumulation = cfg.effectiveBatch / cfg.microBatch;
  const names = nameOf(model, method.trainable);
  const optimizer = new AdamW(method.trainable, { ...ADAMW_DEFAULTS, weightDecay: cfg.weightDecay }, names);
  const order = epochOrder(data, cfg.microBatch, subSeed(cfg.seed, 'data'));
  const warmup = Math.round(cfg.warmupRatio * cfg.steps);
  const skip = warmupUpdates(cfg.steps);
  let peakTensorBytes = 0, peakRssBytes = 0, timedTokens = 0, timedMs = 0, loss = NaN;
  const t0 = performance.now();
  try {
    for (let step = 0; step < cfg.steps; step++) {
      const lr = linearSchedule(step, cfg.steps, warmup, cfg.learningRate);
      const micro = Array.from({ length: accumulation }, () => order.next());
      const tokens = micro.reduce((n, mb) => n + inputTokens(mb), 0);
      const start = performance.now();
      const update = () => accumulateAndStep(model, method, optimizer, micro, padId, lr, subSeed(cfg.seed, `dropout${step}`));
      if (step === 0 || step === cfg.steps - 1) {
        // Profiled updates give the peak of live tensor bytes; they are not timed.
        const profile = await tf.profile(() => { loss = update(); return []; });
        peakTensorBytes = Math.max(peakTensorBytes, profile.peakBytes);
      } else {
        loss = update(); // reading the loss is the sync point that makes the timing honest
      }
      const ms = performance.now() - start;
      if (step >= skip && step !== 0 && step !== cfg.steps - 1) {
        timedTokens += tokens;
        timedMs += ms;
      }
      const rss = process.memoryUsage().rss;
      peakRssBytes = Math.max(peakRssBytes, rss);
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step + 1}: loss is ${loss}`);
      await hooks.onStep?.({ step: step + 1, loss, lr, tokensPerSec: (tokens * 1000) / ms, tensorBytes: tf.memory().numBytes, rssBytes: rss });
    }
  } finally {
    optimizer.dispose();
  }
  return {
    finalLoss: loss,
    trainTokensPerSec: timedMs > 0 ? (timedTokens * 1000) / timedMs : NaN,
    peakTensorBytes,
    peakRssBytes,
    seconds: (performance.now() - t0) / 1000,
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

/** Endless microbatches: each epoch a fresh seeded shuffle; the tail that does not fill a microbatch is dropped. */
function epochOrder(data: EncodedExample[], microBatch: number, seed: number) {
  if (data.length < microBatch) {
    throw new Error(`the training split has ${data.length} examples, fewer than one microbatch of ${microBatch}`);
  }
  const rng = makeRng(seed);
  const queue: EncodedExample[][] = [];
  return {
    next(): EncodedExample[] {
      if (!queue.length) {
        const items = shuffled(data, rng);
        for (let i = 0; i + microBatch <= items.length; i += microBatch) queue.push(items.slice(i, i + microBatch));
      }
      return queue.shift()!;
    },
  };
}
