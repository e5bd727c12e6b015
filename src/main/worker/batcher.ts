// Step metrics leave the worker in batches: one message per interval instead of one per step,
// so a fast run does not flood the parent (and the renderer behind it) with tiny messages.
import type { MetricPoint } from '../../shared/types';
import type { WorkerMessage } from './protocol';

type Progress = Extract<WorkerMessage, { type: 'progress' }>;

export class MetricBatcher {
  private points: MetricPoint[] = [];
  private progress: Progress | null = null;
  private phase: Progress['phase'] | null = null;
  private lastFlush: number;

  constructor(
    private readonly send: (msg: WorkerMessage) => void,
    /** Longest time a point waits in the buffer, in ms. */
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {
    this.lastFlush = now();
  }

  addPoints(points: MetricPoint[]): void {
    this.points.push(...points);
    this.maybeFlush();
  }

  /** Progress within a phase is coalesced (the latest wins); a new phase goes out at once. */
  addProgress(progress: Progress): void {
    const phaseChanged = progress.phase !== this.phase;
    if (phaseChanged) this.flush();
    this.progress = progress;
    this.phase = progress.phase;
    if (phaseChanged || progress.phase !== 'training') this.flush();
    else this.maybeFlush();
  }

  /** Sends what is buffered: the points first, then the latest progress. */
  flush(): void {
    this.lastFlush = this.now();
    if (this.points.length) this.send({ type: 'metrics', points: this.points });
    if (this.progress) this.send(this.progress);
    this.points = [];
    this.progress = null;
  }

  private maybeFlush(): void {
    if (this.now() - this.lastFlush >= this.intervalMs) this.flush();
  }
}
