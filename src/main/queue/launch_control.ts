// Control over the workers of one queued comparison, through the WorkerLauncher the runner
// calls: pause holds new runs back (runs in flight finish), cancel stops the live workers and
// fails every run not yet finished with CANCELLED, and each worker sees only its assigned device.
import type { QueueDevice } from '../../shared/queue_ipc';
import type { WorkerCallbacks, WorkerHandle, WorkerLauncher } from '../worker/launch';
import type { StartMessage } from '../worker/protocol';

export const CANCELLED = 'cancelled by the user';

export class LaunchControl {
  private cancelled = false;
  private paused = false;
  private readonly live = new Set<WorkerHandle>();
  /** Runs held back by a pause: each starts its worker on resume, or fails on cancel. */
  private readonly held: { start(): void; cancel(): void }[] = [];

  constructor(
    private readonly inner: WorkerLauncher,
    private readonly device: QueueDevice,
  ) {}

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** The launcher to give the runner. */
  readonly launcher: WorkerLauncher = (callbacks) => {
    if (this.cancelled) return refused(callbacks);
    if (this.paused) return this.hold(callbacks);
    return this.launch(callbacks);
  };

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const run of this.held.splice(0)) run.start();
  }

  /** Stops every live worker and fails the held runs; runs the runner plans later fail at once. */
  cancel(): void {
    this.cancelled = true;
    for (const run of this.held.splice(0)) run.cancel();
    for (const child of [...this.live]) child.kill();
  }

  private launch(callbacks: WorkerCallbacks): WorkerHandle {
    let child: WorkerHandle | null = null;
    const forget = () => child && this.live.delete(child);
    child = withDevice(this.device, () => this.inner({
      message: (msg) => {
        if (msg.type === 'done' || msg.type === 'failed') forget();
        callbacks.message(msg);
      },
      // A worker stopped by cancel() ends with a signal; the run's reason says who stopped it.
      exit: (reason) => {
        forget();
        callbacks.exit(this.cancelled ? CANCELLED : reason);
      },
    }));
    this.live.add(child);
    return child;
  }

  /** A run that waits for resume(); its process (and pid) exists only from then on. */
  private hold(callbacks: WorkerCallbacks): WorkerHandle {
    let start: StartMessage | null = null;
    let real: WorkerHandle | null = null;
    let over = false;
    const entry = {
      start: () => {
        if (over) return;
        real = this.launch(callbacks);
        if (start) real.send(start);
      },
      cancel: () => {
        over = true;
        callbacks.message({ type: 'failed', reason: CANCELLED });
      },
    };
    this.held.push(entry);
    return {
      get pid() {
        return real?.pid;
      },
      send: (msg) => {
        start = msg;
        real?.send(msg);
      },
      kill: () => {
        if (real) real.kill();
        else {
          this.held.splice(this.held.indexOf(entry), 1);
          entry.cancel();
        }
      },
    };
  }
}

/** A run planned after cancel(): it fails without starting a worker. */
function refused(callbacks: WorkerCallbacks): WorkerHandle {
  return {
    pid: undefined,
    send: () => setImmediate(() => callbacks.message({ type: 'failed', reason: CANCELLED })),
    kill: () => {},
  };
}

/**
 * Runs `fn` (which starts a worker, inheriting this process's environment at that moment) with
 * CUDA_VISIBLE_DEVICES set to the item's GPU, or to -1 (no GPU) for 'cpu'.
 */
export function withDevice<T>(device: QueueDevice, fn: () => T): T {
  const before = process.env.CUDA_VISIBLE_DEVICES;
  process.env.CUDA_VISIBLE_DEVICES = device === 'cpu' ? '-1' : String(device);
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
    else process.env.CUDA_VISIBLE_DEVICES = before;
  }
}
