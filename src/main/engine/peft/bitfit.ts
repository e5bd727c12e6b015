// bitfit — only the bias terms train (Ben Zaken et al. 2021, https://arxiv.org/abs/2106.10199).
// Applies to families whose layers have biases (BERT/RoBERTa: query, key, value, the attention
// output, intermediate and output dense layers, every LayerNorm bias and BERT's pooler; Qwen2's
// q, k, v). The task head trains with every method anyway (task_head.ts). T5 and LLaMA have no
// biases, so it is refused there at validation; the study's code, whose name filter caught T5's
// relative-attention tables, trained 2·buckets·heads position parameters instead.
import { shapeOf, trainInPlace, withDefaults, type AttachedMethod, type PeftMethod } from './method';
import type { ModelShape } from '../models/types';

type BitfitOptions = Record<string, never>;

function requireBiases(shape: ModelShape): void {
  if (shape.biases.length === 0) {
    throw new Error(
      `bitfit: a ${shape.family.toUpperCase()} model has no bias parameters, so there is nothing to train; ` +
        'bitfit applies to models with biases (Qwen2, BERT/RoBERTa); choose ln_tuning or ia3 for a comparably small method',
    );
  }
}

export const bitfit: PeftMethod<BitfitOptions> = {
  id: 'bitfit',
  title: 'BitFit',
  paper: 'https://arxiv.org/abs/2106.10199',
  defaults: {},
  mergeable: true,
  validate(options, config) {
    withDefaults('bitfit', options, this.defaults);
    requireBiases(shapeOf(config));
    return {};
  },
  count(shape) {
    requireBiases(shape);
    const n = shape.biases.reduce((sum, b) => sum + b.size, 0);
    return { trainable: n, changed: n, stored: n, updateRank: null };
  },
  attach(model): AttachedMethod {
    const shape = model.shape();
    requireBiases(shape);
    return trainInPlace(model, shape.biases.map((b) => b.name));
  },
};
