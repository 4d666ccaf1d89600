// SPDX-License-Identifier: Apache-2.0
/**
 * Bit-exact parity: for every ISA availableIsas() lists, each kernel's output (through the
 * public API, sync and async, threads 1 and 2) equals src/kernels/reference.ts byte for
 * byte, on random data, edge cases, every length 0 .. 3*64+1 and misaligned byte offsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as ref from '../../src/kernels/reference.js';
import { loadNative } from '../../src/native.js';
import { EDGE_F32_BITS, HALF_TIES, f32FromBits, finiteEdgeValues } from '../helpers/edge-values.js';
import { Prng } from '../helpers/prng.js';
import { bytesOf, copyAt, expectSameBytes, guardBytesIntact, viewAt } from '../helpers/views.js';

const ISAS = api.availableIsas();
const native = loadNative().binding;
const LENGTHS = Array.from({ length: 3 * 64 + 2 }, (_, i) => i); // 0 .. 193
const F32_OFFSETS = [0, 4, 8, 12, 60];
/** Elements in the threaded tests: more than 2 * 2^18 so that threads = 2 really splits. */
const BIG = (1 << 19) + (1 << 18) + 37;

const rng = new Prng(0x5eed1234);
/** Ties at scale_inv = 1 (a channel whose absmax is 127). */
const CHANNEL_TIES = HALF_TIES.filter((t) => Math.abs(t) < 127);

/** A pool of float32 values: edge bit patterns, random bit patterns, random normals. */
const POOL_ALL: Float32Array = (() => {
  const edges = f32FromBits(EDGE_F32_BITS);
  const bits = rng.floatBits(1500);
  const normals = rng.floats(1500, -8, 6);
  const out = new Float32Array(edges.length * 3 + bits.length + normals.length);
  let o = 0;
  for (const part of [edges, bits, normals, edges, edges]) {
    new Uint32Array(out.buffer).set(new Uint32Array(part.buffer, part.byteOffset, part.length), o);
    o += part.length;
  }
  return out;
})();

/** Finite values only (affine quantization refuses NaN/Inf). */
const POOL_FINITE: Float32Array = (() => {
  const edges = finiteEdgeValues();
  const normals = rng.floats(3000, -4, 4);
  const ties = Float32Array.from(HALF_TIES);
  const out = new Float32Array(edges.length + normals.length + ties.length);
  out.set(edges, 0);
  out.set(normals, edges.length);
  out.set(ties, edges.length + normals.length);
  // Interleave edges through the pool so they land in every SIMD lane position.
  for (let i = 0; i < edges.length; ++i) out[(i * 97) % out.length] = edges[i]!;
  return out;
})();

/** A slice of a pool of `n` elements starting at a length-dependent position, at `byteOffset`. */
function sliceAt(pool: Float32Array, n: number, byteOffset: number): Float32Array {
  const start = (n * 37) % (pool.length - n);
  return copyAt(Float32Array, pool.subarray(start, start + n), byteOffset);
}

function expectParams(actual: { min: number; scale: number }, expected: { min: number; scale: number }, label: string) {
  expect(actual.min, `${label}: min`).toBe(expected.min);
  expect(actual.scale, `${label}: scale`).toBe(expected.scale);
}

function bigFloats(): Float32Array {
  const r = new Prng(99);
  const a = r.floats(BIG, -3, 3);
  for (let i = 0; i < EDGE_F32_BITS.length; ++i) new Uint32Array(a.buffer)[i * 4099] = EDGE_F32_BITS[i]!;
  return a;
}

function bigFinite(): Float32Array {
  const r = new Prng(7);
  return r.floats(BIG, -2, 2);
}

/**
 * Tensors for chunked affine quantization: ranges across 0 (nudged zero), one-sided,
 * constant (incl. zero written as -0 and +0), exact bounds at 0, ties, edge values.
 */
function rangeTensors(qmax: number): [string, Float32Array][] {
  const r = new Prng(0xc0ffee + qmax);
  const normals = r.floats(3000, -2, 1);
  const neg = normals.map((x) => -Math.abs(x) - 0.5);
  const pos = normals.map((x) => Math.abs(x) + 1e-3);
  const zeroMixed = new Float32Array(700);
  for (let i = 0; i < zeroMixed.length; i += 3) zeroMixed[i] = -0;
  const withMax0 = Float32Array.from(neg);
  withMax0[1234] = -0;
  const withMin0 = Float32Array.from(pos);
  withMin0[17] = 0;
  return [
    ['pool (edges, ties)', sliceAt(POOL_FINITE, 2500, 0)],
    ['normals across 0', normals],
    ['negative only', neg],
    ['positive only', pos],
    ['constant 0.25', new Float32Array(900).fill(0.25)],
    ['constant -3', new Float32Array(5).fill(-3)],
    ['constant zero, -0 and +0', zeroMixed],
    ['max -0', withMax0],
    ['min 0', withMin0],
    ['ties', Float32Array.from([0, qmax, 0.5, 1.5, 2.5, 3.5, qmax - 0.5, qmax - 1.5, 7.5, 100.5])],
    ['half zero point', Float32Array.from([-2.5, qmax - 2.5, 0, 1, -1.5, 0.5])],
    ['single element', Float32Array.of(-0.75)],
  ];
}

/** Random chunk boundaries of [0, n): empty, tiny, long, and the rest. */
function randomChunks(r: Prng, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let b = 0; b < n;) {
    const kind = r.int(0, 4);
    const len = Math.min(n - b, kind === 0 ? r.int(0, 2) : kind === 1 ? n - b : r.int(1, Math.ceil(n / 3) + 1));
    out.push([b, b + len]);
    b += len;
  }
  out.push([n, n]); // an empty chunk at the end: just the parameters
  return out;
}

describe.each(ISAS)('isa %s', (isaName) => {
  let previous = '';
  beforeAll(() => {
    previous = api.isa();
    api.setIsa(isaName);
  });
  afterAll(() => api.setIsa(previous));

  it('is selected', () => {
    expect(api.isa()).toBe(isaName);
  });

  it('f32ToF16: every length 0..193 at misaligned offsets, edge cases included', () => {
    for (const n of LENGTHS) {
      const src = sliceAt(POOL_ALL, n, F32_OFFSETS[n % F32_OFFSETS.length]!);
      const out = viewAt(Uint16Array, n, 2 * (n % 5));
      const expected = new Uint16Array(n);
      ref.f32ToF16Ref(src, expected);
      expect(api.f32ToF16Sync(src, { out, threads: 1 })).toBe(out);
      expectSameBytes(out, expected, `f32ToF16 n=${n}`);
      expect(guardBytesIntact(out), `f32ToF16 n=${n} wrote outside out`).toBe(true);
    }
  });

  it('f32ToF16: the whole edge/random pool, sync and async', async () => {
    const expected = new Uint16Array(POOL_ALL.length);
    ref.f32ToF16Ref(POOL_ALL, expected);
    expectSameBytes(api.f32ToF16Sync(POOL_ALL), expected, 'sync');
    expectSameBytes(await api.f32ToF16(POOL_ALL), expected, 'async');
  });

  it('f16ToF32: all 65536 codes, sync and async, misaligned', async () => {
    const codes = viewAt(Uint16Array, 65536, 6);
    for (let h = 0; h < 65536; ++h) codes[h] = h;
    const expected = new Float32Array(65536);
    ref.f16ToF32Ref(codes, expected);
    const out = viewAt(Float32Array, 65536, 4);
    api.f16ToF32Sync(codes, { out });
    expectSameBytes(out, expected, 'sync');
    expect(guardBytesIntact(out)).toBe(true);
    expectSameBytes(await api.f16ToF32(codes, { threads: 1 }), expected, 'async');
  });

  it('f16ToF32: every length 0..193', () => {
    for (const n of LENGTHS) {
      const codes = viewAt(Uint16Array, n, 2 * (n % 7));
      for (let i = 0; i < n; ++i) codes[i] = rng.u32() & 0xffff;
      const expected = new Float32Array(n);
      ref.f16ToF32Ref(codes, expected);
      expectSameBytes(api.f16ToF32Sync(codes), expected, `n=${n}`);
    }
  });

  it.each(['uint8', 'uint16'] as const)('quantizeAffine %s: every length 0..193, misaligned', (dtype) => {
    // (one constructor type for both, so that viewAt/new accept either)
    const Ctor = (dtype === 'uint8' ? Uint8Array : Uint16Array) as unknown as typeof Uint8Array;
    for (const n of LENGTHS) {
      const src = sliceAt(POOL_FINITE, n, F32_OFFSETS[(n + 1) % F32_OFFSETS.length]!);
      const out = viewAt(Ctor, n, (n % 3) * Ctor.BYTES_PER_ELEMENT + (dtype === 'uint8' ? 1 : 0));
      const expected = new Ctor(n);
      const p = ref.quantizeAffineRef(src, expected);
      const r = api.quantizeAffineSync(src, dtype, { out: out as never });
      expect(r.data).toBe(out);
      expectSameBytes(out, expected, `${dtype} n=${n}`);
      expectParams(r, p, `${dtype} n=${n}`);
      expect(guardBytesIntact(out)).toBe(true);
    }
  });

  it.each(['uint8', 'uint16'] as const)('quantizeAffine %s: ties, constant, one-sided ranges, async', async (dtype) => {
    const qmax = dtype === 'uint8' ? 255 : 65535;
    const cases: number[][] = [
      [0, qmax, 0.5, 1.5, 2.5, 3.5, qmax - 0.5, qmax - 1.5],
      [0, -0.1, 1.2],
      [0.25, 0.25, 0.25],
      [1, 2, 3, 0.5],
      [-5, -1, -3.25],
      [-1e30, 3e30, 0, 1],
      [1e-7, 0.25, 1],
      [-0, 0, 1],
      [-2.5, qmax - 2.5, 0, 1],
      [-3.5, qmax - 3.5, 0.25],
    ];
    for (const c of cases) {
      const src = Float32Array.from(c);
      const expected = dtype === 'uint8' ? new Uint8Array(c.length) : new Uint16Array(c.length);
      const p = ref.quantizeAffineRef(src, expected);
      const r = await api.quantizeAffine(src, dtype);
      expectSameBytes(r.data, expected, `${dtype} ${c}`);
      expectParams(r, p, `${dtype} ${c}`);
      expectParams(api.quantizeAffineSync(src, dtype), p, `${dtype} ${c} sync`);
    }
  });

  it('quantizeAffine: NaN and +-Infinity are refused by native and reference alike, out untouched', async () => {
    for (const bad of [NaN, Infinity, -Infinity, f32FromBits([0x7f800001])[0]!]) {
      const src = Float32Array.from([1, 2, bad, 3]);
      const out = new Uint8Array(4).fill(7);
      expect(() => api.quantizeAffineSync(src, 'uint8', { out }), String(bad)).toThrowError(
        expect.objectContaining({ code: 'ERR_TFEXPORT_NON_FINITE' }),
      );
      await expect(api.quantizeAffine(src, 'uint16')).rejects.toMatchObject({ code: 'ERR_TFEXPORT_NON_FINITE' });
      expect(() => ref.quantizeAffineRef(src, new Uint8Array(4))).toThrowError(
        expect.objectContaining({ code: 'ERR_TFEXPORT_NON_FINITE' }),
      );
      expect([...out]).toEqual([7, 7, 7, 7]);
    }
  });

  it.each(['uint8', 'uint16'] as const)('quantizeAffineRange %s: random chunks with the tensor range concatenate to quantizeAffine', async (dtype) => {
    const Ctor = (dtype === 'uint8' ? Uint8Array : Uint16Array) as unknown as typeof Uint8Array;
    const qmax = dtype === 'uint8' ? 255 : 65535;
    const r = new Prng(qmax + isaName.length);
    for (const [label, t] of rangeTensors(qmax)) {
      const whole = api.quantizeAffineSync(t, dtype);
      const wholeRef = new Ctor(t.length);
      const pRef = ref.quantizeAffineRef(t, wholeRef);
      expectSameBytes(whole.data, wholeRef, `${dtype} ${label}: whole`);
      const range = api.minMaxSync(t);
      expect(range).toEqual(ref.minMaxRef(t));
      const joined = new Ctor(t.length);
      let i = 0;
      for (const [b, e] of randomChunks(r, t.length)) {
        const what = `${dtype} ${label} [${b}, ${e})`;
        const chunk = copyAt(Float32Array, t.subarray(b, e), 4 * r.int(0, 3));
        const out = viewAt(Ctor, e - b, Ctor.BYTES_PER_ELEMENT * r.int(0, 3) + (dtype === 'uint8' ? r.int(0, 1) : 0));
        const got = i++ % 3 === 2 ? await api.quantizeAffineRange(chunk, dtype, range, { out: out as never }) : api.quantizeAffineRangeSync(chunk, dtype, range, { out: out as never });
        expect(got.data).toBe(out);
        expect(guardBytesIntact(out), what).toBe(true);
        expectParams(got, whole, what);
        expect(Object.is(got.min, whole.min), `${what}: min sign`).toBe(true);
        const codesRef = new Ctor(e - b);
        const p = ref.quantizeAffineRangeRef(chunk, range.min, range.max, codesRef);
        expectParams(p, pRef, `${what} (reference)`);
        expectSameBytes(out, codesRef, `${what}: native vs reference`);
        joined.set(out, b);
      }
      expectSameBytes(joined, whole.data, `${dtype} ${label}: joined chunks vs whole`);
    }
  });

  it.each(['uint8', 'uint16'] as const)('quantizeAffineRange %s: values outside the range clip, NaN gives 0, as in the reference', async (dtype) => {
    const Ctor = (dtype === 'uint8' ? Uint8Array : Uint16Array) as unknown as typeof Uint8Array;
    const src = sliceAt(POOL_ALL, 1000, 4); // NaN, +-Infinity, huge and subnormal values included
    for (const range of [{ min: -1, max: 2 }, { min: 0.5, max: 0.5 }, { min: -3, max: -0.5 }, { min: 0, max: 1e30 }]) {
      const expected = new Ctor(src.length);
      const p = ref.quantizeAffineRangeRef(src, range.min, range.max, expected);
      const got = api.quantizeAffineRangeSync(src, dtype, range);
      expectSameBytes(got.data, expected, `${dtype} ${JSON.stringify(range)}`);
      expectParams(got, p, `${dtype} ${JSON.stringify(range)}`);
      expectSameBytes((await api.quantizeAffineRange(src, dtype, range)).data, expected, `${dtype} async`);
    }
    const clipped = api.quantizeAffineRangeSync(Float32Array.of(-9, 9, NaN, Infinity, -Infinity, 0.25), dtype, { min: 0, max: 1 });
    expect([...clipped.data]).toEqual([0, dtype === 'uint8' ? 255 : 65535, 0, dtype === 'uint8' ? 255 : 65535, 0, dtype === 'uint8' ? 64 : 16384]);
  });

  it('quantizeAffineRange: bounds are float32 and -0 is +0, as for a whole tensor', () => {
    const zero = api.quantizeAffineRangeSync(new Float32Array(0), 'uint8', { min: -0, max: -0 });
    const zeroWhole = api.quantizeAffineSync(Float32Array.of(-0, 0), 'uint8');
    expect(Object.is(zero.min, zeroWhole.min) && zero.scale === 1).toBe(true);
    const refZero = ref.quantizeAffineRangeRef(new Float32Array(0), -0, -0, new Uint8Array(0));
    expect(Object.is(refZero.min, zeroWhole.min)).toBe(true);
    const t = Float32Array.of(0.1, 1.1, 0.5);
    const w = api.quantizeAffineSync(t, 'uint16');
    const g = api.quantizeAffineRangeSync(t, 'uint16', { min: 0.1, max: 1.1 }); // not float32: rounded like t's
    expectParams(g, w, 'float64 bounds');
    expectSameBytes(g.data, w.data, 'float64 bounds');
  });

  it('dequantizeAffine: uint8 and uint16, every length, sync and async', async () => {
    const params = [
      { min: -0.10196078817049663, scale: 0.0050980394085248315 },
      { min: 1.2345678901234567, scale: 3.0517578125e-5 },
      { min: -3.4e38, scale: 2.6e36 },
      { min: 0, scale: 1 },
    ];
    for (const n of LENGTHS) {
      const p = params[n % params.length]!;
      for (const Ctor of [Uint8Array, Uint16Array] as unknown as (typeof Uint8Array)[]) {
        const codes = viewAt(Ctor, n, Ctor.BYTES_PER_ELEMENT * (n % 3) + (Ctor === Uint8Array ? 1 : 0));
        for (let i = 0; i < n; ++i) codes[i] = rng.u32() & (Ctor === Uint8Array ? 0xff : 0xffff);
        const expected = new Float32Array(n);
        ref.dequantizeAffineRef(codes, p.scale, p.min, expected);
        expectSameBytes(api.dequantizeAffineSync(codes, p), expected, `n=${n}`);
        if (n % 16 === 1) expectSameBytes(await api.dequantizeAffine(codes, p), expected, `async n=${n}`);
      }
    }
  });

  it('quantizeInt8PerChannel: shapes around every axis, ties, zero and NaN channels', async () => {
    const shapes: [number[], number][] = [
      [[0], 0],
      [[1], 0],
      [[193], 0],
      [[193], -1],
      [[3, 64], 0],
      [[3, 64], 1],
      [[4, 5, 13], 1],
      [[2, 3, 3, 33], -1],
      [[33, 3, 3, 2], 0],
      [[7, 0, 3], 0],
      [[65, 3], 1],
    ];
    for (const [shape, axis] of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const src = sliceAt(POOL_FINITE, n, 4 * (n % 4));
      const ax = axis < 0 ? axis + shape.length : axis;
      const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
      const channels = shape[ax]!;
      const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
      // Channel 0: all zero; channel 1: NaNs among values with absmax 127 (ties at scale 1).
      for (let o = 0; o < outer; ++o) {
        for (let i = 0; i < inner; ++i) {
          if (channels > 0) src[(o * channels) * inner + i] = 0;
          if (channels > 1) {
            const k = (o * channels + 1) * inner + i;
            src[k] = i === 0 ? 127 : (i % 5 === 0 ? NaN : CHANNEL_TIES[(o + i) % CHANNEL_TIES.length]!);
          }
        }
      }
      const expData = new Int8Array(n);
      const expScales = new Float32Array(channels);
      ref.quantizeInt8PerChannelRef(src, outer, channels, inner, expData, expScales);
      const out = viewAt(Int8Array, n, 3);
      const outScales = viewAt(Float32Array, channels, 8);
      const r = api.quantizeInt8PerChannelSync(src, shape, axis, { out, outScales });
      expect(r.data).toBe(out);
      expect(r.scales).toBe(outScales);
      expectSameBytes(out, expData, `${shape}@${axis} data`);
      expectSameBytes(outScales, expScales, `${shape}@${axis} scales`);
      const a = await api.quantizeInt8PerChannel(src, shape, axis);
      expectSameBytes(a.data, expData, `${shape}@${axis} async data`);
      expectSameBytes(a.scales, expScales, `${shape}@${axis} async scales`);
    }
  });

  it('quantizeInt8PerChannel: an infinite channel is refused by native and reference alike', async () => {
    const src = Float32Array.from([1, 2, Infinity, 4]);
    expect(() => api.quantizeInt8PerChannelSync(src, [2, 2], 0)).toThrowError(
      expect.objectContaining({ code: 'ERR_TFEXPORT_NON_FINITE' }),
    );
    await expect(api.quantizeInt8PerChannel(src, [2, 2], 1)).rejects.toMatchObject({ code: 'ERR_TFEXPORT_NON_FINITE' });
    expect(() => ref.quantizeInt8PerChannelRef(src, 1, 2, 2, new Int8Array(4), new Float32Array(2))).toThrowError(
      expect.objectContaining({ code: 'ERR_TFEXPORT_NON_FINITE' }),
    );
  });

  it('quantizeInt8 (asymmetric): every length, edge values incl. NaN/Inf/huge, ties, clamping', async () => {
    const params: ({ scale: number; zeroPoint: number } | { min: number; max: number })[] = [
      { scale: 1, zeroPoint: 0 },
      { scale: 0.5, zeroPoint: -3 },
      { scale: 0.0123, zeroPoint: 127 },
      { scale: 3e-39, zeroPoint: -128 },
      { min: -1, max: 6 },
      { min: 0.5, max: 2 },
      { min: -7.25, max: -0.5 },
    ];
    for (const n of LENGTHS) {
      const src = sliceAt(POOL_ALL, n, F32_OFFSETS[n % F32_OFFSETS.length]!);
      if (n > 8) src.set(HALF_TIES.slice(0, 8), 0);
      const p = params[n % params.length]!;
      const resolved = 'scale' in p ? { scale: Math.fround(p.scale), zeroPoint: p.zeroPoint } : ref.int8AsymmetricParamsRef(p.min, p.max);
      const expected = new Int8Array(n);
      ref.quantizeInt8AsymmetricRef(src, resolved.scale, resolved.zeroPoint, expected);
      const out = viewAt(Int8Array, n, n % 8);
      const r = api.quantizeInt8Sync(src, p, { out });
      expect(r.scale).toBe(resolved.scale);
      expect(r.zeroPoint).toBe(resolved.zeroPoint);
      expectSameBytes(out, expected, `n=${n} ${JSON.stringify(p)}`);
      expect(guardBytesIntact(out)).toBe(true);
      if (n % 32 === 3) expectSameBytes((await api.quantizeInt8(src, p)).data, expected, `async n=${n}`);
    }
  });

  it('dequantizeInt8: per tensor and per channel, with and without zero points', async () => {
    for (const n of LENGTHS) {
      const codes = viewAt(Int8Array, n, n % 5);
      for (let i = 0; i < n; ++i) codes[i] = (rng.u32() & 0xff) - 128;
      // Per tensor.
      const s = Math.fround(0.02 + rng.float());
      const zp = (n % 7) - 3;
      const expected = new Float32Array(n);
      ref.dequantizeInt8Ref(codes, 1, 1, n, Float32Array.of(s), Int32Array.of(zp), expected);
      expectSameBytes(api.dequantizeInt8Sync(codes, { scale: s, zeroPoint: zp }), expected, `tensor n=${n}`);
      // Per channel: the largest divisor of n in 2..8 as channels (n = outer * channels).
      let channels = 1;
      for (let c = 8; c >= 2; --c) if (n % c === 0) { channels = c; break; }
      if (channels > 1) {
        const scales = Float32Array.from({ length: channels }, () => rng.float() * 0.1);
        const zps = Int32Array.from({ length: channels }, () => rng.int(-128, 127));
        const exp2 = new Float32Array(n);
        ref.dequantizeInt8Ref(codes, n / channels, channels, 1, scales, zps, exp2);
        const shape = [n / channels, channels];
        expectSameBytes(api.dequantizeInt8Sync(codes, { scale: scales, zeroPoint: zps, shape, axis: 1 }), exp2, `channel n=${n}`);
        const exp3 = new Float32Array(n);
        ref.dequantizeInt8Ref(codes, n / channels, channels, 1, scales, null, exp3);
        expectSameBytes(await api.dequantizeInt8(codes, { scale: scales, shape, axis: -1 }), exp3, `channel no zp n=${n}`);
      }
    }
  });

  it('scalePerChannel: every length, inner 1 and > 1, specials, misaligned, in both ISAs paths', async () => {
    const SCALES = [0, -0, 1, -1, 0.5, 1e-300, 1e300, 3.4e38, 1 + 2 ** -29, 1 - 2 ** -30, Infinity, -Infinity, NaN, 2 ** -149];
    for (const n of LENGTHS) {
      const src = sliceAt(POOL_ALL, n, F32_OFFSETS[n % F32_OFFSETS.length]!);
      // Shapes: [n] as [1, n] channels (inner 1), and [c, n / c] (inner > 1) when n divides.
      const shapes: [number[], number][] = [[[1, n], 1]];
      for (let c = 7; c >= 2; --c) if (n % c === 0) { shapes.push([[c, n / c], 0]); break; }
      for (const [shape, axis] of shapes) {
        const channels = shape[axis]!;
        const scale = Float64Array.from({ length: channels }, (_, c) =>
          (c + n) % 5 === 0 ? SCALES[(c * 3 + n) % SCALES.length]! : (rng.float() * 4 - 2) * ((c + n) % 7 === 0 ? 1e-20 : 1),
        );
        const [outer, inner] = axis === 1 ? [1, 1] : [1, n / channels];
        const expected = new Float32Array(n);
        ref.scalePerChannelRef(src, outer, channels, inner, scale, expected);
        const out = viewAt(Float32Array, n, (n % 4) * 4);
        api.scalePerChannelSync(src, { scale, shape, axis }, { out });
        expectSameBytes(out, expected, `sync n=${n} shape=${shape}`);
        expect(guardBytesIntact(out)).toBe(true);
        if (n % 16 === 5) {
          expectSameBytes(await api.scalePerChannel(src, { scale: Array.from(scale), shape, axis: axis - 2 }), expected, `async n=${n}`);
        }
      }
    }
    // The specification on hand-checked values: one float64 product, one rounding to float32.
    const y = api.scalePerChannelSync(Float32Array.of(1, 3, -2, NaN), { scale: [1 / 3, 1 + 2 ** -24], shape: [2, 2], axis: 1 });
    expect(Array.from(y.subarray(0, 3))).toEqual([Math.fround(1 / 3), Math.fround(3 * (1 + 2 ** -24)), Math.fround(-2 * (1 / 3))]);
    expect(new Uint32Array(y.buffer)[3]).toBe(0x7fc00000);
  });

  it('crc32c: every length 0..193 at byte offsets 0..7, chained init', async () => {
    const data = rng.bytes(4096);
    for (const n of LENGTHS) {
      const view = copyAt(Uint8Array, data.subarray(n, n * 2), n % 8);
      const init = n % 3 === 0 ? 0 : rng.u32();
      const expected = ref.crc32cRef(view, init);
      expect(api.crc32cSync(view, init), `n=${n}`).toBe(expected);
      if (n % 16 === 5) expect(await api.crc32c(view, init), `async n=${n}`).toBe(expected);
    }
  });

  it('transpose2d: every element size, blocked shapes, misaligned, NaN bits preserved', async () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 1, 193], [1, 193, 1], [2, 33, 65], [3, 32, 32], [1, 64, 3], [5, 7, 9], [0, 4, 4], [2, 0, 3],
    ];
    const ctors = [Uint8Array, Int16Array, Float32Array, Float64Array, BigInt64Array] as const;
    for (const Ctor of ctors) {
      for (const [b, r, c] of shapes) {
        const n = b * r * c;
        const src = viewAt(Ctor as never, n, Ctor.BYTES_PER_ELEMENT * 3) as ArrayBufferView;
        bytesOf(src).set(rng.bytes(src.byteLength));
        const expected = new (Ctor as unknown as new (n: number) => ArrayBufferView)(n);
        ref.transpose2dRef(src as never, b, r, c, expected as never);
        const out = viewAt(Ctor as never, n, Ctor.BYTES_PER_ELEMENT) as ArrayBufferView;
        api.transpose2dSync(src as never, b, r, c, { out: out as never });
        expectSameBytes(out, expected, `${Ctor.name} ${b}x${r}x${c}`);
        expect(guardBytesIntact(out)).toBe(true);
        expectSameBytes(await api.transpose2d(src as never, b, r, c), expected, `${Ctor.name} async ${b}x${r}x${c}`);
      }
    }
  });

  it.skipIf(!native)('raw binding minMax, affineParams, int8AsymmetricParams equal the reference', () => {
    const b = native!;
    for (const n of LENGTHS) {
      const src = sliceAt(POOL_ALL, n, F32_OFFSETS[n % F32_OFFSETS.length]!);
      const e = ref.minMaxRef(src);
      const a = b.minMaxSync(src, 1);
      expect(a.min, `min n=${n}`).toBe(e.min);
      expect(a.max, `max n=${n}`).toBe(e.max);
      expect(a.nanCount, `nanCount n=${n}`).toBe(e.nanCount);
    }
    const zeros = Float32Array.from([-0, 0, -0]);
    expect(b.minMaxSync(zeros).min).toBe(0);
    expect(ref.minMaxRef(zeros).min).toBe(0);
    const pairs: [number, number][] = [[0, 0], [-0.1, 1.2], [-1, 1], [0, 1], [-1, 0], [2, 3], [-3, -2], [-1e-45, 1e-45], [-3.4e38, 3.4e38]];
    // Zero-point ties: (0 - min) / scale is exactly k + 0.5 (half to even picks k or k + 1).
    pairs.push([-2.5, 252.5], [-3.5, 251.5], [-2.5, 65532.5], [-3.5, 65531.5]);
    for (let i = 0; i < 300; ++i) {
      const x = rng.normal() * 10 ** rng.int(-6, 6);
      const y = x + Math.abs(rng.normal()) * 10 ** rng.int(-6, 6);
      pairs.push([x, y]);
    }
    for (const [mn, mx] of pairs) {
      for (const q of [255, 65535] as const) {
        const e = ref.affineParamsRef(mn, mx, q);
        const a = b.affineParams(mn, mx, q);
        for (const k of ['min', 'max', 'scale', 'constant'] as const) expect(a[k], `${k} ${mn} ${mx} ${q}`).toBe(e[k]);
      }
      const ea = ref.int8AsymmetricParamsRef(mn, mx);
      const aa = b.int8AsymmetricParams(mn, mx);
      expect(aa.scale, `scale ${mn} ${mx}`).toBe(ea.scale);
      expect(aa.zeroPoint, `zp ${mn} ${mx}`).toBe(ea.zeroPoint);
    }
  });

  describe('threads 1 and 2 on tensors that split (> 2 * 2^18 elements)', () => {
    let floats: Float32Array;
    let finite: Float32Array;
    beforeAll(() => {
      floats = bigFloats();
      finite = bigFinite();
    });

    it.each([1, 2])('f32ToF16 / f16ToF32, threads %i, sync and async', async (threads) => {
      const e16 = new Uint16Array(BIG);
      ref.f32ToF16Ref(floats, e16);
      expectSameBytes(api.f32ToF16Sync(floats, { threads }), e16, 'f32ToF16 sync');
      expectSameBytes(await api.f32ToF16(floats, { threads }), e16, 'f32ToF16 async');
      const e32 = new Float32Array(BIG);
      ref.f16ToF32Ref(e16, e32);
      expectSameBytes(api.f16ToF32Sync(e16, { threads }), e32, 'f16ToF32 sync');
      expectSameBytes(await api.f16ToF32(e16, { threads }), e32, 'f16ToF32 async');
    });

    it.each([1, 2])('quantizeAffine / dequantizeAffine, threads %i', async (threads) => {
      for (const dtype of ['uint8', 'uint16'] as const) {
        const expected = dtype === 'uint8' ? new Uint8Array(BIG) : new Uint16Array(BIG);
        const p = ref.quantizeAffineRef(finite, expected);
        const s = api.quantizeAffineSync(finite, dtype, { threads });
        expectSameBytes(s.data, expected, `${dtype} sync`);
        expectParams(s, p, dtype);
        const a = await api.quantizeAffine(finite, dtype, { threads });
        expectSameBytes(a.data, expected, `${dtype} async`);
        expectParams(a, p, dtype);
        const back = new Float32Array(BIG);
        ref.dequantizeAffineRef(expected, p.scale, p.min, back);
        expectSameBytes(await api.dequantizeAffine(expected, p, { threads }), back, `${dtype} dequantize`);
      }
    });

    it.each([1, 2])('quantizeAffineRange in chunks that split, threads %i, sync and async', async (threads) => {
      const range = api.minMaxSync(finite, { threads });
      const cut = (1 << 18) * 2 + 5; // both parts split into 2 with threads 2
      for (const dtype of ['uint8', 'uint16'] as const) {
        const expected = dtype === 'uint8' ? new Uint8Array(BIG) : new Uint16Array(BIG);
        const p = ref.quantizeAffineRef(finite, expected);
        const a = api.quantizeAffineRangeSync(finite.subarray(0, cut), dtype, range, { threads });
        const b = await api.quantizeAffineRange(finite.subarray(cut), dtype, range, { threads });
        const joined = dtype === 'uint8' ? new Uint8Array(BIG) : new Uint16Array(BIG);
        joined.set(a.data, 0);
        joined.set(b.data, cut);
        expectSameBytes(joined, expected, `${dtype} joined`);
        expectParams(a, p, `${dtype} first`);
        expectParams(b, p, `${dtype} second`);
      }
    });

    it.each([1, 2])('quantizeInt8PerChannel / quantizeInt8 / dequantizeInt8, threads %i', async (threads) => {
      const channels = 16;
      const outer = Math.floor(BIG / channels);
      const src = floats.subarray(0, outer * channels);
      const w = new Float32Array(src.length);
      for (let i = 0; i < w.length; ++i) w[i] = Number.isFinite(src[i]!) ? src[i]! : 0.5;
      const eData = new Int8Array(w.length);
      const eScales = new Float32Array(channels);
      ref.quantizeInt8PerChannelRef(w, outer, channels, 1, eData, eScales);
      const r = await api.quantizeInt8PerChannel(w, [outer, channels], 1, { threads });
      expectSameBytes(r.data, eData, 'per-channel data');
      expectSameBytes(r.scales, eScales, 'per-channel scales');
      expectSameBytes(api.quantizeInt8PerChannelSync(w, [outer, channels], -1, { threads }).data, eData, 'per-channel sync');

      const back = new Float32Array(w.length);
      ref.dequantizeInt8Ref(eData, outer, channels, 1, eScales, null, back);
      expectSameBytes(await api.dequantizeInt8(eData, { scale: eScales, shape: [outer, channels], axis: 1 }, { threads }), back, 'dequantize');

      const eAsym = new Int8Array(BIG);
      ref.quantizeInt8AsymmetricRef(floats, Math.fround(0.01), 5, eAsym);
      expectSameBytes(api.quantizeInt8Sync(floats, { scale: 0.01, zeroPoint: 5 }, { threads }).data, eAsym, 'asymmetric sync');
      expectSameBytes((await api.quantizeInt8(floats, { scale: 0.01, zeroPoint: 5 }, { threads })).data, eAsym, 'asymmetric async');
    });

    it.each([1, 2])('scalePerChannel (HWIO-like and [N, K]), threads %i', async (threads) => {
      const channels = 24;
      const outer = Math.floor(BIG / channels);
      const src = floats.subarray(0, outer * channels);
      const scale = Float64Array.from({ length: channels }, (_, c) => (c === 5 ? NaN : c === 6 ? Infinity : Math.sin(c) * 3));
      for (const [shape, axis, o, i] of [[[outer, channels], 1, outer, 1], [[channels, outer], 0, 1, outer]] as const) {
        const expected = new Float32Array(src.length);
        ref.scalePerChannelRef(src, o, channels, i, scale, expected);
        expectSameBytes(await api.scalePerChannel(src, { scale, shape: [...shape], axis }, { threads }), expected, `async ${shape}`);
        expectSameBytes(api.scalePerChannelSync(src, { scale, shape: [...shape], axis }, { threads }), expected, `sync ${shape}`);
      }
    });

    it.each([1, 2])('transpose2d (batch 130 of 63x65 float32) and crc32c, threads %i', async (threads) => {
      const [b, r, c] = [130, 63, 65];
      const src = floats.subarray(0, b * r * c);
      const expected = new Float32Array(src.length);
      ref.transpose2dRef(src, b, r, c, expected);
      expectSameBytes(await api.transpose2d(src, b, r, c, { threads }), expected, 'transpose async');
      expectSameBytes(api.transpose2dSync(src, b, r, c, { threads }), expected, 'transpose sync');
      const bytes = bytesOf(floats);
      expect(await api.crc32c(bytes)).toBe(ref.crc32cRef(bytes));
      expect(api.crc32cSync(floats)).toBe(ref.crc32cRef(bytes));
    });

    it.skipIf(!native)('raw binding minMax, threads 1 and 2', () => {
      const e = ref.minMaxRef(floats);
      for (const threads of [1, 2]) {
        const a = native!.minMaxSync(floats, threads);
        expect([a.min, a.max, a.nanCount]).toEqual([e.min, e.max, e.nanCount]);
      }
    });
  });
});

describe('reference float16 against an independent decoder', () => {
  it('f16ToF32Ref equals sign * 2^e * (1 + m/1024) for all 65536 codes (NaN bits: payload << 13)', () => {
    const codes = new Uint16Array(65536);
    for (let h = 0; h < 65536; ++h) codes[h] = h;
    const out = new Float32Array(65536);
    ref.f16ToF32Ref(codes, out);
    const bits = new Uint32Array(out.buffer);
    for (let h = 0; h < 65536; ++h) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      if (e === 0x1f) {
        const expectBits = ((h & 0x8000) << 16) | 0x7f800000 | (m << 13);
        if (bits[h] !== expectBits >>> 0) expect.fail(`code ${h.toString(16)}: ${bits[h]!.toString(16)}`);
        continue;
      }
      const value = e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
      if (!Object.is(out[h], value)) expect.fail(`code ${h.toString(16)}: ${out[h]} !== ${value}`);
    }
  });

  it('f32ToF16Ref inverts f16ToF32Ref exactly for all 65536 codes (NaN payloads included)', () => {
    const codes = new Uint16Array(65536);
    for (let h = 0; h < 65536; ++h) codes[h] = h;
    const f = new Float32Array(65536);
    ref.f16ToF32Ref(codes, f);
    const back = new Uint16Array(65536);
    ref.f32ToF16Ref(f, back);
    expectSameBytes(back, codes, 'round trip');
  });
});
