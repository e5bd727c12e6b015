// Seeded pseudo-random numbers, so data order and initialisation repeat exactly for a seed.

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function makeRng(seed: number): () => number {
  const rng = new StatefulRng(seed);
  return () => rng.next();
}

/** The same generator with its 32-bit state readable and settable, so a checkpoint can resume it exactly. */
export class StatefulRng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  get state(): number {
    return this.a;
  }

  set state(value: number) {
    this.a = value >>> 0;
  }
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A derived seed for a named purpose (dropout, data order, init), stable across versions. */
export function subSeed(seed: number, purpose: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 16777619);
  return h >>> 0;
}
