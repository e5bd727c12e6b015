// krona — Kronecker-product adapter on q and v (KronA, Edalati et al. 2022, https://arxiv.org/abs/2212.10650),
// as the study's `hf_krona`: Hugging Face PEFT's LoKr with its defaults (r 8, α 8, factor −1,
// w1 full and zero at init, w2 split into w2_a·w2_b when r < max(out_k, in_n)/2).
//
//   in = in_m·in_n, out = out_l·out_k (factor pairs nearest √dim)
//   ΔW = (α/r)·kron(w1 (out_l×in_m), w2 (out_k×in_n))        (out, in)
//   y  = x·W + x·ΔWᵀ;   merge: W ← W + ΔWᵀ
import * as tf from '@tensorflow/tfjs-core';
import type { LinearSite } from '../models/types';
import { loadVariables, positiveInteger, positiveNumber, shapeOf, variableDelta, withDefaults, type AttachedMethod, type PeftMethod } from './method';
import { kaimingUniform, trainableVar } from './parts/init';
import { sitesWithRoles } from './parts/lora';
import type { LoraOptions } from './parts/lora_method';

const ROLES = ['query', 'value'] as const;

/**
 * Hugging Face PEFT's `factorization(dimension, factor=-1)` (from LyCORIS): walks the divisors up
 * to the first pair past √dim, so m ≤ n, m·n = dim, as balanced as the divisors allow.
 */
export function factorization(dim: number): [number, number] {
  let m = 1, n = dim;
  while (m < n) {
    let next = m + 1;
    while (dim % next !== 0) next++;
    [m, n] = [next, dim / next];
  }
  return m > n ? [n, m] : [m, n];
}

/** Shapes of w1 and w2 (or w2_a, w2_b) for one Linear, torch layout. */
function layout(s: LinearSite, r: number) {
  const [inM, inN] = factorization(s.inFeatures);
  const [outL, outK] = factorization(s.outFeatures);
  const split = r < Math.max(outK, inN) / 2;
  return { w1: [outL, inM], w2: split ? null : [outK, inN], w2a: [outK, r], w2b: [r, inN], split };
}

function perSite(s: LinearSite, r: number): number {
  const l = layout(s, r);
  return l.w1[0] * l.w1[1] + (l.split ? r * (l.w2a[0] + l.w2b[1]) : l.w2![0] * l.w2![1]);
}

/** kron(a (p×q), b (u×v)) → (p·u, q·v). */
function kron(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const [p, q] = a.shape as [number, number];
  const [u, v] = b.shape as [number, number];
  return tf.reshape(tf.mul(tf.reshape(a, [p, 1, q, 1]), tf.reshape(b, [1, u, 1, v])), [p * u, q * v]);
}

export const krona: PeftMethod<LoraOptions> = {
  id: 'krona',
  title: 'KronA (LoKr) on q and v',
  paper: 'https://arxiv.org/abs/2212.10650',
  defaults: { r: 8, alpha: 8 },
  mergeable: true,
  validate(options, config) {
    const o = withDefaults('krona', options, this.defaults);
    sitesWithRoles('krona', shapeOf(config), ROLES);
    return { r: positiveInteger('krona', 'r', o.r), alpha: positiveNumber('krona', 'alpha', o.alpha) };
  },
  count(shape, o) {
    const sites = sitesWithRoles('krona', shape, ROLES);
    const n = sites.reduce((sum, s) => sum + perSite(s, o.r), 0);
    return { trainable: n, changed: sites.reduce((sum, s) => sum + s.inFeatures * s.outFeatures, 0), stored: n, updateRank: null };
  },
  attach(model, o, seed): AttachedMethod {
    const scale = o.alpha / o.r;
    const vars = new Map<string, tf.Variable>();
    const updates = sitesWithRoles('krona', model.shape(), ROLES).map((s) => {
      const l = layout(s, o.r), key = `base_model.model.${s.name}`;
      const w1 = trainableVar(() => tf.zeros(l.w1));
      const w2 = l.split
        ? [trainableVar(() => kaimingUniform(l.w2a, o.r, seed, `${key}.w2_a`)), trainableVar(() => kaimingUniform(l.w2b, l.w2b[1], seed, `${key}.w2_b`))]
        : [trainableVar(() => kaimingUniform(l.w2!, l.w2![1], seed, `${key}.w2`))];
      vars.set(`${key}.lokr_w1`, w1);
      if (l.split) { vars.set(`${key}.lokr_w2_a`, w2[0]); vars.set(`${key}.lokr_w2_b`, w2[1]); } else vars.set(`${key}.lokr_w2`, w2[0]);
      // ΔWᵀ in the model's (in, out) layout.
      const delta = () => tf.transpose(tf.mul(kron(w1, l.split ? tf.matMul(w2[0], w2[1]) : w2[0]), scale)) as tf.Tensor2D;
      model.setLinearHook(s.name, (x, base) => tf.add(base(x), tf.matMul(x, delta())) as tf.Tensor2D);
      return { site: s, delta };
    });
    let hooked = true;
    const unhook = () => { updates.forEach((u) => model.setLinearHook(u.site.name, null)); hooked = false; };
    const counts = this.count(model.shape(), o);
    return {
      trainable: [...vars.values()],
      trainableParams: counts.trainable,
      changedParams: counts.changed,
      updateRank: null,
      save: () => [...vars].map(([k, v]) => variableDelta(k, v)),
      load: (delta) => loadVariables('krona', vars, delta),
      merge: () => {
        if (!hooked) return;
        for (const u of updates) {
          const w = model.params.get(`${u.site.name}.weight`)!;
          tf.tidy(() => w.assign(tf.add(w, u.delta())));
        }
        unhook();
      },
      dispose: () => {
        if (hooked) unhook();
        tf.dispose([...vars.values()]);
      },
    };
  },
};
