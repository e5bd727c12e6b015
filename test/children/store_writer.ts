// Child process for the store durability tests: writes metric batches into a new run of the
// database given as argv[2] and prints "committed N" after each committed batch, until killed
// (or, with argv[3] = "hold", writes once and waits).
import { Store } from '../../src/main/store/store';
import type { MetricPoint, RunSpec } from '../../src/shared/types';

export const BATCH = 50;

const SPEC: RunSpec = {
  modelDir: '/models/t5', task: 'spam_assassin', method: 'lora_qv', methodOptions: {}, learningRate: 1e-3, seed: 0,
  microBatch: 4, effectiveBatch: 8, steps: 100000, warmupRatio: 0, weightDecay: 0, maxInputTokens: 64,
  maxTargetTokens: 4, evalEvery: 10, evalExamples: 0, testExamples: 0,
};

const store = Store.open(process.argv[2]);
const runId = store.createRun(store.createExperiment('durability', {}), SPEC);
process.stdout.write(`run ${runId}\n`);
if (process.argv[3] === 'hold') {
  setInterval(() => {}, 1000);
} else {
  let step = 0;
  for (;;) {
    const points: MetricPoint[] = Array.from({ length: BATCH }, () => ({ step: ++step, name: 'loss', value: 1 / step, time: Date.now() / 1000 }));
    store.addMetrics(runId, points);
    process.stdout.write(`committed ${step}\n`);
  }
}
