// The study's protocol for one model × task × method cell: sweep the learning rates on the first seed,
// choose the rate with the best validation score, then repeat that rate on the other seeds.
// Test scores are reported for the chosen rate only (the sweep run at that rate is its first seed).
import type { RunRole, RunSpec } from '../../shared/types';
import type { TaskData } from '../engine/data/task';
import { taskName, type TaskRef } from '../engine/data/tasks';
import { familyKind, modelShape } from '../engine/models/families';
import { readModelConfig } from '../engine/models/load';
import type { ModelConfig } from '../engine/models/types';
import { checkPositions, type MethodOptions } from '../engine/peft/method';
import { getMethod } from '../engine/peft/registry';
import { resolveMaxTarget, resolveSteps } from './budget';
import type { Comparison } from './config';
import type { ModelRef } from './models';

export interface PlannedRun {
  spec: RunSpec;
  task: TaskRef;
  role: RunRole;
  /** The model's name (its folder is spec.modelDir). */
  model: string;
}

/** One model × task × method: everything its runs share. */
export interface Cell {
  model: ModelRef;
  task: TaskRef;
  method: string;
  options: MethodOptions;
  learningRates: number[];
  steps: number;
  maxTargetTokens: number;
}

/**
 * Checks method options against the model (and the positions it can embed) and each task against
 * the model's family, and resolves each task's steps and output length. With several models, an
 * error names the model that refused (after the message, so it still starts with the field).
 */
export function planCells(c: Comparison, model: ModelRef, tasks: TaskData[]): Cell[] {
  const config = readModelConfig(model.path);
  const shape = modelShape(config);
  const cells: Cell[] = [];
  const named = <T>(check: () => T): T => {
    try {
      return check();
    } catch (err) {
      if (c.models.length > 1) throw new Error(`${(err as Error).message} (model ${model.name})`, { cause: err });
      throw err;
    }
  };
  c.tasks.forEach((task, i) => {
    const data = tasks[i];
    named(() => checkTaskFits(config, data, i));
    for (const [k, m] of c.methods.entries()) {
      const method = getMethod(m.id);
      const options = named(() => method.validate(m.options, config));
      named(() => checkPositions(shape, method, options, c.budget.max_input_tokens, `methods[${k}]`));
      cells.push({
        model, task, method: m.id, options, learningRates: m.learningRates,
        steps: resolveSteps(c.budget, data.train.length), maxTargetTokens: resolveMaxTarget(c.budget, data.kind),
      });
    }
  });
  return cells;
}

/** An encoder predicts one of a task's labels with its head: generation and summaries need a T5 or a decoder. */
function checkTaskFits(config: ModelConfig, data: TaskData, i: number): void {
  if (familyKind(config) !== 'encoder' || data.labels !== null) return;
  throw new Error(
    `tasks[${i}]: ${data.name} is a ${data.kind} task (its targets are free text), but the model is a ${config.modelType} encoder ` +
      'with a classification head, which predicts one of a task\'s labels and generates nothing; ' +
      'give it classification tasks (spam_assassin, sotu_era, SuperGLUE, or files with metric: accuracy), or use a T5 or decoder model for this task',
  );
}

/** The first phase: one run per learning rate on the first seed; with one rate, every seed at once. */
export function sweepRuns(c: Comparison, cell: Cell): PlannedRun[] {
  if (cell.learningRates.length === 1) return c.seeds.map((seed) => planned(c, cell, cell.learningRates[0], seed, 'seed'));
  return cell.learningRates.map((lr) => planned(c, cell, lr, c.seeds[0], 'sweep'));
}

/** The second phase: the chosen rate on every seed but the first (empty when nothing was swept). */
export function seedRuns(c: Comparison, cell: Cell, chosenLr: number): PlannedRun[] {
  if (cell.learningRates.length === 1) return [];
  return c.seeds.slice(1).map((seed) => planned(c, cell, chosenLr, seed, 'seed'));
}

/** The key of a cell's learning-rate choice: model, task and method. */
export const cellKey = (model: string, task: string, method: string): string => `${model}\u0000${task}\u0000${method}`;

/** Runs a cell will have in all: for progress and ETA before the rate is known. */
export function runsPerCell(c: Comparison, cell: Cell): number {
  return cell.learningRates.length === 1 ? c.seeds.length : cell.learningRates.length + c.seeds.length - 1;
}

export interface SweepOutcome {
  learningRate: number;
  /** Best validation score of the run, or null when it failed. */
  validationScore: number | null;
}

/** The rate with the highest validation score; ties go to the rate listed first. Null when every run failed. */
export function chooseRate(outcomes: SweepOutcome[]): { learningRate: number; validationScore: number } | null {
  let best: { learningRate: number; validationScore: number } | null = null;
  for (const o of outcomes) {
    if (o.validationScore === null || !Number.isFinite(o.validationScore)) continue;
    if (!best || o.validationScore > best.validationScore) best = { learningRate: o.learningRate, validationScore: o.validationScore };
  }
  return best;
}

function planned(c: Comparison, cell: Cell, learningRate: number, seed: number, role: RunRole): PlannedRun {
  const b = c.budget;
  const spec: RunSpec = {
    modelDir: cell.model.path, task: taskName(cell.task), method: cell.method, methodOptions: cell.options, learningRate, seed,
    microBatch: b.micro_batch, effectiveBatch: b.effective_batch, steps: cell.steps,
    warmupRatio: b.warmup_ratio, weightDecay: b.weight_decay,
    maxInputTokens: b.max_input_tokens, maxTargetTokens: cell.maxTargetTokens,
    evalEvery: Math.min(b.eval_every, cell.steps), evalExamples: b.eval_examples, testExamples: b.test_examples,
    checkpointEvery: b.checkpoint_every, scoring: b.scoring,
  };
  return { spec, task: cell.task, role, model: cell.model.name };
}
