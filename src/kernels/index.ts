// SPDX-License-Identifier: Apache-2.0
/**
 * The public kernel API: float16 conversion, tfjs affine uint8/uint16 quantization, TFLite
 * int8 quantization, per-channel scaling (batch-norm folding), CRC-32C (plain and
 * TensorBundle/LevelDB-masked) and layout transposes.
 *
 * Backends. Calls run in the native addon, on the best instruction set the CPU offers
 * ({@link isa}, {@link availableIsas}, {@link setIsa}; the TFEXPORT_FORCE_ISA environment
 * variable picks one at load). When the addon cannot load, the same bit-identical kernels
 * run in pure TypeScript (`isa() === 'js'`), with one process warning; TFEXPORT_BACKEND=js
 * selects them on purpose (no warning) and TFEXPORT_BACKEND=native makes a load failure an
 * error.
 *
 * Async and sync. Every kernel returns a Promise and runs on the libuv worker pool,
 * off the main thread (the 'js' backend runs on the main thread after yielding once).
 * Each has a `*Sync` twin that blocks, for CLIs, tiny tensors and worker_threads.
 * **Arrays passed to an async call must not be mutated, transferred or detached until its
 * Promise settles**: native code reads and writes them in place while it runs.
 *
 * Arguments are validated before any native call; a bad one throws (sync) or rejects
 * (async) a ValidationError with code ERR_TFEXPORT_BAD_ARGUMENT and a message of the form
 * "Expected <expected> for <name> but received <value> of type <type>". Async rejections
 * carry the stack of the caller's line.
 *
 * Outputs. Pass `opts.out` to write into preallocated memory (it is returned); otherwise a
 * new array is allocated. `opts.threads` bounds the native worker threads (default: all
 * cores; a job splits only when each thread gets at least 2^18 elements).
 */
import { invalidParameter } from '../errors.js';
import type {
  AffineArray,
  AffineDType,
  AffineParams,
  AffineQuantized,
  AffineRange,
  Int8AsymmetricParams,
  Int8DequantParams,
  Int8PerChannelQuantized,
  Int8Quantized,
  Int8Range,
  KernelOptions,
  ScalePerChannelParams,
  Shape,
  TypedArray,
} from '../types.js';
import { isFiniteNumberArray, isIntegerInRange, isPlainObject, isUint32 } from '../validate.js';
import {
  expectAnyTypedArray,
  expectAxis,
  expectBytes,
  expectCount,
  expectFinite,
  expectOptions,
  expectShape,
  expectTypedArray,
  outputArray,
  splitAtAxis,
  threadsOf,
  typedArrayName,
} from './args.js';
import { backend, backendKind } from './backend.js';
import { callAsync, callSync } from './call.js';

// ---- instruction sets ------------------------------------------------------------------

/**
 * The instruction set kernels use in this thread: `scalar`, `sse41`, `avx2`, `avx512`,
 * `neon`, or `js` when the pure-TypeScript fallback is in use.
 * @returns the active ISA name
 * @throws NativeError ERR_TFEXPORT_UNKNOWN_ISA / ERR_TFEXPORT_UNAVAILABLE_ISA when
 *   TFEXPORT_FORCE_ISA named an ISA that does not exist or this machine lacks (until
 *   {@link setIsa} picks a valid one)
 * @example
 * ```ts
 * import { isa } from 'tfexport';
 * console.log(isa()); // 'avx2'
 * ```
 */
export function isa(): string {
  return callSync(() => backend().isa());
}

/**
 * The instruction sets this machine and build support, in increasing order of preference
 * (always starting with `scalar`), or `['js']` with the pure-TypeScript fallback.
 * @returns the ISA names {@link setIsa} accepts
 * @example
 * ```ts
 * availableIsas(); // ['scalar', 'sse41', 'avx2']
 * ```
 */
export function availableIsas(): string[] {
  return callSync(() => backend().availableIsas());
}

/**
 * Selects the instruction set for this thread (the main thread or one worker_thread; other
 * threads keep theirs). Overrides TFEXPORT_FORCE_ISA, including an invalid one. Every ISA
 * gives bit-identical results; this exists for testing and benchmarking.
 * @param name one of {@link availableIsas}
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT when name is not a string
 * @throws NativeError ERR_TFEXPORT_UNKNOWN_ISA for a name that is no ISA,
 *   ERR_TFEXPORT_UNAVAILABLE_ISA for one this machine or build lacks
 * @example
 * ```ts
 * const previous = isa();
 * setIsa('scalar');
 * try { await f32ToF16(x); } finally { setIsa(previous); }
 * ```
 */
export function setIsa(name: string): void {
  if (typeof name !== 'string') throw invalidParameter('name', 'a string naming an ISA', name);
  backend().setIsa(name);
}

// ---- float16 ------------------------------------------------------------------------

function planF32ToF16(src: unknown, opts: unknown) {
  const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
  const o = expectOptions<KernelOptions<Uint16Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Uint16Array', s.length, [s], (n) => new Uint16Array(n));
  return { s, out, threads };
}

/**
 * Converts float32 to IEEE float16 bits, rounding to nearest even, exactly as numpy's
 * `x.astype(np.float16)` (NaN payloads: the top 10 bits are kept; values >= 65520 become
 * Infinity).
 * @param src the float32 values
 * @param opts `out`: a Uint16Array of src.length to fill; `threads`
 * @returns the float16 bit patterns (opts.out when given)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const half = await f32ToF16(new Float32Array([1, 65504, 1e-8])); // Uint16Array [0x3c00, 0x7bff, 0]
 * ```
 */
export function f32ToF16(src: Float32Array, opts?: KernelOptions<Uint16Array>): Promise<Uint16Array> {
  return callAsync(f32ToF16, () => {
    const p = planF32ToF16(src, opts);
    return backend().f32ToF16(p.s, p.out, p.threads).then(() => p.out);
  });
}

/**
 * Blocking twin of {@link f32ToF16}.
 * @param src the float32 values
 * @param opts `out`, `threads`
 * @returns the float16 bit patterns
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const half = f32ToF16Sync(weights, { out: shardView });
 * ```
 */
export function f32ToF16Sync(src: Float32Array, opts?: KernelOptions<Uint16Array>): Uint16Array {
  return callSync(() => {
    const p = planF32ToF16(src, opts);
    backend().f32ToF16Sync(p.s, p.out, p.threads);
    return p.out;
  });
}

function planF16ToF32(src: unknown, opts: unknown) {
  const s = expectTypedArray<Uint16Array>('src', src, ['Uint16Array']);
  const o = expectOptions<KernelOptions<Float32Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Float32Array', s.length, [s], (n) => new Float32Array(n));
  return { s, out, threads };
}

/**
 * Converts IEEE float16 bits to float32 (exact; NaN payloads kept).
 * @param src the float16 bit patterns
 * @param opts `out`: a Float32Array of src.length to fill; `threads`
 * @returns the float32 values (opts.out when given)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const x = await f16ToF32(new Uint16Array([0x3c00, 0xc000])); // Float32Array [1, -2]
 * ```
 */
export function f16ToF32(src: Uint16Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  return callAsync(f16ToF32, () => {
    const p = planF16ToF32(src, opts);
    return backend().f16ToF32(p.s, p.out, p.threads).then(() => p.out);
  });
}

/**
 * Blocking twin of {@link f16ToF32}.
 * @param src the float16 bit patterns
 * @param opts `out`, `threads`
 * @returns the float32 values
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const x = f16ToF32Sync(new Uint16Array(shardBytes.buffer, offset, count));
 * ```
 */
export function f16ToF32Sync(src: Uint16Array, opts?: KernelOptions<Float32Array>): Float32Array {
  return callSync(() => {
    const p = planF16ToF32(src, opts);
    backend().f16ToF32Sync(p.s, p.out, p.threads);
    return p.out;
  });
}

// ---- tfjs affine uint8 / uint16 ------------------------------------------------------------

function planQuantizeAffine(src: unknown, dtype: unknown, opts: unknown) {
  const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
  if (dtype !== 'uint8' && dtype !== 'uint16') throw invalidParameter('dtype', "'uint8' or 'uint16'", dtype);
  const o = expectOptions<KernelOptions<Uint8Array | Uint16Array>>('opts', opts);
  const threads = threadsOf(o);
  const out =
    dtype === 'uint8'
      ? outputArray<Uint8Array | Uint16Array>('opts.out', o.out, 'Uint8Array', s.length, [s], (n) => new Uint8Array(n))
      : outputArray<Uint8Array | Uint16Array>('opts.out', o.out, 'Uint16Array', s.length, [s], (n) => new Uint16Array(n));
  return { s, out, threads };
}

/**
 * tfjs affine quantization, exactly as tensorflowjs_converter `--quantize_uint8` /
 * `--quantize_uint16` (quantization.py under NumPy >= 2): min/max of the data, a range
 * nudged so that 0 is a code when min <= 0 <= max, float64 arithmetic, round half to even.
 * A constant tensor gives all-zero codes with scale 1.
 * Dequantize with `q * scale + min` ({@link dequantizeAffine}).
 * @param src the float32 weights
 * @param dtype `'uint8'` (qmax 255) or `'uint16'` (qmax 65535)
 * @param opts `out`: a Uint8Array/Uint16Array (matching dtype) of src.length; `threads`
 * @returns the codes and the manifest's `min` and `scale` (float64)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when src holds NaN or +-Infinity (opts.out is
 *   left untouched)
 * @example
 * ```ts
 * const { data, min, scale } = await quantizeAffine(new Float32Array([0, -0.1, 1.2]), 'uint8');
 * // data: Uint8Array [20, 0, 255]; manifest entry: { dtype: 'uint8', min, scale }
 * ```
 */
export function quantizeAffine<D extends AffineDType>(
  src: Float32Array,
  dtype: D,
  opts?: KernelOptions<AffineArray<D>>,
): Promise<AffineQuantized<D>> {
  return callAsync(quantizeAffine, () => {
    const p = planQuantizeAffine(src, dtype, opts);
    return backend()
      .quantizeAffine(p.s, p.out, p.threads)
      .then((r) => ({ data: p.out as AffineArray<D>, min: r.min, scale: r.scale }));
  });
}

/**
 * Blocking twin of {@link quantizeAffine}.
 * @param src the float32 weights
 * @param dtype `'uint8'` or `'uint16'`
 * @param opts `out`, `threads`
 * @returns the codes, `min` and `scale`
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when src holds NaN or +-Infinity
 * @example
 * ```ts
 * const q = quantizeAffineSync(kernel, 'uint16');
 * ```
 */
export function quantizeAffineSync<D extends AffineDType>(
  src: Float32Array,
  dtype: D,
  opts?: KernelOptions<AffineArray<D>>,
): AffineQuantized<D> {
  return callSync(() => {
    const p = planQuantizeAffine(src, dtype, opts);
    const r = backend().quantizeAffineSync(p.s, p.out, p.threads);
    return { data: p.out as AffineArray<D>, min: r.min, scale: r.scale };
  });
}

function planQuantizeAffineRange(src: unknown, dtype: unknown, range: unknown, opts: unknown) {
  const p = planQuantizeAffine(src, dtype, opts);
  if (!isPlainObject(range)) throw invalidParameter('range', 'an object { min, max }', range);
  const min = float32Finite('range.min', range.min);
  const max = float32Finite('range.max', range.max);
  if (min > max) throw invalidParameter('range.max', `a number >= range.min (${min})`, range.max);
  return { ...p, min: Math.fround(min), max: Math.fround(max) };
}

/**
 * tfjs affine quantization of one chunk of a larger tensor, with the parameters of the whole
 * tensor: `range` is the tensor's min and max (e.g. {@link minMaxSync} over all its chunks),
 * and the result is exactly what {@link quantizeAffine} gives for a tensor whose min/max are
 * `range`. So the codes of consecutive chunks concatenate to `quantizeAffine(tensor).data`,
 * and every chunk returns the tensor's `min` and `scale` (an empty `src` returns just them).
 * The bounds are taken as float32 (`Math.fround`), a -0 bound as +0.
 *
 * That the values of src lie in `[range.min, range.max]` and are finite is the caller's
 * promise and is not checked (no extra pass over the data): as in the kernel, a value
 * outside the (nudged) range is clipped to the nearest end and NaN gives code 0.
 * @param src the float32 chunk
 * @param dtype `'uint8'` (qmax 255) or `'uint16'` (qmax 65535)
 * @param range `{ min, max }` of the whole tensor: finite float32 numbers, min <= max
 * @param opts `out`: a Uint8Array/Uint16Array (matching dtype) of src.length; `threads`
 * @returns the chunk's codes and the tensor's `min` and `scale` (float64)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument (incl. a non-finite
 *   bound, one beyond the float32 range, or min > max)
 * @example
 * ```ts
 * const range = minMaxSync(tensor); // (or combined over its chunks)
 * const a = await quantizeAffineRange(tensor.subarray(0, 1000), 'uint8', range);
 * const b = await quantizeAffineRange(tensor.subarray(1000), 'uint8', range);
 * // a.data ++ b.data equals (await quantizeAffine(tensor, 'uint8')).data; a.min === b.min
 * ```
 */
export function quantizeAffineRange<D extends AffineDType>(
  src: Float32Array,
  dtype: D,
  range: AffineRange,
  opts?: KernelOptions<AffineArray<D>>,
): Promise<AffineQuantized<D>> {
  return callAsync(quantizeAffineRange, () => {
    const p = planQuantizeAffineRange(src, dtype, range, opts);
    return backend()
      .quantizeAffineRange(p.s, p.min, p.max, p.out, p.threads)
      .then((r) => ({ data: p.out as AffineArray<D>, min: r.min, scale: r.scale }));
  });
}

/**
 * Blocking twin of {@link quantizeAffineRange}.
 * @param src the float32 chunk
 * @param dtype `'uint8'` or `'uint16'`
 * @param range `{ min, max }` of the whole tensor
 * @param opts `out`, `threads`
 * @returns the chunk's codes, the tensor's `min` and `scale`
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * quantizeAffineRangeSync(chunk, 'uint16', { min, max }, { out: new Uint16Array(shard.buffer, offset, chunk.length) });
 * ```
 */
export function quantizeAffineRangeSync<D extends AffineDType>(
  src: Float32Array,
  dtype: D,
  range: AffineRange,
  opts?: KernelOptions<AffineArray<D>>,
): AffineQuantized<D> {
  return callSync(() => {
    const p = planQuantizeAffineRange(src, dtype, range, opts);
    const r = backend().quantizeAffineRangeSync(p.s, p.min, p.max, p.out, p.threads);
    return { data: p.out as AffineArray<D>, min: r.min, scale: r.scale };
  });
}

function planDequantizeAffine(data: unknown, params: unknown, opts: unknown) {
  const d = expectTypedArray<Uint8Array | Uint16Array>('data', data, ['Uint8Array', 'Uint16Array']);
  if (!isPlainObject(params)) throw invalidParameter('params', 'an object { min, scale }', params);
  const min = expectFinite('params.min', params.min);
  const scale = expectFinite('params.scale', params.scale);
  const o = expectOptions<KernelOptions<Float32Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Float32Array', d.length, [d], (n) => new Float32Array(n));
  return { d, min, scale, out, threads };
}

/**
 * Dequantizes tfjs affine codes as tfjs-core does when loading weights:
 * `float32(q * scale + min)`, evaluated in float64.
 * @param data the codes (Uint8Array or Uint16Array)
 * @param params the manifest's `{ min, scale }` (finite numbers)
 * @param opts `out`: a Float32Array of data.length; `threads`
 * @returns the float32 values (opts.out when given)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const q = await quantizeAffine(w, 'uint8');
 * const approx = await dequantizeAffine(q.data, q);
 * ```
 */
export function dequantizeAffine(
  data: Uint8Array | Uint16Array,
  params: AffineParams,
  opts?: KernelOptions<Float32Array>,
): Promise<Float32Array> {
  return callAsync(dequantizeAffine, () => {
    const p = planDequantizeAffine(data, params, opts);
    return backend().dequantizeAffine(p.d, p.scale, p.min, p.out, p.threads).then(() => p.out);
  });
}

/**
 * Blocking twin of {@link dequantizeAffine}.
 * @param data the codes
 * @param params `{ min, scale }`
 * @param opts `out`, `threads`
 * @returns the float32 values
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const w = dequantizeAffineSync(codes, { min: -0.1, scale: 0.0051 });
 * ```
 */
export function dequantizeAffineSync(
  data: Uint8Array | Uint16Array,
  params: AffineParams,
  opts?: KernelOptions<Float32Array>,
): Float32Array {
  return callSync(() => {
    const p = planDequantizeAffine(data, params, opts);
    backend().dequantizeAffineSync(p.d, p.scale, p.min, p.out, p.threads);
    return p.out;
  });
}

/**
 * Minimum and maximum of float32 values as the affine job sees them (the reduction of
 * {@link quantizeAffine}): NaN elements are skipped and counted, a zero extreme is +0, and an
 * empty or all-NaN input gives `min: Infinity, max: -Infinity`. Combined over a tensor's
 * chunks, it is the `range` that {@link quantizeAffineRange} quantizes each chunk with.
 * @param src the float32 values
 * @param opts `threads`
 * @returns `{ min, max, nanCount }`
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const { min, max } = minMaxSync(Float32Array.of(3, -1, NaN)); // min -1, max 3, nanCount 1
 * ```
 */
export function minMaxSync(src: Float32Array, opts?: Pick<KernelOptions<never>, 'threads'>): { min: number; max: number; nanCount: number } {
  return callSync(() => {
    const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
    const threads = threadsOf(expectOptions<KernelOptions<never>>('opts', opts));
    const r = backend().minMaxSync(s, threads);
    return { min: r.min, max: r.max, nanCount: r.nanCount };
  });
}

// ---- TFLite int8 ---------------------------------------------------------------------------

/** Options of {@link quantizeInt8PerChannel}. */
export interface Int8PerChannelOptions extends KernelOptions<Int8Array> {
  /** Preallocated scales: a Float32Array with one entry per channel. */
  outScales?: Float32Array;
}

function planQuantizeInt8PerChannel(src: unknown, shape: unknown, axis: unknown, opts: unknown) {
  const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
  const sh = expectShape('shape', shape, s.length);
  const ax = expectAxis('axis', axis, sh.length);
  const [outer, channels, inner] = splitAtAxis(sh, ax);
  const o = expectOptions<Int8PerChannelOptions>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Int8Array', s.length, [s], (n) => new Int8Array(n));
  const scales = outputArray('opts.outScales', o.outScales, 'Float32Array', channels, [s, out], (n) => new Float32Array(n));
  return { s, outer, channels, inner, out, scales, threads };
}

/**
 * Symmetric per-channel int8 quantization as TFLite's converter does for weights
 * (tools/optimize): per channel along `axis`, `scale = max|w| / 127` (float32) and
 * `q = clamp(round_half_away(w * (127 / max|w|)), -127, 127)`; an all-zero channel gets
 * scale 0 and codes 0. NaN weights become 0.
 * @param src the float32 weights
 * @param shape the tensor's shape (its product must equal src.length)
 * @param axis the channel axis; negative counts from the end (TFLite: 0 for conv OHWI
 *   kernels, 3 for depthwise 1HWC)
 * @param opts `out`: an Int8Array of src.length; `outScales`: a Float32Array of
 *   shape[axis]; `threads`
 * @returns the codes and the per-channel scales
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument (shape, axis, …)
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when a channel holds +-Infinity
 * @example
 * ```ts
 * const { data, scales } = await quantizeInt8PerChannel(ohwi, [O, H, W, I], 0);
 * ```
 */
export function quantizeInt8PerChannel(
  src: Float32Array,
  shape: Shape,
  axis: number,
  opts?: Int8PerChannelOptions,
): Promise<Int8PerChannelQuantized> {
  return callAsync(quantizeInt8PerChannel, () => {
    const p = planQuantizeInt8PerChannel(src, shape, axis, opts);
    return backend()
      .quantizeInt8PerChannel(p.s, p.outer, p.channels, p.inner, p.out, p.scales, p.threads)
      .then(() => ({ data: p.out, scales: p.scales }));
  });
}

/**
 * Blocking twin of {@link quantizeInt8PerChannel}.
 * @param src the float32 weights
 * @param shape the tensor's shape
 * @param axis the channel axis
 * @param opts `out`, `outScales`, `threads`
 * @returns the codes and the per-channel scales
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @throws NativeError ERR_TFEXPORT_NON_FINITE when a channel holds +-Infinity
 * @example
 * ```ts
 * const { data, scales } = quantizeInt8PerChannelSync(w, [3, 3, 8, 16], -1);
 * ```
 */
export function quantizeInt8PerChannelSync(
  src: Float32Array,
  shape: Shape,
  axis: number,
  opts?: Int8PerChannelOptions,
): Int8PerChannelQuantized {
  return callSync(() => {
    const p = planQuantizeInt8PerChannel(src, shape, axis, opts);
    backend().quantizeInt8PerChannelSync(p.s, p.outer, p.channels, p.inner, p.out, p.scales, p.threads);
    return { data: p.out, scales: p.scales };
  });
}

function float32Finite(name: string, v: unknown): number {
  const x = expectFinite(name, v);
  if (!Number.isFinite(Math.fround(x))) throw invalidParameter(name, 'a finite number within the float32 range', v);
  return x;
}

function int8ParamsOf(params: unknown): Int8AsymmetricParams {
  if (!isPlainObject(params)) {
    throw invalidParameter('params', 'an object { min, max } or { scale, zeroPoint }', params);
  }
  if ('scale' in params || 'zeroPoint' in params) {
    const scale = float32Finite('params.scale', params.scale);
    if (!(Math.fround(scale) > 0)) throw invalidParameter('params.scale', 'a positive number (as float32)', params.scale);
    const zp = params.zeroPoint ?? 0;
    if (!isIntegerInRange(zp, -128, 127)) throw invalidParameter('params.zeroPoint', 'an integer in [-128, 127]', zp);
    return { scale: Math.fround(scale), zeroPoint: zp };
  }
  const min = float32Finite('params.min', params.min);
  const max = float32Finite('params.max', params.max);
  if (min > max) throw invalidParameter('params.max', `a number >= params.min (${min})`, max);
  const p = backend().int8AsymmetricParams(min, max);
  if (!(p.scale > 0)) {
    throw invalidParameter(
      'params.max',
      `a range that is not [0, 0] in float32 once widened to include 0 (params.min is ${min}; the scale would be 0)`,
      max,
    );
  }
  return p;
}

function planQuantizeInt8(src: unknown, params: unknown, opts: unknown) {
  const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
  const p = int8ParamsOf(params);
  const o = expectOptions<KernelOptions<Int8Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Int8Array', s.length, [s], (n) => new Int8Array(n));
  return { s, p, out, threads };
}

/**
 * Asymmetric per-tensor int8 quantization as TFLite does for activations:
 * `q = clamp(round_half_away(x / scale) + zeroPoint, -128, 127)`. Give either the real range
 * `{ min, max }` (parameters as TFLite's GetAsymmetricQuantizationParams computes them: the
 * range is widened to include 0) or explicit `{ scale, zeroPoint }`.
 * @param src the float32 values
 * @param params `{ min, max }` (finite, min <= max) or `{ scale > 0, zeroPoint in [-128, 127] }`
 * @param opts `out`: an Int8Array of src.length; `threads`
 * @returns the codes with the float32 `scale` and the `zeroPoint` used
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument (incl. the range [0, 0])
 * @example
 * ```ts
 * const { data, scale, zeroPoint } = await quantizeInt8(act, { min: -1, max: 6 });
 * const back = await dequantizeInt8(data, { scale, zeroPoint });
 * ```
 */
export function quantizeInt8(
  src: Float32Array,
  params: Int8Range | Int8AsymmetricParams,
  opts?: KernelOptions<Int8Array>,
): Promise<Int8Quantized> {
  return callAsync(quantizeInt8, () => {
    const a = planQuantizeInt8(src, params, opts);
    return backend()
      .quantizeInt8Asymmetric(a.s, a.p.scale, a.p.zeroPoint, a.out, a.threads)
      .then(() => ({ data: a.out, scale: a.p.scale, zeroPoint: a.p.zeroPoint }));
  });
}

/**
 * Blocking twin of {@link quantizeInt8}.
 * @param src the float32 values
 * @param params `{ min, max }` or `{ scale, zeroPoint }`
 * @param opts `out`, `threads`
 * @returns the codes, `scale` and `zeroPoint`
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const q = quantizeInt8Sync(x, { scale: 0.05, zeroPoint: -3 });
 * ```
 */
export function quantizeInt8Sync(
  src: Float32Array,
  params: Int8Range | Int8AsymmetricParams,
  opts?: KernelOptions<Int8Array>,
): Int8Quantized {
  return callSync(() => {
    const a = planQuantizeInt8(src, params, opts);
    backend().quantizeInt8AsymmetricSync(a.s, a.p.scale, a.p.zeroPoint, a.out, a.threads);
    return { data: a.out, scale: a.p.scale, zeroPoint: a.p.zeroPoint };
  });
}

function zeroPointsOf(v: unknown, channels: number): Int32Array | null {
  if (v === undefined || v === 0) return null;
  if (typeof v === 'number') {
    if (!isIntegerInRange(v, -2147483648, 2147483647)) throw invalidParameter('params.zeroPoint', 'an int32 integer', v);
    return new Int32Array(channels).fill(v);
  }
  const ok =
    isFiniteNumberArray(v) &&
    v.length === channels &&
    Array.prototype.every.call(v, (z: number) => isIntegerInRange(z, -2147483648, 2147483647));
  if (!ok) throw invalidParameter('params.zeroPoint', `an int32 integer or ${channels} of them (one per channel)`, v);
  return Int32Array.from(v as ArrayLike<number>);
}

function planDequantizeInt8(data: unknown, params: unknown, opts: unknown) {
  const d = expectTypedArray<Int8Array>('data', data, ['Int8Array']);
  if (!isPlainObject(params)) throw invalidParameter('params', 'an object { scale, zeroPoint?, shape?, axis? }', params);
  const scale = params.scale;
  let scales: Float32Array;
  let outer = 1;
  let channels = 1;
  let inner = d.length;
  if (typeof scale === 'number') {
    scales = Float32Array.of(float32Finite('params.scale', scale));
  } else {
    if (!isFiniteNumberArray(scale) || scale.length === 0) {
      throw invalidParameter('params.scale', 'a finite number or a non-empty array of them', scale);
    }
    scales = Float32Array.from(scale);
    if (!scales.every((x) => Number.isFinite(x))) {
      throw invalidParameter('params.scale', 'finite numbers within the float32 range', scale);
    }
    if (scales.length > 1) {
      const shape = expectShape('params.shape', params.shape, d.length);
      const axis = expectAxis('params.axis', params.axis, shape.length);
      [outer, channels, inner] = splitAtAxis(shape, axis);
      if (channels !== scales.length) {
        throw invalidParameter('params.scale', `${channels} scales (shape[axis])`, scale);
      }
    }
  }
  const zeroPoints = zeroPointsOf(params.zeroPoint, channels);
  const o = expectOptions<KernelOptions<Float32Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Float32Array', d.length, [d], (n) => new Float32Array(n));
  return { d, outer, channels, inner, scales, zeroPoints, out, threads };
}

/**
 * Dequantizes int8 codes as TFLite does: `float32(q - zeroPoint) * scale` in float32, per
 * tensor (`scale` a number) or per channel (`scale` one entry per channel of `shape[axis]`).
 * @param data the codes
 * @param params `{ scale, zeroPoint?, shape?, axis? }`; `shape` and `axis` are required
 *   when `scale` has more than one entry
 * @param opts `out`: a Float32Array of data.length; `threads`
 * @returns the float32 values
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const q = await quantizeInt8PerChannel(w, [O, H, W, I], 0);
 * const back = await dequantizeInt8(q.data, { scale: q.scales, shape: [O, H, W, I], axis: 0 });
 * ```
 */
export function dequantizeInt8(
  data: Int8Array,
  params: Int8DequantParams,
  opts?: KernelOptions<Float32Array>,
): Promise<Float32Array> {
  return callAsync(dequantizeInt8, () => {
    const p = planDequantizeInt8(data, params, opts);
    return backend()
      .dequantizeInt8(p.d, p.outer, p.channels, p.inner, p.scales, p.zeroPoints, p.out, p.threads)
      .then(() => p.out);
  });
}

/**
 * Blocking twin of {@link dequantizeInt8}.
 * @param data the codes
 * @param params `{ scale, zeroPoint?, shape?, axis? }`
 * @param opts `out`, `threads`
 * @returns the float32 values
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const x = dequantizeInt8Sync(codes, { scale: 0.02, zeroPoint: 5 });
 * ```
 */
export function dequantizeInt8Sync(
  data: Int8Array,
  params: Int8DequantParams,
  opts?: KernelOptions<Float32Array>,
): Float32Array {
  return callSync(() => {
    const p = planDequantizeInt8(data, params, opts);
    backend().dequantizeInt8Sync(p.d, p.outer, p.channels, p.inner, p.scales, p.zeroPoints, p.out, p.threads);
    return p.out;
  });
}

// ---- per-channel scale (batch-norm folding) ------------------------------------------------

function planScalePerChannel(src: unknown, params: unknown, opts: unknown) {
  const s = expectTypedArray<Float32Array>('src', src, ['Float32Array']);
  if (!isPlainObject(params)) throw invalidParameter('params', 'an object { scale, shape, axis }', params);
  const shape = expectShape('params.shape', params.shape, s.length);
  const axis = expectAxis('params.axis', params.axis, shape.length);
  const [outer, channels, inner] = splitAtAxis(shape, axis);
  const given = params.scale;
  let scale: Float64Array;
  if (given instanceof Float64Array) {
    scale = given;
  } else {
    const ok =
      typeof given === 'object' && given !== null && typeof (given as ArrayLike<unknown>).length === 'number' &&
      Array.prototype.every.call(given, (x: unknown) => typeof x === 'number');
    if (!ok) throw invalidParameter('params.scale', 'a Float64Array or an array of numbers', given);
    scale = Float64Array.from(given as ArrayLike<number>);
  }
  if (scale.length !== channels) throw invalidParameter('params.scale', `${channels} factors (shape[axis])`, given);
  const o = expectOptions<KernelOptions<Float32Array>>('opts', opts);
  const threads = threadsOf(o);
  const out = outputArray('opts.out', o.out, 'Float32Array', s.length, [s], (n) => new Float32Array(n));
  return { s, outer, channels, inner, scale, out, threads };
}

/**
 * Multiplies a float32 tensor by one float64 factor per channel and rounds back to float32:
 * `out = float32(float64(x) * scale[c])`, as tensorflowjs_converter folds a batch
 * normalization into the preceding filter (NumPy float32 * float64, then `astype(float32)`).
 * A NaN result is written as the canonical quiet NaN (0x7FC00000). Conv2D HWIO filters use
 * `axis: 3`; depthwise `[H, W, C, M]` filters the shape `[H * W, C * M]` with `axis: 1`;
 * MatMul `[K, N]` `axis: 1`, and with `transpose_b` (`[N, K]`) `axis: 0`.
 * @param src the float32 tensor
 * @param params `{ scale, shape, axis }`: one factor per `shape[axis]` channel
 * @param opts `out`: a Float32Array of src.length that does not overlap src; `threads`
 * @returns the scaled tensor
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const folded = await scalePerChannel(filter, { scale: bnScale, shape: [3, 3, 32, 64], axis: 3 });
 * ```
 */
export function scalePerChannel(
  src: Float32Array,
  params: ScalePerChannelParams,
  opts?: KernelOptions<Float32Array>,
): Promise<Float32Array> {
  return callAsync(scalePerChannel, () => {
    const p = planScalePerChannel(src, params, opts);
    return backend()
      .scalePerChannel(p.s, p.outer, p.channels, p.inner, p.scale, p.out, p.threads)
      .then(() => p.out);
  });
}

/**
 * Blocking twin of {@link scalePerChannel}.
 * @param src the float32 tensor
 * @param params `{ scale, shape, axis }`
 * @param opts `out`, `threads`
 * @returns the scaled tensor
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const w = scalePerChannelSync(kernel, { scale: [0.5, 2], shape: [4, 2], axis: 1 });
 * ```
 */
export function scalePerChannelSync(
  src: Float32Array,
  params: ScalePerChannelParams,
  opts?: KernelOptions<Float32Array>,
): Float32Array {
  return callSync(() => {
    const p = planScalePerChannel(src, params, opts);
    backend().scalePerChannelSync(p.s, p.outer, p.channels, p.inner, p.scale, p.out, p.threads);
    return p.out;
  });
}

// ---- CRC-32C -----------------------------------------------------------------------------

function planCrc32c(data: unknown, init: unknown) {
  const bytes = expectBytes('data', data);
  const seed = init === undefined ? 0 : init;
  if (!isUint32(seed)) throw invalidParameter('init', 'an unsigned 32-bit integer', init);
  return { bytes, seed };
}

/**
 * CRC-32C (Castagnoli) of the bytes of `data`, hardware-accelerated where the CPU allows.
 * Chain calls by passing the previous result as `init`:
 * `crc32c(b, await crc32c(a)) === crc32c(a ++ b)`.
 * @param data any TypedArray, Buffer or DataView (its bytes, in memory order)
 * @param init the CRC of the preceding bytes (default 0: start)
 * @returns the CRC as an unsigned 32-bit integer
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * await crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 * ```
 */
export function crc32c(data: ArrayBufferView, init?: number): Promise<number> {
  return callAsync(crc32c, () => {
    const p = planCrc32c(data, init);
    return backend().crc32c(p.bytes, p.seed);
  });
}

/**
 * Blocking twin of {@link crc32c}.
 * @param data any TypedArray, Buffer or DataView
 * @param init the CRC of the preceding bytes (default 0)
 * @returns the CRC as an unsigned 32-bit integer
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const crc = crc32cSync(block);
 * ```
 */
export function crc32cSync(data: ArrayBufferView, init?: number): number {
  return callSync(() => {
    const p = planCrc32c(data, init);
    return backend().crc32cSync(p.bytes, p.seed);
  });
}

const MASK_DELTA = 0xa282ead8;

/**
 * Masks a CRC-32C the way TensorFlow's TensorBundle, TFRecord and LevelDB store it:
 * `((crc >>> 15) | (crc << 17)) + 0xa282ead8` modulo 2^32.
 * @param crc an unsigned 32-bit CRC
 * @returns the masked CRC (unsigned 32-bit)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT when crc is not a uint32
 * @example
 * ```ts
 * maskCrc32c(crc32cSync(bytes)) === maskedCrc32cSync(bytes); // true
 * ```
 */
export function maskCrc32c(crc: number): number {
  if (!isUint32(crc)) throw invalidParameter('crc', 'an unsigned 32-bit integer', crc);
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/**
 * Inverts {@link maskCrc32c}.
 * @param masked a masked CRC as stored on disk
 * @returns the plain CRC-32C (unsigned 32-bit)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT when masked is not a uint32
 * @example
 * ```ts
 * unmaskCrc32c(maskCrc32c(0x12345678)) === 0x12345678; // true
 * ```
 */
export function unmaskCrc32c(masked: number): number {
  if (!isUint32(masked)) throw invalidParameter('masked', 'an unsigned 32-bit integer', masked);
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/**
 * The masked CRC-32C of `data` ({@link maskCrc32c} of {@link crc32c}), as stored in
 * TensorBundle (variables.index) block trailers and TFRecord framing.
 * @param data any TypedArray, Buffer or DataView
 * @returns the masked CRC (unsigned 32-bit)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const stored = view.getUint32(blockEnd + 1, true);
 * const ok = (await maskedCrc32c(blockAndType)) === stored;
 * ```
 */
export function maskedCrc32c(data: ArrayBufferView): Promise<number> {
  return callAsync(maskedCrc32c, () => {
    const p = planCrc32c(data, undefined);
    return backend().crc32c(p.bytes, 0).then(maskCrc32c);
  });
}

/**
 * Blocking twin of {@link maskedCrc32c}.
 * @param data any TypedArray, Buffer or DataView
 * @returns the masked CRC (unsigned 32-bit)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const masked = maskedCrc32cSync(record);
 * ```
 */
export function maskedCrc32cSync(data: ArrayBufferView): number {
  return maskCrc32c(crc32cSync(data));
}

// ---- layout --------------------------------------------------------------------------------

function planTranspose<T extends TypedArray>(src: unknown, batch: unknown, rows: unknown, cols: unknown, opts: unknown) {
  const s = expectAnyTypedArray('src', src) as T;
  const b = expectCount('batch', batch);
  const r = expectCount('rows', rows);
  const c = expectCount('cols', cols);
  if (b * r * c !== s.length) throw invalidParameter('batch * rows * cols', `${s.length} (src.length)`, b * r * c);
  const o = expectOptions<KernelOptions<T>>('opts', opts);
  const threads = threadsOf(o);
  const name = typedArrayName(s)!;
  const Ctor = (globalThis as unknown as Record<string, new (n: number) => T>)[name]!;
  const out = outputArray<T>('opts.out', o.out, name, s.length, [s], (n) => new Ctor(n));
  return { s, b, r, c, out, threads };
}

function transposePromise<T extends TypedArray>(src: T, b: unknown, r: unknown, c: unknown, opts: unknown): Promise<T> {
  const p = planTranspose<T>(src, b, r, c, opts);
  return backend().transpose2d(p.s, p.b, p.r, p.c, p.out, p.threads).then(() => p.out);
}

function transposeNow<T extends TypedArray>(src: T, b: unknown, r: unknown, c: unknown, opts: unknown): T {
  const p = planTranspose<T>(src, b, r, c, opts);
  backend().transpose2dSync(p.s, p.b, p.r, p.c, p.out, p.threads);
  return p.out;
}

/**
 * Batched 2-D transpose of raw elements: `out[b][c][r] = src[b][r][c]` for src viewed as
 * `[batch, rows, cols]`. Works on any TypedArray (bits are moved, never converted). Every
 * layout change the writers need is one call; see {@link hwioToOhwi}, {@link nhwcToNchw},
 * {@link nchwToNhwc}.
 * @param src the elements, batch * rows * cols of them
 * @param batch number of independent planes
 * @param rows rows per plane
 * @param cols columns per plane
 * @param opts `out`: an array of the same class and length that does not overlap src; `threads`
 * @returns the transposed array (same class as src; opts.out when given)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument (incl. overlap)
 * @example
 * ```ts
 * const t = await transpose2d(new Float32Array([1, 2, 3, 4, 5, 6]), 1, 2, 3); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transpose2d<T extends TypedArray>(src: T, batch: number, rows: number, cols: number, opts?: KernelOptions<T>): Promise<T> {
  return callAsync(transpose2d, () => transposePromise(src, batch, rows, cols, opts));
}

/**
 * Blocking twin of {@link transpose2d}.
 * @param src the elements
 * @param batch planes
 * @param rows rows per plane
 * @param cols columns per plane
 * @param opts `out`, `threads`
 * @returns the transposed array
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const t = transpose2dSync(matrix, 1, rows, cols);
 * ```
 */
export function transpose2dSync<T extends TypedArray>(src: T, batch: number, rows: number, cols: number, opts?: KernelOptions<T>): T {
  return callSync(() => transposeNow(src, batch, rows, cols, opts));
}

function dims4(shape: unknown, src: unknown): readonly [number, number, number, number] {
  const s = expectAnyTypedArray('src', src);
  return expectShape('shape', shape, s.length, 4) as unknown as readonly [number, number, number, number];
}

/**
 * TensorFlow conv kernel layout HWIO -> TFLite/ONNX-style OHWI (one transpose of
 * [H*W*I, O]). Note: TF depthwise kernels HWIM -> TFLite 1HW(I*M) need no call at all: it
 * is a pure reshape with the same byte order.
 * @param src the HWIO kernel
 * @param shape `[H, W, I, O]`
 * @param opts `out`, `threads`
 * @returns the OHWI kernel (same class as src)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const ohwi = await hwioToOhwi(kernel, [3, 3, 16, 32]);
 * ```
 */
export function hwioToOhwi<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): Promise<T> {
  return callAsync(hwioToOhwi, () => {
    const [h, w, i, o] = dims4(shape, src);
    return transposePromise(src, 1, h * w * i, o, opts);
  });
}

/**
 * Blocking twin of {@link hwioToOhwi}.
 * @param src the HWIO kernel
 * @param shape `[H, W, I, O]`
 * @param opts `out`, `threads`
 * @returns the OHWI kernel
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const ohwi = hwioToOhwiSync(kernel, [3, 3, 16, 32]);
 * ```
 */
export function hwioToOhwiSync<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): T {
  return callSync(() => {
    const [h, w, i, o] = dims4(shape, src);
    return transposeNow(src, 1, h * w * i, o, opts);
  });
}

/**
 * Activation layout NHWC -> NCHW (one transpose of [H*W, C] per image).
 * @param src the NHWC tensor
 * @param shape `[N, H, W, C]`
 * @param opts `out`, `threads`
 * @returns the NCHW tensor (same class as src)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const nchw = await nhwcToNchw(image, [1, 224, 224, 3]);
 * ```
 */
export function nhwcToNchw<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): Promise<T> {
  return callAsync(nhwcToNchw, () => {
    const [n, h, w, c] = dims4(shape, src);
    return transposePromise(src, n, h * w, c, opts);
  });
}

/**
 * Blocking twin of {@link nhwcToNchw}.
 * @param src the NHWC tensor
 * @param shape `[N, H, W, C]`
 * @param opts `out`, `threads`
 * @returns the NCHW tensor
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const nchw = nhwcToNchwSync(image, [1, 224, 224, 3]);
 * ```
 */
export function nhwcToNchwSync<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): T {
  return callSync(() => {
    const [n, h, w, c] = dims4(shape, src);
    return transposeNow(src, n, h * w, c, opts);
  });
}

/**
 * Activation layout NCHW -> NHWC (one transpose of [C, H*W] per image).
 * @param src the NCHW tensor
 * @param shape `[N, C, H, W]`
 * @param opts `out`, `threads`
 * @returns the NHWC tensor (same class as src)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const nhwc = await nchwToNhwc(image, [1, 3, 224, 224]);
 * ```
 */
export function nchwToNhwc<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): Promise<T> {
  return callAsync(nchwToNhwc, () => {
    const [n, c, h, w] = dims4(shape, src);
    return transposePromise(src, n, c, h * w, opts);
  });
}

/**
 * Blocking twin of {@link nchwToNhwc}.
 * @param src the NCHW tensor
 * @param shape `[N, C, H, W]`
 * @param opts `out`, `threads`
 * @returns the NHWC tensor
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const nhwc = nchwToNhwcSync(image, [1, 3, 224, 224]);
 * ```
 */
export function nchwToNhwcSync<T extends TypedArray>(src: T, shape: readonly [number, number, number, number], opts?: KernelOptions<T>): T {
  return callSync(() => {
    const [n, c, h, w] = dims4(shape, src);
    return transposeNow(src, n, c, h * w, opts);
  });
}

/**
 * Which implementation serves kernel calls: 'native' (the addon) or 'js' (pure TypeScript).
 * @returns the backend kind
 * @example
 * ```ts
 * if (kernelBackend() === 'js') console.warn('slow path');
 * ```
 */
export function kernelBackend(): 'native' | 'js' {
  return backendKind();
}
