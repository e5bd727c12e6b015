// Benchmark: our engine against PyTorch on the same CPU, same T5, same batch (issue: engine
// speed on CPU). Needs Debian's PyTorch: `apt-get install -y python3-torch libopenblas0-pthread`.
//
//   npm run bench:torch                        # wasm vs PyTorch on 2 threads and on 1
//   npm run bench:torch -- --steps 12 --wasm-threads 2
//
// Prints, per method, training tokens/s of both, the ratio, and the GFLOP/s each reaches
// against the matrix-product peak measured here for each (a 2-D 512×512×512 product); then
// a sweep's throughput: two runs at once on each side.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { DEFAULT_T5_CONFIG } from '../src/main/engine/models/default_model';
import { toHfConfig } from '../src/main/engine/models/t5_config';
import { t5TrainFlops } from './flops';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' }, batch: { type: 'string', default: '16' }, 'seq-len': { type: 'string', default: '96' },
    methods: { type: 'string', default: 'full,lora_qv,ln_tuning' }, 'wasm-threads': { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const steps = values.steps, micro = Number(values.batch), seqLen = Number(values['seq-len']);
const config = { ...DEFAULT_T5_CONFIG, dropoutRate: 0 };
const json = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as { trainTokensPerSec: number; backend?: string };

async function wasmPeakGflops(): Promise<number> {
  await initBackend(values['wasm-threads'] ? { wasmThreads: Number(values['wasm-threads']) } : {});
  const n = 512;
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  tf.tidy(() => tf.matMul(a, b)).dispose();
  const reps = 20, start = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.matMul(a, b)).dataSync();
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return (reps * 2 * n ** 3) / seconds / 1e9;
}

function torchPeakGflops(threads: number): number {
  const code = `import torch,time
torch.set_num_threads(${threads})
a=torch.randn(512,512);b=torch.randn(512,512);a@b
t=time.perf_counter()
for _ in range(50): a@b
print(50*2*512**3/(time.perf_counter()-t)/1e9)`;
  return Number(execFileSync(values.python, ['-c', code], { encoding: 'utf8' }).trim());
}

const configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-torch-')), 'config.json');
fs.writeFileSync(configFile, JSON.stringify(toHfConfig(config)));
const peaks = { wasm: await wasmPeakGflops(), torch: torchPeakGflops(2), torch1: torchPeakGflops(1) };
const threads = values['wasm-threads'] ? ['--wasm-threads', values['wasm-threads']] : [];
console.log(`model: T5 d_model ${config.dModel}, ${config.numLayers}+${config.numDecoderLayers} layers, d_ff ${config.dFf}, vocab ${config.vocabSize}, dropout 0; ` +
  `microbatch ${micro} x ${seqLen} input tokens, effective batch ${2 * micro}, ${steps} timed updates; ${os.cpus().length} x ${os.cpus()[0]?.model.trim()}`);
console.log(`matrix-product peak (2-D 512³): ours ${peaks.wasm.toFixed(1)} GFLOP/s${threads.length ? ` (${values['wasm-threads']} wasm threads)` : ''}, ` +
  `PyTorch ${peaks.torch.toFixed(1)} GFLOP/s (2 threads), ${peaks.torch1.toFixed(1)} (1 thread)\n`);
console.log('| method | ours tok/s | PyTorch 2 threads tok/s | ours / PyTorch | PyTorch 1 thread | ours / 1 thread | ours GFLOP/s (% of peak) | PyTorch 2 threads GFLOP/s (% of peak) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
const oursArgs = (method: string) => ['--import', 'tsx', path.join(here, 'train_methods.ts'), '--method', method, '--steps', steps,
  '--batch', String(micro), '--seq-len', String(seqLen), '--dropout', '0', ...threads];
const torchArgs = (method: string, t: string) => [path.join(here, 'torch_t5_train.py'), configFile, method, steps, String(micro), String(seqLen), t];
const best = new Map<string, number>();
for (const method of values.methods.split(',')) {
  const ours = json(execFileSync(process.execPath, oursArgs(method), { encoding: 'utf8' }));
  const torchRun = (t: string) => json(execFileSync(values.python, torchArgs(method, t), { encoding: 'utf8' }));
  const torch = torchRun('2'), torch1 = torchRun('1');
  best.set(method, Math.max(torch.trainTokensPerSec, torch1.trainTokensPerSec));
  const flopsPerToken = t5TrainFlops(config, method, 2 * micro, seqLen, 4) / (2 * micro * seqLen);
  const gf = (tps: number) => (tps * flopsPerToken) / 1e9;
  const pct = (g: number, peak: number) => `${g.toFixed(1)} (${((100 * g) / peak).toFixed(0)}%)`;
  console.log(`| ${method} | ${ours.trainTokensPerSec.toFixed(0)} | ${torch.trainTokensPerSec.toFixed(0)} | 1/${(torch.trainTokensPerSec / ours.trainTokensPerSec).toFixed(1)} | ` +
    `${torch1.trainTokensPerSec.toFixed(0)} | 1/${(torch1.trainTokensPerSec / ours.trainTokensPerSec).toFixed(1)} | ` +
    `${pct(gf(ours.trainTokensPerSec), peaks.wasm)} | ${pct(gf(torch.trainTokensPerSec), peaks.torch)} |`);
}

// A sweep: independent runs of one experiment, two at once (one per core), as `workers: auto`
// trains them on wasm; PyTorch the same way, one thread per run.
const run = promisify(execFile);
const pairTotal = async (cmd: string, args: string[]) =>
  (await Promise.all([run(cmd, args, { encoding: 'utf8' }), run(cmd, args, { encoding: 'utf8' })])).reduce((n, r) => n + json(r.stdout).trainTokensPerSec, 0);
console.log('\n| method | ours, 2 runs at once: tok/s in all | PyTorch best single run | ours / that | PyTorch, 2 one-thread runs at once | ours / that |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const method of values.methods.split(',')) {
  const ours = await pairTotal(process.execPath, oursArgs(method));
  const torchPair = await pairTotal(values.python, torchArgs(method, '1'));
  const single = best.get(method)!;
  console.log(`| ${method} | ${ours.toFixed(0)} | ${single.toFixed(0)} | 1/${(single / ours).toFixed(1)} | ${torchPair.toFixed(0)} | 1/${(torchPair / ours).toFixed(1)} |`);
}
