// lora_qv — LoRA on the query and value projections of every attention (Hu et al. 2022,
// https://arxiv.org/abs/2106.09685), cross-attention included, as in the study's code.
//
//   x ──► W (frozen) ───────────────┐
//   │                               (+) ──► y = x·W + (α/r)·x·A·B
//   └──► A (in×r) ──► B (r×out) ──► ×α/r
//
// A is kaiming-uniform(a=√5), B is zero, so the output is unchanged at initialisation.
import * as tf from '@tensorflow/tfjs-core';
import type { LinearSite, Seq2SeqModel } from '../models/types';
import { subSeed } from '../util/rng';
import { checkKnownOptions, positiveInteger, positiveNumber, type AttachedMethod, type DeltaTensor, type PeftMethod } from './method';

export interface LoraOptions {
  [key: string]: number;
  r: number;
  alpha: number;
}

const TARGETS = new Set(['q', 'v']);

interface LoraPair {
  site: LinearSite;
  A: tf.Variable; // (in, r)
  B: tf.Variable; // (r, out)
}

export const lora_qv: PeftMethod<LoraOptions> = {
  id: 'lora_qv',
  title: 'LoRA on q and v',
  paper: 'https://arxiv.org/abs/2106.09685',
  defaults: { r: 8, alpha: 8 },
  validate(options) {
    checkKnownOptions('lora_qv', options, this.defaults);
    const merged = { ...this.defaults, ...options };
    return { r: positiveInteger('lora_qv', 'r', merged.r), alpha: positiveNumber('lora_qv', 'alpha', merged.alpha) };
  },
  attach(model: Seq2SeqModel, opts: LoraOptions, seed: number): AttachedMethod {
    const sites = model.linearSites().filter((s) => TARGETS.has(s.module));
    const scale = opts.alpha / opts.r;
    const pairs = sites.map((site) => makePair(site, opts.r, seed));
    const hook = (p: LoraPair) => (x: tf.Tensor2D, base: (x: tf.Tensor2D) => tf.Tensor2D) =>
      tf.add(base(x), tf.mul(tf.matMul(tf.matMul(x, p.A), p.B), scale)) as tf.Tensor2D; // (N, out)
    for (const p of pairs) model.setLinearHook(p.site.name, hook(p));
    let merged = false;
    const unhook = () => { for (const p of pairs) model.setLinearHook(p.site.name, null); };
    return {
      trainable: pairs.flatMap((p) => [p.A, p.B]),
      trainableParams: pairs.reduce((n, p) => n + p.A.size + p.B.size, 0),
      changedParams: sites.reduce((n, s) => n + s.inFeatures * s.outFeatures, 0),
      updateRank: opts.r,
      save: () => pairs.flatMap((p) => saveLoraPair(p)),
      load: (delta) => loadLoraPairs(pairs, delta),
      merge: () => {
        if (merged) return;
        for (const p of pairs) {
          const w = model.params.get(`${p.site.name}.weight`)!; // (in, out)
          tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.matMul(p.A, p.B), scale))));
        }
        unhook();
        merged = true;
      },
      dispose: () => {
        unhook();
        tf.dispose(pairs.flatMap((p) => [p.A, p.B]));
      },
    };
  },
};

function makePair(site: LinearSite, r: number, seed: number): LoraPair {
  const bound = 1 / Math.sqrt(site.inFeatures); // kaiming_uniform(a=√5) on a (r, in) weight
  const A = tf.tidy(() => tf.variable(tf.randomUniform([site.inFeatures, r], -bound, bound, 'float32', subSeed(seed, site.name)), true));
  const B = tf.tidy(() => tf.variable(tf.zeros([r, site.outFeatures]), true));
  return { site, A, B };
}

/** Hugging Face PEFT's names and layouts: lora_A (r, in), lora_B (out, r). */
function saveLoraPair(p: LoraPair): DeltaTensor[] {
  const out = (name: string, v: tf.Variable) => {
    const t = tf.transpose(v);
    try {
      return { name: `base_model.model.${p.site.name}.${name}.weight`, shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    } finally {
      t.dispose();
    }
  };
  return [out('lora_A', p.A), out('lora_B', p.B)];
}

function loadLoraPairs(pairs: LoraPair[], delta: DeltaTensor[]): void {
  const byName = new Map(delta.map((d) => [d.name, d]));
  for (const p of pairs) {
    for (const [key, v] of [['lora_A', p.A], ['lora_B', p.B]] as const) {
      const name = `base_model.model.${p.site.name}.${key}.weight`;
      const d = byName.get(name);
      if (!d) throw new Error(`LoRA delta is missing "${name}"`);
      if (d.shape.join() !== [v.shape[1], v.shape[0]].join()) {
        throw new Error(`LoRA delta "${name}" has shape [${d.shape}], expected [${v.shape[1]},${v.shape[0]}] (same r as the run that saved it)`);
      }
      tf.tidy(() => v.assign(tf.transpose(tf.tensor2d(d.data, d.shape as [number, number]))));
    }
  }
}
