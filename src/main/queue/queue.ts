// The app's queue of comparisons. Items wait in a stored order; one item trains per device at a
// time (a GPU index, or the CPU), and the next waiting item of a free device starts when one
// ends. Everything is stored first (order, device, paused flag, status), so a restart finds the
// same queue; an item that was training when the app stopped is marked interrupted.
import type { EventChannel, EventMap } from '../../shared/ipc';
import {
  deviceLabel, type DeviceOption, type QueueAddReq, type QueueDevice, type QueueItem, type QueueRetryReq, type QueueSnapshot,
} from '../../shared/queue_ipc';
import type { ComparisonRequest } from '../../shared/comparison_request';
import type { StoredQueueItem } from '../store/queue_store';
import type { Store } from '../store/store';
import type { WorkerLauncher } from '../worker/launch';
import { CANCELLED, LaunchControl } from './launch_control';
import { retryableRuns } from './retry';

/** What the queue needs from the comparison service (ComparisonService implements it). */
export interface QueueRunner {
  /** The launcher the queue controls (pause, cancel, device) for each item. */
  readonly launcher: WorkerLauncher;
  /** Checks a request as comparison:start does (throws naming the field); its run count and time estimate. */
  plan(request: ComparisonRequest): { runs: number; estimateSeconds: number | null };
  /** Stores and starts a comparison; `done` settles when every run has ended. */
  launch(request: ComparisonRequest, launcher: WorkerLauncher): { experimentId: number; done: Promise<unknown> };
  /** Trains the failed runs `runIds` of an experiment again. */
  retry(experimentId: number, runIds: number[], itemId: number, launcher: WorkerLauncher): Promise<unknown>;
}

export type Emit = <K extends EventChannel>(channel: K, payload: EventMap[K]) => void;

export interface QueueOptions {
  store: Store;
  runner: QueueRunner;
  emit: Emit;
  /** GPUs first (by nvidia-smi's index), then the CPU. */
  devices: DeviceOption[];
}

export const LEFT_RUNNING = 'the app stopped while it trained; its finished runs are kept';
/** Finished items shown under the waiting ones. */
const KEEP_FINISHED = 20;

export class ComparisonQueue {
  private readonly active = new Map<number, { control: LaunchControl; done: Promise<void> }>();

  constructor(private readonly o: QueueOptions) {}

  /** At app start: items left running by the last session are interrupted; then the queue goes on. */
  open(): void {
    this.o.store.queue.interruptLeftovers(LEFT_RUNNING);
    this.pump();
  }

  private version = 0;

  snapshot(): QueueSnapshot {
    const items: QueueItem[] = [];
    let finished = 0;
    for (const { payload: _payload, ...item } of this.o.store.queue.list()) {
      if (item.status !== 'queued' && item.status !== 'running' && ++finished > KEEP_FINISHED) continue;
      items.push(item);
    }
    return { version: ++this.version, paused: this.o.store.queue.paused(), items, devices: this.o.devices };
  }

  /** Checks the comparison (an error names the field) and puts it at the end of the queue. */
  add(req: QueueAddReq): { itemId: number } {
    const device = this.device('queue:add', req.device);
    const { runs, estimateSeconds } = this.o.runner.plan(req.request);
    const itemId = this.o.store.queue.add({ kind: 'comparison', name: req.request.name, payload: req.request, device, runs, estimateSeconds });
    this.pump();
    this.changed();
    return { itemId };
  }

  /** Queues the failed runs of an experiment (not yet retried) as a new attempt. */
  retry(req: QueueRetryReq): { itemId: number } {
    const experiment = this.o.store.getExperiment(req.experimentId);
    if (!experiment) throw new Error(`queue:retry: field 'experimentId': experiment ${req.experimentId} does not exist`);
    const waiting = this.o.store.queue.list().some((i) => i.kind === 'retry' && i.experimentId === req.experimentId && (i.status === 'queued' || i.status === 'running'));
    if (waiting) throw new Error(`queue:retry: field 'experimentId': a retry of experiment ${req.experimentId} is already in the queue`);
    const failed = retryableRuns(this.o.store, req.experimentId);
    if (!failed.length) throw new Error(`queue:retry: field 'experimentId': experiment ${req.experimentId} has no failed run left to retry`);
    const runIds = failed.map((r) => r.id);
    const itemId = this.o.store.queue.add({
      kind: 'retry', name: `${experiment.name} · retry`, payload: { experimentId: req.experimentId, runIds },
      device: this.device('queue:retry', req.device), runs: runIds.length, estimateSeconds: null, experimentId: req.experimentId,
    });
    this.pump();
    this.changed();
    return { itemId };
  }

  /** Moves a waiting item to place `to` among the waiting items (0 = next to start). */
  move(id: number, to: number): QueueSnapshot {
    const waiting = this.o.store.queue.list().filter((i) => i.status === 'queued').map((i) => i.id);
    const from = waiting.indexOf(id);
    if (from < 0) throw new Error(`queue:move: field 'id': item ${id} is not waiting in the queue (only waiting items move)`);
    waiting.splice(from, 1);
    waiting.splice(Math.min(to, waiting.length), 0, id);
    this.o.store.queue.reorder(waiting);
    return this.changed();
  }

  setDevice(id: number, device: QueueDevice): QueueSnapshot {
    const item = this.item('queue:device', id);
    if (item.status !== 'queued') throw new Error(`queue:device: field 'id': item ${id} is ${item.status}; only a waiting item changes device`);
    this.o.store.queue.setDevice(id, this.device('queue:device', device));
    this.pump();
    return this.changed();
  }

  /** Starts no new run or item; the runs in flight finish. */
  pause(): QueueSnapshot {
    this.o.store.queue.setPaused(true);
    for (const { control } of this.active.values()) control.pause();
    return this.changed();
  }

  resume(): QueueSnapshot {
    this.o.store.queue.setPaused(false);
    for (const { control } of this.active.values()) control.resume();
    this.pump();
    return this.changed();
  }

  /** A waiting item leaves the queue; a running one stops its workers and fails its unfinished runs. */
  cancel(id: number): QueueSnapshot {
    const item = this.item('queue:cancel', id);
    const running = this.active.get(id);
    if (running) running.control.cancel();
    else if (item.status === 'queued') this.o.store.queue.ended(id, 'cancelled', CANCELLED);
    else throw new Error(`queue:cancel: field 'id': item ${id} is ${item.status} already`);
    return this.changed();
  }

  /** Resolves when no item trains. */
  async whenIdle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Starts, on each free device, its next waiting item, unless the queue is paused. */
  private pump(): void {
    if (this.o.store.queue.paused()) return;
    const busy = new Set([...this.active.keys()].map((id) => String(this.o.store.queue.get(id)?.device)));
    for (const item of this.o.store.queue.list()) {
      if (item.status !== 'queued' || busy.has(String(item.device))) continue;
      busy.add(String(item.device));
      this.start(item);
    }
  }

  private start(item: StoredQueueItem): void {
    const control = new LaunchControl(this.o.runner.launcher, item.device);
    let experimentId = item.experimentId ?? 0;
    let done: Promise<unknown>;
    try {
      if (item.kind === 'comparison') ({ experimentId, done } = this.o.runner.launch(item.payload as ComparisonRequest, control.launcher));
      else {
        const { runIds } = item.payload as { experimentId: number; runIds: number[] };
        done = this.o.runner.retry(experimentId, runIds, item.id, control.launcher);
      }
    } catch (err) {
      this.o.store.queue.ended(item.id, 'failed', err instanceof Error ? err.message : String(err));
      return;
    }
    this.o.store.queue.started(item.id, experimentId);
    const settled = done.then(
      () => this.o.store.queue.ended(item.id, control.isCancelled ? 'cancelled' : 'done', control.isCancelled ? CANCELLED : null),
      (err: unknown) => this.o.store.queue.ended(item.id, control.isCancelled ? 'cancelled' : 'failed', err instanceof Error ? err.message : String(err)),
    ).finally(() => {
      this.active.delete(item.id);
      this.pump();
      this.changed();
    });
    this.active.set(item.id, { control, done: settled });
  }

  private item(channel: string, id: number): StoredQueueItem {
    const item = this.o.store.queue.get(id);
    if (!item) throw new Error(`${channel}: field 'id': no queue item ${id}`);
    return item;
  }

  /** The requested device when this machine has it; by default the first GPU, else the CPU. */
  private device(channel: string, device: QueueDevice | undefined): QueueDevice {
    const devices = this.o.devices;
    if (device === undefined) return devices[0]?.id ?? 'cpu';
    if (!devices.some((d) => d.id === device)) {
      throw new Error(`${channel}: field 'device': ${deviceLabel(device)} is not on this machine (devices: ${devices.map((d) => d.label).join(', ')})`);
    }
    return device;
  }

  private changed(): QueueSnapshot {
    const snapshot = this.snapshot();
    this.o.emit('queue:changed', snapshot);
    return snapshot;
  }
}
