// ln_tuning — LayerNorm tuning: only the norms train (Qi et al. 2022; Lialin et al. 2023, §8 of METHODS.md):
// RMS-norm scales on T5 and LLaMA, LayerNorm scales and biases on BERT/RoBERTa. They are trained in
// place, so the model is always "merged": the delta is the norms (T5: (5L+2)·d scales).
import type { HookableModel } from '../models/types';
import { checkKnownOptions, trainInPlace, type AttachedMethod, type PeftMethod } from './method';

type LnTuningOptions = Record<string, never>;

export const ln_tuning: PeftMethod<LnTuningOptions> = {
  id: 'ln_tuning',
  title: 'LayerNorm tuning',
  paper: 'https://arxiv.org/abs/2211.09066',
  defaults: {},
  mergeable: true,
  validate(options) {
    checkKnownOptions('ln_tuning', options, this.defaults);
    return {};
  },
  count(shape) {
    const n = shape.norms.reduce((sum, p) => sum + p.size, 0);
    return { trainable: n, changed: n, stored: n, updateRank: null };
  },
  attach(model: HookableModel): AttachedMethod {
    const names = model.normParams();
    if (!names.length) throw new Error('ln_tuning: this model has no layer-norm weights to tune');
    return trainInPlace(model, names);
  },
};
