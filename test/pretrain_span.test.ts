// Span corruption against masks computed by the reference algorithm (numpy, same random
// numbers: test/fixtures/make_span_masks.py), and its properties on many seeds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { makeRng } from '../src/main/engine/util/rng';
import { pretrainBatch, type TokenBlocks } from '../src/main/engine/pretrain/pretrain_data';
import {
  corruptSpans, inputAndTargetLengths, noiseCounts, randomSpansNoiseMask, reconstruct, sentinelId, T5_SPAN_CORRUPTION,
} from '../src/main/engine/pretrain/span_corruption';

interface Fixture {
  masks: { length: number; seed: number; masks: string[] }[];
  lengths: { input: number; raw: number; target: number }[];
}
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/span_masks.json', import.meta.url), 'utf8')) as Fixture;
const bits = (mask: boolean[]) => mask.map((m) => (m ? '1' : '0')).join('');

/** Runs of equal values: [value, length][]. */
function runs(mask: boolean[]): [boolean, number][] {
  const out: [boolean, number][] = [];
  for (const m of mask) {
    if (out.length && out[out.length - 1][0] === m) out[out.length - 1][1] += 1;
    else out.push([m, 1]);
  }
  return out;
}

describe('span corruption', () => {
  it('draws the same masks as the reference algorithm for the same random numbers', () => {
    for (const c of FIXTURE.masks) {
      const rng = makeRng(c.seed);
      const got = c.masks.map(() => bits(randomSpansNoiseMask(c.length, rng)));
      assert.deepEqual(got, c.masks, `length ${c.length}, seed ${c.seed}`);
    }
  });

  it('computes the reference input and target lengths (512 → 568 raw, 114 target)', () => {
    for (const c of FIXTURE.lengths) assert.deepEqual(inputAndTargetLengths(c.input), { raw: c.raw, target: c.target });
  });

  it('has exactly round(0.15·L) noise tokens in round(noise/3) spans, kept first and noise last', () => {
    for (let seed = 0; seed < 200; seed++) {
      const length = 20 + (seed % 150);
      const mask = randomSpansNoiseMask(length, makeRng(seed));
      const { noise, spans } = noiseCounts(length, T5_SPAN_CORRUPTION);
      assert.equal(mask.length, length);
      assert.equal(mask.filter(Boolean).length, noise);
      assert.ok(Math.abs(noise - 0.15 * length) <= 0.5);
      const r = runs(mask);
      assert.equal(r.length, 2 * spans, `seed ${seed}: alternating kept/noise runs`);
      assert.equal(r[0][0], false);
      assert.equal(r[r.length - 1][0], true);
    }
  });

  it('averages noise spans of length 3 over many draws', () => {
    const rng = makeRng(11);
    let noise = 0, spans = 0;
    for (let i = 0; i < 300; i++) {
      const r = runs(randomSpansNoiseMask(141, rng)).filter(([m]) => m);
      spans += r.length;
      noise += r.reduce((n, [, len]) => n + len, 0);
    }
    assert.equal(noise / spans, 3); // 21 noise tokens in 7 spans, every time
  });

  it('lays sentinels out from the top of the vocabulary and reconstructs the original', () => {
    const V = 100, eos = 1;
    for (let seed = 0; seed < 50; seed++) {
      const rng = makeRng(1000 + seed);
      const ids = Array.from({ length: 141 }, () => 3 + Math.floor(rng() * 80));
      const mask = randomSpansNoiseMask(ids.length, rng);
      const { input, target } = corruptSpans(ids, mask, V, eos);
      const { raw, target: targetLength } = inputAndTargetLengths(128);
      assert.equal(raw, ids.length);
      assert.equal(input.length, 128);
      assert.equal(target.length, targetLength);
      const spans = runs(mask).filter(([m]) => m).length;
      const sentinels = Array.from({ length: spans }, (_, k) => sentinelId(k, V));
      assert.deepEqual(input.filter((id) => id >= V - spans), sentinels);
      assert.deepEqual(target.filter((id) => id >= V - spans), sentinels);
      assert.equal(target[0], V - 1); // <extra_id_0> opens the target
      assert.equal(input[input.length - 1], eos);
      assert.equal(target[target.length - 1], eos);
      assert.deepEqual(reconstruct(input, target, V, eos, 17), ids); // ids stay below V − 17
    }
  });

  it('refuses sequences too short to corrupt', () => {
    assert.throws(() => randomSpansNoiseMask(1, makeRng(0)), /at least 2 tokens, got 1/);
  });

  it('mixes in whole-block targets at the asked fraction, leaving the span examples as they were', () => {
    const raw = inputAndTargetLengths(64).raw;
    const numBlocks = 40;
    const rng = makeRng(7);
    const blocks: TokenBlocks = { ids: Int32Array.from({ length: raw * numBlocks }, () => 3 + Math.floor(rng() * 80)), raw, numBlocks, corpusTokens: raw * numBlocks };
    const plan = { seed: 3, batchSize: 20, vocabSize: 100, eosId: 1, noise: T5_SPAN_CORRUPTION };
    let whole = 0, total = 0;
    for (let step = 0; step < 10; step++) {
      const spans = pretrainBatch(blocks, { ...plan, reconstructFraction: 0 }, step);
      const mixed = pretrainBatch(blocks, { ...plan, reconstructFraction: 0.25 }, step);
      assert.deepEqual(pretrainBatch(blocks, { ...plan, reconstructFraction: 0.25 }, step), mixed); // a pure function of (seed, step)
      mixed.forEach((m, i) => {
        total += 1;
        assert.deepEqual(m.input, spans[i].input); // the encoder sees the same corrupted block
        if (m.target.length === raw + 1) {
          whole += 1;
          assert.deepEqual(m.target, reconstruct(spans[i].input, spans[i].target, 100, 1, 17).concat(1)); // the original block, then eos
        } else {
          assert.deepEqual(m.target, spans[i].target);
        }
      });
    }
    assert.ok(whole > 0.15 * total && whole < 0.35 * total, `${whole} of ${total} whole-block targets for a fraction of 0.25`);
    assert.ok(pretrainBatch(blocks, { ...plan, reconstructFraction: 1 }, 0).every((m) => m.target.length === raw + 1));
    // With the lead, the same whole-block targets after <extra_id_0>; span targets unchanged.
    const plain = pretrainBatch(blocks, { ...plan, reconstructFraction: 0.5 }, 4);
    const led = pretrainBatch(blocks, { ...plan, reconstructFraction: 0.5, reconstructLead: true }, 4);
    led.forEach((m, i) => {
      assert.deepEqual(m.input, plain[i].input);
      if (plain[i].target.length === raw + 1) assert.deepEqual(m.target, [sentinelId(0, 100), ...plain[i].target]);
      else assert.deepEqual(m.target, plain[i].target);
    });
  });
});
