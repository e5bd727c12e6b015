// Statistics over seeds: mean, sample standard deviation, 95% Student-t intervals, the study's
// aggregate over tasks, and a paired t-test between two methods.

export interface SeedStats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN with one value. */
  sd: number;
  /** Half-width of the 95% Student-t interval of the mean; NaN with one value. */
  ci95: number;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sampleSd(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function seedStats(xs: number[]): SeedStats {
  if (!xs.length) return { n: 0, mean: NaN, sd: NaN, ci95: NaN };
  const sd = sampleSd(xs);
  return { n: xs.length, mean: mean(xs), sd, ci95: xs.length < 2 ? NaN : (tQuantile(0.975, xs.length - 1) * sd) / Math.sqrt(xs.length) };
}

/**
 * Mean over tasks of the per-task means. `sd` is the study's aggregate (the Euclidean mean of the
 * per-task variances, √(Σσ²/T)); `ci95` is the interval of the mean over tasks, from its variance
 * Σ(σ²/n)/T² with Welch–Satterthwaite degrees of freedom. NaN where a task has one seed.
 */
export function aggregateTasks(tasks: SeedStats[]): SeedStats {
  const T = tasks.length;
  if (!T) return { n: 0, mean: NaN, sd: NaN, ci95: NaN };
  const m = mean(tasks.map((t) => t.mean));
  const sd = Math.sqrt(mean(tasks.map((t) => t.sd ** 2)));
  const parts = tasks.map((t) => t.sd ** 2 / t.n / T ** 2);
  const variance = parts.reduce((a, b) => a + b, 0);
  const df = variance ** 2 / parts.reduce((a, p, i) => a + p ** 2 / (tasks[i].n - 1), 0);
  const ci95 = Number.isFinite(variance) && variance > 0 && Number.isFinite(df) ? tQuantile(0.975, df) * Math.sqrt(variance) : Number.isFinite(variance) ? 0 : NaN;
  return { n: Math.min(...tasks.map((t) => t.n)), mean: m, sd, ci95 };
}

export interface PairedTest {
  /** Pairs compared (same task and seed). */
  n: number;
  /** Mean of a − b. */
  meanDiff: number;
  ci95: number;
  /** Two-sided p-value of the paired t-test; NaN with fewer than two pairs or no spread. */
  p: number;
}

/** Paired t-test of a − b over the keys both have (for example `task:seed`). */
export function pairedTTest(a: Map<string, number>, b: Map<string, number>): PairedTest {
  const diffs = [...a].filter(([k]) => b.has(k)).map(([k, v]) => v - b.get(k)!);
  const s = seedStats(diffs);
  if (diffs.length < 2) return { n: diffs.length, meanDiff: s.mean, ci95: NaN, p: NaN };
  if (s.sd === 0) return { n: diffs.length, meanDiff: s.mean, ci95: 0, p: s.mean === 0 ? 1 : 0 };
  const t = s.mean / (s.sd / Math.sqrt(diffs.length));
  return { n: diffs.length, meanDiff: s.mean, ci95: s.ci95, p: 2 * (1 - tCdf(Math.abs(t), diffs.length - 1)) };
}

/** "better", "worse" (p < 0.05) or "within noise"; "—" when there is nothing to test. */
export function verdict(test: PairedTest): string {
  if (!Number.isFinite(test.p)) return '—';
  if (test.p >= 0.05) return 'within noise';
  return test.meanDiff > 0 ? 'better' : 'worse';
}

// ---- Student's t distribution ----

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional). */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (0 < p < 1), by bisection on the CDF. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  let lo = -1e4, hi = 1e4;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Regularised incomplete beta I_x(a, b), by Lentz's continued fraction. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}
