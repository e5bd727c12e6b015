// One run of a comparison: load the model, attach the method, train, and take the five
// measurements of the study. Runs inside a worker process; reports through `events`.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MetricPoint, RunResult, RunSpec } from '../../shared/types';
import { cachedEncode, tokenizerFingerprint } from './data/encode_cache';
import { loadTask } from './data/tasks';
import { referencesOf } from './data/task';
import type { TaskRef } from './data/tasks';
import { evaluate } from './measure/evaluate';
import { evalOptions, firstExamples, scoreUnmergedThenMerged, splitEncoder } from './measure/score_split';
import { loadModel } from './models/load';
import type { DeltaTensor } from './peft/method';
import { getMethod } from './peft/registry';
import { writeSafetensorsFile } from './safetensors';
import { checkpointDir } from './train/checkpoint';
import { train } from './train/trainer';
import { dataHome } from './util/data_home';

export type RunPhase = 'loading' | 'training' | 'evaluating' | 'measuring';

export interface RunEvents {
  metrics(points: MetricPoint[]): void;
  /** The run continues after update `step` of its newest valid checkpoint (newer ones `skipped`, with why). */
  resumed?(step: number, skipped: string[]): void;
  progress(p: { phase: RunPhase; step: number; totalSteps: number; loss?: number }): void;
}

export interface RunInput {
  spec: RunSpec;
  /** The task as the comparison config gave it (a built-in name or JSONL files). */
  task: TaskRef;
  /** Folder for this run's files (the saved delta, checkpoints/). */
  artifactsDir: string;
  /** Continue from the newest valid checkpoint in artifactsDir/checkpoints (from scratch when none). */
  resume?: boolean;
}


export async function runOne({ spec, task: taskRef, artifactsDir, resume }: RunInput, events: RunEvents): Promise<RunResult> {
  events.progress({ phase: 'loading', step: 0, totalSteps: spec.steps });
  const task = loadTask(taskRef);
  // An encoder's head is sized by the task's labels and, where the checkpoint has none, seeded by the run.
  const { model, tokenizer, config } = loadModel(spec.modelDir, { numLabels: task.labels?.length, seed: spec.seed });
  const method = getMethod(spec.method);
  const attached = method.attach(model, method.validate(spec.methodOptions, config), spec.seed);
  try {
    const { asText, encode: enc, encodeTexts, layout, labels } = splitEncoder(tokenizer, config, task, spec);
    // The training split is the one worth caching: the evaluation sets are sampled and small.
    const trainTexts = task.train.map(asText);
    const trainSet = cachedEncode(
      path.join(dataHome(), 'cache', 'encoded'),
      {
        tokenizer: tokenizerFingerprint(spec.modelDir), maxInput: spec.maxInputTokens, maxTarget: spec.maxTargetTokens,
        layout: labels ? `${layout}:${JSON.stringify(labels)}` : layout, // label order decides the indices
      },
      trainTexts, () => encodeTexts(trainTexts),
    );
    const val = firstExamples(task.validation, spec.evalExamples);
    const test = firstExamples(task.test, spec.testExamples);
    const valSet = enc(val);
    const testSet = enc(test);
    const evalOpts = evalOptions(task, spec, { asText, encode: enc, encodeTexts, layout, labels });
    let validationScore = 0;

    const outcome = await train(model, attached, trainSet, tokenizer.padId, spec, {
      onStep(info) {
        const now = Date.now();
        const points: MetricPoint[] = [
          { step: info.step, name: 'loss', value: info.loss, time: now },
          { step: info.step, name: 'lr', value: info.lr, time: now },
          { step: info.step, name: 'tokens_per_sec', value: info.tokensPerSec, time: now },
          { step: info.step, name: 'tensor_bytes', value: info.tensorBytes, time: now },
          { step: info.step, name: 'rss_bytes', value: info.rssBytes, time: now },
        ];
        if (info.step % spec.evalEvery === 0 || info.step === spec.steps) {
          events.progress({ phase: 'evaluating', step: info.step, totalSteps: spec.steps, loss: info.loss });
          const score = evaluate(model, tokenizer, valSet, val.map(referencesOf), evalOpts).score;
          validationScore = Math.max(validationScore, score);
          points.push({ step: info.step, name: 'val_score', value: score, time: Date.now() });
        }
        events.metrics(points);
        events.progress({ phase: 'training', step: info.step, totalSteps: spec.steps, loss: info.loss });
        return new Promise<void>((resolve) => setImmediate(resolve)); // let messages flush
      },
    }, {
      dir: checkpointDir(artifactsDir), every: spec.checkpointEvery ?? 0, resume: resume ?? false,
      extra: { save: () => ({ validationScore }), restore: (v) => void (validationScore = v.validationScore ?? 0) },
      onResume: (step, skipped) => events.resumed?.(step, skipped),
    });

    events.progress({ phase: 'measuring', step: spec.steps, totalSteps: spec.steps });
    const storageBytes = saveDelta(attached.save(), artifactsDir);
    const { unmerged, merged } = scoreUnmergedThenMerged(model, tokenizer, testSet, test, evalOpts, attached.merge);
    return {
      totalParams: model.numParams(),
      trainableParams: attached.trainableParams,
      changedParams: attached.changedParams,
      storageBytes,
      peakTensorBytes: outcome.peakTensorBytes,
      peakRssBytes: outcome.peakRssBytes,
      peakGpuBytes: null,
      trainTokensPerSec: outcome.trainTokensPerSec,
      inferTokensPerSecUnmerged: unmerged.tokensPerSec,
      inferTokensPerSecMerged: merged?.tokensPerSec ?? null,
      metric: task.metric,
      score: unmerged.score,
      validationScore,
      finalLoss: outcome.finalLoss,
      trainSeconds: outcome.seconds,
    };
  } finally {
    attached.dispose();
    model.dispose();
  }
}

/** Writes the delta as safetensors; its size on disk is the storage dimension. */
export function saveDelta(delta: DeltaTensor[], dir: string): number {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'delta.safetensors');
  const tensors = delta.map((d) => ({ ...d, dtype: 'F32' as const }));
  writeSafetensorsFile(file, tensors, { format: 'pt' });
  return statSync(file).size;
}
