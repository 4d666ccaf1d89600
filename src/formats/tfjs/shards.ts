// SPDX-License-Identifier: Apache-2.0
/**
 * tfjs weight groups: the `group{G}-shard{i}of{n}.bin` files and their manifest entries
 * (formats.md b1.2; tensorflowjs `write_weights.py`, tfjs-core `io_utils.decodeWeights`).
 *
 * A group is the raw little-endian bytes of its weights, in manifest order, concatenated
 * with no padding and cut into consecutive shards of at most `shardSizeBytes` bytes (the
 * last may be smaller; a weight may straddle two or more shards; an empty group has no
 * shard at all). The writer streams each tensor's bytes straight to the shard files with
 * positional writes and never concatenates the group in memory; the reader returns one
 * byte view per weight, a view into the shard's buffer wherever the weight lies within one
 * shard, and a copy only for weights that straddle shards.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FormatError, ValidationError, invalidParameter } from '../../errors.js';
import { ioError, trackTempPath, untrackTempPath, tempSiblingPath, fsyncDir } from '../../util/atomic.js';

/** Dtypes a tfjs weights manifest entry may declare. */
export type TfjsWeightDType = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';

/** Storage dtypes of quantized tfjs weights. */
export type TfjsQuantizationDType = 'uint8' | 'uint16' | 'float16';

/** The `quantization` object of a manifest entry (b1.3). */
export interface TfjsQuantization {
  /** Storage dtype of the codes. */
  dtype: TfjsQuantizationDType;
  /** Affine offset (uint8/uint16 only). */
  min?: number;
  /** Affine step (uint8/uint16 only). */
  scale?: number;
  /** Written by the Python converter, ignored by tfjs. */
  original_dtype?: string;
  [key: string]: unknown;
}

/** One entry of a group's `weights` list. */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: TfjsWeightDType;
  quantization?: TfjsQuantization;
  /** `"model"` or `"optimizer"` (tfjs-layers training state); kept as read. */
  group?: string;
}

/** One group of a `weightsManifest`. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}

/** A tensor to write: its manifest entry plus its stored bytes. */
export interface TfjsWeightTensor {
  name: string;
  dtype: TfjsWeightDType;
  shape: readonly number[];
  /**
   * The bytes as stored, little-endian: float32/int32 elements, bool bytes (0/1),
   * complex64 (re, im) float32 pairs, quantization codes for quantized entries, or the
   * length-prefixed encoding of string entries (see {@link encodeStrings}).
   */
  data: ArrayBufferView;
  quantization?: TfjsQuantization;
}

/**
 * Where the producer of a {@link TfjsWeightStream} puts its bytes: straight into the writer's
 * reused shard buffer ({@link region} + {@link commit}), or by copy ({@link write}).
 */
export interface WeightSink {
  /**
   * A writable view of the shard buffer at the current position: at least 1 and at most `max`
   * bytes, never past the end of the current shard or of the tensor's bytes. Fill a prefix
   * of it and {@link commit} that many bytes before the next call.
   */
  region(max: number): Promise<Uint8Array>;
  /** Accepts the first `n` bytes of the last {@link region}. */
  commit(n: number): void;
  /** Appends a copy of `bytes` (which may cross shard boundaries). */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * A tensor whose stored bytes are produced in chunks into the shard buffers (no whole-tensor
 * array): its manifest entry, its exact byte length, and the producer.
 */
export interface TfjsWeightStream {
  name: string;
  dtype: TfjsWeightDType;
  shape: readonly number[];
  quantization?: TfjsQuantization;
  /** Exact number of bytes the producer writes (checked). Not for string weights. */
  byteLength: number;
  /** Writes the stored bytes, in order, into `sink`; resolves when all are written. */
  write(sink: WeightSink): Promise<void>;
}

/** Options of {@link writeWeightGroup}. */
export interface WriteWeightGroupOptions {
  /** Maximum bytes per shard file (positive integer, default 4194304 = 4 MiB). */
  shardSizeBytes?: number;
  /** 1-based group number in the file names (default 1). */
  groupIndex?: number;
  /**
   * Total byte size of the group when known in advance. Checked against the bytes actually
   * written (a mismatch is an error before anything is renamed into place).
   */
  totalBytes?: number;
  /** fsync each shard before it is renamed into place (default true). */
  fsync?: boolean;
  /**
   * fsync `dir` after the renames (default: as `fsync`). False for callers that fsync the
   * directory themselves once everything in it is written (e.g. an {@link atomicOutputDir}).
   */
  syncDir?: boolean;
}

/** A weight read back by {@link readWeightGroup}. */
export interface TfjsWeightData {
  dtype: TfjsWeightDType;
  shape: number[];
  quantization?: TfjsQuantization;
  /**
   * The stored bytes of the weight. A view into the shard's buffer (no copy) when the
   * weight lies in one shard; a fresh copy when it straddles shards. Use
   * {@link typedView} for a typed array of the elements.
   */
  data: Uint8Array;
}

/** Default shard size of tensorflowjs_converter: 4 MiB. */
export const DEFAULT_SHARD_SIZE_BYTES = 4 * 1024 * 1024;

const DTYPE_BYTES: Record<Exclude<TfjsWeightDType, 'string'>, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
};

const QUANT_BYTES: Record<TfjsQuantizationDType, number> = { uint8: 1, uint16: 2, float16: 2 };

type Fail = (field: string, message: string) => Error;

const argFail: Fail = (field, message) =>
  new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', message, { field });

/** Number of elements of a shape, checked to be a safe integer. */
function elementCount(shape: readonly number[], where: string, fail: Fail): number {
  if (!Array.isArray(shape)) throw fail(`${where}.shape`, `${where}.shape must be an array of non-negative integers`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      throw fail(`${where}.shape`, `${where}.shape[${i}] must be a non-negative integer but is ${JSON.stringify(d)}`);
    }
    n *= d as number;
    if (!Number.isSafeInteger(n)) throw fail(`${where}.shape`, `${where}.shape has too many elements`);
  }
  return n;
}

/**
 * Checks a manifest entry (dtype, shape, quantization) and returns its element count and,
 * for fixed-size encodings, its byte length (null for strings, whose length is only known
 * by walking the data).
 */
function checkEntry(
  e: { name: unknown; dtype: unknown; shape: readonly number[]; quantization?: unknown },
  where: string,
  fail: Fail,
): { count: number; bytes: number | null } {
  if (typeof e.name !== 'string' || e.name.length === 0) throw fail(`${where}.name`, `${where}.name must be a non-empty string`);
  const count = elementCount(e.shape, where, fail);
  const dtype = e.dtype;
  if (dtype !== 'string' && !(typeof dtype === 'string' && dtype in DTYPE_BYTES)) {
    throw fail(`${where}.dtype`, `weight ${JSON.stringify(e.name)}: unsupported dtype ${JSON.stringify(dtype)} (expected float32, int32, bool, string or complex64)`);
  }
  if (e.quantization !== undefined) {
    const q = e.quantization as TfjsQuantization;
    if (q === null || typeof q !== 'object' || !(typeof q.dtype === 'string' && q.dtype in QUANT_BYTES)) {
      throw fail(`${where}.quantization.dtype`, `weight ${JSON.stringify(e.name)}: quantization.dtype must be uint8, uint16 or float16 but is ${JSON.stringify((q as { dtype?: unknown } | null)?.dtype)}`);
    }
    if (dtype !== 'float32' && dtype !== 'int32') {
      throw fail(`${where}.quantization`, `weight ${JSON.stringify(e.name)}: only float32 and int32 weights can be quantized, not ${dtype}`);
    }
    if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
      throw fail(`${where}.quantization`, `weight ${JSON.stringify(e.name)}: ${q.dtype} quantization needs finite numbers scale and min`);
    }
    return { count, bytes: count * QUANT_BYTES[q.dtype] };
  }
  if (dtype === 'string') return { count, bytes: null };
  return { count, bytes: count * DTYPE_BYTES[dtype as keyof typeof DTYPE_BYTES] };
}

/**
 * Byte length of a manifest entry's stored data, or null for string entries (whose length
 * is only known by walking the length prefixes).
 * @param entry a manifest entry
 * @throws {ValidationError} when the entry is malformed
 */
export function entryByteLength(entry: Pick<TfjsWeightEntry, 'name' | 'dtype' | 'shape' | 'quantization'>): number | null {
  return checkEntry(entry, `weight ${JSON.stringify(entry?.name)}`, argFail).bytes;
}

/**
 * Walks `count` length-prefixed strings (uint32 LE length + bytes each) in `bytes` from
 * `offset` and returns the encoding's total byte length, or -1 when it runs past the end.
 */
function walkStrings(readU32: (at: number) => number, start: number, end: number, count: number): number {
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) return -1;
    const len = readU32(at);
    at += 4 + len;
    if (at > end) return -1;
  }
  return at - start;
}

/**
 * Encodes strings the tfjs way: per element a uint32 LE byte length then the bytes
 * (strings as UTF-8). Empty strings still take 4 bytes.
 * @param values the elements, row-major
 * @returns the encoded bytes (the `data` of a string weight)
 */
export function encodeStrings(values: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
  const total = parts.reduce((s, p) => s + 4 + p.byteLength, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    dv.setUint32(at, p.byteLength, true);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out;
}

/**
 * Decodes `count` length-prefixed strings (see {@link encodeStrings}) into byte views
 * (no copy).
 * @throws {FormatError} `ERR_TFEXPORT_TFJS_STRING` when the data is too short
 */
export function decodeStrings(data: Uint8Array, count: number): Uint8Array[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > data.byteLength) throw new FormatError('ERR_TFEXPORT_TFJS_STRING', `string element ${i} has no length prefix`);
    const len = dv.getUint32(at, true);
    if (at + 4 + len > data.byteLength) throw new FormatError('ERR_TFEXPORT_TFJS_STRING', `string element ${i} runs past the end of the data`);
    out.push(data.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed array of a weight's stored elements: Float32Array (float32, complex64 pairs),
 * Int32Array, Uint8Array (bool, uint8 codes), Uint16Array (uint16 codes and float16 bits).
 * A view without copying when the bytes are suitably aligned (and the host is
 * little-endian), else an aligned copy. Not for string weights (use {@link decodeStrings}).
 * @param w a weight as returned by {@link readWeightGroup}
 */
export function typedView(w: Pick<TfjsWeightData, 'dtype' | 'quantization' | 'data'>): Float32Array | Int32Array | Uint8Array | Uint16Array {
  const { data } = w;
  const q = w.quantization?.dtype;
  let Ctor: Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor;
  if (q === 'uint8' || (!q && w.dtype === 'bool')) Ctor = Uint8Array;
  else if (q === 'uint16' || q === 'float16') Ctor = Uint16Array;
  else if (w.dtype === 'int32') Ctor = Int32Array;
  else if (w.dtype === 'float32' || w.dtype === 'complex64') Ctor = Float32Array;
  else throw invalidParameter('weight.dtype', 'a numeric dtype (string weights have no typed view)', w.dtype);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (data.byteLength % size !== 0) {
    throw new FormatError('ERR_TFEXPORT_TFJS_SIZE', `weight data of ${data.byteLength} bytes is not a multiple of ${size}`);
  }
  if (data.byteOffset % size === 0 && LITTLE_ENDIAN) return new Ctor(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength / size);
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  const out = new Ctor(copy.buffer, 0, data.byteLength / size);
  if (!LITTLE_ENDIAN && size > 1) {
    const dv = new DataView(copy.buffer);
    for (let i = 0; i < out.length; i++) {
      if (size === 2) (out as Uint16Array)[i] = dv.getUint16(i * 2, true);
      else if (Ctor === Float32Array) (out as Float32Array)[i] = dv.getFloat32(i * 4, true);
      else (out as Int32Array)[i] = dv.getInt32(i * 4, true);
    }
  }
  return out;
}

/** Shard file name: `group{G}-shard{i}of{n}.bin`, all 1-based. */
export function shardFileName(groupIndex: number, shardIndex: number, shardCount: number): string {
  return `group${groupIndex}-shard${shardIndex}of${shardCount}.bin`;
}

function manifestEntry(t: Pick<TfjsWeightTensor, 'name' | 'shape' | 'dtype' | 'quantization'>): TfjsWeightEntry {
  const entry: TfjsWeightEntry = { name: t.name, shape: [...t.shape], dtype: t.dtype };
  if (t.quantization) {
    // Key order as the Python writer emits it: dtype first, then min/scale, then the rest.
    const { dtype, ...rest } = t.quantization;
    entry.quantization = { dtype, ...rest };
  }
  return entry;
}

/**
 * The reused shard buffer: small writes are gathered in it (so that thousands of tiny biases
 * cost few syscalls) and streamed tensors are produced into it; min(shard size, 4 MiB).
 */
const WRITE_BUFFER_BYTES = 4 << 20;
const SMALL_WRITE = 64 << 10;
/**
 * Shards whose fsync may still be running while the next shards are written (each holds a
 * libuv worker thread); all are awaited before any shard is renamed into place.
 */
const MAX_PENDING_SYNCS = 2;

/**
 * Writes one weight group as shard files in `dir`, streaming each tensor's bytes straight
 * to disk with positional writes (the group is never concatenated in memory; a tensor that
 * straddles a shard boundary is written as two or more slices of its view; small tensors
 * go through two reused buffers of min(shard size, 4 MiB), one filled while the other is
 * written). Each tensor's data is consumed
 * before the next one is requested, so a producer may reuse one buffer for all tensors.
 * A {@link TfjsWeightStream} is produced in chunks straight into that buffer, so a large
 * (e.g. quantized) tensor never needs a whole output array. Each shard is fsynced while
 * the following ones are written (at most two at a time), and all before any rename.
 *
 * Shards are written under hidden temporary names and renamed to their final
 * `group{G}-shard{i}of{n}.bin` names only once all tensors are written (n is known only
 * then). If the iterator or a write throws, every shard file written so far is removed:
 * a failed write leaves no shard behind. An empty group writes no file (`paths: []`), as
 * tensorflowjs_converter does.
 *
 * @param dir existing directory to write into (usually an {@link atomicOutputDir} temp dir)
 * @param tensors the weights, in manifest order (sync or async iterable)
 * @param options shard size, group number, expected size, durability
 * @returns the manifest group `{paths, weights}`
 * @throws {ValidationError} `ERR_TFEXPORT_BAD_ARGUMENT` for a bad shard size or group index,
 *   a malformed tensor (dtype, shape, quantization), a byte length that does not match the
 *   shape, or a duplicate weight name
 * @throws {IoError} `ERR_TFEXPORT_IO` naming the shard file when writing fails
 * @example
 * const group = await writeWeightGroup(dir, [
 *   { name: 'dense/kernel', dtype: 'float32', shape: [784, 10], data: kernel },
 * ], { shardSizeBytes: 4194304 });
 */
export async function writeWeightGroup(
  dir: string,
  tensors: Iterable<TfjsWeightTensor | TfjsWeightStream> | AsyncIterable<TfjsWeightTensor | TfjsWeightStream>,
  options: WriteWeightGroupOptions = {},
): Promise<TfjsWeightGroup> {
  const shardSize = options.shardSizeBytes === undefined ? DEFAULT_SHARD_SIZE_BYTES : options.shardSizeBytes;
  if (typeof shardSize !== 'number' || !Number.isSafeInteger(shardSize) || shardSize <= 0) {
    throw invalidParameter('shardSizeBytes', 'a positive integer number of bytes', shardSize);
  }
  const groupIndex = options.groupIndex === undefined ? 1 : options.groupIndex;
  if (typeof groupIndex !== 'number' || !Number.isSafeInteger(groupIndex) || groupIndex <= 0) {
    throw invalidParameter('groupIndex', 'a positive integer (1-based)', groupIndex);
  }
  const expectedTotal = options.totalBytes;
  if (expectedTotal !== undefined && (!Number.isSafeInteger(expectedTotal) || expectedTotal < 0)) {
    throw invalidParameter('totalBytes', 'a non-negative integer', expectedTotal);
  }
  if (typeof dir !== 'string' || dir.length === 0) throw invalidParameter('dir', 'a directory path', dir);
  if (tensors === null || typeof tensors !== 'object' ||
      !(Symbol.iterator in tensors || Symbol.asyncIterator in tensors)) {
    throw invalidParameter('tensors', 'an iterable or async iterable of tensors', tensors);
  }
  const doSync = options.fsync ?? true;
  const absDir = path.resolve(dir);

  const weights: TfjsWeightEntry[] = [];
  const names = new Set<string>();
  const tempFiles: string[] = [];
  let fh: FileHandle | undefined; // current shard
  let fhPath = '';
  let shardPos = 0; // bytes written (or staged) into the current shard
  let total = 0;
  const bufSize = Math.min(shardSize, WRITE_BUFFER_BYTES);
  // Two buffers: one is filled while the other's write is in flight.
  const buffers = [new Uint8Array(bufSize), new Uint8Array(bufSize)] as const;
  let staging: Uint8Array = buffers[0];
  let inflight: Promise<unknown> | null = null; // the other buffer's write; settles to its error or null
  const awaitInflight = async (): Promise<void> => {
    if (!inflight) return;
    const err = await inflight;
    inflight = null;
    if (err) throw err;
  };
  let staged = 0; // staged bytes belong to the current shard, ending at shardPos
  // fsync + close of finished shards, running while the next ones are written; each settles
  // to its error (or null) so that none is an unhandled rejection.
  const pending: Promise<unknown>[] = [];
  const awaitPending = async (keep: number): Promise<void> => {
    while (pending.length > keep) {
      const err = await pending.shift();
      if (err) throw err;
    }
  };

  /** Starts writing the staged bytes and switches to the other buffer (once its write is done). */
  const flushStaging = async (): Promise<void> => {
    if (staged === 0 || !fh) return;
    await awaitInflight();
    const h = fh;
    const file = fhPath;
    const buf = staging;
    const len = staged;
    const base = shardPos - staged;
    inflight = (async () => {
      try {
        for (let done = 0; done < len;) {
          const { bytesWritten } = await h.write(buf, done, len - done, base + done);
          done += bytesWritten;
        }
        return null;
      } catch (e) {
        return ioError(e, 'write', file);
      }
    })();
    staging = staging === buffers[0] ? buffers[1] : buffers[0];
    staged = 0;
  };

  const closeShard = async (): Promise<void> => {
    if (!fh) return;
    await flushStaging();
    await awaitInflight();
    const h = fh;
    const file = fhPath;
    fh = undefined;
    pending.push((async () => {
      try {
        if (doSync) await h.sync();
        await h.close();
        return null;
      } catch (e) {
        await h.close().catch(() => undefined);
        return ioError(e, 'write', file);
      }
    })());
    await awaitPending(MAX_PENDING_SYNCS);
  };

  const openShard = async (): Promise<void> => {
    // Temp names carry the shard number; the final names need the count, known at the end.
    const tmp = tempSiblingPath(path.join(absDir, `group${groupIndex}-shard${tempFiles.length + 1}`));
    trackTempPath(tmp);
    tempFiles.push(tmp);
    try {
      fh = await fsp.open(tmp, 'wx', 0o644);
    } catch (e) {
      throw ioError(e, 'create', tmp);
    }
    fhPath = tmp;
    shardPos = 0;
  };

  const writeBytes = async (bytes: Uint8Array): Promise<void> => {
    let off = 0;
    while (off < bytes.byteLength) {
      if (!fh || shardPos === shardSize) {
        await closeShard();
        await openShard();
      }
      const n = Math.min(bytes.byteLength - off, shardSize - shardPos);
      if (n <= SMALL_WRITE && staged + n <= bufSize) {
        staging.set(bytes.subarray(off, off + n), staged);
        staged += n;
      } else {
        await flushStaging();
        let done = 0;
        try {
          while (done < n) {
            const { bytesWritten } = await fh!.write(bytes, off + done, n - done, shardPos + done);
            done += bytesWritten;
          }
        } catch (e) {
          throw ioError(e, 'write', fhPath);
        }
      }
      shardPos += n;
      off += n;
      total += n;
    }
  };

  /** Lets a stream's producer fill the shard buffer; returns the bytes it wrote. */
  const writeStream = async (t: TfjsWeightStream, where: string, bytes: number): Promise<number> => {
    const start = total;
    let lastRegion = 0;
    const sink: WeightSink = {
      region: async (max: number): Promise<Uint8Array> => {
        const left = bytes - (total - start);
        if (!(typeof max === 'number' && max >= 1)) throw invalidParameter('max', 'a positive number of bytes', max);
        if (left <= 0) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(t.name)}: its producer asked for room past its ${bytes} bytes`, { field: `${where}.write` });
        if (!fh || shardPos === shardSize) {
          await closeShard();
          await openShard();
        }
        if (staged === bufSize) await flushStaging();
        const n = Math.min(Math.floor(max), left, bufSize - staged, shardSize - shardPos);
        lastRegion = n;
        return staging.subarray(staged, staged + n);
      },
      commit: (n: number): void => {
        if (!Number.isSafeInteger(n) || n < 0 || n > lastRegion) throw invalidParameter('n', `an integer from 0 to ${lastRegion} (the last region's length)`, n);
        staged += n;
        shardPos += n;
        total += n;
        lastRegion = 0;
      },
      write: async (b: Uint8Array): Promise<void> => {
        lastRegion = 0;
        if (b.byteLength > bytes - (total - start)) {
          throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(t.name)}: its producer wrote past its ${bytes} bytes`, { field: `${where}.write` });
        }
        await writeBytes(b);
      },
    };
    await t.write(sink);
    return total - start;
  };

  const renamed: string[] = [];
  try {
    let index = 0;
    for await (const t of tensors) {
      const where = `tensors[${index}]`;
      if (t === null || typeof t !== 'object') throw invalidParameter(where, 'a tensor {name, dtype, shape, data}', t);
      const { count, bytes } = checkEntry(t, where, argFail);
      if (names.has(t.name)) {
        throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `duplicate weight name ${JSON.stringify(t.name)} in group ${groupIndex}`, { field: `${where}.name` });
      }
      names.add(t.name);
      if ('write' in t && typeof t.write === 'function') {
        if (bytes === null) throw invalidParameter(`${where}.write`, 'a data view (string weights cannot be streamed)', t.write);
        if (t.byteLength !== bytes) {
          throw new ValidationError(
            'ERR_TFEXPORT_BAD_ARGUMENT',
            `weight ${JSON.stringify(t.name)}: byteLength is ${String(t.byteLength)} but ${t.quantization ? `${t.quantization.dtype}-quantized ` : ''}${t.dtype}[${t.shape.join(',')}] needs ${bytes}`,
            { field: `${where}.byteLength` },
          );
        }
        weights.push(manifestEntry(t));
        const wrote = await writeStream(t, where, bytes);
        if (wrote !== bytes) {
          throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(t.name)}: its producer wrote ${wrote} of its ${bytes} bytes`, { field: `${where}.write` });
        }
        index++;
        continue;
      }
      if (!('data' in t) || !ArrayBuffer.isView(t.data)) throw invalidParameter(`${where}.data`, 'an ArrayBufferView of the stored bytes', (t as { data?: unknown }).data);
      const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (bytes === null) {
        const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
        const walked = walkStrings((at) => dv.getUint32(at, true), 0, view.byteLength, count);
        if (walked !== view.byteLength) {
          throw new ValidationError(
            'ERR_TFEXPORT_BAD_ARGUMENT',
            `weight ${JSON.stringify(t.name)}: string data of ${view.byteLength} bytes is not the length-prefixed encoding of ${count} strings`,
            { field: `${where}.data` },
          );
        }
      } else if (view.byteLength !== bytes) {
        throw new ValidationError(
          'ERR_TFEXPORT_BAD_ARGUMENT',
          `weight ${JSON.stringify(t.name)}: data has ${view.byteLength} bytes but ${t.quantization ? `${t.quantization.dtype}-quantized ` : ''}${t.dtype}[${t.shape.join(',')}] needs ${bytes}`,
          { field: `${where}.data` },
        );
      }
      weights.push(manifestEntry(t));
      await writeBytes(view);
      index++;
    }
    await closeShard();
    await awaitPending(0);
    if (expectedTotal !== undefined && expectedTotal !== total) {
      throw new ValidationError(
        'ERR_TFEXPORT_BAD_ARGUMENT',
        `group ${groupIndex}: totalBytes was given as ${expectedTotal} but the tensors hold ${total} bytes`,
        { field: 'totalBytes' },
      );
    }
    const n = tempFiles.length;
    const paths = tempFiles.map((_, i) => shardFileName(groupIndex, i + 1, n));
    for (let i = 0; i < n; i++) {
      const final = path.join(absDir, paths[i]);
      try {
        await fsp.rename(tempFiles[i], final);
      } catch (e) {
        throw ioError(e, 'rename into place', final);
      }
      renamed.push(final);
      untrackTempPath(tempFiles[i]);
    }
    if ((options.syncDir ?? doSync) && n > 0) await fsyncDir(absDir);
    return { paths, weights };
  } catch (e) {
    if (inflight) await inflight;
    await fh?.close().catch(() => undefined);
    await Promise.all(pending.splice(0));
    for (const p of [...tempFiles, ...renamed]) {
      await fsp.rm(p, { force: true }).catch(() => undefined);
      untrackTempPath(p);
    }
    throw e;
  }
}

/** Resolves a manifest path inside `dir`, refusing absolute paths and `..` escapes. */
function resolveShardPath(dir: string, p: unknown, where: string): string {
  if (typeof p !== 'string' || p.length === 0) {
    throw new FormatError('ERR_TFEXPORT_TFJS_MANIFEST', `${where} must be a non-empty file name`, { field: where });
  }
  const resolved = path.resolve(dir, p);
  const rel = path.relative(dir, resolved);
  if (path.isAbsolute(p) || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new FormatError(
      'ERR_TFEXPORT_TFJS_BAD_PATH',
      `${where} ${JSON.stringify(p)} points outside the model directory ${dir}`,
      { field: where, file: resolved },
    );
  }
  return resolved;
}

async function readWholeFile(file: string, where: string): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FormatError('ERR_TFEXPORT_TFJS_SHARD_MISSING', `weight shard ${file} named by ${where} does not exist`, { file, field: where });
    }
    throw ioError(e, 'open', file);
  }
  try {
    const { size } = await fh.stat();
    // Own ArrayBuffer at offset 0 (not the pooled allocator): views keep their natural alignment.
    const buf = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } catch (e) {
    throw ioError(e, 'read', file);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Reads a weight group's shards from `dir` and returns each weight's stored bytes by name.
 * Weights lying within one shard are views into that shard's buffer (no copy); only
 * weights straddling shards are copied. Sizes are validated: a manifest whose entries need
 * more bytes than the shards hold is a FormatError naming the file and the weight; extra
 * trailing bytes after the last weight are tolerated (tfjs ignores them too).
 *
 * @param dir the directory the manifest's `paths` are relative to
 * @param group the manifest group
 * @returns name → `{dtype, shape, quantization?, data}` in manifest order
 * @throws {FormatError} `ERR_TFEXPORT_TFJS_MANIFEST` (malformed group or entry),
 *   `ERR_TFEXPORT_TFJS_DUPLICATE_WEIGHT`, `ERR_TFEXPORT_TFJS_BAD_PATH` (a path outside
 *   `dir`), `ERR_TFEXPORT_TFJS_SHARD_MISSING`, `ERR_TFEXPORT_TFJS_TRUNCATED` (shards too
 *   short for the manifest)
 * @throws {IoError} `ERR_TFEXPORT_IO` when a shard cannot be read
 */
export async function readWeightGroup(dir: string, group: TfjsWeightGroup): Promise<Map<string, TfjsWeightData>> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidParameter('dir', 'a directory path', dir);
  const fmtFail: Fail = (field, message) => new FormatError('ERR_TFEXPORT_TFJS_MANIFEST', message, { field });
  if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
    throw fmtFail('group', 'a weights manifest group must be an object with arrays "paths" and "weights"');
  }
  const absDir = path.resolve(dir);
  const files = group.paths.map((p, i) => resolveShardPath(absDir, p, `paths[${i}]`));

  // Check the entries before reading any file, so a bad manifest fails fast.
  const plans = group.weights.map((w, i) => {
    const where = `weights[${i}]`;
    if (w === null || typeof w !== 'object') throw fmtFail(where, `${where} must be an object`);
    return { w, ...checkEntry(w, where, fmtFail) };
  });

  const shards: Buffer[] = [];
  for (let i = 0; i < files.length; i++) shards.push(await readWholeFile(files[i], `paths[${i}]`));
  const starts: number[] = [];
  let groupBytes = 0;
  for (const s of shards) {
    starts.push(groupBytes);
    groupBytes += s.byteLength;
  }

  // Index of the shard holding group offset `at` (at < groupBytes), by binary search.
  const shardAt = (at: number): number => {
    let lo = 0;
    let hi = shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty shards that share a start offset.
    while (lo < shards.length - 1 && shards[lo].byteLength === 0) lo++;
    return lo;
  };
  const slice = (at: number, len: number): Uint8Array => {
    if (len === 0) return new Uint8Array(0);
    const s = shardAt(at);
    const local = at - starts[s];
    if (local + len <= shards[s].byteLength) return new Uint8Array(shards[s].buffer, shards[s].byteOffset + local, len);
    const out = new Uint8Array(len);
    let done = 0;
    let k = s;
    let off = local;
    while (done < len) {
      const take = Math.min(len - done, shards[k].byteLength - off);
      out.set(shards[k].subarray(off, off + take), done);
      done += take;
      k++;
      off = 0;
    }
    return out;
  };
  const readU32 = (at: number): number => {
    const b = slice(at, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  };
  const lastFile = files.length ? files[files.length - 1] : absDir;
  const truncated = (name: string, need: number | null, at: number): FormatError => {
    const file = at < groupBytes ? files[shardAt(at)] : lastFile;
    const where = file === lastFile ? `${lastFile} ends too early` : `it starts in ${file}; the last shard ${lastFile} ends too early`;
    const what = need === null
      ? `weight ${JSON.stringify(name)}: its length-prefixed strings (from group offset ${at}) run past the end`
      : `weight ${JSON.stringify(name)} needs ${need} bytes from group offset ${at}`;
    return new FormatError(
      'ERR_TFEXPORT_TFJS_TRUNCATED',
      `${what}, but the group's ${files.length} shard file(s) hold ${groupBytes} bytes in total (${where})`,
      { file, field: name },
    );
  };

  const out = new Map<string, TfjsWeightData>();
  let at = 0;
  for (const { w, count, bytes } of plans) {
    if (out.has(w.name)) {
      throw new FormatError('ERR_TFEXPORT_TFJS_DUPLICATE_WEIGHT', `weight ${JSON.stringify(w.name)} appears twice in the group`, { field: w.name });
    }
    let len: number;
    if (bytes === null) {
      len = walkStrings(readU32, at, groupBytes, count);
      if (len < 0) throw truncated(w.name, null, at);
    } else {
      len = bytes;
      if (at + len > groupBytes) throw truncated(w.name, len, at);
    }
    const entry: TfjsWeightData = { dtype: w.dtype, shape: [...w.shape], data: slice(at, len) };
    if (w.quantization) entry.quantization = { ...w.quantization };
    out.set(w.name, entry);
    at += len;
  }
  return out;
}
