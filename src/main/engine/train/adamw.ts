// AdamW (Loshchilov & Hutter 2019) as torch.optim.AdamW computes it: decoupled weight decay
// p ← p·(1 − lr·wd), then the bias-corrected Adam step. Norm scales and biases are not decayed,
// following the usual Hugging Face grouping.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /**
   * Scale each tensor's step by its current RMS (floored at 1e-3), the relative step size of
   * Adafactor's `scale_parameter`, which T5 was pretrained with: an embedding initialised at
   * std 1 then moves as fast, relative to its size, as a projection initialised at std d^-0.5.
   */
  relativeStep?: boolean;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Updates taken (the bias correction depends on it). */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decays: boolean[];
  private t = 0;

  constructor(
    private readonly params: tf.Variable[],
    private readonly opts: AdamWOptions = ADAMW_DEFAULTS,
    /** Names used to decide decay: names containing layer_norm or bias are not decayed. */
    names: string[] = params.map((p) => p.name),
  ) {
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.decays = names.map((n) => !/layer_norm|bias/.test(n));
  }

  /** One update with `grads[i]` the gradient of `params[i]`. Does not dispose the grads. */
  step(grads: tf.Tensor[], baseLr: number): void {
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.opts;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const lr = this.opts.relativeStep ? tf.mul(baseLr, tf.maximum(tf.sqrt(tf.mean(tf.square(p))), 1e-3)) : baseLr; // () or scalar
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        const keep = typeof lr === 'number' ? 1 - lr * weightDecay : tf.sub(1, tf.mul(lr, weightDecay));
        const decayed = this.decays[i] && weightDecay > 0 ? tf.mul(p, keep) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
  }

  /** The update count and both moments, for a checkpoint. */
  exportState(): AdamWState {
    return {
      t: this.t,
      m: this.m.map((x) => (x.dataSync() as Float32Array).slice()),
      v: this.v.map((x) => (x.dataSync() as Float32Array).slice()),
    };
  }

  /** Restores what exportState() gave; sizes must match the parameters. */
  importState(state: AdamWState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`optimiser state has ${state.m.length} moments, this run trains ${this.m.length} tensors`);
    }
    this.m.forEach((x, i) => {
      if (state.m[i].length !== x.size || state.v[i].length !== x.size) {
        throw new Error(`optimiser moment ${i} has ${state.m[i].length} values, expected ${x.size}`);
      }
      tf.tidy(() => {
        x.assign(tf.tensor(state.m[i], x.shape));
        this.v[i].assign(tf.tensor(state.v[i], x.shape));
      });
    });
    this.t = state.t;
  }

  /** Bytes of optimiser state (two moments per trainable value, float32). */
  stateBytes(): number {
    return this.m.reduce((n, t) => n + t.size * 8, 0);
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * Learning rate of update `step` (0-based): linear warm-up over `warmup` updates, then linear
 * decay to 0 at `total`, as transformers' get_linear_schedule_with_warmup.
 */
export function linearSchedule(step: number, total: number, warmup: number, peak: number): number {
  if (step < warmup) return (peak * step) / Math.max(1, warmup);
  return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
}
