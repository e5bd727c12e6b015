// Child of test/load.test.ts: loads the model folder argv[2] and prints its resident memory before
// the load, the process's peak before it, and the peak after it (bytes), as one JSON line.
import { initBackend } from '../../src/main/engine/backend';
import { loadWeights, readModelConfig } from '../../src/main/engine/models/load';

const dir = process.argv[2];
await initBackend();
const config = readModelConfig(dir);
const peak = () => process.resourceUsage().maxRSS * 1024;
const before = process.memoryUsage().rss;
const peakBefore = peak();
const model = loadWeights(dir, config);
const peakAfter = peak();
console.log(JSON.stringify({ before, peakBefore, peakAfter, params: model.numParams() }));
model.dispose();
