import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  encodeSafetensors, f16ToF32, f32BitsToBf16, f32BitsToF16, readSafetensorsFile, writeSafetensorsFile,
} from '../src/main/engine/safetensors';

const dir = mkdtempSync(path.join(tmpdir(), 'safetensors-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function temp_file(bytes: Uint8Array): string {
  const file = path.join(dir, `t${fileCounter++}.safetensors`);
  writeFileSync(file, bytes);
  return file;
}

/** A file built by hand: length prefix, header text exactly as given, then data bytes. */
function hand_built(header: string, data: number[] = [], lengthOverride?: bigint): Buffer {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([prefix, json, Buffer.from(data)]);
}

const f32_bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0];

function expect_refusal(bytes: Buffer, cause: RegExp): void {
  const file = temp_file(bytes);
  assert.throws(() => readSafetensorsFile(file), (err: Error) => {
    assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
    assert.match(err.message, cause);
    return true;
  });
}

describe('half precision conversion', () => {
  test('f16 of known values, round to nearest even', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2.5, 0xc100], [65504, 0x7bff], [0, 0x0000], [-0, 0x8000],
      [2 ** -24, 0x0001], [2 ** -14, 0x0400], [3 * 2 ** -24, 0x0003],
      [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (zero)
      [1.5 * 2 ** -25, 0x0001], // above the tie: rounds up to the smallest subnormal
      [65520, 0x7c00], // halfway between 65504 and 65536: ties to even (infinity)
      [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: stays at the even one
      [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even one
      [Infinity, 0x7c00], [-Infinity, 0xfc00], [1e-10, 0x0000],
    ];
    for (const [x, bits] of cases) assert.equal(f32BitsToF16(f32_bits(x)), bits, `f16(${x})`);
    const nan = f32BitsToF16(f32_bits(NaN));
    assert.equal(nan & 0x7c00, 0x7c00);
    assert.notEqual(nan & 0x3ff, 0);
  });

  test('f16 to f32 of known bits', () => {
    assert.equal(f16ToF32(0x3c00), 1);
    assert.equal(f16ToF32(0xc100), -2.5);
    assert.equal(f16ToF32(0x7bff), 65504);
    assert.equal(f16ToF32(0x0001), 2 ** -24);
    assert.equal(f16ToF32(0x03ff), 1023 * 2 ** -24);
    assert.equal(f16ToF32(0xfc00), -Infinity);
    assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  });

  test('bf16 of known values, round to nearest even', () => {
    const cases: [number, number][] = [
      [1, 0x3f80], [-2.5, 0xc020], [65504, 0x4780], [0, 0], [Infinity, 0x7f80],
      [1 + 2 ** -8, 0x3f80], // tie: stays even
      [1 + 3 * 2 ** -8, 0x3f82], // tie: rounds up to even
      [1 + 2 ** -8 + 2 ** -20, 0x3f81], // just above the tie
      [2 ** -130, 0x0008], // f32 subnormal 2^-130 = bit 19: keeps its top 16 bits
    ];
    for (const [x, bits] of cases) assert.equal(f32BitsToBf16(f32_bits(x)), bits, `bf16(${x})`);
    const nan = f32BitsToBf16(f32_bits(NaN));
    assert.equal(nan & 0x7f80, 0x7f80);
    assert.notEqual(nan & 0x7f, 0);
  });
});

describe('writer', () => {
  test('byte layout equals a hand-built file', () => {
    const written = encodeSafetensors(
      [
        { name: 'w', dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) },
        { name: 'h', dtype: 'F16', shape: [1, 1], data: new Float32Array([1]) },
        { name: 'b', dtype: 'BF16', shape: [], data: new Float32Array([-2.5]) },
      ],
      { format: 'pt' },
    );
    const header =
      '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"h":{"dtype":"F16","shape":[1,1],"data_offsets":[8,10]},"b":{"dtype":"BF16","shape":[],"data_offsets":[10,12]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const expected = hand_built(padded, [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c, 0x20, 0xc0]);
    assert.equal(padded.length % 8, 0);
    assert.deepEqual(written, expected);
  });

  test('round trip of several dtypes and shapes, atomically written', () => {
    const file = path.join(dir, 'nested', 'round.safetensors');
    const values = Float32Array.from({ length: 24 }, (_, i) => (i - 12) * 0.25);
    const tensors = [
      { name: 'a.weight', dtype: 'F32' as const, shape: [2, 3, 4], data: values },
      { name: 'b.half', dtype: 'F16' as const, shape: [4, 6], data: values },
      { name: 'c.brain', dtype: 'BF16' as const, shape: [24], data: values },
      { name: 'd.scalar', dtype: 'F32' as const, shape: [], data: new Float32Array([Math.PI]) },
      { name: 'e.empty', dtype: 'F32' as const, shape: [0, 5], data: new Float32Array(0) },
    ];
    writeSafetensorsFile(file, tensors, { format: 'pt', note: 'ünïcode' });
    assert.equal(existsSync(`${file}.tmp`), false);
    const st = readSafetensorsFile(file);
    try {
      assert.deepEqual(st.metadata, { format: 'pt', note: 'ünïcode' });
      assert.deepEqual(st.tensors, tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })));
      for (const t of tensors) assert.deepEqual(st.read(t.name), t.data, t.name); // quarter steps are exact in all three
      assert.equal(st.read('d.scalar')[0], Math.fround(Math.PI));
      assert.throws(() => st.read('missing'), /no tensor named "missing"/);
    } finally {
      st.close();
    }
    assert.throws(() => st.read('a.weight'), /closed/);
  });

  test('refuses data that does not match its shape', () => {
    assert.throws(
      () => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]),
      /tensors\[0\]\.data \("x"\).*4 values/,
    );
  });
});

describe('reader', () => {
  test('reads every dtype of a hand-built file', () => {
    const i64 = Buffer.alloc(16);
    i64.writeBigInt64LE(-5n, 0);
    i64.writeBigInt64LE(2147483647n, 8);
    const header = JSON.stringify({
      i64: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
      i32: { dtype: 'I32', shape: [1], data_offsets: [16, 20] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [20, 22] },
      u8: { dtype: 'U8', shape: [1], data_offsets: [22, 23] },
      mask: { dtype: 'BOOL', shape: [2], data_offsets: [23, 25] },
      bf: { dtype: 'BF16', shape: [1], data_offsets: [25, 27] },
      h: { dtype: 'F16', shape: [1], data_offsets: [27, 29] },
    });
    const data = [...i64, 0xfe, 0xff, 0xff, 0xff, 0x80, 0x7f, 200, 1, 0, 0x20, 0xc0, 0xff, 0x7b];
    const st = readSafetensorsFile(temp_file(hand_built(header, data)));
    try {
      assert.deepEqual(st.read('i64'), new Int32Array([-5, 2147483647]));
      assert.deepEqual(st.read('i32'), new Int32Array([-2]));
      assert.deepEqual(st.read('i8'), new Int32Array([-128, 127]));
      assert.deepEqual(st.read('u8'), new Int32Array([200]));
      assert.deepEqual(st.read('mask'), new Int32Array([1, 0]));
      assert.deepEqual(st.read('bf'), new Float32Array([-2.5]));
      assert.deepEqual(st.read('h'), new Float32Array([65504]));
      assert.deepEqual(st.metadata, {});
    } finally {
      st.close();
    }
  });

  test('I64 values outside int32 are refused, naming the tensor', () => {
    const big = Buffer.alloc(8);
    big.writeBigInt64LE(2n ** 40n);
    const header = JSON.stringify({ 'position.ids': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } });
    const st = readSafetensorsFile(temp_file(hand_built(header, [...big])));
    try {
      assert.throws(() => st.read('position.ids'), /"position\.ids".*int32/);
    } finally {
      st.close();
    }
  });

  const ok = JSON.stringify({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  const refusals: [string, Buffer, RegExp][] = [
    ['shorter than the length prefix', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/],
    ['header length past the end', hand_built(ok, [0, 0, 0, 0], 1000n), /header length 1000 runs past the end/],
    ['header over 100 MB', hand_built(ok, [], 100_000_001n), /over 100000000 bytes/],
    ['invalid JSON', hand_built('{"x": {', [0, 0, 0, 0]), /not valid JSON/],
    ['unknown dtype', hand_built(ok.replace('F32', 'Q7'), [0, 0, 0, 0]), /"x" has unknown dtype "Q7"/],
    [
      'offsets not starting at 0',
      hand_built(JSON.stringify({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), new Array(8).fill(0)),
      /gap of 4 bytes before tensor "x"/,
    ],
    [
      'gap between tensors',
      hand_built(
        JSON.stringify({
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        }),
        new Array(12).fill(0),
      ),
      /gap of 4 bytes before tensor "b"/,
    ],
    [
      'overlapping tensors',
      hand_built(
        JSON.stringify({
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        }),
        new Array(8).fill(0),
      ),
      /"b" overlaps "a"/,
    ],
    [
      'byte range not equal to shape × dtype size',
      hand_built(JSON.stringify({ x: { dtype: 'F16', shape: [3], data_offsets: [0, 4] } }), [0, 0, 0, 0]),
      /"x" has a byte range of 4 bytes but shape \[3\] of F16 needs 6/,
    ],
    ['truncated data', hand_built(JSON.stringify({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), [0, 0, 0, 0]), /truncated/],
  ];
  for (const [cause, bytes, message] of refusals) {
    test(`refuses ${cause}`, () => expect_refusal(bytes, message));
  }

  test('a refused file is left as it was', () => {
    const bytes = hand_built('not json', [1, 2, 3]);
    const file = temp_file(bytes);
    assert.throws(() => readSafetensorsFile(file), /not valid JSON/);
    assert.deepEqual(readFileSync(file), bytes);
  });
});
