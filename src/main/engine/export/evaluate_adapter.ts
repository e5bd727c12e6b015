// An imported adapter scored on a task with the code that scores trained runs
// (measure/score_split.ts): the same text format, token limits, batches and metric, inference
// throughput unmerged and (where the method merges) merged. Nothing is stored here; the
// comparison side (comparison/imported_run.ts) stores it as a run.
import type { TaskMetric } from '../../../shared/types';
import type { TaskData } from '../data/task';
import { evalOptions, firstExamples, scoreUnmergedThenMerged, splitEncoder, type ScoreSettings } from '../measure/score_split';
import type { LoadedModel } from '../models/load';
import type { EncoderConfig } from '../models/types';
import type { DeltaTensor, MethodOptions } from '../peft/method';
import { importAdapter, type ImportedAdapter } from './import_adapter';
import { labelTensor } from './peft_head';

export type Split = 'test' | 'validation';

export interface AdapterEvalRequest {
  adapterDir: string;
  modelDir: string;
  task: TaskData;
  split: Split;
  settings: ScoreSettings;
  /** The first this many examples of the split are scored (0 = all), as a comparison's runs are. */
  examples: number;
}

/** Where an imported adapter came from and what it was read as. */
export interface AdapterSource {
  dir: string;
  layout: 'peft' | 'workbench';
  peftType: string | null;
  /** base_model_name_or_path as the adapter recorded it. */
  baseModel: string | null;
  method: string;
  options: MethodOptions;
  /** What loads, but not exactly as the adapter says (another base model, peft's own adjustments). */
  warnings: string[];
}

export interface AdapterEvaluation {
  adapter: AdapterSource;
  modelDir: string;
  task: string;
  split: Split;
  metric: TaskMetric;
  examples: number;
  settings: ScoreSettings;
  /** Score in [0, 1] with the adapter unmerged, and merged (null when the method cannot merge). */
  score: number;
  mergedScore: number | null;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
  totalParams: number;
  trainableParams: number;
  changedParams: number;
  /** The adapter as its workbench method saves it (what a run stores as delta.safetensors). */
  delta: DeltaTensor[];
  /** The generated text of each scored example, unmerged. */
  predictions: string[];
}

export function evaluateAdapter(req: AdapterEvalRequest): AdapterEvaluation {
  const { loaded, attached, adapter } = importAdapter(req.adapterDir, req.modelDir);
  try {
    checkHeadFitsTask(loaded, adapter, req.task);
    const examples = firstExamples(req.split === 'test' ? req.task.test : req.task.validation, req.examples);
    const enc = splitEncoder(loaded.tokenizer, loaded.config, req.task, req.settings);
    const delta = attached.save();
    const { unmerged, merged } = scoreUnmergedThenMerged(
      loaded.model, loaded.tokenizer, enc.encode(examples), examples, evalOptions(req.task, req.settings, enc), attached.merge,
    );
    return {
      adapter: {
        dir: adapter.dir, layout: adapter.layout, peftType: adapter.peftType, baseModel: adapter.baseModel,
        method: adapter.method, options: adapter.options, warnings: adapter.warnings,
      },
      modelDir: req.modelDir, task: req.task.name, split: req.split, metric: req.task.metric, examples: examples.length,
      settings: req.settings, score: unmerged.score, mergedScore: merged?.score ?? null,
      inferTokensPerSecUnmerged: unmerged.tokensPerSec, inferTokensPerSecMerged: merged?.tokensPerSec ?? null,
      totalParams: loaded.model.numParams(), trainableParams: attached.trainableParams, changedParams: attached.changedParams, delta,
      predictions: unmerged.predictions,
    };
  } finally {
    attached.dispose();
    loaded.model.dispose();
  }
}

/** An encoder's head predicts one of the task's labels per output: the counts must agree (tensor and both named). */
function checkHeadFitsTask(loaded: LoadedModel, adapter: ImportedAdapter, task: TaskData): void {
  const name = labelTensor(loaded.model.shape());
  if (name === null) return;
  const n = (loaded.config as EncoderConfig).numLabels;
  const labels = task.labels ?? [];
  if (labels.length === n) return;
  const t = adapter.delta.find((d) => d.name === name)!;
  const shown = adapter.fileNames?.get(name) ?? name;
  const what = labels.length ? `${labels.length} labels (${labels.join(', ')})` : 'no labels (a generation task)';
  throw new Error(`${adapter.weightsFile}: the classifier head's tensor "${shown}" is [${t.shape.join(', ')}], ${n} labels, but task ${task.name} has ${what}; score it on a task with ${n} labels`);
}
