// Human-readable numbers for tables: SI units (1 MB = 1e6 bytes), k/M/B counts, tokens/s.

const DASH = '—';

/** A training dimension of an imported adapter: it was trained elsewhere, so it was not measured here. */
export const NOT_MEASURED = 'n/m';
export const NOT_MEASURED_TITLE = 'not measured here: an imported adapter, trained elsewhere';

function scaled(value: number, units: string[], base: number): string {
  let unit = 0;
  let scaledValue = Math.abs(value);
  while (scaledValue >= base && unit < units.length - 1) {
    scaledValue /= base;
    unit += 1;
  }
  const digits = scaledValue >= 100 || unit === 0 ? 0 : scaledValue >= 10 ? 1 : 2;
  const sign = value < 0 ? '-' : '';
  return `${sign}${scaledValue.toFixed(digits)}${units[unit]}`;
}

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

/** 1_572_864 -> "1.57 MB". */
export function formatBytes(bytes: number | null | undefined): string {
  return missing(bytes) ? DASH : scaled(bytes, [' B', ' kB', ' MB', ' GB', ' TB'], 1000);
}

/** 294_912 -> "295k". */
export function formatCount(count: number | null | undefined): string {
  return missing(count) ? DASH : scaled(count, ['', 'k', 'M', 'B', 'T'], 1000);
}

/** 12_345 -> "12.3k" (the unit is in the column header). */
export function formatRate(rate: number | null | undefined): string {
  return missing(rate) ? DASH : scaled(rate, ['', 'k', 'M', 'B'], 1000);
}

/** 12_345 -> "12.3k tok/s". */
export function formatTokensPerSec(rate: number | null | undefined): string {
  return missing(rate) ? DASH : `${formatRate(rate)} tok/s`;
}

/** (1, 'task') -> "1 task", (3, 'task') -> "3 tasks". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A score in [0, 1] -> "85.2%". */
export function formatScore(score: number | null | undefined): string {
  return missing(score) ? DASH : `${(score * 100).toFixed(1)}%`;
}

/** part / whole -> "0.13%", with more digits for tiny fractions. */
export function formatShare(part: number, whole: number): string {
  if (!(whole > 0) || !Number.isFinite(part)) return DASH;
  const percent = (part / whole) * 100;
  return `${percent.toFixed(percent < 0.1 ? 3 : percent < 10 ? 2 : 1)}%`;
}

/** 0.0001 -> "1e-4", 0.0003 -> "3e-4". */
export function formatLearningRate(lr: number | null | undefined): string {
  if (missing(lr)) return DASH;
  const [mantissa, exponent] = lr.toExponential().split('e');
  return `${Number(Number(mantissa).toPrecision(3))}e${Number(exponent)}`;
}

export function formatLoss(loss: number | null | undefined): string {
  return missing(loss) ? DASH : loss.toFixed(4);
}

/** 4000 -> "1 h 06 min", 75 -> "1 min 15 s", 3.2 -> "3.2 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (missing(seconds)) return DASH;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** An ISO timestamp in the user's locale, e.g. "23 Nov 2026, 15:20". */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
