// The training budget and the two presets: the study's recipe, and a scaled-down one that
// finishes on a laptop CPU. Any value can be overridden in the config's `budget:`.
import { DEFAULT_MAX_TARGET_TOKENS, type TaskKind } from '../engine/data/task';
import type { ClassificationScoring } from '../../shared/types';
import { fraction, int, record, unknownKeys } from './checks';

export interface Budget {
  /** Passes over the training split... */
  epochs: number;
  /** ...but never fewer than this many optimiser updates (the study: 3 epochs or at least 100 updates). */
  min_steps: number;
  /** Cap on updates (0 = none), for small machines. */
  max_steps: number;
  /** Exactly this many updates when > 0, instead of epochs / min_steps / max_steps. */
  steps: number;
  /** Examples per forward/backward pass: the same for every method, so memory is compared fairly. */
  micro_batch: number;
  /** Examples per update, reached by gradient accumulation. */
  effective_batch: number;
  warmup_ratio: number;
  weight_decay: number;
  max_input_tokens: number;
  /** 0 = the task's own: 8 for classification, 128 for summaries, 32 for short generation. */
  max_target_tokens: number;
  eval_every: number;
  /** Validation examples scored at each evaluation (0 = all). */
  eval_examples: number;
  /** Test examples scored at the end (0 = all). */
  test_examples: number;
  /** Updates between checkpoints a crashed run continues from (0 = none); the last two are kept. */
  checkpoint_every: number;
  /**
   * Classification on T5 and decoders: `generate` the label and compare it (the study), or `rank`
   * the task's labels by likelihood and predict the most likely one (every prediction is a label).
   * Inference throughput is measured on generation either way. Encoders always take the argmax label.
   */
  scoring: ClassificationScoring;
}

/** The study's recipe (Lialin et al., section 11.1). */
export const DEFAULT_BUDGET: Budget = {
  epochs: 3, min_steps: 100, max_steps: 0, steps: 0, micro_batch: 8, effective_batch: 32, warmup_ratio: 0, weight_decay: 0,
  max_input_tokens: 512, max_target_tokens: 0, eval_every: 50, eval_examples: 0, test_examples: 0, checkpoint_every: 50,
  scoring: 'generate',
};

export type PresetName = 'study' | 'small';

export const PRESETS: Record<PresetName, { learningRates: number[]; seeds: number[]; budget: Budget }> = {
  study: { learningRates: [1e-3, 1e-4, 1e-5], seeds: [0, 1, 42], budget: DEFAULT_BUDGET },
  // Two rates, two seeds, at most 60 updates on short inputs and sampled evaluation sets.
  small: {
    learningRates: [1e-3, 1e-4],
    seeds: [0, 1],
    budget: {
      ...DEFAULT_BUDGET, min_steps: 30, max_steps: 60, micro_batch: 16, warmup_ratio: 0.06, max_input_tokens: 128,
      eval_every: 20, eval_examples: 128, test_examples: 256, checkpoint_every: 20,
    },
  },
};

type NumericKey = { [K in keyof Budget]: Budget[K] extends number ? K : never }[keyof Budget];

const INTS: [NumericKey, number][] = [
  ['epochs', 1], ['min_steps', 1], ['max_steps', 0], ['steps', 0], ['micro_batch', 1], ['effective_batch', 1],
  ['max_input_tokens', 2], ['max_target_tokens', 0], ['eval_every', 1], ['eval_examples', 0], ['test_examples', 0], ['checkpoint_every', 0],
];

export function parseBudget(raw: unknown, defaults: Budget): Budget {
  const b = { ...defaults };
  if (raw === undefined) return b;
  const obj = record(raw, 'budget');
  unknownKeys(obj, Object.keys(DEFAULT_BUDGET), 'budget.');
  for (const [k, min] of INTS) if (obj[k] !== undefined) b[k] = int(obj[k], `budget.${k}`, min);
  if (obj.warmup_ratio !== undefined) b.warmup_ratio = fraction(obj.warmup_ratio, 'budget.warmup_ratio');
  if (obj.weight_decay !== undefined) b.weight_decay = fraction(obj.weight_decay, 'budget.weight_decay');
  if (obj.scoring !== undefined) {
    if (obj.scoring !== 'generate' && obj.scoring !== 'rank') {
      throw new Error(`budget.scoring must be generate (the study: generate the label) or rank (the most likely label), got ${JSON.stringify(obj.scoring)}`);
    }
    b.scoring = obj.scoring;
  }
  if (b.effective_batch % b.micro_batch !== 0) {
    throw new Error(`budget.effective_batch (${b.effective_batch}) must be a multiple of budget.micro_batch (${b.micro_batch}): it is reached by gradient accumulation`);
  }
  if (b.max_target_tokens === 1) throw new Error('budget.max_target_tokens must be 0 (the task\'s own) or at least 2 (one token and eos)');
  if (b.max_steps > 0 && b.max_steps < b.min_steps && b.steps === 0) {
    throw new Error(`budget.max_steps (${b.max_steps}) is below budget.min_steps (${b.min_steps}); lower min_steps or raise max_steps`);
  }
  return b;
}

/** Updates for a task of `trainSize` examples: `steps` if set, else max(epochs · size / batch, min_steps), capped by max_steps. */
export function resolveSteps(b: Budget, trainSize: number): number {
  if (b.steps > 0) return b.steps;
  const fromEpochs = Math.ceil((b.epochs * trainSize) / b.effective_batch);
  const steps = Math.max(fromEpochs, b.min_steps);
  return b.max_steps > 0 ? Math.min(steps, b.max_steps) : steps;
}

export function resolveMaxTarget(b: Budget, kind: TaskKind): number {
  return b.max_target_tokens > 0 ? b.max_target_tokens : DEFAULT_MAX_TARGET_TOKENS[kind];
}
