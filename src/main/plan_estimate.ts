// The builder's estimate of a comparison before anything starts: for every model, how many runs,
// how long they train, each run's peak training memory and delta storage, and whether a run fits the device.
// Counts come from the method registry (as `peft-bench plan`); time and memory from this
// machine's past runs of the same model where there are some, else from a rough formula.
import os from 'node:os';
import type { ComparisonRequest } from '../shared/comparison_request';
import type { EstimateRow, ModelEstimate, PlanEstimate } from '../shared/explorer_ipc';
import type { RunRecord, RunResult } from '../shared/types';
import { planRows } from './cli/plan';
import { preflight } from './comparison/runner';
import { runsPerCell, type Cell } from './comparison/protocol';
import type { Comparison, ModelRef } from './comparison/config';
import { formField, toComparison } from './comparisons';
import { listGpus } from './engine/measure/nvidia_smi';
import { readModelConfig } from './engine/models/load';
import type { ModelConfig } from './engine/models/types';

/** Rate assumed when no past run on this model tells the machine's speed: 2 GFLOP/s (a laptop CPU on wasm). */
const NOMINAL_FLOPS = 2e9;
/** A run is said not to fit when its estimate passes this share of the device's memory. */
const FIT_SHARE = 0.9;

export interface Device {
  name: string;
  memoryBytes: number;
}

/** The first GPU nvidia-smi lists, else this machine's memory. */
export function currentDevice(): Device {
  const gpu = listGpus()[0];
  if (gpu) return { name: gpu.name, memoryBytes: gpu.memoryTotalBytes };
  return { name: `CPU, ${os.cpus().length} cores`, memoryBytes: os.totalmem() };
}

/** A finished run trained here, with its training measured (an imported adapter has none). */
type Measured = RunRecord & { result: RunResult & { peakTensorBytes: number; trainTokensPerSec: number } };

const measured = (r: RunRecord): r is Measured =>
  r.status === 'done' && !r.imported && r.result !== null && r.result.peakTensorBytes !== null && r.result.trainTokensPerSec !== null;

/** The app's estimate of a request (errors name the form field, as comparison:start's do). */
export function estimatePlan(request: ComparisonRequest, pastRuns: RunRecord[], home: string, device: Device = currentDevice()): PlanEstimate {
  const comparison = renamed(() => toComparison(request, home));
  return renamed(() => estimateComparison(comparison, pastRuns, device));
}

/** The estimate of a comparison whose models are folders: one row per model and method. */
export function estimateComparison(comparison: Comparison, pastRuns: RunRecord[], device: Device = currentDevice()): PlanEstimate {
  const { cells } = preflight(comparison);
  const perModel = comparison.models.map((model) => estimateModel(comparison, model, cells.filter((c) => c.model === model), pastRuns, device));
  const rows = perModel.flatMap((m) => m.rows);
  return {
    models: perModel.map((m) => m.model),
    runs: rows.reduce((n, r) => n + r.runs, 0),
    seconds: rows.reduce((s, r) => s + (r.seconds ?? 0), 0),
    storageBytes: rows.reduce((s, r) => s + (r.storageBytes ?? 0) * r.runs, 0),
    peakBytes: Math.max(0, ...rows.map((r) => r.peakBytes ?? 0)),
    device,
    rows,
  };
}

function estimateModel(comparison: Comparison, model: ModelRef, cells: Cell[], pastRuns: RunRecord[], device: Device): { model: ModelEstimate; rows: EstimateRow[] } {
  const config = readModelConfig(model.path);
  const counts = planRows(config, comparison.methods.map((m) => ({ id: m.id, options: m.options })));
  const past = pastRuns.filter(measured).filter((r) => r.spec.modelDir === model.path);
  const rows: EstimateRow[] = counts.map((plan) => {
    const mine = cells.filter((c) => c.method === plan.method);
    const runs = mine.reduce((n, c) => n + runsPerCell(comparison, c), 0);
    if (plan.trainable === null) {
      return { model: model.name, method: plan.method, trainable: null, storageBytes: null, peakBytes: null, peakSource: '—', seconds: null, timeSource: '—', runs, refused: plan.refused, fits: true };
    }
    const peak = peakMemory(comparison, mine, config, plan.totalParams, plan.trainable, past);
    const time = trainSeconds(comparison, mine, plan.totalParams, plan.trainable, past);
    return {
      model: model.name, method: plan.method, trainable: plan.trainable, storageBytes: plan.storageBytes, runs, refused: null,
      peakBytes: peak.bytes, peakSource: peak.source, seconds: time.seconds, timeSource: time.source,
      fits: peak.bytes <= FIT_SHARE * device.memoryBytes,
    };
  });
  const totals = {
    name: model.name, path: model.path, totalParams: counts[0]?.totalParams ?? 0,
    runs: rows.reduce((n, r) => n + r.runs, 0), seconds: rows.reduce((s, r) => s + (r.seconds ?? 0), 0),
  };
  return { model: totals, rows };
}

/**
 * Peak live tensor bytes of one training step: weights, gradients and AdamW's two moments of
 * the trainable part, and the activations kept for the backward pass (encoder, decoder and the
 * vocabulary logits). A past run of the same method, model, micro-batch and input length wins.
 */
function peakMemory(c: Comparison, cells: Cell[], cfg: ModelConfig, total: number, trainable: number, past: Measured[]) {
  const same = past.filter((r) => r.method === cells[0]?.method && r.spec.microBatch === c.budget.micro_batch && r.spec.maxInputTokens === c.budget.max_input_tokens);
  if (same.length) {
    const best = same.reduce((a, b) => (b.result.peakTensorBytes > a.result.peakTensorBytes ? b : a));
    return { bytes: best.result.peakTensorBytes, source: `measured, run ${best.id}` };
  }
  const tIn = c.budget.max_input_tokens;
  const tOut = Math.max(1, ...cells.map((x) => x.maxTargetTokens));
  const perExample = activationsPerExample(cfg, tIn, tOut);
  const bytes = 4 * (total + 3 * trainable + c.budget.micro_batch * perExample);
  return { bytes, source: 'formula' };
}

/** Floats kept for the backward pass per example: per layer the projections, feed-forward and attention maps, then the logits. */
function activationsPerExample(cfg: ModelConfig, tIn: number, tOut: number): number {
  if ('dModel' in cfg) { // T5 and mT5
    const { dModel: d, dFf: f, numHeads: h, numLayers: le, numDecoderLayers: ld, vocabSize: v } = cfg;
    return le * tIn * (12 * d + 3 * f + 2 * h * tIn) + ld * tOut * (18 * d + 3 * f + 2 * h * (tOut + tIn)) + 3 * tOut * v;
  }
  if ('numLabels' in cfg) { // BERT / RoBERTa: the input only, scored by a label head
    const { hiddenSize: d, intermediateSize: f, numHeads: h, numLayers: l, numLabels: n } = cfg;
    return l * tIn * (12 * d + 3 * f + 2 * h * tIn) + 3 * n;
  }
  // A decoder reads prompt and target as one sequence and scores every position.
  const { hiddenSize: d, intermediateSize: f, numHeads: h, numLayers: l, vocabSize: v } = cfg;
  const t = tIn + tOut;
  return l * t * (12 * d + 3 * f + 2 * h * t) + 3 * t * v;
}

/** Training seconds of all runs: tokens (full-length inputs, so an upper bound) over a rate. */
function trainSeconds(c: Comparison, cells: Cell[], total: number, trainable: number, past: Measured[]) {
  const tokens = cells.reduce((n, cell) => n + runsPerCell(c, cell) * cell.steps * c.budget.effective_batch * c.budget.max_input_tokens, 0);
  const method = cells[0]?.method;
  const same = past.filter((r) => r.method === method).map((r) => r.result.trainTokensPerSec).filter((x) => x > 0);
  if (same.length) return { seconds: tokens / median(same), source: `${same.length} past run${same.length > 1 ? 's' : ''} of ${method}` };
  const flops = past.filter((r) => r.result.trainTokensPerSec > 0).map((r) => r.result.trainTokensPerSec * flopsPerToken(r.result.totalParams, r.result.trainableParams));
  const rate = flops.length ? median(flops) : NOMINAL_FLOPS;
  const source = flops.length ? `scaled from ${flops.length} past run${flops.length > 1 ? 's' : ''} on this model` : 'nominal 2 GFLOP/s';
  return { seconds: (tokens * flopsPerToken(total, trainable)) / rate, source };
}

/** Forward 2N, backward through the activations 2N, weight gradients 2 per trainable parameter. */
const flopsPerToken = (total: number, trainable: number) => 4 * total + 2 * trainable;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The comparison service's checks, with errors said to come from this channel. */
function renamed<T>(fn: () => T, field?: string): T {
  try {
    return fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('comparison:start:')) throw new Error(message.replace(/^comparison:start:/, 'plan:estimate:'), { cause: err });
    throw new Error(`plan:estimate: field '${field ?? formField(message) ?? 'request'}': ${message}`, { cause: err });
  }
}
