// Checkpoints: a run stopped at any update and continued from its newest checkpoint repeats the
// uninterrupted run exactly; a crash while a checkpoint is written leaves the previous one valid.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { T5Model } from '../src/main/engine/models/t5';
import { METHODS } from '../src/main/engine/peft/registry';
import { listCheckpoints, readLatestCheckpoint, writeCheckpoint } from '../src/main/engine/train/checkpoint';
import { DataOrder } from '../src/main/engine/train/data_order';
import { train, type CheckpointOptions, type TrainConfig } from '../src/main/engine/train/trainer';
import { makeRng, shuffled } from '../src/main/engine/util/rng';
import { TINY_T5, tinyExamples } from './helpers';

before(async () => {
  await initBackend();
});

const CFG: TrainConfig = { steps: 10, microBatch: 4, effectiveBatch: 8, learningRate: 3e-3, warmupRatio: 0.2, weightDecay: 0.01, seed: 5 };
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'peft-ckpt-'));

class Stop extends Error {}

interface Trace {
  losses: Map<number, number>;
  best: number;
  weights: Float32Array[];
}

/** Trains `method`; stops (as a crash would) after update `stopAt`; `best` is kept through checkpoints. */
async function session(method: string, ck: Omit<CheckpointOptions, 'extra'> | undefined, stopAt = Infinity, trace?: Trace): Promise<Trace> {
  const t: Trace = trace ?? { losses: new Map(), best: 0, weights: [] };
  const model = T5Model.random(TINY_T5, 11);
  const m = METHODS[method];
  const attached = m.attach(model, m.validate({}, TINY_T5), CFG.seed);
  const extra = { save: () => ({ best: t.best }), restore: (v: Record<string, number>) => void (t.best = v.best) };
  try {
    await train(model, attached, tinyExamples(30), 0, CFG, {
      onStep: (s) => {
        t.losses.set(s.step, s.loss);
        t.best = Math.max(t.best, 1 / s.loss);
        if (s.step === stopAt) throw new Stop();
      },
    }, ck && { ...ck, extra });
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  } finally {
    t.weights = attached.trainable.map((v) => (v.dataSync() as Float32Array).slice());
    attached.dispose();
    model.dispose();
  }
  return t;
}

test('the data order is the seeded shuffle it always was, and its state resumes it', () => {
  const order = new DataOrder(10, 3, 7);
  const rng = makeRng(7);
  const expected = [...shuffled([...Array(10).keys()], rng).slice(0, 9), ...shuffled([...Array(10).keys()], rng).slice(0, 9)];
  const got = Array.from({ length: 6 }, () => order.next()).flat();
  assert.deepEqual(got, expected);
  const a = new DataOrder(10, 3, 7);
  a.next();
  const b = new DataOrder(10, 3, 99);
  b.state = a.state;
  assert.deepEqual(Array.from({ length: 7 }, () => b.next()), Array.from({ length: 7 }, () => a.next()));
  assert.throws(() => (b.state = { rngState: 1, queue: [[0, 1, 10]] }), /does not fit 10 examples/);
});

for (const [method, stops] of [['full', [1, 4, 7, 9]], ['lora_qv', [5, 8]]] as const) {
  test(`${method}: a run stopped at any update and resumed repeats the uninterrupted run bit for bit`, async () => {
    const tensorsBefore = tf.memory().numTensors;
    const reference = await session(method, undefined);
    for (const stopAt of stops) {
      const dir = tmp();
      const ck = { dir, every: 3, resume: true };
      const first = await session(method, ck, stopAt);
      const resumed = await session(method, ck, Infinity, { ...first, losses: new Map(first.losses) });
      assert.deepEqual([...resumed.losses.entries()].sort((x, y) => x[0] - y[0]), [...reference.losses.entries()], `stopped at ${stopAt}`);
      assert.equal(resumed.best, reference.best);
      resumed.weights.forEach((w, i) => assert.deepEqual(w, reference.weights[i], `weight ${i} after stopping at ${stopAt}`));
      assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [6, 9], 'the last two are kept');
      rmSync(dir, { recursive: true });
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'checkpointing left tensors behind');
  });
}

test('a checkpoint of other settings is refused with the field named', async () => {
  const dir = tmp();
  await session('full', { dir, every: 3, resume: true }, 4);
  const model = T5Model.random(TINY_T5, 11);
  const attached = METHODS.full.attach(model, {}, 5);
  try {
    await assert.rejects(train(model, attached, tinyExamples(30), 0, { ...CFG, learningRate: 1e-3 }, {}, { dir, every: 3, resume: true }),
      /learningRate = 0.003, this run has 0.001; it belongs to another run/);
  } finally {
    attached.dispose();
    model.dispose();
  }
});

test('a crash between files leaves the previous checkpoint valid', () => {
  const dir = tmp();
  const files = (n: number) => [{ name: 'a.bin', data: Buffer.alloc(64, n) }, { name: 'b.json', data: Buffer.from(`{"n":${n}}`) }];
  writeCheckpoint(dir, 3, files(3));
  assert.throws(() => writeCheckpoint(dir, 6, files(6), { afterFile: (name) => { if (name === 'a.bin') throw new Error('power cut'); } }), /power cut/);
  assert.ok(readdirSync(dir).some((n) => n.startsWith('.tmp-step-')), 'the half-written folder is left as a crash leaves it');
  const found = readLatestCheckpoint(dir)!;
  assert.equal(found.step, 3);
  assert.deepEqual(found.files.get('b.json')?.toString(), '{"n":3}');
  writeCheckpoint(dir, 6, files(6));
  assert.ok(!readdirSync(dir).some((n) => n.startsWith('.tmp-')), 'the next checkpoint clears what the crash left');
  assert.equal(readLatestCheckpoint(dir)!.step, 6);
});

test('a damaged or manifest-less newest checkpoint is skipped for the one before', () => {
  const dir = tmp();
  const files = (n: number) => [{ name: 'a.bin', data: Buffer.alloc(64, n) }];
  writeCheckpoint(dir, 3, files(3));
  const six = writeCheckpoint(dir, 6, files(6));
  writeFileSync(path.join(six, 'a.bin'), Buffer.alloc(64, 7)); // same size, other bytes
  let found = readLatestCheckpoint(dir)!;
  assert.equal(found.step, 3);
  assert.match(found.skipped[0], /a.bin does not match its SHA-256/);
  rmSync(path.join(six, 'manifest.json'));
  found = readLatestCheckpoint(dir)!;
  assert.equal(found.step, 3);
  assert.match(found.skipped[0], /no manifest.json/);
  writeCheckpoint(dir, 6, files(6)); // the damaged folder is replaced
  assert.equal(readLatestCheckpoint(dir)!.step, 6);
  assert.equal(readLatestCheckpoint(tmp()), null);
});
