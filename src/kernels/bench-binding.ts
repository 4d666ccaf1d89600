// SPDX-License-Identifier: Apache-2.0
/**
 * The raw native kernels for the benchmark (src/bench/kernels.ts): it times the addon itself,
 * per ISA and thread count, without the public API's validation, backend fallback or error
 * mapping, so it needs the binding rather than src/kernels/index.ts. Not part of the public
 * API (src/index.ts does not re-export it).
 * @internal
 */
import { defaultThreads as nativeDefaultThreads, requireNative, type NativeBinding } from '../native.js';

/**
 * The native exports the benchmark calls: ISA control and the synchronous kernels.
 * @internal
 */
export type BenchBinding = Pick<
  NativeBinding,
  | 'isa'
  | 'bestIsa'
  | 'availableIsas'
  | 'setIsa'
  | 'minMaxSync'
  | 'f32ToF16Sync'
  | 'f16ToF32Sync'
  | 'quantizeAffineSync'
  | 'quantizeAffineRangeSync'
  | 'dequantizeAffineSync'
  | 'quantizeInt8PerChannelSync'
  | 'scalePerChannelSync'
  | 'crc32cSync'
>;

/**
 * The native addon (loaded once per process), for timing its kernels directly.
 * @returns the binding
 * @throws NativeError `ERR_TFEXPORT_NATIVE_LOAD` when the addon cannot load, or
 *   `ERR_TFEXPORT_NATIVE_DISABLED` when TFEXPORT_BACKEND=js
 * @example
 * ```ts
 * const b = requireBenchBinding();
 * b.setIsa('scalar');
 * ```
 * @internal
 */
export const requireBenchBinding: () => BenchBinding = requireNative;

/**
 * Number of CPU threads kernels may use by default (all cores): the benchmark's "all
 * threads" rows.
 * @returns at least 1
 * @internal
 */
export const defaultThreads: () => number = nativeDefaultThreads;
