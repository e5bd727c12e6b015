// ia3 — (IA)³, learned rescaling of inner activations (Liu et al. 2022, https://arxiv.org/abs/2205.05638).
//
//   x ──► W_k, W_v (frozen) ──► ⊙ l_k, l_v          keys and values of every attention (cross included)
//   x ──► W_wi (frozen) ──► ⊙ l_ff ──► act ──► W_wo  the feed-forward's up projection (wi, or wi_1 if gated)
//
// As the study's adapters `IA3Config`: vectors start at ones (output unchanged) and scale the Linear's
// output, so each folds exactly into its weight's columns and bias: W ← W·diag(l), b ← b ⊙ l.
import * as tf from '@tensorflow/tfjs-core';
import type { LinearRole, LinearSite, ModelShape } from '../models/types';
import { shapeOf, variableDelta, loadVariables, withDefaults, type AttachedMethod, type OptionValue, type PeftMethod } from './method';
import { sitesWithRoles } from './parts/lora';
import { trainableVar } from './parts/init';

interface Ia3Options {
  [key: string]: string[];
  targets: string[];
}

const ROLES: LinearRole[] = ['query', 'key', 'value', 'attention_output', 'ffn_gate', 'ffn_up', 'ffn_down'];

function targetRoles(shape: ModelShape, value: OptionValue): LinearRole[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`ia3.targets must be a non-empty list of Linear roles (${ROLES.join(', ')}), got ${JSON.stringify(value)}`);
  }
  const present = new Set(shape.linears.map((s) => s.role));
  for (const t of value) {
    if (!present.has(t as LinearRole)) {
      throw new Error(`ia3.targets: this ${shape.family} model has no Linear with role "${t}"; it has ${[...present].join(', ')}`);
    }
  }
  return value as LinearRole[];
}

const nameOf = (s: LinearSite) => `base_model.model.${s.name}.ia3_l`;

export const ia3: PeftMethod<Ia3Options> = {
  id: 'ia3',
  title: '(IA)³',
  paper: 'https://arxiv.org/abs/2205.05638',
  defaults: { targets: ['key', 'value', 'ffn_up'] },
  mergeable: true,
  validate(options, config) {
    const o = withDefaults('ia3', options, this.defaults);
    return { targets: targetRoles(shapeOf(config), o.targets) };
  },
  count(shape, o) {
    const n = sitesWithRoles('ia3', shape, o.targets as LinearRole[]).reduce((sum, s) => sum + s.outFeatures, 0);
    return { trainable: n, changed: sitesWithRoles('ia3', shape, o.targets as LinearRole[]).reduce((sum, s) => sum + s.inFeatures * s.outFeatures, 0), stored: n, updateRank: null };
  },
  attach(model, o, _seed): AttachedMethod {
    const sites = sitesWithRoles('ia3', model.shape(), o.targets as LinearRole[]);
    const scales = new Map(sites.map((s) => [s, trainableVar(() => tf.ones([s.outFeatures]))])); // (out)
    for (const [s, l] of scales) model.setLinearHook(s.name, (x, base) => tf.mul(base(x), l));
    let hooked = true;
    const unhook = () => { for (const s of sites) model.setLinearHook(s.name, null); hooked = false; };
    const counts = this.count(model.shape(), o);
    return {
      trainable: [...scales.values()],
      trainableParams: counts.trainable,
      changedParams: counts.changed,
      updateRank: null,
      save: () => [...scales].map(([s, l]) => ({ ...variableDelta(nameOf(s), l), shape: [s.outFeatures, 1] })),
      load: (delta) => loadVariables('ia3', new Map([...scales].map(([s, l]) => [nameOf(s), l])),
        delta.map((d) => ({ ...d, shape: [d.data.length] }))),
      merge: () => {
        if (!hooked) return;
        for (const [s, l] of scales) {
          const w = model.params.get(`${s.name}.weight`)!; // (in, out): scale its columns
          const b = model.params.get(`${s.name}.bias`); // (out), where the layer has one (Qwen2's k, v)
          tf.tidy(() => w.assign(tf.mul(w, l)));
          if (b) tf.tidy(() => b.assign(tf.mul(b, l)));
        }
        unhook();
      },
      dispose: () => {
        if (hooked) unhook();
        tf.dispose([...scales.values()]);
      },
    };
  },
};
