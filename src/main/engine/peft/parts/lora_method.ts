// The plain LoRA method on a fixed set of Linear roles; lora_qv and lora_all are two rows of it.
import * as tf from '@tensorflow/tfjs-core';
import type { LinearRole, HookableModel } from '../../models/types';
import { positiveInteger, positiveNumber, shapeOf, withDefaults, type AttachedMethod, type PeftMethod } from '../method';
import { hookLora, loadLora, loraHook, loraParamCount, loraUpdate, makeLora, saveLora, sitesWithRoles } from './lora';

export interface LoraOptions {
  [key: string]: number;
  r: number;
  alpha: number;
}

export function loraMethod(id: string, title: string, roles: readonly LinearRole[]): PeftMethod<LoraOptions> {
  return {
    id, title,
    paper: 'https://arxiv.org/abs/2106.09685',
    defaults: { r: 8, alpha: 8 },
    mergeable: true,
    validate(options, config) {
      const o = withDefaults(id, options, this.defaults);
      sitesWithRoles(id, shapeOf(config), roles);
      return { r: positiveInteger(id, 'r', o.r), alpha: positiveNumber(id, 'alpha', o.alpha) };
    },
    count(shape, o) {
      const sites = sitesWithRoles(id, shape, roles);
      const trainable = loraParamCount(sites, o.r, false);
      return { trainable, changed: sites.reduce((n, s) => n + s.inFeatures * s.outFeatures, 0), stored: trainable, updateRank: o.r };
    },
    attach(model: HookableModel, o: LoraOptions, seed: number): AttachedMethod {
      const sites = sitesWithRoles(id, model.shape(), roles);
      const scale = o.alpha / o.r;
      const modules = sites.map((s) => makeLora(s, o.r, seed, false));
      let unhook: (() => void) | null = hookLora(model, modules, (m) => loraHook(m, scale));
      const counts = this.count(model.shape(), o);
      return {
        trainable: modules.flatMap((m) => [m.A, m.B]),
        trainableParams: counts.trainable,
        changedParams: counts.changed,
        updateRank: o.r,
        save: () => modules.flatMap(saveLora),
        load: (delta) => loadLora(id, modules, delta),
        merge: () => {
          if (!unhook) return;
          for (const m of modules) {
            const w = model.params.get(`${m.site.name}.weight`)!; // (in, out)
            tf.tidy(() => w.assign(tf.add(w, loraUpdate(m, scale))));
          }
          unhook();
          unhook = null;
        },
        dispose: () => {
          unhook?.();
          tf.dispose(modules.flatMap((m) => [m.A, m.B]));
        },
      };
    },
  };
}
