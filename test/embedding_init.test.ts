import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cooccurrence, dominantSubspace, orthonormalise, ppmi, ppmiSvdEmbedding } from '../src/main/engine/pretrain/embedding_init';
import { makeRng } from '../src/main/engine/util/rng';

const EOS = 1;

describe('co-occurrence counts', () => {
  it('weights pairs by 1/distance in both orders and never counts across eos', () => {
    const V = 8;
    const c = cooccurrence(Int32Array.from([5, 6, 7, EOS, 6, 5]), V, 2, EOS);
    const at = (w: number, x: number) => c[w * V + x];
    assert.equal(at(5, 6), 2); // adjacent before eos and again after it
    assert.equal(at(6, 5), 2);
    assert.equal(at(5, 7), 0.5); // two apart
    assert.equal(at(6, 7), 1);
    assert.equal(at(7, 6), 1);
    assert.equal(at(7, 5), 0.5); // 7 and the 5 after eos are never paired
    for (let x = 0; x < V; x++) assert.equal(at(EOS, x) + at(x, EOS), 0);
    assert.equal(c.reduce((a, b) => a + b, 0), 2 * (1 + 0.5 + 1 + 1));
  });
});

describe('positive PMI', () => {
  it('is symmetric, non-negative, zero where nothing co-occurs, and highest for pairs seen only together', () => {
    const V = 6;
    // 2 and 3 always together; 4 with everything
    const ids = Int32Array.from([2, 3, EOS, 2, 3, EOS, 4, 5, EOS, 4, 2, EOS, 3, 4, EOS, 5, 4, EOS]);
    const m = ppmi(cooccurrence(ids, V, 1, EOS), V);
    for (let w = 0; w < V; w++) {
      for (let x = 0; x < V; x++) {
        assert.ok(m[w * V + x] >= 0);
        assert.equal(m[w * V + x], m[x * V + w]);
      }
    }
    assert.equal(m[2 * V + 5], 0); // never together
    assert.ok(m[2 * V + 3] > m[2 * V + 4]);
  });
});

describe('dominant subspace', () => {
  it('finds the span of the largest eigenvalues of a symmetric matrix, as an orthonormal basis', () => {
    const n = 30;
    const k = 3;
    // M = Q diag(λ) Qᵀ with a random orthonormal Q and λ = 30, 25, 20, 3, 2.9, ...
    const rng = makeRng(11);
    const q = Float64Array.from({ length: n * n }, () => rng() - 0.5);
    orthonormalise(q, n, n);
    const lambda = Array.from({ length: n }, (_, i) => (i < k ? 30 - 5 * i : 3 - i / 10));
    const m = new Float64Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) for (let i = 0; i < n; i++) m[r * n + c] += q[r * n + i] * lambda[i] * q[c * n + i];
    const basis = dominantSubspace(m, n, k, { iterations: 10, oversample: 4 }, 5);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += basis[r * k + a] * basis[r * k + b];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `columns ${a}, ${b}: ${dot}`);
      }
      // the share of column a inside the span of the top-k eigenvectors
      let inside = 0;
      for (let i = 0; i < k; i++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += basis[r * k + a] * q[r * n + i];
        inside += dot * dot;
      }
      assert.ok(inside > 0.999, `column ${a}: ${inside}`);
    }
  });
});

describe('PPMI-SVD embedding', () => {
  const V = 40;
  const D = 4;
  const rng = makeRng(2);
  // a stream over pieces 3..28: two "topics" (3..15, 16..28), sentences of one topic each
  const stream: number[] = [];
  for (let s = 0; s < 400; s++) {
    const base = s % 2 ? 3 : 16;
    for (let t = 0; t < 8; t++) stream.push(base + Math.floor(rng() * 13));
    stream.push(EOS);
  }
  const ids = Int32Array.from(stream);
  const random = Float32Array.from({ length: V * D }, (_, i) => Math.sin(i + 1));

  it('replaces the rows of the pieces the stream holds (RMS 1) and keeps the others random', () => {
    const e = ppmiSvdEmbedding(ids, random, V, D, EOS, 9, { window: 3, iterations: 6, oversample: 4 });
    let sum = 0;
    for (let w = 0; w < V; w++) {
      const seen = w >= 3 && w <= 28;
      for (let j = 0; j < D; j++) {
        if (seen) sum += e[w * D + j] ** 2;
        else assert.equal(e[w * D + j], random[w * D + j], `row ${w} is not in the stream and keeps its random value`);
      }
    }
    assert.ok(Math.abs(Math.sqrt(sum / (26 * D)) - 1) < 1e-5);
  });

  it('puts pieces of one topic closer to each other than to the other topic', () => {
    const e = ppmiSvdEmbedding(ids, random, V, D, EOS, 9, { window: 3, iterations: 6, oversample: 4 });
    const cos = (a: number, b: number) => {
      let ab = 0, aa = 0, bb = 0;
      for (let j = 0; j < D; j++) [ab, aa, bb] = [ab + e[a * D + j] * e[b * D + j], aa + e[a * D + j] ** 2, bb + e[b * D + j] ** 2];
      return ab / Math.sqrt(aa * bb);
    };
    let same = 0, other = 0;
    for (let a = 3; a <= 15; a++) {
      for (let b = 3; b <= 28; b++) {
        if (a === b) continue;
        if (b <= 15) same += cos(a, b) / (12 * 13);
        else other += cos(a, b) / (13 * 13);
      }
    }
    assert.ok(same > other + 0.3, `same topic ${same.toFixed(3)}, other topic ${other.toFixed(3)}`);
  });

  it('is a pure function of the stream and the seed, and refuses a random embedding of the wrong size', () => {
    const a = ppmiSvdEmbedding(ids, random, V, D, EOS, 9, { window: 3, iterations: 6, oversample: 4 });
    const b = ppmiSvdEmbedding(ids, random, V, D, EOS, 9, { window: 3, iterations: 6, oversample: 4 });
    assert.deepEqual(a, b);
    assert.throws(() => ppmiSvdEmbedding(ids, random.subarray(1), V, D, EOS, 9), /the random embedding has 159 values, not 40 × 4/);
  });
});
