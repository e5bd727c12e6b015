// Seeded mutators for fuzz tests: byte-level for binary formats, text-level for line formats,
// and structure-aware for parsed JSON/YAML values (the mutations a hand-edited file suffers).
import { makeRng } from '../../src/main/engine/util/rng';

export type Rng = () => number;

export function fuzzRng(seed: number): Rng {
  return makeRng(seed);
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d];

/** One to four random edits of `input`: bit flips, byte sets, deletions, insertions, truncation, duplication. */
export function mutateBytes(input: Uint8Array, rng: Rng): Uint8Array {
  let out: Uint8Array = Uint8Array.from(input);
  const edits = 1 + int(rng, 4);
  for (let e = 0; e < edits; e++) {
    const at = out.length ? int(rng, out.length) : 0;
    switch (int(rng, 6)) {
      case 0: if (out.length) out[at] ^= 1 << int(rng, 8); break;
      case 1: if (out.length) out[at] = INTERESTING_BYTES[int(rng, INTERESTING_BYTES.length)]; break;
      case 2: out = concat(out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + int(rng, 16)))); break;
      case 3: out = concat(out.subarray(0, at), Uint8Array.of(int(rng, 256)), out.subarray(at)); break;
      case 4: out = out.slice(0, at); break;
      default: {
        const len = 1 + int(rng, 32);
        out = concat(out.subarray(0, at), out.subarray(at, at + len), out.subarray(at));
      }
    }
  }
  return out;
}

/** Random edits of a text: characters, whole lines, quotes and brackets. */
export function mutateText(input: string, rng: Rng): string {
  const pieces = ['"', "'", ',', ':', '{', '}', '[', ']', '\n', '\\', '\r\n', ' ', '-', '#', '\u0000', '\u00e9', '1e309', 'null'];
  let out = input;
  const edits = 1 + int(rng, 3);
  for (let e = 0; e < edits; e++) {
    const at = out.length ? int(rng, out.length) : 0;
    switch (int(rng, 4)) {
      case 0: out = out.slice(0, at) + pieces[int(rng, pieces.length)] + out.slice(at); break;
      case 1: out = out.slice(0, at) + out.slice(at + 1 + int(rng, 8)); break;
      case 2: {
        const lines = out.split('\n');
        const i = int(rng, lines.length);
        if (rng() < 0.5) lines.splice(i, 1);
        else lines.splice(i, 0, lines[int(rng, lines.length)]);
        out = lines.join('\n');
        break;
      }
      default: out = out.slice(0, at);
    }
  }
  return out;
}

const ODD: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.NaN, 2 ** 53, '', 'x', '0', '-1', 'NaN', [], {}, [1, 2], { a: 1 },
  '../../etc/passwd', 'a'.repeat(300),
];
/** A fresh copy each time, so no two places of a mutated value share (and later edit) one object. */
const odd = (rng: Rng): unknown => structuredClone(ODD[int(rng, ODD.length)]);

/** A deep copy of `value` with one to three structural edits: replaced leaves, dropped or added keys, wrong types. */
export function mutateValue(value: unknown, rng: Rng): unknown {
  let out = structuredClone(value);
  const edits = 1 + int(rng, 3);
  for (let e = 0; e < edits; e++) out = edit_somewhere(out, rng);
  return out;
}

function edit_somewhere(value: unknown, rng: Rng): unknown {
  const containers = collect(value);
  if (!containers.length || rng() < 0.05) return odd(rng);
  const target = containers[int(rng, containers.length)];
  const keys = Object.keys(target);
  const key = keys.length ? keys[int(rng, keys.length)] : '0';
  const bag = target as Record<string, unknown>;
  switch (int(rng, 4)) {
    case 0: bag[key] = odd(rng); break;
    case 1: if (Array.isArray(target)) target.splice(Number(key), 1); else delete bag[key]; break;
    case 2: if (Array.isArray(target)) target.push(structuredClone(target[int(rng, target.length)] ?? 0)); else bag[`unknown_${int(rng, 9)}`] = 1; break;
    default: if (typeof bag[key] === 'number') bag[key] = (bag[key] as number) * [0, -1, 1e6, 0.5][int(rng, 4)];
      else bag[key] = odd(rng);
  }
  return value;
}

function collect(value: unknown, out: object[] = []): object[] {
  if (value !== null && typeof value === 'object') {
    out.push(value);
    for (const v of Object.values(value)) collect(v, out);
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Runs `fn`; a return is fine, a thrown plain Error with a message is a clear error, and
 * anything else (a TypeError or RangeError from inside a parser, a non-Error throw, an
 * empty message) is a crash, reported with the input that caused it.
 */
export function expectCleanOutcome(fn: () => unknown, describeInput: () => string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const clean = err instanceof Error && err.constructor === Error && err.message.trim().length > 0;
    if (!clean) {
      const what = err instanceof Error ? `${err.constructor.name}: ${err.message}\n${err.stack}` : String(err);
      throw new Error(`crash instead of a clear error: ${what}\ninput: ${describeInput()}`);
    }
    return 'error';
  }
}
