// SPDX-License-Identifier: Apache-2.0
/**
 * The pure-TypeScript backend: src/kernels/reference.ts behind the same call shape as the
 * native binding, so the public API does not care which one runs. Its "async" functions
 * run on the main thread after yielding once (there is no worker pool); `threads` is ignored.
 */
import { NativeError } from '../errors.js';
import type { NativeBinding } from '../native.js';
import {
  crc32cRef,
  dequantizeAffineRef,
  dequantizeInt8Ref,
  f16ToF32Ref,
  f32ToF16Ref,
  int8AsymmetricParamsRef,
  minMaxRef,
  quantizeAffineRangeRef,
  quantizeAffineRef,
  quantizeInt8AsymmetricRef,
  quantizeInt8PerChannelRef,
  scalePerChannelRef,
  transpose2dRef,
  affineParamsRef,
  type AnyTypedArray,
} from './reference.js';

/** The kernel exports of the binding (the part of it the public kernel API calls). */
export type KernelBinding = Pick<
  NativeBinding,
  | 'isa'
  | 'availableIsas'
  | 'setIsa'
  | 'affineParams'
  | 'int8AsymmetricParams'
  | 'f32ToF16'
  | 'f32ToF16Sync'
  | 'f16ToF32'
  | 'f16ToF32Sync'
  | 'minMax'
  | 'minMaxSync'
  | 'quantizeAffine'
  | 'quantizeAffineSync'
  | 'quantizeAffineRange'
  | 'quantizeAffineRangeSync'
  | 'dequantizeAffine'
  | 'dequantizeAffineSync'
  | 'quantizeInt8PerChannel'
  | 'quantizeInt8PerChannelSync'
  | 'quantizeInt8Asymmetric'
  | 'quantizeInt8AsymmetricSync'
  | 'dequantizeInt8'
  | 'dequantizeInt8Sync'
  | 'scalePerChannel'
  | 'scalePerChannelSync'
  | 'crc32c'
  | 'crc32cSync'
  | 'transpose2d'
  | 'transpose2dSync'
>;

/** The ISA names a native build may know, for the 'js' backend's setIsa errors. */
export const NATIVE_ISA_NAMES: readonly string[] = ['scalar', 'sse41', 'avx2', 'avx512', 'neon'];

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Wraps a synchronous kernel as a Promise that runs it on a later turn of the event loop. */
function deferred<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return async (...args: A) => {
    await nextTurn();
    return fn(...args);
  };
}

const f32ToF16Sync = (src: Float32Array, dst: Uint16Array): void => f32ToF16Ref(src, dst);
const f16ToF32Sync = (src: Uint16Array, dst: Float32Array): void => f16ToF32Ref(src, dst);
const minMaxSync = (src: Float32Array) => minMaxRef(src);
const quantizeAffineSync = (src: Float32Array, dst: Uint8Array | Uint16Array) => quantizeAffineRef(src, dst);
const quantizeAffineRangeSync = (src: Float32Array, min: number, max: number, dst: Uint8Array | Uint16Array) =>
  quantizeAffineRangeRef(src, min, max, dst);
const dequantizeAffineSync = (src: Uint8Array | Uint16Array, scale: number, min: number, dst: Float32Array): void =>
  dequantizeAffineRef(src, scale, min, dst);
const quantizeInt8PerChannelSync = (
  src: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  dst: Int8Array,
  scales: Float32Array,
): void => quantizeInt8PerChannelRef(src, outer, channels, inner, dst, scales);
const quantizeInt8AsymmetricSync = (src: Float32Array, scale: number, zeroPoint: number, dst: Int8Array): void =>
  quantizeInt8AsymmetricRef(src, scale, zeroPoint, dst);
const dequantizeInt8Sync = (
  src: Int8Array,
  outer: number,
  channels: number,
  inner: number,
  scales: Float32Array,
  zeroPoints: Int32Array | null,
  dst: Float32Array,
): void => dequantizeInt8Ref(src, outer, channels, inner, scales, zeroPoints, dst);
const scalePerChannelSync = (
  src: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  scale: Float64Array,
  dst: Float32Array,
): void => scalePerChannelRef(src, outer, channels, inner, scale, dst);
const crc32cSync = (data: ArrayBufferView, init?: number): number =>
  crc32cRef(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), init ?? 0);
const transpose2dSync = (src: ArrayBufferView, batch: number, rows: number, cols: number, dst: ArrayBufferView): void =>
  transpose2dRef(src as AnyTypedArray, batch, rows, cols, dst as AnyTypedArray);

/** The pure-TS backend. */
export const jsBackend: KernelBinding = {
  isa: () => 'js',
  availableIsas: () => ['js'],
  setIsa(name: string): void {
    if (name === 'js') return;
    if (NATIVE_ISA_NAMES.includes(name)) {
      throw new NativeError(
        'ERR_TFEXPORT_UNAVAILABLE_ISA',
        `ISA '${name}' is not available: the native addon is not in use, only 'js' is`,
      );
    }
    throw new NativeError('ERR_TFEXPORT_UNKNOWN_ISA', `unknown ISA '${name}' (the pure-TypeScript backend offers only 'js')`);
  },
  f32ToF16Sync,
  f32ToF16: deferred(f32ToF16Sync),
  f16ToF32Sync,
  f16ToF32: deferred(f16ToF32Sync),
  minMaxSync,
  minMax: deferred(minMaxSync),
  quantizeAffineSync,
  quantizeAffine: deferred(quantizeAffineSync),
  quantizeAffineRangeSync,
  quantizeAffineRange: deferred(quantizeAffineRangeSync),
  affineParams: affineParamsRef,
  dequantizeAffineSync,
  dequantizeAffine: deferred(dequantizeAffineSync),
  quantizeInt8PerChannelSync,
  quantizeInt8PerChannel: deferred(quantizeInt8PerChannelSync),
  int8AsymmetricParams: int8AsymmetricParamsRef,
  quantizeInt8AsymmetricSync,
  quantizeInt8Asymmetric: deferred(quantizeInt8AsymmetricSync),
  dequantizeInt8Sync,
  dequantizeInt8: deferred(dequantizeInt8Sync),
  scalePerChannelSync,
  scalePerChannel: deferred(scalePerChannelSync),
  crc32cSync,
  crc32c: deferred(crc32cSync),
  transpose2dSync,
  transpose2d: deferred(transpose2dSync),
};
