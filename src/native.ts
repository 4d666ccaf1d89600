// SPDX-License-Identifier: Apache-2.0
/**
 * Loads the native addon (a prebuild from prebuilds/, else build/Release from cmake-js or
 * node-gyp) and types exactly what native/addon.cc exports. Nothing outside src/kernels/
 * imports this module.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import { nativeErrorFactory, NativeError } from './errors.js';
import { packageInfo } from './util/package-info.js';

/** Tfjs affine parameters as computed natively. */
export interface NativeAffineParams {
  min: number;
  max: number;
  scale: number;
  constant: boolean;
}

/** What `scanGraphDef` returns: one row of `stride` numbers per tensor (see src/wire/). */
export interface NativeGraphDefScan {
  tensorCount: number;
  stride: number;
  /** Names of the leading columns; then `maxEnclosing` x (field, recordOffset, payloadOffset, payloadLength). */
  columns: string[];
  maxEnclosing: number;
  /** Names of the `flags` column bits, bit 0 first. */
  flagNames: string[];
  table: Float64Array;
  dims: Float64Array;
}

/** Sizes for a split: allocate `structureLength` bytes and `3 * removedCount` numbers. */
export interface NativeSplitPlan {
  structureLength: number;
  removedCount: number;
  tensorCount: number;
}

/** Sizes for a join: allocate `outputLength` bytes. */
export interface NativeJoinPlan {
  outputLength: number;
  tensorCount: number;
}

/** Footer handles as `sstableFooter` decodes them (native/wire/sstable.h). */
export interface NativeSSTableFooter {
  metaOffset: number;
  metaSize: number;
  indexOffset: number;
  indexSize: number;
}

/** A verified block: compression type (0 none, 1 snappy) and its uncompressed length. */
export interface NativeSSTableBlockInfo {
  type: number;
  uncompressedLength: number;
}

/**
 * Records of one block: `count` rows of `stride` (5) numbers
 * (shared, keyOffset, keyDelta, valueOffset, valueLength); key i is key(i-1)[0, shared)
 * followed by block[keyOffset, +keyDelta).
 */
export interface NativeSSTableBlock {
  count: number;
  stride: number;
  keyBytes: number;
  records: Float64Array;
}

type Threads = number | undefined;

/** The raw binding. Arguments are validated in TS before any call. */
export interface NativeBinding {
  init(makeError: (code: string, message: string) => Error): void;
  napiVersion: number;
  isa(): string;
  bestIsa(): string;
  availableIsas(): string[];
  setIsa(name: string): void;

  f32ToF16Sync(src: Float32Array, dst: Uint16Array, threads?: Threads): void;
  f32ToF16(src: Float32Array, dst: Uint16Array, threads?: Threads): Promise<void>;
  f16ToF32Sync(src: Uint16Array, dst: Float32Array, threads?: Threads): void;
  f16ToF32(src: Uint16Array, dst: Float32Array, threads?: Threads): Promise<void>;
  minMaxSync(src: Float32Array, threads?: Threads): { min: number; max: number; nanCount: number };
  minMax(src: Float32Array, threads?: Threads): Promise<{ min: number; max: number; nanCount: number }>;
  quantizeAffineSync(src: Float32Array, dst: Uint8Array | Uint16Array, threads?: Threads): NativeAffineParams;
  quantizeAffine(src: Float32Array, dst: Uint8Array | Uint16Array, threads?: Threads): Promise<NativeAffineParams>;
  quantizeAffineRangeSync(src: Float32Array, min: number, max: number, dst: Uint8Array | Uint16Array, threads?: Threads): NativeAffineParams;
  quantizeAffineRange(src: Float32Array, min: number, max: number, dst: Uint8Array | Uint16Array, threads?: Threads): Promise<NativeAffineParams>;
  affineParams(min: number, max: number, qmax: 255 | 65535): NativeAffineParams;
  dequantizeAffineSync(src: Uint8Array | Uint16Array, scale: number, min: number, dst: Float32Array, threads?: Threads): void;
  dequantizeAffine(src: Uint8Array | Uint16Array, scale: number, min: number, dst: Float32Array, threads?: Threads): Promise<void>;
  quantizeInt8PerChannelSync(src: Float32Array, outer: number, channels: number, inner: number, dst: Int8Array, scales: Float32Array, threads?: Threads): void;
  quantizeInt8PerChannel(src: Float32Array, outer: number, channels: number, inner: number, dst: Int8Array, scales: Float32Array, threads?: Threads): Promise<void>;
  int8AsymmetricParams(min: number, max: number): { scale: number; zeroPoint: number };
  quantizeInt8AsymmetricSync(src: Float32Array, scale: number, zeroPoint: number, dst: Int8Array, threads?: Threads): void;
  quantizeInt8Asymmetric(src: Float32Array, scale: number, zeroPoint: number, dst: Int8Array, threads?: Threads): Promise<void>;
  dequantizeInt8Sync(src: Int8Array, outer: number, channels: number, inner: number, scales: Float32Array, zeroPoints: Int32Array | null, dst: Float32Array, threads?: Threads): void;
  dequantizeInt8(src: Int8Array, outer: number, channels: number, inner: number, scales: Float32Array, zeroPoints: Int32Array | null, dst: Float32Array, threads?: Threads): Promise<void>;
  scalePerChannelSync(src: Float32Array, outer: number, channels: number, inner: number, scale: Float64Array, dst: Float32Array, threads?: Threads): void;
  scalePerChannel(src: Float32Array, outer: number, channels: number, inner: number, scale: Float64Array, dst: Float32Array, threads?: Threads): Promise<void>;
  crc32cSync(data: ArrayBufferView, init?: number): number;
  crc32c(data: ArrayBufferView, init?: number): Promise<number>;
  transpose2dSync(src: ArrayBufferView, batch: number, rows: number, cols: number, dst: ArrayBufferView, threads?: Threads): void;
  transpose2d(src: ArrayBufferView, batch: number, rows: number, cols: number, dst: ArrayBufferView, threads?: Threads): Promise<void>;

  scanGraphDefSync(bytes: Uint8Array): NativeGraphDefScan;
  scanGraphDef(bytes: Uint8Array): Promise<NativeGraphDefScan>;
  splitGraphDefPlanSync(bytes: Uint8Array, minBytes: number): NativeSplitPlan;
  splitGraphDefPlan(bytes: Uint8Array, minBytes: number): Promise<NativeSplitPlan>;
  splitGraphDefSync(bytes: Uint8Array, minBytes: number, out: Uint8Array, removed: Float64Array): void;
  splitGraphDef(bytes: Uint8Array, minBytes: number, out: Uint8Array, removed: Float64Array): Promise<void>;
  joinGraphDefPlanSync(structure: Uint8Array, tensorIds: Float64Array, views: Uint8Array[]): NativeJoinPlan;
  joinGraphDefPlan(structure: Uint8Array, tensorIds: Float64Array, views: Uint8Array[]): Promise<NativeJoinPlan>;
  joinGraphDefSync(structure: Uint8Array, tensorIds: Float64Array, views: Uint8Array[], out: Uint8Array): void;
  joinGraphDef(structure: Uint8Array, tensorIds: Float64Array, views: Uint8Array[], out: Uint8Array): Promise<void>;

  sstableFooterSync(footer: Uint8Array): NativeSSTableFooter;
  sstableFooter(footer: Uint8Array): Promise<NativeSSTableFooter>;
  sstableCheckBlockSync(raw: Uint8Array, maxBlock: number): NativeSSTableBlockInfo;
  sstableCheckBlock(raw: Uint8Array, maxBlock: number): Promise<NativeSSTableBlockInfo>;
  sstableDecompressBlockSync(body: Uint8Array, maxBlock: number, out: Uint8Array): void;
  sstableDecompressBlock(body: Uint8Array, maxBlock: number, out: Uint8Array): Promise<void>;
  sstableParseBlockSync(block: Uint8Array): NativeSSTableBlock;
  sstableParseBlock(block: Uint8Array): Promise<NativeSSTableBlock>;
  snappyUncompressedLengthSync(src: Uint8Array, maxOutput: number): number;
  snappyUncompressedLength(src: Uint8Array, maxOutput: number): Promise<number>;
}

/** The package root (where package.json, prebuilds/ and build/ live). */
export const packageRoot: string = packageInfo().root;

let cached: { binding: NativeBinding | null; error: Error | null } | undefined;

function explain(cause: unknown): NativeError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  const libc = process.report?.getReport && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime
    ? 'glibc' : 'unknown libc';
  return new NativeError(
    'ERR_TFEXPORT_NATIVE_LOAD',
    `could not load the tfexport native addon (${reason}).\n` +
      `Platform: ${process.platform}-${process.arch} (${libc}), Node ${process.version}, N-API ${process.versions.napi}.\n` +
      'Possible solutions:\n' +
      '- Build it from source: `npm rebuild tfexport` (needs a C++17 compiler and Python for node-gyp, or cmake).\n' +
      '- If you installed with --ignore-scripts, run `npm rebuild tfexport` once.\n' +
      '- Point TFEXPORT_PREBUILD at a .node file built for this platform.\n' +
      '- Set TFEXPORT_BACKEND=js to use the slower pure-TypeScript kernels instead.',
    { file: packageRoot },
  );
}

/**
 * Loads the addon once per module instance. Returns the binding, or null (with the reason)
 * when it cannot be loaded or TFEXPORT_BACKEND=js asks for the pure-TS kernels.
 */
export function loadNative(): { binding: NativeBinding | null; error: Error | null } {
  if (cached) return cached;
  if (process.env.TFEXPORT_BACKEND === 'js') {
    cached = { binding: null, error: new NativeError('ERR_TFEXPORT_NATIVE_DISABLED', 'TFEXPORT_BACKEND=js: native kernels disabled') };
    return cached;
  }
  const require = createRequire(import.meta.url);
  try {
    const override = process.env.TFEXPORT_PREBUILD;
    const binding: NativeBinding = override
      ? require(path.resolve(override))
      : require('node-gyp-build')(packageRoot);
    binding.init(nativeErrorFactory);
    cached = { binding, error: null };
  } catch (e) {
    cached = { binding: null, error: explain(e) };
  }
  return cached;
}

/** The binding, or throws the explanatory load error. */
export function requireNative(): NativeBinding {
  const { binding, error } = loadNative();
  if (!binding) throw error ?? new NativeError('ERR_TFEXPORT_NATIVE_LOAD', 'native addon unavailable');
  return binding;
}

/** Number of CPU threads kernels may use by default (all cores). */
export function defaultThreads(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}
