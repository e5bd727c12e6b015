// full — full fine-tuning: every weight trains; the baseline of the study.
import type { HookableModel } from '../models/types';
import { checkKnownOptions, restoreParams, snapshotParams, type AttachedMethod, type PeftMethod } from './method';

type FullOptions = Record<string, never>;

export const full: PeftMethod<FullOptions> = {
  id: 'full',
  title: 'Full fine-tuning',
  paper: 'baseline (all parameters trained)',
  defaults: {},
  mergeable: true,
  validate(options) {
    checkKnownOptions('full', options, this.defaults);
    return {};
  },
  count(shape) {
    return { trainable: shape.totalParams, changed: shape.totalParams, stored: shape.totalParams, updateRank: null };
  },
  attach(model: HookableModel): AttachedMethod {
    const names = [...model.params.keys()];
    const trainable = names.map((n) => model.params.get(n)!);
    for (const v of trainable) v.trainable = true;
    const total = model.numParams();
    return {
      trainable,
      trainableParams: total,
      changedParams: total,
      updateRank: null,
      // The delta of full fine-tuning is the whole checkpoint.
      save: () => snapshotParams(model, names),
      load: (delta) => restoreParams(model, delta),
      merge: () => {},
      dispose: () => {
        for (const v of trainable) v.trainable = false;
      },
    };
  },
};
