// SPDX-License-Identifier: Apache-2.0
/**
 * Pure-TypeScript kernels, bit-identical to the scalar C++ `_ref` kernels in
 * native/kernels/ (native/kernels/kernels.h is the specification). They are the portable
 * fallback when the addon cannot load (or TFEXPORT_BACKEND=js) and the pure-JS baseline of
 * the kernel benchmark.
 *
 * Bit-exactness notes:
 *  - float32 bit patterns are read and written through Uint32Array views wherever NaN
 *    payloads matter: loading a float32 NaN into a JS number may quiet a signalling NaN.
 *  - float32 arithmetic is emulated with Math.fround over float64 operations. For one
 *    +, -, *, / of two float32 values this is exact (float64 has more than 2*24+2 bits, so
 *    the double rounding is innocuous).
 *  - JavaScript never fuses a multiply and an add, matching the -ffp-contract=off build.
 *
 * No function allocates per element; lookup tables are built lazily, once.
 */
import { NativeError, ValidationError } from '../errors.js';
import type { TypedArray } from '../types.js';

/** Result of {@link minMaxRef}: NaN elements are skipped and counted. */
export interface MinMaxResult {
  min: number;
  max: number;
  nanCount: number;
}

/** tfjs affine quantization parameters (float64), as tensorflowjs_converter computes them. */
export interface AffineParamsResult {
  min: number;
  max: number;
  scale: number;
  constant: boolean;
}

/** TFLite asymmetric int8 parameters. */
export interface Int8AsymmetricParamsResult {
  scale: number;
  zeroPoint: number;
}

/** Any TypedArray whose elements are 1, 2, 4 or 8 bytes. */
export type AnyTypedArray = TypedArray;

// ---- helpers -------------------------------------------------------------------------

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Round half to even for a finite float64 (C `nearbyint` in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half towards +Infinity; exact in V8
  // r - x is exact here (|r - x| <= 0.5 and both are close); a tie rounded to an odd
  // integer goes back down to the even one.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (C `std::round`). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

// ---- float32 <-> float16 ---------------------------------------------------------------

/** float32 bit pattern -> float16 bit pattern, round to nearest even (f32_to_f16_bits). */
export function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const abs = u & 0x7fffffff;
  if (abs >= 0x7f800000) {
    if (abs === 0x7f800000) return sign | 0x7c00;
    let payload = (abs & 0x007fffff) >>> 13;
    if (payload === 0) payload = 1;
    return sign | 0x7c00 | payload;
  }
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs < 0x38800000) {
    if (abs < 0x33000000) return sign;
    const exp = abs >>> 23; // 102 .. 112
    const mant = (abs & 0x007fffff) | 0x00800000;
    const shift = 126 - exp; // 14 .. 24
    let q = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (q & 1) !== 0)) ++q;
    return sign | q;
  }
  let h = (abs - 0x38000000) >>> 13;
  const rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) ++h;
  return sign | h;
}

/** float16 bit pattern -> float32 bit pattern (exact; NaN payloads kept). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    --e;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

let f16ToF32Table: Uint32Array | undefined;

function f16Table(): Uint32Array {
  if (!f16ToF32Table) {
    const t = new Uint32Array(65536);
    for (let h = 0; h < 65536; ++h) t[h] = f16BitsToF32Bits(h);
    f16ToF32Table = t;
  }
  return f16ToF32Table;
}

/** convert_f32_f16_ref: dst[i] = float16 bits of src[i] (same lengths). */
export function f32ToF16Ref(src: Float32Array, dst: Uint16Array): void {
  const s = u32View(src);
  const n = s.length;
  for (let i = 0; i < n; ++i) {
    const u = s[i]!;
    const abs = u & 0x7fffffff;
    // Fast path for the normal range without rounding carry concerns; identical to
    // f32BitsToF16Bits for 0x38800000 <= abs < 0x477ff000.
    if (abs >= 0x38800000 && abs < 0x477ff000) {
      let h = (abs - 0x38000000) >>> 13;
      const rem = abs & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) ++h;
      dst[i] = ((u >>> 16) & 0x8000) | h;
    } else {
      dst[i] = f32BitsToF16Bits(u);
    }
  }
}

/** convert_f16_f32_ref: dst[i] = float32 value of the float16 bits src[i] (exact). */
export function f16ToF32Ref(src: Uint16Array, dst: Float32Array): void {
  const t = f16Table();
  const d = u32View(dst);
  const n = src.length;
  for (let i = 0; i < n; ++i) d[i] = t[src[i]!]!;
}

// ---- min/max -----------------------------------------------------------------------------

/** minmax_f32_ref: NaN skipped and counted; empty/all-NaN gives +Inf/-Inf; zeros are +0. */
export function minMaxRef(src: Float32Array): MinMaxResult {
  let min = Infinity;
  let max = -Infinity;
  let nanCount = 0;
  const n = src.length;
  for (let i = 0; i < n; ++i) {
    const v = src[i]!;
    if (v !== v) {
      ++nanCount;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min: min + 0, max: max + 0, nanCount };
}

// ---- tfjs affine uint8 / uint16 ------------------------------------------------------------

/** affine_params_from_minmax: min/max are taken as float32, then float64 throughout. */
export function affineParamsRef(min: number, max: number, qmax: 255 | 65535): AffineParamsResult {
  const mn = Math.fround(min);
  const mx = Math.fround(max);
  if (mn === mx) return { min: mn, max: mx, scale: 1, constant: true };
  const scale = (mx - mn) / qmax;
  if (mn <= 0 && 0 <= mx) {
    const zp = roundHalfEven((0 - mn) / scale);
    const nudgedMin = -zp * scale;
    return { min: nudgedMin, max: qmax * scale + nudgedMin, scale, constant: false };
  }
  return { min: mn, max: mx, scale, constant: false };
}

const ROUND_MAGIC = 4503599627370496; // 2^52: (x + 2^52) - 2^52 rounds half-even for 0 <= x < 2^52

function quantizeAffineCodes(src: Float32Array, p: AffineParamsResult, dst: Uint8Array | Uint16Array): void {
  const n = src.length;
  if (p.constant) {
    dst.fill(0, 0, n);
    return;
  }
  const lo = p.min;
  const hi = p.max;
  const scale = p.scale;
  for (let i = 0; i < n; ++i) {
    let x = src[i]!;
    if (!(x >= lo)) x = lo; // as native: NaN (refused by the job anyway) goes to lo
    if (x > hi) x = hi;
    // (x - lo) / scale is in [0, qmax]: the 2^52 trick is an exact round-half-even there.
    dst[i] = (x - lo) / scale + ROUND_MAGIC - ROUND_MAGIC;
  }
}

/**
 * The whole tfjs affine job (job_quantize_affine_u8/u16): min/max, parameters, codes.
 * The dtype follows dst (Uint8Array: qmax 255, Uint16Array: qmax 65535).
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when src holds NaN or +-Infinity (dst untouched)
 */
export function quantizeAffineRef(src: Float32Array, dst: Uint8Array | Uint16Array): AffineParamsResult {
  const mm = minMaxRef(src);
  const n = src.length;
  if (mm.nanCount !== 0 || (n > 0 && (!Number.isFinite(mm.min) || !Number.isFinite(mm.max)))) {
    throw new NativeError(
      'ERR_TFEXPORT_NON_FINITE',
      'quantizeAffine: the tensor holds NaN or Infinity, which affine quantization cannot represent',
    );
  }
  const qmax = dst.BYTES_PER_ELEMENT === 1 ? 255 : 65535;
  const p = n === 0 ? affineParamsRef(0, 0, qmax) : affineParamsRef(mm.min, mm.max, qmax);
  quantizeAffineCodes(src, p, dst);
  return p;
}

/**
 * The affine job with a given range (job_quantize_affine_range_u8/u16): the parameters of a
 * tensor whose min/max are `min`/`max` (taken as float32; a -0 bound counts as +0), then the
 * codes of `src` with them. Values outside the range are clipped, NaN gives code 0.
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a non-finite (as float32) bound or
 *   min > max (dst untouched)
 */
export function quantizeAffineRangeRef(src: Float32Array, min: number, max: number, dst: Uint8Array | Uint16Array): AffineParamsResult {
  const mn = Math.fround(min);
  const mx = Math.fround(max);
  if (!Number.isFinite(mn) || !Number.isFinite(mx) || mn > mx) {
    throw new ValidationError(
      'ERR_TFEXPORT_BAD_ARGUMENT',
      'quantizeAffineRange: the range must be finite float32 numbers with min <= max',
    );
  }
  const qmax = dst.BYTES_PER_ELEMENT === 1 ? 255 : 65535;
  // `+ 0` turns -0 into +0, as the min/max reduction reports zero extremes.
  const p = affineParamsRef(mn + 0, mx + 0, qmax);
  quantizeAffineCodes(src, p, dst);
  return p;
}

/** dequantize_u8/u16_f32_affine_ref: dst[i] = float32(double(q) * scale + min). */
export function dequantizeAffineRef(src: Uint8Array | Uint16Array, scale: number, min: number, dst: Float32Array): void {
  const n = src.length;
  for (let i = 0; i < n; ++i) dst[i] = src[i]! * scale + min;
}

// ---- int8 (TFLite) -------------------------------------------------------------------------

/** absmax_f32_per_channel_ref over a [outer, channels, inner] view (NaN ignored). */
function absmaxPerChannel(src: Float32Array, outer: number, channels: number, inner: number, absmax: Float32Array): void {
  absmax.fill(0);
  for (let o = 0; o < outer; ++o) {
    for (let c = 0; c < channels; ++c) {
      const base = (o * channels + c) * inner;
      let m = absmax[c]!;
      for (let i = 0; i < inner; ++i) {
        const a = Math.abs(src[base + i]!);
        if (a > m) m = a;
      }
      absmax[c] = m;
    }
  }
}

/**
 * The whole TFLite symmetric per-channel job (job_quantize_i8_per_channel): absmax per
 * channel, scales[c] = float32(absmax / 127), q = clamp(round_half_away(w * (127 / absmax))).
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when a channel's absmax is Infinity (as
 *   native: scales of the channels before it are written, dst is untouched)
 */
export function quantizeInt8PerChannelRef(
  src: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  dst: Int8Array,
  scales: Float32Array,
): void {
  if (channels === 0) return;
  const absmax = new Float32Array(channels);
  absmaxPerChannel(src, outer, channels, inner, absmax);
  const scaleInv = new Float32Array(channels);
  for (let c = 0; c < channels; ++c) {
    const a = absmax[c]!;
    if (a === Infinity) {
      throw new NativeError('ERR_TFEXPORT_NON_FINITE', 'quantizeInt8PerChannel: a channel holds Infinity');
    }
    scales[c] = a / 127;
    scaleInv[c] = a === 0 ? 0 : 127 / a;
  }
  for (let o = 0; o < outer; ++o) {
    for (let c = 0; c < channels; ++c) {
      const base = (o * channels + c) * inner;
      const s = scaleInv[c]!;
      for (let i = 0; i < inner; ++i) {
        const prod = Math.fround(src[base + i]! * s);
        if (prod !== prod) {
          dst[base + i] = 0;
          continue;
        }
        const clipped = prod < -127 ? -127 : prod > 127 ? 127 : prod;
        dst[base + i] = clipped < 0 ? -Math.round(-clipped) : Math.round(clipped);
      }
    }
  }
}

/** int8_asymmetric_params: TFLite GetAsymmetricQuantizationParams for int8 (float32 math). */
export function int8AsymmetricParamsRef(min: number, max: number): Int8AsymmetricParamsResult {
  const qmin = -128;
  const qmax = 127;
  let mn = Math.fround(min);
  let mx = Math.fround(max);
  mn = 0 < mn ? 0 : mn; // std::min(min, 0.0f)
  mx = mx < 0 ? 0 : mx; // std::max(max, 0.0f)
  const s = Math.fround(Math.fround(mx - mn) / (qmax - qmin));
  let zpFromMin = qmin;
  if (s !== 0) zpFromMin = Math.fround(qmin - Math.fround(mn / s));
  let zp: number;
  if (zpFromMin < qmin) zp = -128;
  else if (zpFromMin > qmax) zp = 127;
  else zp = roundHalfAway(zpFromMin) | 0;
  return { scale: s, zeroPoint: zp };
}

/** quantize_f32_i8_asymmetric_ref: q = clamp(round_half_away(x / scale) + zp, -128, 127). */
export function quantizeInt8AsymmetricRef(src: Float32Array, scale: number, zeroPoint: number, dst: Int8Array): void {
  const s = Math.fround(scale);
  const zp = zeroPoint | 0;
  const n = src.length;
  for (let i = 0; i < n; ++i) {
    const q = Math.fround(src[i]! / s);
    let v: number;
    if (q !== q) {
      v = zp;
    } else {
      const clipped = q < -512 ? -512 : q > 512 ? 512 : q;
      v = (clipped < 0 ? -Math.round(-clipped) : Math.round(clipped)) + zp;
    }
    dst[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
}

/** dequantize_i8_f32_ref: dst = float32(q - zeroPoints[c]) * scales[c] (float32 product). */
export function dequantizeInt8Ref(
  src: Int8Array,
  outer: number,
  channels: number,
  inner: number,
  scales: Float32Array,
  zeroPoints: Int32Array | null,
  dst: Float32Array,
): void {
  for (let o = 0; o < outer; ++o) {
    for (let c = 0; c < channels; ++c) {
      const base = (o * channels + c) * inner;
      const s = scales[c]!;
      const zp = zeroPoints ? zeroPoints[c]! : 0;
      for (let i = 0; i < inner; ++i) dst[base + i] = Math.fround(src[base + i]! - zp) * s;
    }
  }
}

// ---- per-channel scale (batch-norm folding) ------------------------------------------------

/**
 * scale_f32_per_channel_ref: dst = float32(double(src) * scale[c]) for src viewed as
 * [outer, channels, inner] (one float64 product, rounded to nearest even by the
 * Float32Array store); a NaN result is written as the canonical quiet NaN 0x7FC00000.
 * src and dst may be the same array.
 */
export function scalePerChannelRef(
  src: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  scale: Float64Array,
  dst: Float32Array,
): void {
  const bits = u32View(dst);
  let k = 0;
  for (let o = 0; o < outer; ++o) {
    for (let c = 0; c < channels; ++c) {
      const s = scale[c]!;
      for (let i = 0; i < inner; ++i, ++k) {
        const r = src[k]! * s;
        if (r !== r) bits[k] = 0x7fc00000;
        else dst[k] = r;
      }
    }
  }
}

// ---- CRC-32C -----------------------------------------------------------------------------

let crcTables: Uint32Array | undefined;

/** The 8 slicing tables, table k at [k * 256, k * 256 + 256). */
function crc32cTables(): Uint32Array {
  if (!crcTables) {
    const t = new Uint32Array(8 * 256);
    for (let i = 0; i < 256; ++i) {
      let c = i;
      for (let k = 0; k < 8; ++k) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
      t[i] = c;
    }
    for (let i = 0; i < 256; ++i) {
      for (let s = 1; s < 8; ++s) {
        const prev = t[(s - 1) * 256 + i]!;
        t[s * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
      }
    }
    crcTables = t;
  }
  return crcTables;
}

/**
 * crc32c_extend_ref (slicing-by-8): CRC-32C of data, continuing from `init` (the value a
 * previous call returned; 0 to start). Returns an unsigned 32-bit integer.
 */
export function crc32cRef(data: Uint8Array, init = 0): number {
  const T = crc32cTables();
  let c = ~init;
  let i = 0;
  const n = data.length;
  const end8 = n - (n & 7);
  for (; i < end8; i += 8) {
    const lo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c =
      T[1792 + (lo & 0xff)]! ^
      T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^
      T[1024 + (lo >>> 24)]! ^
      T[768 + (hi & 0xff)]! ^
      T[512 + ((hi >>> 8) & 0xff)]! ^
      T[256 + ((hi >>> 16) & 0xff)]! ^
      T[hi >>> 24]!;
  }
  for (; i < n; ++i) c = (c >>> 8) ^ T[(c ^ data[i]!) & 0xff]!;
  return ~c >>> 0;
}

// ---- transpose -----------------------------------------------------------------------------

const BLOCK = 32;

type WordArray = Uint8Array | Uint16Array | Uint32Array;

/** Blocked batched transpose of `words`-word elements (words is 1, or 2 for 8-byte elements). */
function transposeWords(s: WordArray, batch: number, rows: number, cols: number, d: WordArray, words: number): void {
  const plane = rows * cols * words;
  for (let b = 0; b < batch; ++b) {
    const base = b * plane;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(r0 + BLOCK, rows);
      for (let c0 = 0; c0 < cols; c0 += BLOCK) {
        const c1 = Math.min(c0 + BLOCK, cols);
        if (words === 1) {
          for (let c = c0; c < c1; ++c) {
            for (let r = r0; r < r1; ++r) d[base + c * rows + r] = s[base + r * cols + c]!;
          }
        } else {
          for (let c = c0; c < c1; ++c) {
            for (let r = r0; r < r1; ++r) {
              const from = base + (r * cols + c) * 2;
              const to = base + (c * rows + r) * 2;
              d[to] = s[from]!;
              d[to + 1] = s[from + 1]!;
            }
          }
        }
      }
    }
  }
}

function wordView(a: AnyTypedArray): WordArray {
  switch (a.BYTES_PER_ELEMENT) {
    case 1:
      return new Uint8Array(a.buffer, a.byteOffset, a.length);
    case 2:
      return new Uint16Array(a.buffer, a.byteOffset, a.length);
    default:
      return new Uint32Array(a.buffer, a.byteOffset, (a.length * a.BYTES_PER_ELEMENT) / 4);
  }
}

/**
 * transpose2d_ref: dst[b][c][r] = src[b][r][c] for src viewed as [batch, rows, cols].
 * Elements are moved as raw bits (NaN payloads survive). src and dst must not overlap.
 */
export function transpose2dRef<T extends AnyTypedArray>(src: T, batch: number, rows: number, cols: number, dst: T): void {
  if (batch === 0 || rows === 0 || cols === 0) return;
  transposeWords(wordView(src), batch, rows, cols, wordView(dst), src.BYTES_PER_ELEMENT === 8 ? 2 : 1);
}
