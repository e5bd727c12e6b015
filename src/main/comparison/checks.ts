// Small checkers for config values: each error names the field and what is expected.

export function record(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} must be a mapping of keys to values`);
  return v as Record<string, unknown>;
}

export function unknownKeys(obj: Record<string, unknown>, known: string[], prefix: string): void {
  for (const k of Object.keys(obj)) if (!known.includes(k)) throw new Error(`${prefix}${k} is not a known setting; expected one of ${known.join(', ')}`);
}

export function text(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new Error(`${where} must be non-empty text, got ${JSON.stringify(v)}`);
  return v;
}

export function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${where} must be a non-empty list`);
  return v;
}

export function numbers(v: unknown, where: string, ok: (x: number) => boolean): number[] {
  return list(v, where).map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new Error(`${where}[${i}] is out of range: ${JSON.stringify(x)}`);
    return x;
  });
}

export function int(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${where} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function fraction(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${where} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, where: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw new Error(`${where} must be one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
