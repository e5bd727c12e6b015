// AdamW (Loshchilov & Hutter 2019) as torch.optim.AdamW computes it: decoupled weight decay
// p ← p·(1 − lr·wd), then the bias-corrected Adam step. Norm scales and biases are not decayed,
// following the usual Hugging Face grouping.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

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
  step(grads: tf.Tensor[], lr: number): void {
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.opts;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        const decayed = this.decays[i] && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
  }

  /** Update count and moments, for checkpoints that resume exactly. Values are copies. */
  exportState(): { step: number; m: Float32Array[]; v: Float32Array[] } {
    const read = (ts: tf.Variable[]) => ts.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    return { step: this.t, m: read(this.m), v: read(this.v) };
  }

  /** Restores what exportState() returned for the same parameter list. */
  importState(state: { step: number; m: Float32Array[]; v: Float32Array[] }): void {
    const n = this.params.length;
    if (state.m.length !== n || state.v.length !== n) {
      throw new Error(`optimiser state holds ${state.m.length} moments for ${n} parameters; it belongs to another model`);
    }
    this.params.forEach((p, i) => {
      if (state.m[i].length !== p.size || state.v[i].length !== p.size) {
        throw new Error(`optimiser state for parameter ${i} (${p.name}) has ${state.m[i].length} values, expected ${p.size}`);
      }
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(state.m[i], p.shape));
        this.v[i].assign(tf.tensor(state.v[i], p.shape));
      });
    });
    this.t = state.step;
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
