// mam — Mix-and-Match adapter: prefix tuning at every attention plus a parallel adapter at every
// feed-forward (He et al. 2022, https://arxiv.org/abs/2110.04366), as the study's Table 5 string
// `prefix_tuning[bottleneck_size=800]|par_bn`: 30 prefix slots through an MLP of width 800, and
// parallel adapters of width d/2 (relu, up projection zero at init) with the constant scale 4.
//
//   attention(q, [K_prefix; K], [V_prefix; V])  ...  y = x + FFN(norm(x)) + 4·A(x)
import { bottleneckWidth, positiveInteger, positiveNumber, shapeOf, withDefaults, type AttachedMethod, type OptionValue, type PeftMethod } from './method';
import type { ModelShape } from '../models/types';
import { adapterParamCount, attachAdapters, type AdapterSpec } from './parts/bottleneck';
import { attachedFrom } from './parts/component';
import { attachPrefixes, prefixCounts } from './parts/prefix';

interface MamOptions {
  [key: string]: OptionValue;
  prefix_length: number;
  bottleneck_size: number;
  reduction_factor: number;
  scaling: number;
}

function adapter(shape: ModelShape, o: MamOptions): AdapterSpec {
  return {
    wiring: 'parallel', kinds: ['feed_forward'], width: bottleneckWidth('mam', shape.dModel, o.reduction_factor),
    activation: 'relu', init: 'mam', scaling: o.scaling, gated: false, phm: null,
  };
}

const prefix = (o: MamOptions) => ({ length: o.prefix_length, bottleneck: o.bottleneck_size, gated: false });

export const mam: PeftMethod<MamOptions> = {
  id: 'mam',
  title: 'Mix-and-Match adapter',
  paper: 'https://arxiv.org/abs/2110.04366',
  defaults: { prefix_length: 30, bottleneck_size: 800, reduction_factor: 2, scaling: 4 },
  mergeable: false,
  validate(options, config) {
    const o = withDefaults('mam', options, this.defaults);
    const v = {
      prefix_length: positiveInteger('mam', 'prefix_length', o.prefix_length),
      bottleneck_size: positiveInteger('mam', 'bottleneck_size', o.bottleneck_size),
      reduction_factor: positiveNumber('mam', 'reduction_factor', o.reduction_factor),
      scaling: positiveNumber('mam', 'scaling', o.scaling),
    };
    adapter(shapeOf(config), v);
    return v;
  },
  count(shape, o) {
    const p = prefixCounts(shape, prefix(o));
    const spec = adapter(shape, o);
    const a = adapterParamCount(shape.sublayers.filter((s) => spec.kinds.includes(s.kind)), spec);
    return { trainable: p.trainable + a, changed: p.stored + a, stored: p.stored + a, updateRank: null };
  },
  attach(model, o, seed): AttachedMethod {
    const shape = model.shape();
    return attachedFrom([attachPrefixes(model, prefix(o), seed), attachAdapters(model, adapter(shape, o), seed)], this.count(shape, o));
  },
};
