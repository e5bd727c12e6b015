// Stand-in training workers for the queue's tests: each starts at once and ends only when the
// test says so (done, or failed), or when it is killed.
import type { RunResult } from '../../src/shared/types';
import type { WorkerCallbacks, WorkerLauncher } from '../../src/main/worker/launch';
import type { StartMessage } from '../../src/main/worker/protocol';

const RESULT: RunResult = {
  totalParams: 100, trainableParams: 10, changedParams: 10, storageBytes: 40, peakTensorBytes: 1000, peakRssBytes: 2000,
  peakGpuBytes: null, trainTokensPerSec: 50, inferTokensPerSecUnmerged: 80, inferTokensPerSecMerged: null,
  metric: 'accuracy', score: 0.5, validationScore: 0.5, finalLoss: 1, trainSeconds: 1,
};
const ENV = {
  backend: { name: 'cpu' as const, skipped: [], forced: true }, device: 'cpu: test x1', gpu: null, versions: {},
  platform: 'linux', totalMemoryBytes: 1, hostname: 'test',
};

/** Workers that start at once and end only when the test says so. */
export class FakeWorkers {
  readonly live: { callbacks: WorkerCallbacks; start: StartMessage; killed: boolean; ordinal: number }[] = [];
  started = 0;
  readonly launcher: WorkerLauncher = (callbacks) => {
    const worker = { callbacks, start: null as unknown as StartMessage, killed: false, ordinal: 0 };
    return {
      pid: undefined,
      send: (msg) => {
        worker.start = msg;
        worker.ordinal = this.started++;
        this.live.push(worker);
        callbacks.message({ type: 'started', env: ENV });
      },
      kill: () => {
        worker.killed = true;
        this.drop(worker);
        setImmediate(() => callbacks.exit('worker killed by SIGTERM'));
      },
    };
  };

  /** Reports update `step` of every live worker: loss, throughput and memory, as a training worker does. */
  step(step: number): void {
    for (const w of this.live) {
      const time = Date.now();
      // Each run its own curve: a different start and pace by the order it started in.
      const i = w.ordinal;
      const loss = (3 + 0.2 * i) / (1 + (0.25 + 0.05 * (i % 4)) * step);
      w.callbacks.message({
        type: 'metrics', points: [
          { step, name: 'loss', value: loss, time }, { step, name: 'tokens_per_sec', value: 400 + 15 * i, time },
          { step, name: 'tensor_bytes', value: 1e6 * (1 + i), time }, { step, name: 'rss_bytes', value: 2e8 + 1e7 * i, time },
        ],
      });
    }
  }

  /** Ends the first `n` live workers (the ones started first), done. */
  endFirst(n: number): void {
    for (const w of this.live.splice(0, n)) w.callbacks.message({ type: 'done', result: { ...RESULT } });
  }

  /** Ends every live worker: done, or failed when `fail` picks it. */
  endAll(fail: (seed: number) => boolean = () => false): void {
    for (const w of this.live.splice(0)) {
      const seed = w.start.input.spec.seed;
      w.callbacks.message(fail(seed) ? { type: 'failed', reason: 'diverged' } : { type: 'done', result: { ...RESULT } });
    }
  }

  private drop(worker: FakeWorkers['live'][number]): void {
    const i = this.live.indexOf(worker);
    if (i >= 0) this.live.splice(i, 1);
  }
}

