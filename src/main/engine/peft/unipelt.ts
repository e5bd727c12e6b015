// unipelt — gated LoRA + gated prefix tuning + gated adapter (Mao et al. 2022, https://arxiv.org/abs/2110.07577),
// as the study's Table 5 string `lora[r=8,use_gating=True]|prefix_tuning[prefix_length=10,use_gating=True]
// |seq_bn[reduction_factor=16,use_gating=True]`. Each gate is g = mean over tokens of sigmoid(w·z + b),
// one scalar per example, on the sub-module's own input z:
//
//   q, v:        x·W + g_lora·x·A·B                  (the gate replaces α/r)
//   attention:   [g_prefix·K_prefix; K], [g_prefix·V_prefix; V]
//   after FFN:   z = x + h,  y = z + g_adapter·A(z)   (Pfeiffer placement, relu, d/16)
import type { ModelShape } from '../models/types';
import { bottleneckWidth, positiveInteger, positiveNumber, shapeOf, withDefaults, type AttachedMethod, type OptionValue, type PeftMethod } from './method';
import { adapterParamCount, attachAdapters, type AdapterSpec } from './parts/bottleneck';
import { attachedFrom, type Component } from './parts/component';
import { hookLora, loadLora, loraHook, loraParamCount, loraVariables, makeLora, saveLora, sitesWithRoles } from './parts/lora';
import { attachPrefixes, prefixCounts } from './parts/prefix';
import * as tf from '@tensorflow/tfjs-core';
import type { HookableModel } from '../models/types';

interface UnipeltOptions {
  [key: string]: OptionValue;
  r: number;
  prefix_length: number;
  bottleneck_size: number;
  reduction_factor: number;
}

const ROLES = ['query', 'value'] as const;

function adapter(shape: ModelShape, o: UnipeltOptions): AdapterSpec {
  return {
    wiring: 'serial_residual', kinds: ['feed_forward'], width: bottleneckWidth('unipelt', shape.dModel, o.reduction_factor),
    activation: 'relu', init: 'bert', scaling: 1, gated: true, phm: null,
  };
}

const prefix = (o: UnipeltOptions) => ({ length: o.prefix_length, bottleneck: o.bottleneck_size, gated: true });

function attachGatedLora(model: HookableModel, r: number, seed: number): Component {
  const modules = sitesWithRoles('unipelt', model.shape(), ROLES).map((s) => makeLora(s, r, seed, true));
  const unhook = hookLora(model, modules, (m) => loraHook(m, 1));
  return {
    variables: modules.flatMap(loraVariables),
    save: () => modules.flatMap(saveLora),
    load: (delta) => loadLora('unipelt', modules, delta),
    dispose: () => { unhook(); tf.dispose(modules.flatMap(loraVariables)); },
  };
}

export const unipelt: PeftMethod<UnipeltOptions> = {
  id: 'unipelt',
  title: 'UniPELT (gated)',
  paper: 'https://arxiv.org/abs/2110.07577',
  defaults: { r: 8, prefix_length: 10, bottleneck_size: 512, reduction_factor: 16 },
  mergeable: false,
  validate(options, config) {
    const o = withDefaults('unipelt', options, this.defaults);
    const v = {
      r: positiveInteger('unipelt', 'r', o.r),
      prefix_length: positiveInteger('unipelt', 'prefix_length', o.prefix_length),
      bottleneck_size: positiveInteger('unipelt', 'bottleneck_size', o.bottleneck_size),
      reduction_factor: positiveNumber('unipelt', 'reduction_factor', o.reduction_factor),
    };
    adapter(shapeOf(config), v);
    return v;
  },
  count(shape, o) {
    const lora = loraParamCount(sitesWithRoles('unipelt', shape, ROLES), o.r, true);
    const p = prefixCounts(shape, prefix(o));
    const spec = adapter(shape, o);
    const a = adapterParamCount(shape.sublayers.filter((s) => spec.kinds.includes(s.kind)), spec);
    return { trainable: lora + p.trainable + a, changed: lora + p.stored + a, stored: lora + p.stored + a, updateRank: null };
  },
  attach(model, o, seed): AttachedMethod {
    const shape = model.shape();
    const parts = [attachGatedLora(model, o.r, seed), attachPrefixes(model, prefix(o), seed), attachAdapters(model, adapter(shape, o), seed)];
    return attachedFrom(parts, this.count(shape, o));
  },
};
