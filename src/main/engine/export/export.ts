// Export of a trained delta: merged weights in the base checkpoint's layout, or an adapter in
// Hugging Face PEFT's layout (the workbench's own where PEFT has no such method). Every export is
// written to a staging folder, reloaded from those files and checked against the trained model
// before it is moved to its final name (see folder.ts and verify.ts). An encoder's trained
// classifier head goes with either: into the merged checkpoint (config.json naming its labels), or
// into the adapter (PEFT's modules_to_save; the workbench layout keeps it under its own names).
import * as fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, loadWeights, readModelConfig, type LoadedModel } from '../models/load';
import { shapeOf, type AttachedMethod, type DeltaTensor, type MethodOptions } from '../peft/method';
import { getMethod } from '../peft/registry';
import { writeSafetensorsFile } from '../safetensors';
import { parameterFor } from './family';
import { checkDestination, commitStaging, makeStaging, removeStaging, writeError } from './folder';
import { attachDelta, loadModelFor, PEFT_CONFIG, PEFT_WEIGHTS, readAdapterFolder } from './import_adapter';
import { classifierConfig, copySideFiles, mergePlan, readMergedFolder, writeMergedWeights, type MergePlan, type WriteHooks } from './merged';
import { inferenceOverhead, OWN_CONFIG, OWN_WEIGHTS, ownConfig } from './own_layout';
import { headNamesFor, type HeadLabels } from './head_labels';
import { toPeft } from './peft_layout';
import { check, probeLogits, requireChecks, toleranceFor, TOLERANCE, type Check } from './verify';

export type ExportKind = 'merged' | 'adapter';

export interface ExportRequest {
  /** The base model folder the delta was trained on. */
  modelDir: string;
  method: string;
  options: MethodOptions;
  /** The delta as the method's save() wrote it (a run's delta.safetensors). */
  delta: DeltaTensor[];
  kind: ExportKind;
  out: string;
  /** Replace a non-empty output folder. */
  force?: boolean;
  /** Merged export: shard above this many bytes (default: a sharded base's own shards, else 5 GB as save_pretrained). */
  shardBytes?: number;
  hooks?: WriteHooks;
  /** An encoder's label names by head output (its task's labels), for a merged config.json's id2label. */
  labels?: string[] | null;
}

export interface ExportReport {
  kind: ExportKind;
  out: string;
  /** merged: a checkpoint; peft: PEFT's adapter layout; workbench: the workbench's adapter layout. */
  layout: 'merged' | 'peft' | 'workbench';
  method: string;
  files: string[];
  bytes: number;
  dtypes: string[];
  checks: Check[];
  mergeable: boolean;
  /** Why the method cannot be merged (null when it can). */
  mergeNote: string | null;
  /** What serving the adapter unmerged costs at inference (null for merged exports). */
  inferenceOverhead: string | null;
  /** What else a user needs to know to load it: an encoder's head, its labels and where their names came from. */
  notes: string[];
}

/** Refusals that need no files: a method that cannot be merged, full fine-tuning as an adapter. */
export function refuseKind(method: string, kind: ExportKind, options: MethodOptions, shape: Parameters<typeof inferenceOverhead>[1]): void {
  const m = getMethod(method);
  if (kind === 'merged' && !m.mergeable) {
    const c = ownConfig(method, false, options, shape, '');
    throw new Error(`${c.merge_note}; export it with --adapter instead (inference overhead of keeping it separate: ${c.inference_overhead})`);
  }
  if (kind === 'adapter' && method === 'full') {
    throw new Error('full fine-tuning has no adapter: its delta is the whole model; export it with --merged');
  }
}

export function exportDelta(req: ExportRequest): ExportReport {
  const config = readModelConfig(req.modelDir);
  const options = getMethod(req.method).validate(req.options, config);
  refuseKind(req.method, req.kind, options, shapeOf(config));
  checkDestination(req.out, req.force ?? false);
  const loaded = loadModelFor(req.modelDir, req.delta, `the delta of ${req.method}`);
  let attached: AttachedMethod | null = null;
  let staging: string | null = null;
  try {
    const head = headNamesFor(loaded, req.modelDir, req.labels ?? null);
    attached = attachDelta(loaded, req.method, options, req.delta, `the delta of ${req.method}`);
    const unmerged = probeLogits(loaded.model);
    staging = makeStaging(req.out);
    const report = req.kind === 'merged'
      ? exportMerged(req, loaded, attached, unmerged, staging, head)
      : exportAdapter(req, loaded, attached, options, unmerged, staging, head);
    attached = null; // disposed by the writer
    requireChecks(report.checks, req.out);
    commitStaging(staging, req.out);
    staging = null;
    return report;
  } catch (err) {
    if (staging === null) throw err;
    const msg = (err as Error).message;
    throw msg.includes('refused') ? new Error(`${msg}; nothing was written under ${req.out}`) : writeError(err, req.out);
  } finally {
    if (staging !== null) removeStaging(staging);
    attached?.dispose();
    loaded.model.dispose();
  }
}

function folderReport(dir: string, files: string[]): { files: string[]; bytes: number } {
  return { files, bytes: files.reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0) };
}

function exportMerged(
  req: ExportRequest, loaded: LoadedModel, attached: AttachedMethod, unmerged: Float32Array, dir: string, head: HeadLabels | null,
): ExportReport {
  tf.tidy(() => attached.merge!());
  attached.dispose();
  const plan = mergePlan(req.modelDir, loaded.config, head !== null);
  const written = writeMergedWeights(loaded.model, plan, req.modelDir, dir, req.shardBytes, req.hooks);
  const side = copySideFiles(req.modelDir, dir, req.hooks, head === null);
  if (head !== null) {
    req.hooks?.beforeWrite?.(path.join(dir, 'config.json'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(classifierConfig(req.modelDir, loaded.config, head.names), null, 2) + '\n');
    side.unshift('config.json');
  }
  const reloaded = reloadMerged(req.modelDir, dir, plan);
  const checks = [check('merged checkpoint (reloaded from the written files) vs unmerged', reloaded, unmerged, toleranceFor(written.dtypes))];
  return {
    kind: 'merged', out: req.out, layout: 'merged', method: req.method, ...folderReport(dir, [...written.files, ...side]),
    dtypes: [...written.dtypes], checks, mergeable: true, mergeNote: null, inferenceOverhead: null,
    notes: head ? [`classifier head of ${head.names.length} labels, written with the model; config.json's id2label: ${head.names.join(', ')} (${head.source})`] : [],
  };
}

/**
 * Probe logits of the model as written: the folder itself where it is not the base's tensor list (a
 * classifier, loaded with its own config.json), else the base model with every parameter replaced.
 */
function reloadMerged(modelDir: string, dir: string, plan: MergePlan): Float32Array {
  const written = readMergedFolder(dir);
  for (const t of plan.tensors) {
    const w = written.get(t.name);
    if (!w || w.dtype !== t.dtype || w.shape.join() !== t.shape.join()) {
      throw new Error(`merged export refused: tensor "${t.name}" was written as ${w ? `${w.dtype} [${w.shape}]` : 'nothing'}, the base checkpoint has ${t.dtype} [${t.shape}]`);
    }
  }
  const model = plan.sameAsBase ? loadModel(modelDir).model : loadWeights(dir);
  try {
    if (plan.sameAsBase) {
      const family = model.shape().family;
      for (const [name, t] of written) {
        const param = parameterFor(family, name, model.params);
        if (param === name) tf.tidy(() => model.assignCheckpointTensor(name, tf.tensor(t.data, t.shape)));
      }
    }
    return probeLogits(model);
  } finally {
    model.dispose();
  }
}

function exportAdapter(
  req: ExportRequest, loaded: LoadedModel, attached: AttachedMethod, options: MethodOptions, unmerged: Float32Array, dir: string, head: HeadLabels | null,
): ExportReport {
  const shape = loaded.model.shape();
  const delta = attached.save();
  attached.dispose();
  const mergeable = getMethod(req.method).mergeable;
  const base = path.resolve(req.modelDir);
  const peft = toPeft(req.method, options, shape, delta, base);
  const own = ownConfig(req.method, mergeable, options, shape, base);
  const [configName, weightsName] = peft ? [PEFT_CONFIG, PEFT_WEIGHTS] : [OWN_CONFIG, OWN_WEIGHTS];
  req.hooks?.beforeWrite?.(path.join(dir, weightsName));
  writeSafetensorsFile(path.join(dir, weightsName), (peft?.tensors ?? delta).map((d) => ({ ...d, dtype: 'F32' as const })), { format: 'pt' });
  req.hooks?.beforeWrite?.(path.join(dir, configName));
  fs.writeFileSync(path.join(dir, configName), JSON.stringify(peft?.config ?? own, null, 2) + '\n');
  const side = copySideFiles(req.modelDir, dir, req.hooks, false);
  return {
    kind: 'adapter', out: req.out, layout: peft ? 'peft' : 'workbench', method: req.method,
    ...folderReport(dir, [configName, weightsName, ...side]), dtypes: ['F32'],
    checks: verifyAdapter(req, dir, unmerged), mergeable, mergeNote: own.merge_note,
    inferenceOverhead: mergeable ? 'none once merged; unmerged, the update runs beside each adapted layer' : own.inference_overhead,
    notes: head ? [adapterHeadNote(head, peft !== null)] : [],
  };
}

function adapterHeadNote(head: HeadLabels, peft: boolean): string {
  const n = head.names.length, what = `classifier head of ${n} labels (${head.names.join(', ')}, ${head.source})`;
  if (!peft) return `${what} saved with the method's tensors under its checkpoint names (classifier.…)`;
  return `${what} saved as peft's modules_to_save ("classifier"); in Python load the base with AutoModelForSequenceClassification.from_pretrained(base, num_labels=${n}) before the adapter`;
}

/** Reloads the written adapter onto a fresh base model: it must reproduce the trained outputs, and merge where it can. */
function verifyAdapter(req: ExportRequest, dir: string, unmerged: Float32Array): Check[] {
  const adapter = readAdapterFolder(dir, readModelConfig(req.modelDir));
  if (adapter.method !== req.method) throw new Error(`adapter export refused: the written adapter reads back as ${adapter.method}, not ${req.method}`);
  const loaded = loadModelFor(req.modelDir, adapter.delta, dir);
  let attached: AttachedMethod | null = null;
  try {
    attached = attachDelta(loaded, adapter.method, adapter.options, adapter.delta, dir);
    const checks = [check('adapter (reloaded from the written files) vs trained', probeLogits(loaded.model), unmerged, TOLERANCE.F32)];
    if (attached.merge) {
      tf.tidy(() => attached!.merge!());
      checks.push(check('reloaded adapter merged vs unmerged', probeLogits(loaded.model), unmerged, TOLERANCE.F32));
    }
    return checks;
  } finally {
    attached?.dispose();
    loaded.model.dispose();
  }
}
