// How many runs train at once. On wasm and cpu each worker computes on one thread, so one run
// per core uses the machine without one run slowing another: each run's tokens/s stays what
// it would be alone. Native backends (CUDA, libtensorflow) use every core or the GPU for one
// run, so they train one run at a time, which keeps their throughput figures fair.
import { createRequire } from 'node:module';
import os from 'node:os';
import type { BackendName } from '../../shared/types';

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Whether a native TF.js package is installed, which the worker's automatic choice would prefer. */
function nativeInstalled(): boolean {
  const require = createRequire(import.meta.url);
  return NATIVE_PACKAGES.some((name) => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  });
}

export function workerCount(requested: number | null, backend: BackendName | null, runs: number): number {
  if (requested !== null) return Math.max(1, Math.min(requested, runs));
  const single = backend === 'wasm' || backend === 'cpu' || (backend === null && !nativeInstalled());
  return single ? Math.max(1, Math.min(os.availableParallelism(), runs)) : 1;
}

/** Runs `task`s with at most `limit` in flight; each call resolves with its own task's result. */
export function makePool(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
