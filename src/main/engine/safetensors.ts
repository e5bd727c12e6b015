// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
//
//   [u64 little-endian N][N bytes of JSON header][byte buffer]
//   header = { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { k: v } }
//
// Offsets are relative to the start of the byte buffer, which must be covered exactly,
// without gaps or overlaps. The reader reads one tensor at a time, never the whole file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Bytes per element of every dtype this module reads. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U16: 2, U8: 1, BOOL: 1,
};
const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);
/** Same limit as the reference implementation: a larger header is almost surely corrupt. */
const MAX_HEADER_BYTES = 100_000_000;

export type WritableDtype = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
}

export interface SafetensorsFile {
  path: string;
  metadata: Record<string, string>;
  /** In the order of their data in the file. */
  tensors: TensorInfo[];
  /**
   * Floating dtypes come back as Float32Array, integer and boolean dtypes as Int32Array. With
   * `reuse`, floats are read into buffers the file keeps (grown to the largest tensor read), so a
   * streaming load allocates nothing per tensor; the array is then valid until the next read.
   */
  read(name: string, reuse?: boolean): Float32Array | Int32Array;
  close(): void;
}

export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: number[];
  data: Float32Array;
}

interface Entry extends TensorInfo {
  begin: number;
  end: number;
}

// ---------------------------------------------------------------------------------------
// Half-precision conversions (round to nearest, ties to even)

/** Bits of an IEEE binary16 nearest to the binary32 with bits `x`. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const round = (m >>> (shift - 1)) & 1;
    const sticky = m & ((1 << (shift - 1)) - 1);
    if (round && (sticky || h & 1)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const round = (mant >>> 12) & 1;
  const sticky = mant & 0xfff;
  if (round && (sticky || h & 1)) h++; // a carry moves into the exponent, up to infinity
  return h;
}

/** Bits of a bfloat16 nearest to the binary32 with bits `x`. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) & 0xffff) | 0x40;
  const rounded = (x >>> 0) + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m !== 0 ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

let f16Table: Float32Array | null = null;
function f16_table(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

// ---------------------------------------------------------------------------------------
// Reading

function fail(file: string, why: string): never {
  throw new Error(`${file}: not a valid safetensors file: ${why}`);
}

function read_exact(fd: number, length: number, position: number, into?: Uint8Array): Uint8Array {
  const out = into ? into.subarray(0, length) : new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  if (done < length) throw new Error(`unexpected end of file after ${position + done} bytes`);
  return out;
}

function is_count(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parse_entry(file: string, name: string, raw: unknown): Entry {
  const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (info === null || typeof info !== 'object') fail(file, `tensor "${name}" has no {dtype, shape, data_offsets} entry`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    fail(file, `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(is_count)) fail(file, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(is_count) || offsets[0] > offsets[1]) {
    fail(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[dtype];
  if (end - begin !== expected) {
    fail(file, `tensor "${name}" has a byte range of ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function parse_metadata(file: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '__metadata__ must be an object of strings');
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail(file, `__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
  }
  return { ...(raw as Record<string, string>) };
}

/** Checks that the entries tile [0, dataBytes) exactly; returns them in offset order. */
function check_layout(file: string, entries: Entry[], dataBytes: number): Entry[] {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '(start of data)';
  for (const e of sorted) {
    if (e.begin < cursor) fail(file, `tensor "${e.name}" overlaps "${previous}" (starts at ${e.begin}, before ${cursor})`);
    if (e.begin > cursor) fail(file, `gap of ${e.begin - cursor} bytes before tensor "${e.name}": offsets must be contiguous from 0`);
    cursor = e.end;
    previous = e.name;
  }
  if (cursor > dataBytes) {
    fail(file, `truncated: tensor "${previous}" ends at data byte ${cursor} but only ${dataBytes} data bytes are present`);
  }
  if (cursor < dataBytes) fail(file, `${dataBytes - cursor} unexpected bytes after the last tensor`);
  return sorted;
}

function parse_header(file: string, fd: number, size: number): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (size < 8) fail(file, `${size} bytes is shorter than the 8-byte header length`);
  const headerLength = Buffer.from(read_exact(fd, 8, 0)).readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(file, `header length ${headerLength} is over ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLength);
  if (8 + n > size) fail(file, `header length ${n} runs past the end of the file (${size} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read_exact(fd, n, 8)));
  } catch (err) {
    fail(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(file, 'header JSON is not an object');
  const { __metadata__: rawMetadata, ...rawTensors } = header as Record<string, unknown>;
  const entries = Object.entries(rawTensors).map(([name, raw]) => parse_entry(file, name, raw));
  const dataStart = 8 + n;
  return { entries: check_layout(file, entries, size - dataStart), metadata: parse_metadata(file, rawMetadata), dataStart };
}

function to_int32(file: string, e: Entry, bytes: Uint8Array): Int32Array {
  const { buffer } = bytes;
  switch (e.dtype) {
    case 'I32': return new Int32Array(buffer);
    case 'I16': return Int32Array.from(new Int16Array(buffer));
    case 'U16': return Int32Array.from(new Uint16Array(buffer));
    case 'I8': return Int32Array.from(new Int8Array(buffer));
    case 'U8':
    case 'BOOL': return Int32Array.from(bytes);
  }
  const wide = new BigInt64Array(buffer); // I64
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i];
    if (v > 2147483647n || v < -2147483648n) {
      throw new Error(`${file}: tensor "${e.name}" (I64) holds ${v} at index ${i}, outside the int32 range this reader supports`);
    }
    out[i] = Number(v);
  }
  return out;
}

/** Float32 values of `bytes` (which start at offset 0 of their buffer); into `out` when given. */
function to_float32(e: Entry, bytes: Uint8Array, out?: Float32Array): Float32Array {
  const { buffer } = bytes;
  const count = bytes.length / DTYPE_BYTES[e.dtype];
  if (e.dtype === 'F32') return new Float32Array(buffer, 0, count);
  const target = out ? out.subarray(0, count) : new Float32Array(count);
  if (e.dtype === 'F64') {
    target.set(new Float64Array(buffer, 0, count));
    return target;
  }
  return half_to_float32(e.dtype, new Uint16Array(buffer, 0, count), target);
}

function half_to_float32(dtype: string, half: Uint16Array, out: Float32Array): Float32Array {
  if (dtype === 'F16') {
    const table = f16_table();
    for (let i = 0; i < half.length; i++) out[i] = table[half[i]];
  } else {
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length); // BF16 is the upper half of an F32
    for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
  }
  return out;
}

/** Opens `file` and parses its header; tensors are read on demand with `read(name)`. */
export function readSafetensorsFile(file: string): SafetensorsFile {
  if (os.endianness() !== 'LE') throw new Error('safetensors reading needs a little-endian machine');
  const fd = fs.openSync(file, 'r');
  let parsed: ReturnType<typeof parse_header>;
  try {
    parsed = parse_header(file, fd, fs.fstatSync(fd).size);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  const byName = new Map(parsed.entries.map((e) => [e.name, e]));
  const scratch = { bytes: new Uint8Array(0), floats: new Float32Array(0) };
  let open = true;
  return {
    path: file,
    metadata: parsed.metadata,
    tensors: parsed.entries.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] })),
    read(name: string, reuse = false): Float32Array | Int32Array {
      if (!open) throw new Error(`${file}: cannot read tensor "${name}", the file was closed`);
      const e = byName.get(name);
      if (e === undefined) throw new Error(`${file}: no tensor named "${name}" (the file has ${byName.size} tensors)`);
      const n = e.end - e.begin;
      if (!(reuse && FLOAT_DTYPES.has(e.dtype))) {
        const bytes = read_exact(fd, n, parsed.dataStart + e.begin);
        return FLOAT_DTYPES.has(e.dtype) ? to_float32(e, bytes) : to_int32(file, e, bytes);
      }
      if (scratch.bytes.length < n) scratch.bytes = new Uint8Array(n);
      const count = n / DTYPE_BYTES[e.dtype];
      if (e.dtype !== 'F32' && scratch.floats.length < count) scratch.floats = new Float32Array(count);
      return to_float32(e, read_exact(fd, n, parsed.dataStart + e.begin, scratch.bytes), scratch.floats);
    },
    close(): void {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Writing

function check_tensors(tensors: TensorToWrite[]): void {
  const seen = new Set<string>();
  for (const [i, t] of tensors.entries()) {
    if (typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__') {
      throw new Error(`tensors[${i}].name must be a non-empty string other than "__metadata__", got ${JSON.stringify(t.name)}`);
    }
    if (seen.has(t.name)) throw new Error(`tensors[${i}].name "${t.name}" appears twice; tensor names must be unique`);
    seen.add(t.name);
    if (!(t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16')) {
      throw new Error(`tensors[${i}].dtype ("${t.name}") must be F32, F16 or BF16, got ${JSON.stringify(t.dtype)}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every(is_count)) {
      throw new Error(`tensors[${i}].shape ("${t.name}") must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== numel) {
      throw new Error(`tensors[${i}].data ("${t.name}") must be a Float32Array of ${numel} values for shape [${t.shape.join(', ')}], got ${t.data?.length}`);
    }
  }
}

function tensor_bytes(t: TensorToWrite): Buffer {
  if (t.dtype === 'F32') return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
  const out = new Uint16Array(bits.length);
  const convert = t.dtype === 'F16' ? f32BitsToF16 : f32BitsToBf16;
  for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i]);
  return Buffer.from(out.buffer);
}

/** The header (length prefix included, padded with spaces to a multiple of 8) and each tensor's bytes. */
function encode_parts(tensors: TensorToWrite[], metadata?: Record<string, string>): Buffer[] {
  if (os.endianness() !== 'LE') throw new Error('safetensors writing needs a little-endian machine');
  check_tensors(tensors);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = parse_metadata('metadata', metadata);
  const data = tensors.map(tensor_bytes);
  let offset = 0;
  tensors.forEach((t, i) => {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + data[i].length] };
    offset += data[i].length;
  });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return [head, ...data];
}

/** The whole file as one buffer. */
export function encodeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Buffer {
  return Buffer.concat(encode_parts(tensors, metadata));
}

/** Writes `file` atomically: to `file.tmp`, fsync, then rename over `file`. */
export function writeSafetensorsFile(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  const parts = encode_parts(tensors, metadata);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const part of parts) {
      let done = 0;
      while (done < part.length) done += fs.writeSync(fd, part, done, part.length - done);
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
