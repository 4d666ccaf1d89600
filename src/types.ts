// SPDX-License-Identifier: Apache-2.0
/**
 * Public types shared across tfexport. Kept minimal; other modules add theirs here.
 */

/** Element types tfexport reads and writes (TensorFlow names, lower case). */
export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64';

/** Quantized storage types of tfjs affine ("uint8"/"uint16" min/scale) quantization. */
export type AffineDType = 'uint8' | 'uint16';

/** The TypedArray that holds codes of an {@link AffineDType}. */
export type AffineArray<D extends AffineDType = AffineDType> = D extends 'uint8' ? Uint8Array : Uint16Array;

/** A tensor shape: one non-negative integer per dimension ([] for a scalar). */
export type Shape = readonly number[];

/** Any TypedArray (elements of 1, 2, 4 or 8 bytes). */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Kernel instruction sets: a native ISA, or 'js' for the pure-TypeScript fallback. */
export type IsaName = 'scalar' | 'sse41' | 'avx2' | 'avx512' | 'neon' | 'js';

/** Options every kernel call accepts. */
export interface KernelOptions<Out extends ArrayBufferView = ArrayBufferView> {
  /**
   * Preallocated output (same element count as the result). When given, the result is
   * written into it and it is returned; no new buffer is allocated.
   */
  out?: Out;
  /** Worker threads for the native job (default: all cores). Ignored by the 'js' backend. */
  threads?: number;
}

/** Result of tfjs affine quantization: codes plus the manifest's `min` and `scale`. */
export interface AffineQuantized<D extends AffineDType = AffineDType> {
  /** Codes: q = round_half_even((clip(x, min, max) - min) / scale). */
  data: AffineArray<D>;
  /** Nudged minimum (float64) as tensorflowjs_converter writes it to the manifest. */
  min: number;
  /** Step (float64) as tensorflowjs_converter writes it to the manifest. */
  scale: number;
}

/**
 * The value range of a whole tensor, from which tfjs affine parameters are computed when it
 * is quantized in chunks (see `quantizeAffineRange`): its minimum and maximum element.
 */
export interface AffineRange {
  min: number;
  max: number;
}

/** tfjs affine parameters for dequantization (the manifest's quantization entry). */
export interface AffineParams {
  min: number;
  scale: number;
}

/** Result of TFLite symmetric per-channel int8 quantization. */
export interface Int8PerChannelQuantized {
  /** Codes in [-127, 127]. */
  data: Int8Array;
  /** One float32 scale per channel: max|w| / 127 (0 for an all-zero channel). */
  scales: Float32Array;
}

/** A real-valued range for asymmetric int8 quantization (TFLite activations). */
export interface Int8Range {
  min: number;
  max: number;
}

/** Asymmetric int8 parameters (TFLite: real = (q - zeroPoint) * scale). */
export interface Int8AsymmetricParams {
  scale: number;
  zeroPoint: number;
}

/** Result of asymmetric per-tensor int8 quantization. */
export interface Int8Quantized extends Int8AsymmetricParams {
  data: Int8Array;
}

/**
 * Per-channel scale parameters ({@link scalePerChannel}): one float64 factor per channel
 * along `axis` of `shape`.
 */
export interface ScalePerChannelParams {
  /** One factor per channel (any float64, NaN and +-Infinity included). */
  scale: Float64Array | ArrayLike<number>;
  /** The tensor's shape (its element count must equal the source length). */
  shape: Shape;
  /** The channel axis of `shape` (negative counts from the end). */
  axis: number;
}

/**
 * int8 dequantization parameters: per tensor (`scale` a number) or per channel (`scale`
 * one value per channel along `axis` of `shape`).
 */
export interface Int8DequantParams {
  scale: number | ArrayLike<number>;
  /** Default 0. A number, or one integer per channel. */
  zeroPoint?: number | ArrayLike<number>;
  /** Required when `scale` has more than one entry. */
  shape?: Shape;
  /** The channel axis of `shape` (negative counts from the end). */
  axis?: number;
}
