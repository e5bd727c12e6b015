// Messages between the process that owns the store and a training worker. Numbers only, no tensors.
import type { BackendName, EnvironmentSnapshot, MetricPoint, RunResult } from '../../shared/types';
import type { RunInput, RunPhase } from '../engine/run';

export interface StartMessage {
  type: 'start';
  input: RunInput;
  backend: BackendName | null;
}

export type WorkerMessage =
  | { type: 'started'; env: EnvironmentSnapshot }
  | { type: 'metrics'; points: MetricPoint[] }
  /** Sent before any metrics of a resumed run: it continues after update `step`. */
  | { type: 'resumed'; step: number; skipped: string[] }
  | { type: 'progress'; phase: RunPhase; step: number; totalSteps: number; loss?: number }
  | { type: 'done'; result: RunResult }
  | { type: 'failed'; reason: string };
