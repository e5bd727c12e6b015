// prompt_tuning — a soft prompt of trainable vectors in front of the input embeddings (Lester et al.
// 2021, https://arxiv.org/abs/2104.08691), as Hugging Face PEFT's `PromptTuningConfig` (random init,
// N(0, 1)): 20 vectors of width d before the encoder input, the attention mask grown with ones.
// The study's Table 5 "prompt tuning" row is a flat prefix instead: prefix_tuning with flat: true.
//
//   [p_1 … p_P ; embed(x_1) … embed(x_S)] ─► encoder ─► decoder as usual
import * as tf from '@tensorflow/tfjs-core';
import { loadVariables, positiveInteger, variableDelta, withDefaults, type AttachedMethod, type PeftMethod } from './method';
import { normal, trainableVar } from './parts/init';

interface PromptOptions {
  [key: string]: number;
  num_virtual_tokens: number;
}

/** Hugging Face PEFT's name for the prompt table. */
const NAME = 'prompt_embeddings';

export const prompt_tuning: PeftMethod<PromptOptions> = {
  id: 'prompt_tuning',
  title: 'Prompt tuning',
  paper: 'https://arxiv.org/abs/2104.08691',
  defaults: { num_virtual_tokens: 20 },
  mergeable: false,
  validate(options) {
    const o = withDefaults('prompt_tuning', options, this.defaults);
    return { num_virtual_tokens: positiveInteger('prompt_tuning', 'num_virtual_tokens', o.num_virtual_tokens) };
  },
  positions: (o) => ({ count: o.num_virtual_tokens, field: 'num_virtual_tokens' }),
  count(shape, o) {
    const n = o.num_virtual_tokens * shape.dModel;
    return { trainable: n, changed: n, stored: n, updateRank: null };
  },
  attach(model, o, seed): AttachedMethod {
    const P = o.num_virtual_tokens;
    const prompt = trainableVar(() => normal([P, model.shape().dModel], 1, seed, NAME)); // (P, D)
    model.setPromptHook({ length: P, prompt: () => prompt as tf.Tensor as tf.Tensor2D });
    const counts = this.count(model.shape(), o);
    return {
      trainable: [prompt],
      trainableParams: counts.trainable,
      changedParams: counts.changed,
      updateRank: null,
      save: () => [variableDelta(NAME, prompt)],
      load: (delta) => loadVariables('prompt_tuning', new Map([[NAME, prompt]]), delta),
      merge: null,
      dispose: () => {
        model.setPromptHook(null);
        prompt.dispose();
      },
    };
  },
};
