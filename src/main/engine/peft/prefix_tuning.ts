// prefix_tuning — trainable key/value prefixes in every attention (Li & Liang 2021,
// https://arxiv.org/abs/2101.00190), as the study's adapters `PrefixTuningConfig`: 30 slots, a
// re-parameterising MLP (width 512, tanh) per location that trains and is then dropped, so the
// saved delta holds only the P·L·2·H·dk prefixes. `flat: true` trains the prefixes directly
// (N(0, 1)); that is the study's Table 5 "prompt tuning" row (`prefix_tuning_flat`).
//
//   Embedding(P, d) ─► Linear ─► tanh ─► Linear ─► K_prefix, V_prefix per layer
//   attention(q, [K_prefix; K], [V_prefix; V])        every query sees every prefix slot
import { bool, positiveInteger, shapeOf, withDefaults, type AttachedMethod, type OptionValue, type PeftMethod } from './method';
import { attachedFrom } from './parts/component';
import { attachPrefixes, prefixCounts, type PrefixSpec } from './parts/prefix';

interface PrefixOptions {
  [key: string]: OptionValue;
  prefix_length: number;
  bottleneck_size: number;
  flat: boolean;
}

export function prefixSpec(o: PrefixOptions, gated = false): PrefixSpec {
  return { length: o.prefix_length, bottleneck: o.flat ? null : o.bottleneck_size, gated };
}

export const prefix_tuning: PeftMethod<PrefixOptions> = {
  id: 'prefix_tuning',
  title: 'Prefix tuning',
  paper: 'https://arxiv.org/abs/2101.00190',
  defaults: { prefix_length: 30, bottleneck_size: 512, flat: false },
  mergeable: false,
  validate(options, config) {
    const o = withDefaults('prefix_tuning', options, this.defaults);
    if (!shapeOf(config).attentions.length) throw new Error('prefix_tuning: this model has no attention to put prefixes on');
    return {
      prefix_length: positiveInteger('prefix_tuning', 'prefix_length', o.prefix_length),
      bottleneck_size: positiveInteger('prefix_tuning', 'bottleneck_size', o.bottleneck_size),
      flat: bool('prefix_tuning', 'flat', o.flat),
    };
  },
  count(shape, o) {
    const c = prefixCounts(shape, prefixSpec(o));
    return { trainable: c.trainable, changed: c.stored, stored: c.stored, updateRank: null };
  },
  attach(model, o, seed): AttachedMethod {
    return attachedFrom([attachPrefixes(model, prefixSpec(o), seed)], this.count(model.shape(), o));
  },
};
