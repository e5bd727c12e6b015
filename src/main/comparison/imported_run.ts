// An imported adapter (trained elsewhere, e.g. in Python with peft) added to a comparison as a run:
// scored on the experiment's test examples with the experiment's evaluation settings, by the code
// that scores trained runs, and stored with its method, settings, parameter counts, storage and
// inference throughput. Its training dimensions are null (not measured here) and its source
// folder is recorded. Used by `peft-bench import --task` and the app's Import adapter action.
import * as fs from 'node:fs';
import path from 'node:path';
import type { BackendChoice, ImportedFrom, RunResult, RunSpec } from '../../shared/types';
import { loadTask, taskName, BUILTIN_TASKS, type TaskRef } from '../engine/data/tasks';
import type { TaskData } from '../engine/data/task';
import { evaluateAdapter, type AdapterEvaluation, type Split } from '../engine/export/evaluate_adapter';
import { runArtifactsDir } from '../engine/export/run_export';
import { environmentSnapshot } from '../engine/measure/environment';
import { dataHome } from '../engine/util/data_home';
import type { ScoreSettings } from '../engine/measure/score_split';
import type { DeltaTensor } from '../engine/peft/method';
import { saveDelta } from '../engine/run';
import type { Store } from '../store/store';
import { DEFAULT_BUDGET, resolveMaxTarget, type Budget } from './budget';
import type { Comparison } from './config';
import { builtinFolder, folderModelName, isBuiltin, storedModels, type ModelRef } from './models';

/** The part of the store an import reads and writes. */
export type ImportStore = Pick<Store, 'getExperiment' | 'listRuns' | 'addImportedRun' | 'path'>;

export interface ImportRunRequest {
  adapterDir: string;
  /** A task of the experiment; without one, a built-in task or a folder with train/validation/test.jsonl. */
  task: string;
  /** Add the adapter to this experiment (its model, its test examples and evaluation settings). */
  experimentId?: number;
  /**
   * The base model: a new experiment's folder; in an experiment, one of its models (folder or
   * name), needed when it has several and checked against it when it has one.
   */
  model?: string;
  /** A new experiment's name (default "imported: <folder>"). */
  name?: string;
}

export interface ImportRunOutcome {
  experimentId: number;
  runId: number;
  /** True when a new experiment was made for the adapter. */
  created: boolean;
  /** The name of the base model in the experiment (the run's model). */
  model: string;
  evaluation: Omit<AdapterEvaluation, 'delta' | 'predictions'>;
}

/** A folder with train.jsonl, validation.jsonl and test.jsonl as a task named after the folder. */
export function folderTask(dir: string): TaskRef {
  const file = (split: string) => path.join(dir, `${split}.jsonl`);
  const missing = ['train', 'validation', 'test'].filter((s) => !fs.existsSync(file(s)));
  if (missing.length) throw new Error(`task folder ${dir} has no ${missing.map((s) => `${s}.jsonl`).join(', ')}; a task folder holds train.jsonl, validation.jsonl and test.jsonl`);
  return { format: 'fields', name: path.basename(dir), train: file('train'), validation: file('validation'), test: file('test'), input: 'input', target: 'target', metric: 'accuracy', prefix: '' };
}

/** `--task` without an experiment: a built-in task's name, or a task folder. */
export function standaloneTask(task: string): TaskRef {
  if (BUILTIN_TASKS[task]) return task;
  if (fs.existsSync(task) && fs.statSync(task).isDirectory()) return folderTask(path.resolve(task));
  throw new Error(`task "${task}" is neither a built-in task (${Object.keys(BUILTIN_TASKS).join(', ')}) nor a folder with train.jsonl, validation.jsonl and test.jsonl`);
}

/** How a split is scored: a done run's settings on that task where the experiment has one, else the budget's. */
function scoreSettings(budget: Budget, data: TaskData, runSpec: RunSpec | undefined, split: Split): ScoreSettings & { examples: number } {
  if (runSpec) {
    return { microBatch: runSpec.microBatch, maxInputTokens: runSpec.maxInputTokens, maxTargetTokens: runSpec.maxTargetTokens, examples: split === 'test' ? runSpec.testExamples : runSpec.evalExamples };
  }
  return {
    microBatch: budget.micro_batch, maxInputTokens: budget.max_input_tokens, maxTargetTokens: resolveMaxTarget(budget, data.kind),
    examples: split === 'test' ? budget.test_examples : budget.eval_examples,
  };
}

/** Scores an adapter folder on a task, as a run of a comparison with `budget` is scored (nothing stored). */
export function scoreAdapter(adapterDir: string, modelDir: string, task: TaskRef, split: Split, budget: Budget = DEFAULT_BUDGET, examples?: number): AdapterEvaluation {
  const data = loadTask(task);
  const s = scoreSettings(budget, data, undefined, split);
  return evaluateAdapter({ adapterDir, modelDir, task: data, split, settings: s, examples: examples ?? s.examples });
}

interface Target {
  experimentId: number | null;
  config: Comparison | null;
  /** The experiment's model the adapter is compared on: its name there and its folder. */
  model: ModelRef;
  modelDir: string;
  task: TaskRef;
  /** Settings of a done run on the task, so the adapter is scored exactly as the runs were. */
  runSpec: RunSpec | undefined;
}

function resolveTarget(store: ImportStore, req: ImportRunRequest): Target {
  if (req.experimentId === undefined) {
    if (!req.model) throw new Error('importing into a new experiment needs the base model folder (--model DIR)');
    const dir = path.resolve(req.model);
    return { experimentId: null, config: null, model: { name: folderModelName(dir), path: dir }, modelDir: dir, task: standaloneTask(req.task), runSpec: undefined };
  }
  const experiment = store.getExperiment(req.experimentId);
  if (!experiment) throw new Error(`experiment ${req.experimentId} does not exist; list them with \`peft-bench runs\``);
  const config = { ...(experiment.config as Comparison), models: storedModels(experiment.config) };
  const task = (config.tasks ?? []).find((t) => taskName(t) === req.task);
  if (!task) {
    throw new Error(`task "${req.task}" is not a task of experiment ${req.experimentId} (${(config.tasks ?? []).map(taskName).join(', ') || 'none'}); an imported adapter is scored on the same test examples as the experiment's runs`);
  }
  const model = experimentModel(config.models, req.experimentId, req.model);
  const runs = store.listRuns({ experimentId: req.experimentId }).filter((r) => r.model === model.name && !r.imported);
  const trained = runs.find((r) => r.status === 'done' && r.task === req.task) ?? runs[0];
  const modelDir = trained?.spec.modelDir ?? builtinModelDir(model.path);
  if (req.model && config.models.length === 1 && path.resolve(req.model) !== path.resolve(modelDir) && req.model !== model.name) {
    throw new Error(`--model ${req.model} is not experiment ${req.experimentId}'s model (${modelDir}); an adapter is compared with runs on the same base model, so leave --model out or choose another experiment`);
  }
  return { experimentId: req.experimentId, config, model, modelDir, task, runSpec: trained?.task === req.task ? trained.spec : undefined };
}

/**
 * Which of an experiment's models the adapter was trained on: `wanted` (a folder or a model's
 * name), or the only one. With one model, a `wanted` that differs is refused by the caller.
 */
function experimentModel(models: ModelRef[], experimentId: number, wanted: string | undefined): ModelRef {
  if (models.length === 0) throw new Error(`experiment ${experimentId} records no model; an adapter can only be added to a comparison on a model`);
  if (models.length === 1) return models[0];
  const list = models.map((m) => `${m.name} (${m.path})`).join(', ');
  if (wanted === undefined) {
    throw new Error(`experiment ${experimentId} compares several models: ${list}; say which one the adapter was trained on with --model (its name or folder)`);
  }
  const found = models.find((m) => m.name === wanted || path.resolve(builtinModelDir(m.path)) === path.resolve(wanted));
  if (!found) throw new Error(`--model ${wanted} is none of experiment ${experimentId}'s models (${list}); an adapter is compared with runs on the same base model`);
  return found;
}

/** A comparison's model folder: a folder, or where a built-in model (default, default-untrained) is built. */
function builtinModelDir(model: string): string {
  return isBuiltin(model) ? builtinFolder(model, dataHome()) : model;
}

function refuseDuplicate(store: ImportStore, t: Target, adapterDir: string, task: string): void {
  if (t.experimentId === null) return;
  const same = store.listRuns({ experimentId: t.experimentId }).find((r) => r.imported?.sourceDir === adapterDir && r.task === task);
  if (same) throw new Error(`${adapterDir} is already run ${same.id} of experiment ${t.experimentId} on task ${task}; nothing was added`);
}

/** Scores the adapter and stores it as a run (see the file's head). */
export function importAsRun(store: ImportStore, req: ImportRunRequest, backend: BackendChoice): ImportRunOutcome {
  const adapterDir = path.resolve(req.adapterDir);
  const t = resolveTarget(store, req);
  const name = taskName(t.task);
  refuseDuplicate(store, t, adapterDir, name);
  const data = loadTask(t.task);
  const budget = t.config?.budget ?? DEFAULT_BUDGET;
  const s = scoreSettings(budget, data, t.runSpec, 'test');
  const { delta, predictions: _predictions, ...evaluation } = evaluateAdapter({ adapterDir, modelDir: t.modelDir, task: data, split: 'test', settings: s, examples: s.examples });
  const title = req.name ?? `imported: ${path.basename(adapterDir)}`;
  const target = t.experimentId ?? { name: title, config: newExperimentConfig(title, t, budget) };
  const from: Omit<ImportedFrom, 'importedAt'> = {
    sourceDir: adapterDir, layout: evaluation.adapter.layout, peftType: evaluation.adapter.peftType, baseModel: evaluation.adapter.baseModel,
    warnings: evaluation.adapter.warnings,
  };
  const ids = withStagedDelta(store.path, delta, (storageBytes, place) =>
    store.addImportedRun(target, importedSpec(evaluation, t.modelDir, name, s), t.model.name, environmentSnapshot(backend), from, importedResult(evaluation, storageBytes), place));
  return { ...ids, created: t.experimentId === null, model: t.model.name, evaluation };
}

/**
 * Writes the delta as a run saves it into a staging folder beside the runs' folders; `store` gets
 * its size and a `place(runId)` that moves it to the run's folder (called inside the store's
 * transaction). The staging folder is removed whatever happens.
 */
function withStagedDelta<T>(dbPath: string, delta: DeltaTensor[], store: (bytes: number, place: (runId: number) => void) => T): T {
  const root = path.dirname(runArtifactsDir(dbPath, 0));
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, '.import-'));
  try {
    return store(saveDelta(delta, staging), (runId) => {
      const dir = runArtifactsDir(dbPath, runId);
      fs.rmSync(dir, { recursive: true, force: true }); // a left-over folder of a run id no longer in the store
      fs.renameSync(staging, dir);
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** The run's settings: what scoring used; the training fields say that nothing was trained here (0 updates, rate 0). */
function importedSpec(e: ImportRunOutcome['evaluation'], modelDir: string, task: string, s: ScoreSettings & { examples: number }): RunSpec {
  return {
    modelDir, task, method: e.adapter.method, methodOptions: e.adapter.options, learningRate: 0, seed: 0,
    microBatch: s.microBatch, effectiveBatch: s.microBatch, steps: 0, warmupRatio: 0, weightDecay: 0,
    maxInputTokens: s.maxInputTokens, maxTargetTokens: s.maxTargetTokens, evalEvery: 0, evalExamples: 0, testExamples: s.examples, checkpointEvery: 0,
  };
}

function importedResult(e: ImportRunOutcome['evaluation'], storageBytes: number): RunResult {
  return {
    totalParams: e.totalParams, trainableParams: e.trainableParams, changedParams: e.changedParams, storageBytes,
    peakTensorBytes: null, peakRssBytes: null, peakGpuBytes: null, trainTokensPerSec: null,
    inferTokensPerSecUnmerged: e.inferTokensPerSecUnmerged, inferTokensPerSecMerged: e.inferTokensPerSecMerged,
    metric: e.metric, score: e.score, validationScore: null, finalLoss: null, trainSeconds: null,
  };
}

/** A new experiment holding imported adapters only: its model, its one task, the budget they were scored with. */
function newExperimentConfig(name: string, t: Target, budget: Budget): Comparison {
  return { name, models: [t.model], preset: 'study', tasks: [t.task], methods: [], seeds: [], budget, backend: null, workers: null };
}
