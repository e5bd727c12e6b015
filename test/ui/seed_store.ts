// Finished comparisons written straight into a store, so the explorer's tests read real rows
// through the real handlers without training. Figures come from a fixed pseudo-random stream
// around each method's trainable share; they are test data, not measurements.
import type { Store } from '../../src/main/store/store';
import type { EnvironmentSnapshot, RunResult, RunSpec } from '../../src/shared/types';

export const SEED_ENV: EnvironmentSnapshot = {
  backend: { name: 'wasm', skipped: [{ name: 'tensorflow', reason: 'not installed' }], forced: false },
  device: 'cpu: test x2', gpu: null, versions: { node: '20', tfjs: '4.22.0' }, platform: 'linux x64', totalMemoryBytes: 8e9, hostname: 'ci',
};

/** method → [trainable share, score offset, train tok/s factor, merges]. */
const METHODS: Record<string, [number, number, number, boolean]> = {
  full: [1, 0, 1, false],
  lora_qv: [0.004, -0.01, 1.3, true],
  ia3: [0.0005, -0.04, 1.4, true],
  houlsby: [0.017, 0.005, 1.1, false],
  prompt_tuning: [0.0001, -0.2, 1.2, false],
  ln_tuning: [0.0002, -0.08, 1.5, true],
};

export interface SeedExperiment {
  name: string;
  /** Model folders (the store names each by its last part) and their sizes. */
  models: { path: string; totalParams: number }[];
  tasks: string[];
  methods: string[];
  seeds: number[];
}

export const SEED_EXPERIMENTS: SeedExperiment[] = [
  { name: 't5-small study', models: [{ path: '/models/t5-small', totalParams: 60_506_624 }], tasks: ['boolq', 'rte'], methods: Object.keys(METHODS), seeds: [0, 1, 42] },
  {
    name: 't5-base and large check', models: [{ path: '/models/t5-base', totalParams: 222_903_552 }, { path: '/models/t5-large', totalParams: 737_668_096 }],
    tasks: ['boolq'], methods: ['full', 'lora_qv', 'ia3'], seeds: [0, 1],
  },
];

function stream(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Stores the experiments above, each run done with a result and a short loss curve. Returns their ids. */
export function seedStore(store: Store, experiments = SEED_EXPERIMENTS): number[] {
  const next = stream(7);
  return experiments.map((x) => {
    const models = x.models.map((m) => ({ name: m.path.split('/').pop()!, path: m.path }));
    const id = store.createExperiment(x.name, { name: x.name, models });
    for (const [m, model] of x.models.entries()) {
      for (const task of x.tasks) {
        for (const method of x.methods) {
          const [share, offset, speed, merges] = METHODS[method];
          for (const seed of x.seeds) {
            const spec: RunSpec = {
              modelDir: model.path, task, method, methodOptions: method.startsWith('lora') ? { r: 8, alpha: 8 } : {}, learningRate: 1e-3, seed,
              microBatch: 8, effectiveBatch: 32, steps: 100, warmupRatio: 0, weightDecay: 0, maxInputTokens: 512, maxTargetTokens: 8,
              evalEvery: 50, evalExamples: 0, testExamples: 0,
            };
            const runId = store.createRun(id, spec, seed === x.seeds[0] ? 'sweep' : 'seed', models[m].name);
            store.startRun(runId, SEED_ENV);
            store.addMetrics(runId, Array.from({ length: 10 }, (_, i) => ({ step: (i + 1) * 10, name: 'loss', value: 3 / (1 + i * (0.5 + next())), time: 1e12 + i })));
            store.finishRun(runId, result(model.totalParams, share, offset, speed, merges, next));
          }
          store.setLrChoice(id, { model: models[m].name, task, method, learningRate: 1e-3, validationScore: 0.7, candidates: 1 });
        }
      }
    }
    store.setExperimentStatus(id, 'done');
    return id;
  });
}

function result(total: number, share: number, offset: number, speed: number, merges: boolean, next: () => number): RunResult {
  const trainable = Math.round(total * share);
  const base = 4 * total;
  return {
    totalParams: total, trainableParams: trainable, changedParams: trainable, storageBytes: 4 * trainable,
    peakTensorBytes: base + 12 * trainable + 2e8 * (1 + next() * 0.1), peakRssBytes: 2 * base, peakGpuBytes: null,
    trainTokensPerSec: 1000 * speed * (0.95 + 0.1 * next()), inferTokensPerSecUnmerged: 5000 * (0.9 + 0.1 * next()),
    inferTokensPerSecMerged: merges ? 5000 : null, metric: 'accuracy', score: Math.min(1, 0.72 + offset + 0.04 * next()),
    validationScore: 0.7, finalLoss: 0.3 + next() * 0.1, trainSeconds: 60,
  };
}
