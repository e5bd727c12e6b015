// full — full fine-tuning: every weight trains; the baseline of the study.
import type { HookableModel } from '../models/types';
import { checkKnownOptions, trainInPlace, type AttachedMethod, type PeftMethod } from './method';

type FullOptions = Record<string, never>;

export const full: PeftMethod<FullOptions> = {
  id: 'full',
  title: 'Full fine-tuning',
  paper: 'baseline (all parameters trained)',
  defaults: {},
  mergeable: true,
  trainsHead: true, // every weight, the task head included
  validate(options) {
    checkKnownOptions('full', options, this.defaults);
    return {};
  },
  count(shape) {
    return { trainable: shape.totalParams, changed: shape.totalParams, stored: shape.totalParams, updateRank: null };
  },
  attach(model: HookableModel): AttachedMethod {
    // Every weight trains; the delta of full fine-tuning is the whole checkpoint.
    return trainInPlace(model, [...model.params.keys()]);
  },
};
