// The loss curve of a pretraining run as a PNG: a small line-plot rasteriser (axes, ticks,
// tick labels in a 5×7 bitmap font), raw loss in light blue and its moving average in dark blue.
import { encodePng } from './png';

type Rgb = [number, number, number];

/** 5×7 glyphs, one string of 5 bits per row. Only the characters the plot writes. */
const GLYPHS: Record<string, string[]> = {
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
  '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
  '-': ['00000', '00000', '00000', '11111', '00000', '00000', '00000'],
  '(': ['00010', '00100', '01000', '01000', '01000', '00100', '00010'],
  ')': ['01000', '00100', '00010', '00010', '00010', '00100', '01000'],
  ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
  ',': ['00000', '00000', '00000', '00000', '01100', '00100', '01000'],
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
  a: ['00000', '00000', '01110', '00001', '01111', '10001', '01111'],
  c: ['00000', '00000', '01110', '10000', '10000', '10001', '01110'],
  d: ['00001', '00001', '01101', '10011', '10001', '10001', '01111'],
  e: ['00000', '00000', '01110', '10001', '11111', '10000', '01110'],
  f: ['00110', '01001', '01000', '11100', '01000', '01000', '01000'],
  g: ['00000', '01111', '10001', '10001', '01111', '00001', '01110'],
  h: ['10000', '10000', '10110', '11001', '10001', '10001', '10001'],
  i: ['00100', '00000', '01100', '00100', '00100', '00100', '01110'],
  k: ['10000', '10000', '10010', '10100', '11000', '10100', '10010'],
  l: ['01100', '00100', '00100', '00100', '00100', '00100', '01110'],
  m: ['00000', '00000', '11010', '10101', '10101', '10001', '10001'],
  n: ['00000', '00000', '10110', '11001', '10001', '10001', '10001'],
  o: ['00000', '00000', '01110', '10001', '10001', '10001', '01110'],
  p: ['00000', '00000', '11110', '10001', '11110', '10000', '10000'],
  r: ['00000', '00000', '10110', '11001', '10000', '10000', '10000'],
  s: ['00000', '00000', '01111', '10000', '01110', '00001', '11110'],
  t: ['01000', '01000', '11100', '01000', '01000', '01001', '00110'],
  u: ['00000', '00000', '10001', '10001', '10001', '10011', '01101'],
  v: ['00000', '00000', '10001', '10001', '10001', '01010', '00100'],
  w: ['00000', '00000', '10001', '10001', '10101', '10101', '01010'],
};

const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
const RAW: Rgb = [160, 190, 230];
const MEAN: Rgb = [20, 60, 160];

class Canvas {
  readonly rgb: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.rgb = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.rgb.set(c, (y * this.width + x) * 3);
  }

  /** Bresenham line, 1 px (thick = 2 adds the pixel below). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 1): void {
    [x0, y0, x1, y1] = [x0, y0, x1, y1].map(Math.round);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x0, y0, c);
      if (thick > 1) this.set(x0, y0 + 1, c);
      if (x0 === x1 && y0 === y1) return;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** Text at scale 1 with its top-left corner at (x, y); unknown characters throw. */
  text(s: string, x: number, y: number, c: Rgb = BLACK): void {
    [...s].forEach((ch, i) => {
      const glyph = GLYPHS[ch];
      if (!glyph) throw new Error(`loss plot: no glyph for "${ch}"`);
      glyph.forEach((row, gy) => [...row].forEach((bit, gx) => bit === '1' && this.set(x + i * 6 + gx, y + gy, c)));
    });
  }
}

export function textWidth(s: string): number {
  return s.length * 6 - 1;
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function label(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/** Trailing moving average over `window` values. */
export function movingAverage(values: number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v - (i >= window ? values[i - window] : 0);
    return sum / Math.min(i + 1, window);
  });
}

/** PNG of `losses` (loss of update i + 1 at index i) against the update number. */
export function lossCurvePng(losses: number[], width = 640, height = 400): Buffer {
  if (losses.length < 2) throw new Error(`loss plot needs at least 2 losses, got ${losses.length}`);
  if (!losses.every(Number.isFinite)) throw new Error('loss plot: every loss must be a finite number');
  const c = new Canvas(width, height);
  const box = { left: 56, right: width - 16, top: 28, bottom: height - 40 };
  const yTicks = niceTicks(Math.min(...losses), Math.max(...losses), 6);
  const yLo = Math.min(yTicks[0], Math.min(...losses)), yHi = Math.max(yTicks[yTicks.length - 1], Math.max(...losses));
  const xTicks = niceTicks(0, losses.length, 8).filter((t) => t <= losses.length);
  const px = (step: number) => box.left + ((step - 1) / (losses.length - 1)) * (box.right - box.left);
  const py = (loss: number) => box.bottom - ((loss - yLo) / (yHi - yLo || 1)) * (box.bottom - box.top);
  for (const t of yTicks) {
    c.line(box.left, py(t), box.right, py(t), GRID);
    c.line(box.left - 4, py(t), box.left, py(t), BLACK);
    c.text(label(t), box.left - 7 - textWidth(label(t)), Math.round(py(t)) - 3);
  }
  for (const t of xTicks) {
    c.line(px(Math.max(1, t)), box.bottom, px(Math.max(1, t)), box.bottom + 4, BLACK);
    c.text(label(t), Math.round(px(Math.max(1, t)) - textWidth(label(t)) / 2), box.bottom + 8);
  }
  const window = Math.max(1, Math.round(losses.length / 50));
  const mean = movingAverage(losses, window);
  for (let i = 1; i < losses.length; i++) c.line(px(i), py(losses[i - 1]), px(i + 1), py(losses[i]), RAW);
  for (let i = 1; i < mean.length; i++) c.line(px(i), py(mean[i - 1]), px(i + 1), py(mean[i]), MEAN, 2);
  c.line(box.left, box.top, box.left, box.bottom, BLACK);
  c.line(box.left, box.bottom, box.right, box.bottom, BLACK);
  const title = `span-corruption loss (light: per step, dark: mean of ${window})`;
  c.text(title, Math.round((width - textWidth(title)) / 2), 9);
  c.text('step', Math.round((box.left + box.right - textWidth('step')) / 2), height - 16);
  c.text('loss', 8, box.top - 14);
  return encodePng(width, height, c.rgb);
}
