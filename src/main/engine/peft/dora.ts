// dora — weight-decomposed LoRA (Liu et al. 2024, https://arxiv.org/abs/2402.09353), as Hugging Face
// PEFT's `LoraConfig(use_dora=True)` with the lora_qv settings (q and v, r 8, α 8):
//
//   W' = W + (α/r)·A·B                 (in, out), A kaiming-uniform, B zero
//   y  = (m / ‖W'‖_col) ⊙ (x·W') + b  m starts at ‖W‖_col, so the output is unchanged at init;
//                                      the norm is treated as a constant in the backward pass
// merge: W ← W' ⊙ (m / ‖W'‖_col).
import * as tf from '@tensorflow/tfjs-core';
import type { HookableModel } from '../models/types';
import { loadVariables, positiveInteger, positiveNumber, shapeOf, variableDelta, withDefaults, type AttachedMethod, type PeftMethod } from './method';
import { detach, trainableVar } from './parts/init';
import { loadLora, loraParamCount, loraUpdate, makeLora, saveLora, sitesWithRoles, type LoraModule } from './parts/lora';
import type { LoraOptions } from './parts/lora_method';

const ROLES = ['query', 'value'] as const;

/** Column norms (over the input axis) of w (in, out): (out). */
const colNorm = (w: tf.Tensor) => tf.sqrt(tf.sum(tf.square(w), 0));

export const dora: PeftMethod<LoraOptions> = {
  id: 'dora',
  title: 'DoRA on q and v',
  paper: 'https://arxiv.org/abs/2402.09353',
  defaults: { r: 8, alpha: 8 },
  mergeable: true,
  validate(options, config) {
    const o = withDefaults('dora', options, this.defaults);
    sitesWithRoles('dora', shapeOf(config), ROLES);
    return { r: positiveInteger('dora', 'r', o.r), alpha: positiveNumber('dora', 'alpha', o.alpha) };
  },
  count(shape, o) {
    const sites = sitesWithRoles('dora', shape, ROLES);
    const n = loraParamCount(sites, o.r, false) + sites.reduce((s, x) => s + x.outFeatures, 0);
    return { trainable: n, changed: sites.reduce((s, x) => s + x.inFeatures * x.outFeatures, 0), stored: n, updateRank: null };
  },
  attach(model: HookableModel, o, seed): AttachedMethod {
    const scale = o.alpha / o.r;
    const weight = (m: LoraModule) => model.params.get(`${m.site.name}.weight`)!; // (in, out)
    const modules = sitesWithRoles('dora', model.shape(), ROLES).map((s) => {
      const lora = makeLora(s, o.r, seed, false);
      return { lora, m: trainableVar(() => colNorm(weight(lora))) }; // (out)
    });
    const magName = (l: LoraModule) => `base_model.model.${l.site.name}.lora_magnitude_vector`;
    for (const { lora, m } of modules) {
      const bias = model.params.get(`${lora.site.name}.bias`); // added unscaled, as in PEFT (Qwen2's q, v)
      model.setLinearHook(lora.site.name, (x) => {
        const w = tf.add(weight(lora), loraUpdate(lora, scale)); // (in, out)
        const y = tf.mul(tf.matMul(x, w), tf.div(m, detach(colNorm(w)))) as tf.Tensor2D; // (N, out)
        return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
      });
    }
    let hooked = true;
    const unhook = () => { modules.forEach(({ lora }) => model.setLinearHook(lora.site.name, null)); hooked = false; };
    const vars = modules.flatMap(({ lora, m }) => [lora.A, lora.B, m]);
    const counts = this.count(model.shape(), o);
    return {
      trainable: vars,
      trainableParams: counts.trainable,
      changedParams: counts.changed,
      updateRank: null,
      save: () => modules.flatMap(({ lora, m }) => [...saveLora(lora), variableDelta(magName(lora), m)]),
      load: (delta) => {
        loadLora('dora', modules.map((x) => x.lora), delta);
        loadVariables('dora', new Map(modules.map(({ lora, m }) => [magName(lora), m])), delta);
      },
      merge: () => {
        if (!hooked) return;
        for (const { lora, m } of modules) {
          tf.tidy(() => {
            const w = tf.add(weight(lora), loraUpdate(lora, scale));
            weight(lora).assign(tf.mul(w, tf.div(m, colNorm(w))));
          });
        }
        unhook();
      },
      dispose: () => {
        if (hooked) unhook();
        tf.dispose(vars);
      },
    };
  },
};
