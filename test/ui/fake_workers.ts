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
  readonly live: { callbacks: WorkerCallbacks; start: StartMessage; killed: boolean }[] = [];
  started = 0;
  readonly launcher: WorkerLauncher = (callbacks) => {
    const worker = { callbacks, start: null as unknown as StartMessage, killed: false };
    return {
      pid: undefined,
      send: (msg) => {
        worker.start = msg;
        this.live.push(worker);
        this.started++;
        callbacks.message({ type: 'started', env: ENV });
      },
      kill: () => {
        worker.killed = true;
        this.drop(worker);
        setImmediate(() => callbacks.exit('worker killed by SIGTERM'));
      },
    };
  };

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

