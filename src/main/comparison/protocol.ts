// The study's protocol for one model × task × method cell: sweep the learning rates on the first seed,
// choose the rate with the best validation score, then repeat that rate on the other seeds.
// Test scores are reported for the chosen rate only (the sweep run at that rate is its first seed).
import type { RunRole, RunSpec } from '../../shared/types';
import type { TaskData } from '../engine/data/task';
import { taskName, type TaskRef } from '../engine/data/tasks';
import { readModelConfig } from '../engine/models/load';
import type { MethodOptions } from '../engine/peft/method';
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

/** Checks method options against the model and resolves each task's steps and output length. */
export function planCells(c: Comparison, model: ModelRef, tasks: TaskData[]): Cell[] {
  const config = readModelConfig(model.path);
  const cells: Cell[] = [];
  const validate = (id: string, options: MethodOptions) => {
    try {
      return getMethod(id).validate(options, config);
    } catch (err) {
      // With several models, say which one refused (after the message, so it still starts with the field).
      if (c.models.length > 1) throw new Error(`${(err as Error).message} (model ${model.name})`, { cause: err });
      throw err;
    }
  };
  c.tasks.forEach((task, i) => {
    const data = tasks[i];
    for (const m of c.methods) {
      const options = validate(m.id, m.options);
      cells.push({
        model, task, method: m.id, options, learningRates: m.learningRates,
        steps: resolveSteps(c.budget, data.train.length), maxTargetTokens: resolveMaxTarget(c.budget, data.kind),
      });
    }
  });
  return cells;
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
    checkpointEvery: b.checkpoint_every,
  };
  return { spec, task: cell.task, role, model: cell.model.name };
}
