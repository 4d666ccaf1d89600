// SPDX-License-Identifier: Apache-2.0
/** Partitioned TensorBundle tensors: OrderedCode slice keys, slice copies, assembly on read. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { openTensorBundle } from '../../../src/formats/tensorbundle/index.js';
import {
  OrderedCodeReader,
  copySliceInto,
  decodeSliceKey,
  encodeSliceKey,
  extractSlice,
  writeSignedNumIncreasing,
} from '../../../src/formats/tensorbundle/slices.js';
import { DataType } from '../../../src/proto/index.js';
import { writeSlicedBundle } from './helpers/sliced-bundle.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-slices-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex');
const fail = (what: string) => new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', what);

describe('OrderedCode', () => {
  it('SignedNumIncreasing matches TF`s encodings and round-trips int64, preserving order', () => {
    const enc = (v: bigint) => {
      const out: number[] = [];
      writeSignedNumIncreasing(out, v);
      return out;
    };
    // bytes seen in a real TF 2.21 slice key (ckpt written with MaxShardSizePolicy)
    expect(hex(enc(0n))).toBe('80');
    expect(hex(enc(100n))).toBe('c064');
    expect(hex(enc(256n))).toBe('c100');
    expect(hex(enc(-1n))).toBe('7f');
    expect(hex(enc(63n))).toBe('bf');
    expect(hex(enc(-64n))).toBe('40');
    const values = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 127n, 8191n, 8192n, 2n ** 31n, -(2n ** 31n), 2n ** 55n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 56n)];
    for (let k = 0; k < 64; k++) values.push(2n ** BigInt(k) - 1n, -(2n ** BigInt(k)));
    const sorted = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const encoded = sorted.map(enc);
    for (const [i, v] of sorted.entries()) {
      const r = new OrderedCodeReader(Uint8Array.from(encoded[i]!), fail);
      expect(r.signedNumIncreasing(), String(v)).toBe(v);
      expect(r.done).toBe(true);
      if (i > 0) expect(Buffer.compare(Buffer.from(encoded[i - 1]!), Buffer.from(encoded[i]!)), `${sorted[i - 1]} < ${v}`).toBe(-1);
    }
  });

  it('decodes a real TF slice key and round-trips names with 0x00 / 0xff bytes', () => {
    const real = Buffer.from('006269672f2e415454524942555445532f5641524941424c455f56414c554500010102c080c05680c100', 'hex');
    expect(decodeSliceKey(real)).toEqual({ name: 'big/.ATTRIBUTES/VARIABLE_VALUE', extents: [{ start: 128, length: 86 }, { start: 0, length: 256 }] });
    expect(hex(encodeSliceKey('big/.ATTRIBUTES/VARIABLE_VALUE', [{ start: 128, length: 86 }, { start: 0, length: 256 }]))).toBe(real.toString('hex'));
    const odd = 'a\u0000b\u00ffc'; // UTF-8 0xff never occurs, but 0x00 does
    const key = encodeSliceKey(odd, [{ start: 0, length: -1 }, { start: 7, length: 3 }]);
    expect(decodeSliceKey(key)).toEqual({ name: odd, extents: [{ start: 0, length: -1 }, { start: 7, length: 3 }] });
    expect(() => decodeSliceKey(Uint8Array.from([1, 0]))).toThrow(FormatError);
    expect(() => decodeSliceKey(Uint8Array.from([0, 0x61, 0x00]))).toThrow(/slice key/);
    expect(() => decodeSliceKey(Uint8Array.from([...key, 0x80]))).toThrow(/trailing bytes/);
  });
});

describe('slice copies', () => {
  it('extracting then copying every slice of a partition rebuilds the tensor (3-D, 1-D, scalar)', () => {
    const shape = [4, 5, 3];
    const full = Uint8Array.from({ length: 60 * 2 }, (_, i) => i % 251);
    const parts = [
      [{ start: 0, length: 2 }, { start: 0, length: 5 }, { start: 0, length: 3 }],
      [{ start: 2, length: 2 }, { start: 0, length: 2 }, { start: 0, length: 3 }],
      [{ start: 2, length: 2 }, { start: 2, length: 3 }, { start: 0, length: 1 }],
      [{ start: 2, length: 2 }, { start: 2, length: 3 }, { start: 1, length: 2 }],
    ];
    const out = new Uint8Array(full.length);
    for (const p of parts) copySliceInto(out, shape, p, extractSlice(full, shape, p, 2), 2);
    expect(hex(out)).toBe(hex(full));
    const v = Uint8Array.from([1, 2, 3, 4]);
    expect(hex(extractSlice(v, [4], [{ start: 1, length: 2 }], 1))).toBe('0203');
    expect(hex(extractSlice(v, [], [], 4))).toBe('01020304');
  });
});

describe('reading partitioned tensors', () => {
  let n = 0;
  const prefix = () => path.join(tmpRoot, `b${n++}`);
  const f32 = (count: number) => new Uint8Array(Float32Array.from({ length: count }, (_, i) => i * 0.5 - 3).buffer);

  it('assembles a tensor from slices (whole-dimension extents too) and reports it sliced', async () => {
    const p = prefix();
    const full = f32(6 * 4);
    writeSlicedBundle(p, [
      {
        key: 'w',
        dtype: DataType.DT_FLOAT,
        shape: [6, 4],
        full,
        width: 4,
        slices: [
          [{ start: 0, length: 2 }, { start: 0, length: -1 }],
          [{ start: 2, length: 4 }, { start: 0, length: 1 }],
          [{ start: 2, length: 4 }, { start: 1, length: 3 }],
        ],
      },
    ]);
    const bundle = await openTensorBundle(p);
    expect(bundle.keys()).toEqual(['w']);
    expect(bundle.sliceKeyCount).toBe(3);
    expect(bundle.entry('w').sliced).toBe(true);
    const t = await bundle.read('w');
    expect(t.shape).toEqual([6, 4]);
    expect(hex(new Uint8Array((t.data as Float32Array).buffer))).toBe(hex(full));
    expect(hex(await bundle.readBytes('w'))).toBe(hex(full));
    await bundle.close();
  });

  it('names the tensor and slice when a slice record is missing, corrupt or does not fit', async () => {
    const base = { key: 'w', dtype: DataType.DT_FLOAT, shape: [4, 2], full: f32(8), width: 4, slices: [[{ start: 0, length: 2 }, { start: 0, length: 2 }], [{ start: 2, length: 2 }, { start: 0, length: 2 }]] };
    const cases: [NonNullable<Parameters<typeof writeSlicedBundle>[1][0]['corrupt']>, string, RegExp][] = [
      [{ slice: 1, kind: 'missing' }, 'ERR_TFEXPORT_BUNDLE_SLICE', /tensor "w" slice 1: no slice record \[2:4, 0:2\]/],
      [{ slice: 0, kind: 'crc' }, 'ERR_TFEXPORT_BUNDLE_CRC', /crc32c mismatch for tensor "w\[0:2, 0:2\]"/],
      [{ slice: 0, kind: 'shape' }, 'ERR_TFEXPORT_BUNDLE_SLICE', /slice record has shape \[3, 2\], its extents say \[2, 2\]/],
    ];
    for (const [corrupt, code, message] of cases) {
      const p = prefix();
      writeSlicedBundle(p, [{ ...base, corrupt }]);
      const bundle = await openTensorBundle(p);
      const err = await bundle.read('w').then(() => null, (e: unknown) => e);
      expect(err, corrupt.kind).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
      await bundle.close();
    }
    const gap = prefix();
    writeSlicedBundle(gap, [{ ...base, slices: [[{ start: 0, length: 2 }, { start: 0, length: 2 }]] }]);
    const bundle = await openTensorBundle(gap);
    await expect(bundle.read('w')).rejects.toThrow(/cover 4 of its 8 elements/);
    await bundle.close();
  });
});
