// Comparisons started from the app: a form's request becomes a checked comparison config, the
// runner trains it in the background (one worker process per run, this process the single
// store writer), and every change is stored first, then sent to the renderer as an event.
import path from 'node:path';
import { requestModels, type ComparisonRequest } from '../shared/comparison_request';
import type { EventChannel, EventMap } from '../shared/ipc';
import { parseComparison, type Comparison } from './comparison/config';
import { catalogOf, isBuiltin, resolveBuiltins } from './comparison/models';
import { runsPerCell } from './comparison/protocol';
import { preflight, resumeExperiment, runComparison, storedComparison, type RunnerEvents } from './comparison/runner';
import { estimateComparison } from './plan_estimate';
import type { QueueRunner } from './queue/queue';
import { retryRuns } from './queue/retry';
import type { Store } from './store/store';
import type { WorkerLauncher } from './worker/launch';

export type Emit = <K extends EventChannel>(channel: K, payload: EventMap[K]) => void;

export interface ComparisonServiceOptions {
  store: Store;
  launcher: WorkerLauncher;
  /** Folder under which each run saves its delta (run-<id>/). */
  artifactsRoot: string;
  emit: Emit;
  /** Where built-in models are built and added model folders are listed (default: the database's folder). */
  home?: string;
}

export class ComparisonService implements QueueRunner {
  private current: Promise<void> | null = null;
  /** Comparisons and retries started by the queue (queue/queue.ts). */
  private readonly queued = new Set<Promise<void>>();

  readonly home: string;

  constructor(private readonly o: ComparisonServiceOptions) {
    this.home = o.home ?? path.dirname(path.resolve(o.store.path));
  }

  /** True while a comparison trains; runs share the device, so one comparison at a time. */
  get busy(): boolean {
    return this.current !== null || this.queued.size > 0;
  }

  /** Resolves when the comparison in progress (if any) has ended. */
  async whenIdle(): Promise<void> {
    await this.current;
    while (this.queued.size) await Promise.all(this.queued);
  }

  /**
   * Checks the request against the model, tasks and method registry (an error names the form
   * field), stores the experiment and its runs, and starts training them. Returns at once.
   */
  start(request: ComparisonRequest): { experimentId: number } {
    if (this.busy) throw new Error("comparison:start: field 'request': a comparison is already running; add this one to the queue or wait until it finishes");
    const comparison = toComparison(request, this.home);
    checked('request', () => preflight(comparison));
    let experimentId = 0;
    const experiments = new Map<number, number>();
    const done = runComparison(comparison, this.o.store, {
      artifactsRoot: this.o.artifactsRoot, launcher: this.o.launcher,
      events: this.forward(experiments, (id) => (experimentId = id)),
    });
    // runComparison stores the experiment and calls `planned` before its first await.
    if (!experimentId) throw new Error('comparison:start: the comparison was not stored');
    this.trackCurrent(experimentId, done);
    return { experimentId };
  }

  /**
   * Continues run `runId` (interrupted, failed or queued) from its last checkpoint, then the rest
   * of its experiment's queue, in the background. Returns at once.
   */
  resume(runId: number): { experimentId: number } {
    if (this.busy) throw new Error("runs:resume: field 'id': a comparison is running; resume once it has finished");
    const run = this.o.store.getRun(runId);
    if (!run) throw new Error(`runs:resume: field 'id': run ${runId} does not exist`);
    if (run.status === 'done' || run.status === 'running') throw new Error(`runs:resume: field 'id': run ${runId} is ${run.status}; only a run that stopped can be resumed`);
    const config = storedComparison(this.o.store.getExperiment(run.experimentId)?.config);
    checked('id', () => preflight(config), 'runs:resume');
    const experiments = new Map<number, number>();
    const done = resumeExperiment(run.experimentId, this.o.store, {
      runId, artifactsRoot: this.o.artifactsRoot, launcher: this.o.launcher, events: this.forward(experiments, () => {}),
    });
    this.o.emit('experiment:status', { experimentId: run.experimentId, status: 'running' });
    this.trackCurrent(run.experimentId, done);
    return { experimentId: run.experimentId };
  }

  /** The comparison started by start() or resume(): the one the app waits for. */
  private trackCurrent(experimentId: number, done: Promise<unknown>): void {
    this.current = done.then(
      () => this.finished(experimentId),
      (err: unknown) => this.finished(experimentId, err),
    ).finally(() => {
      this.current = null;
    });
  }

  /** The launcher the queue wraps to pause, cancel and place each item's workers. */
  get launcher(): WorkerLauncher {
    return this.o.launcher;
  }

  /** Checks a request as start() does, without storing it: its run count and estimated time. */
  plan(request: ComparisonRequest): { runs: number; estimateSeconds: number | null } {
    const comparison = toComparison(request, this.home);
    const { cells } = checked('request', () => preflight(comparison));
    const runs = cells.reduce((n, cell) => n + runsPerCell(comparison, cell), 0);
    let estimateSeconds: number | null = null;
    try {
      estimateSeconds = estimateComparison(comparison, this.o.store.listRuns({ status: 'done' })).seconds;
    } catch {
      // The estimate is a help, not a check: the request has passed the checks above.
    }
    return { runs, estimateSeconds: Number.isFinite(estimateSeconds) ? estimateSeconds : null };
  }

  /** Stores and starts a comparison for the queue, its workers started by `launcher`. */
  launch(request: ComparisonRequest, launcher: WorkerLauncher): { experimentId: number; done: Promise<void> } {
    const comparison = toComparison(request, this.home);
    let experimentId = 0;
    const done = runComparison(comparison, this.o.store, {
      artifactsRoot: this.o.artifactsRoot, launcher,
      events: this.forward(new Map(), (id) => (experimentId = id)),
    });
    if (!experimentId) {
      void done.catch(() => {});
      throw new Error('queue: the comparison was not stored');
    }
    return { experimentId, done: this.track(done, experimentId) };
  }

  /** Trains the failed runs `runIds` of an experiment again, as queue item `itemId`. */
  retry(experimentId: number, runIds: number[], itemId: number, launcher: WorkerLauncher): Promise<void> {
    const experiments = new Map<number, number>();
    this.o.store.setExperimentStatus(experimentId, 'running');
    this.o.emit('experiment:status', { experimentId, status: 'running' });
    const done = retryRuns(this.o.store, experimentId, runIds, {
      launcher, artifactsRoot: this.o.artifactsRoot, itemId, events: this.forward(experiments, () => {}),
    });
    return this.track(done, experimentId);
  }

  /** Counts a queued comparison as busy until it ends, then reports how it ended. */
  private track(done: Promise<unknown>, experimentId: number): Promise<void> {
    const settled: Promise<void> = done.then(
      () => this.finished(experimentId),
      (err: unknown) => {
        this.finished(experimentId, err);
        throw err;
      },
    );
    const watched: Promise<void> = settled.catch(() => {}).finally(() => this.queued.delete(watched));
    this.queued.add(watched);
    return settled;
  }

  private forward(experiments: Map<number, number>, planned: (experimentId: number) => void): RunnerEvents {
    const { emit } = this.o;
    return {
      planned: (experimentId, runs) => {
        planned(experimentId);
        for (const { id } of runs) {
          experiments.set(id, experimentId);
          emit('run:status', { runId: id, experimentId, status: 'queued', reason: null });
        }
      },
      message: (runId, msg) => {
        const experimentId = experiments.get(runId) ?? 0;
        if (msg.type === 'started') emit('run:status', { runId, experimentId, status: 'running', reason: null });
        else if (msg.type === 'metrics') emit('run:metrics', { runId, points: msg.points });
        else if (msg.type === 'progress') {
          const { phase, step, totalSteps, loss } = msg;
          emit('run:progress', { runId, experimentId, phase, step, totalSteps, ...(loss === undefined ? {} : { loss }) });
        }
      },
      ended: (runId, outcome) => {
        const reason = outcome.status === 'failed' ? outcome.reason : null;
        emit('run:status', { runId, experimentId: experiments.get(runId) ?? 0, status: outcome.status, reason });
      },
    };
  }

  private finished(experimentId: number, err?: unknown): void {
    const { store, emit } = this.o;
    if (err !== undefined) {
      process.stderr.write(`comparison ${experimentId} stopped: ${err instanceof Error ? err.message : String(err)}\n`);
      store.setExperimentStatus(experimentId, 'failed');
    }
    const status = store.getExperiment(experimentId)?.status ?? 'failed';
    emit('experiment:status', { experimentId, status });
  }
}

/**
 * The form's request as the comparison config the CLI reads, checked by the same parser, with
 * built-in models as their folders under `home` (built when missing: see prepareBuiltins).
 */
export function toComparison(request: ComparisonRequest, home: string): Comparison {
  const models = requestModels(request);
  models.forEach((m, i) => {
    if (!isBuiltin(m) && !path.isAbsolute(m)) {
      throw new Error(`comparison:start: field 'models[${i}]': give a built-in model name or the model folder as an absolute path, got "${m}"`);
    }
  });
  const raw = {
    name: request.name,
    models,
    tasks: request.tasks.map((t) => ('builtin' in t ? t.builtin : jsonlTask(t.name, t.folder))),
    methods: request.methods.map((m) => ({ id: m.id, ...m.options })),
    learning_rates: request.learningRates,
    seeds: request.seeds,
    budget: request.scoring === undefined ? request.budget : { ...request.budget, scoring: request.scoring },
  };
  const comparison = checked('request', () => parseComparison(raw, home, request.name, catalogOf(home)));
  comparison.models = checked('models', () => resolveBuiltins(comparison.models, home));
  return comparison;
}

function jsonlTask(name: string, folder: string) {
  const file = (split: string) => path.resolve(folder, `${split}.jsonl`);
  return { name, train: file('train'), validation: file('validation'), test: file('test') };
}

/** Runs `fn`; an error becomes "<channel>: field '<form field>': <message>". */
function checked<T>(fallbackField: string, fn: () => T, channel = 'comparison:start'): T {
  try {
    return fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith(`${channel}:`)) throw err;
    const field = channel === 'comparison:start' ? (formField(message) ?? fallbackField) : fallbackField;
    throw new Error(`${channel}: field '${field}': ${message}`, { cause: err });
  }
}

/** Which form field a config error is about, from the field path the config parser names. */
export function formField(message: string): string | null {
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^budget\.(\w+)/, (m) => `budget.${m[1]}`],
    [/^learning_rates/, () => 'learningRates'],
    [/^methods\[\d+\]\.learning_rates/, () => 'learningRates'],
    [/^seeds/, () => 'seeds'],
    [/^tasks?\b/, () => 'tasks'],
    [/^models?(\[\d+\])?:/, (m) => `models${m[1] ?? ''}`],
    [/^model "[^"]*": /, () => 'models'],
    // A method's own check: "lora_qv.r must be a positive integer, got 0".
    [/^(?:methods\[\d+\]\.)?([a-z0-9_]+)\.([A-Za-z0-9_]+) (?:must|is not)/, (m) => `methods.${m[1]}.${m[2]}`],
    [/^methods/, () => 'methods'],
  ];
  for (const [pattern, field] of rules) {
    const m = pattern.exec(message);
    if (m) return field(m);
  }
  return null;
}
