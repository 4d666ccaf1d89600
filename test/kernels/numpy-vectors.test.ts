// SPDX-License-Identifier: Apache-2.0
/**
 * Our float16 and tfjs affine outputs equal numpy's (and tensorflowjs_converter's algorithm
 * under numpy 2.4) byte for byte, on the committed vectors in test/vectors/numpy/ — for the
 * reference kernels and for the native kernels on every available ISA.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as ref from '../../src/kernels/reference.js';
import { vectorsDir } from '../helpers/paths.js';
import { expectSameBytes } from '../helpers/views.js';

interface NumberRecord {
  repr: string;
  hex: string;
}
interface AffineEntry {
  name: string;
  input: string;
  count: number;
  dtypes: Record<'uint8' | 'uint16', { expected: string; min: NumberRecord; scale: NumberRecord }>;
}
interface Manifest {
  numpy: string;
  float16: { input: string; expected: string; count: number };
  affine: AffineEntry[];
}

const manifest = JSON.parse(readFileSync(path.join(vectorsDir, 'vectors.json'), 'utf8')) as Manifest;

/** Reads a little-endian binary file into a fresh, aligned typed array. */
function load<T>(rel: string, ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const buf = readFileSync(path.join(vectorsDir, rel));
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

/** Python float.hex() -> number, exactly (an independent check of the repr strings). */
function fromHex(s: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`bad hex float ${s}`);
  const frac = m[3]!;
  const mant = BigInt(`0x${m[2]}${frac || '0'}`); // <= 53 bits: exact as a number
  let exp = Number(m[4]) - 4 * frac.length;
  // Scale in two steps so that subnormal results do not underflow early.
  let v = Number(mant);
  while (exp < -1000) {
    v /= 2 ** 1000;
    exp += 1000;
  }
  v *= 2 ** exp;
  return m[1] ? -v : v;
}

const f16Input = load(manifest.float16.input, Float32Array);
const f16Expected = load(manifest.float16.expected, Uint16Array);

describe(`numpy ${manifest.numpy} vectors`, () => {
  it('are present and consistent', () => {
    expect(f16Input.length).toBe(manifest.float16.count);
    expect(f16Expected.length).toBe(manifest.float16.count);
    expect(manifest.float16.count).toBeGreaterThan(2000);
    expect(manifest.affine.length).toBeGreaterThanOrEqual(8);
    const doc = manifest.affine.find((e) => e.name === 'docstring_example')!;
    expect([...load(doc.dtypes.uint8.expected, Uint8Array)]).toEqual([20, 0, 255]);
    for (const e of manifest.affine) {
      for (const d of ['uint8', 'uint16'] as const) {
        expect(Object.is(Number(e.dtypes[d].min.repr), fromHex(e.dtypes[d].min.hex)), `${e.name} ${d} min`).toBe(true);
        expect(Object.is(Number(e.dtypes[d].scale.repr), fromHex(e.dtypes[d].scale.hex)), `${e.name} ${d} scale`).toBe(true);
      }
    }
  });

  it('reference f32ToF16 equals numpy astype(float16)', () => {
    const out = new Uint16Array(f16Input.length);
    ref.f32ToF16Ref(f16Input, out);
    expectSameBytes(out, f16Expected, 'f32ToF16Ref');
  });

  it('reference f16ToF32 of numpy float16 bits round-trips to the same float16 bits', () => {
    const f = new Float32Array(f16Expected.length);
    ref.f16ToF32Ref(f16Expected, f);
    const back = new Uint16Array(f.length);
    ref.f32ToF16Ref(f, back);
    expectSameBytes(back, f16Expected, 'round trip');
  });

  it.each(manifest.affine.map((e) => [e.name, e] as const))('reference quantizeAffine %s equals numpy', (_name, e) => {
    const src = load(e.input, Float32Array);
    for (const d of ['uint8', 'uint16'] as const) {
      const out = d === 'uint8' ? new Uint8Array(e.count) : new Uint16Array(e.count);
      const p = ref.quantizeAffineRef(src, out);
      expectSameBytes(out, d === 'uint8' ? load(e.dtypes[d].expected, Uint8Array) : load(e.dtypes[d].expected, Uint16Array), `${e.name} ${d}`);
      expect(p.min, `${e.name} ${d} min`).toBe(Number(e.dtypes[d].min.repr));
      expect(p.scale, `${e.name} ${d} scale`).toBe(Number(e.dtypes[d].scale.repr));
    }
  });

  describe.each(api.availableIsas())('isa %s', (isaName) => {
    let previous = '';
    beforeAll(() => {
      previous = api.isa();
      api.setIsa(isaName);
    });
    afterAll(() => api.setIsa(previous));

    it('f32ToF16 equals numpy, sync and async', async () => {
      expectSameBytes(api.f32ToF16Sync(f16Input), f16Expected, 'sync');
      expectSameBytes(await api.f32ToF16(f16Input), f16Expected, 'async');
    });

    it('quantizeAffine equals numpy for every case and dtype, min and scale exactly', async () => {
      for (const e of manifest.affine) {
        const src = load(e.input, Float32Array);
        for (const d of ['uint8', 'uint16'] as const) {
          const expected = d === 'uint8' ? load(e.dtypes[d].expected, Uint8Array) : load(e.dtypes[d].expected, Uint16Array);
          const sync = api.quantizeAffineSync(src, d);
          expectSameBytes(sync.data, expected, `${e.name} ${d}`);
          expect(sync.min, `${e.name} ${d} min`).toBe(Number(e.dtypes[d].min.repr));
          expect(sync.scale, `${e.name} ${d} scale`).toBe(Number(e.dtypes[d].scale.repr));
          const asyncResult = await api.quantizeAffine(src, d);
          expectSameBytes(asyncResult.data, expected, `${e.name} ${d} async`);
          expect(asyncResult.min).toBe(sync.min);
          expect(asyncResult.scale).toBe(sync.scale);
        }
      }
    });
  });
});
