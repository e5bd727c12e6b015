// Benchmark: training throughput and peak memory of each method on a fixed small T5.
// Each method runs in a fresh process so peak RSS and the wasm heap are its own.
//
//   npm run bench            # full, lora_qv, ln_tuning: markdown table on stdout
//   npm run bench -- --steps 20 --backend cpu --methods all --dropout 0
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackendName } from '../src/shared/types';
import { initBackend } from '../src/main/engine/backend';
import type { EncodedExample } from '../src/main/engine/data/batching';
import { DEFAULT_T5_CONFIG } from '../src/main/engine/models/default_model';
import { T5Model } from '../src/main/engine/models/t5';
import { METHODS } from '../src/main/engine/peft/registry';
import { train } from '../src/main/engine/train/trainer';
import { makeRng } from '../src/main/engine/util/rng';

const { values } = parseArgs({
  options: {
    method: { type: 'string' }, steps: { type: 'string', default: '12' }, backend: { type: 'string' },
    batch: { type: 'string', default: '16' }, 'seq-len': { type: 'string', default: '96' },
    methods: { type: 'string', default: 'full,lora_qv,ln_tuning' }, dropout: { type: 'string' },
    'wasm-threads': { type: 'string' },
  },
});
const steps = Number(values.steps), microBatch = Number(values.batch), seqLen = Number(values['seq-len']);
/** The benchmark model: the default model's architecture, dropout overridable (0 for the side-by-side with PyTorch). */
export const BENCH_CONFIG = values.dropout === undefined ? DEFAULT_T5_CONFIG : { ...DEFAULT_T5_CONFIG, dropoutRate: Number(values.dropout) };
const methodIds = values.methods === 'all' ? Object.keys(METHODS) : values.methods.split(',');

/** Fixed synthetic examples: every input exactly seqLen tokens, targets 3 tokens + eos. */
function examples(n: number): EncodedExample[] {
  const rng = makeRng(1234);
  const id = () => 2 + Math.floor(rng() * (BENCH_CONFIG.vocabSize - 2));
  return Array.from({ length: n }, () => ({
    input: [...Array.from({ length: seqLen - 1 }, id), 1],
    target: [id(), id(), id(), 1],
  }));
}

async function one(methodId: string): Promise<void> {
  const backend = await initBackend({
    ...(values.backend ? { force: values.backend as BackendName } : {}),
    ...(values['wasm-threads'] ? { wasmThreads: Number(values['wasm-threads']) } : {}),
  });
  const model = T5Model.random(BENCH_CONFIG, 0);
  const method = METHODS[methodId];
  if (!method) throw new Error(`--method ${methodId}: unknown; available: ${Object.keys(METHODS).join(', ')}`);
  const attached = method.attach(model, method.validate({}, BENCH_CONFIG), 0);
  const out = await train(model, attached, examples(microBatch * 2 * steps), 0, {
    steps, microBatch, effectiveBatch: microBatch * 2, learningRate: 1e-4, warmupRatio: 0, weightDecay: 0, seed: 0,
  });
  process.stdout.write(JSON.stringify({ method: methodId, backend: backend.name, trainable: attached.trainableParams, ...out }) + '\n');
}

function all(): void {
  const self = fileURLToPath(import.meta.url);
  const rows = methodIds.map((m) => {
    const args = ['--import', 'tsx', self, '--method', m, '--steps', String(steps), '--batch', String(microBatch), '--seq-len', String(seqLen)];
    for (const key of ['backend', 'dropout', 'wasm-threads'] as const) if (values[key] !== undefined) args.push(`--${key}`, values[key]);
    const line = execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n').at(-1)!;
    return JSON.parse(line) as { method: string; backend: string; trainable: number; trainTokensPerSec: number; peakTensorBytes: number; peakRssBytes: number };
  });
  const full = rows.find((r) => r.method === 'full');
  const c = BENCH_CONFIG;
  console.log(`model: T5 d_model ${c.dModel}, ${c.numLayers}+${c.numDecoderLayers} layers, d_ff ${c.dFf}, vocab ${c.vocabSize}, dropout ${c.dropoutRate}; ` +
    `microbatch ${microBatch} x ${seqLen} input tokens, effective batch ${microBatch * 2}, ${steps} updates; ` +
    `backend ${rows[0].backend}; ${os.cpus().length} x ${os.cpus()[0]?.model.trim()}\n`);
  console.log('| method | trainable | train tokens/s | vs full | peak tensors | peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const pct = full ? `${((100 * r.trainTokensPerSec) / full.trainTokensPerSec).toFixed(0)}%` : '—';
    console.log(`| ${r.method} | ${r.trainable.toLocaleString('en')} | ${r.trainTokensPerSec.toFixed(0)} | ${pct} | ${(r.peakTensorBytes / 1e6).toFixed(1)} MB | ${(r.peakRssBytes / 1e6).toFixed(0)} MB |`);
  }
}

if (values.method) await one(values.method);
else all();
