// SPDX-License-Identifier: Apache-2.0
/**
 * TensorBundle reader: the format of TF checkpoints (V2) and of a SavedModel's `variables/`.
 *
 * `<prefix>.index` is a LevelDB-format table (see `sstable.ts`) whose empty key holds a
 * `BundleHeaderProto` and whose other keys hold one `BundleEntryProto` per tensor; the tensor
 * bytes live in `<prefix>.data-NNNNN-of-MMMMM` shards. Tensors are read one at a time with
 * positioned reads (never whole data files), their size is checked against dtype x shape and
 * against the shard's length before anything is allocated, and their masked CRC32C is verified.
 * Partitioned tensors (TF1 partitioned variables, TF 2.x `MaxShardSizePolicy`) are assembled from
 * their slice records (`slices.ts`).
 */
import fs from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import path from 'node:path';
import { FormatError, IoError, TfexportError, ValidationError } from '../../errors.js';
import { crc32c, crc32cSync, maskCrc32c, unmaskCrc32c } from '../../kernels/index.js';
import { messageCodec } from '../../proto/schema.js';
import type { BundleEntryProto, BundleHeaderProto } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeByteSize, dataTypeEnumName, dtypeName, type DTypeName } from '../../proto/dtypes.js';
import { readExactly, readSSTable } from './sstable.js';
import { copySliceInto, encodeSliceKey, formatExtents, resolveExtents, sliceExtentsFromProto, sliceShape } from './slices.js';

/** Element data of a tensor read from a bundle. */
export type BundleTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  /** DT_STRING: one byte string per element */
  | Uint8Array[];

/**
 * A tensor read from a bundle. Typed-array mapping: float32 Float32Array, float64
 * Float64Array, int8/16/32 Int8/16/32Array, int64 BigInt64Array, uint8/16/32 Uint8/16/32Array,
 * uint64 BigUint64Array, bool Uint8Array (0/1), float16 and bfloat16 Uint16Array (raw bits),
 * complex64 Float32Array and complex128 Float64Array (real, imaginary interleaved), qint8 Int8Array,
 * quint8 Uint8Array, qint16 Int16Array, quint16 Uint16Array, qint32 Int32Array, float8 types
 * Uint8Array (raw bits), string an array of Uint8Array (bytes; see {@link decodeStrings}).
 */
export interface BundleTensor {
  /** bundle key */
  key: string;
  /** short dtype name */
  dtype: DTypeName;
  /** TensorFlow DataType enum value */
  dataType: number;
  /** dimensions, outermost first ([] for a scalar) */
  shape: number[];
  data: BundleTensorData;
}

/** The index record of one tensor. */
export interface TensorBundleEntry {
  key: string;
  /** TensorFlow DataType enum value */
  dataType: number;
  /** short dtype name, or null for a DataType this reader does not know */
  dtype: DTypeName | null;
  shape: number[];
  shardId: number;
  /** byte offset in the data shard */
  offset: number;
  /** byte length in the data shard */
  size: number;
  /** masked CRC32C as stored */
  crc32c: number;
  /**
   * true for a partitioned tensor: its record has no data, its slices are stored under
   * OrderedCode-encoded slice keys (see `slices.ts`); {@link TensorBundle.read} assembles them
   */
  sliced: boolean;
  /** the decoded BundleEntryProto */
  proto: BundleEntryProto;
}

/** An open TensorBundle. Call {@link TensorBundle.close} when done. */
export interface TensorBundle {
  /** the prefix (path without `.index`) */
  readonly prefix: string;
  /** path of the `.index` file */
  readonly indexFile: string;
  /** the header record (key "") */
  readonly header: BundleHeaderProto;
  /** number of data shards (header.num_shards) */
  readonly numShards: number;
  /** number of snappy-compressed blocks in the index */
  readonly snappyBlocks: number;
  /** number of slice records (keys of partitioned tensors' slices), not listed by keys() */
  readonly sliceKeyCount: number;
  /** tensor keys in index order (bytewise sorted), without the header and slice keys */
  keys(): string[];
  /** whether a tensor key exists */
  has(key: string): boolean;
  /**
   * The index record of a tensor.
   * @throws ValidationError `ERR_TFEXPORT_KEY_NOT_FOUND`; FormatError when the record is corrupt
   */
  entry(key: string): TensorBundleEntry;
  /** Every tensor's index record, in key order. */
  entries(): TensorBundleEntry[];
  /**
   * Reads and verifies one tensor; a partitioned tensor is assembled from its slices.
   * @throws FormatError `ERR_TFEXPORT_BUNDLE_CRC` (naming the data file and key),
   *   `ERR_TFEXPORT_BUNDLE_ENTRY`, `ERR_TFEXPORT_BUNDLE_UNSUPPORTED`, `ERR_TFEXPORT_TRUNCATED`,
   *   `ERR_TFEXPORT_BUNDLE_SLICE` (a slice record missing, inconsistent, or not covering the tensor)
   */
  read(key: string): Promise<BundleTensor>;
  /** Reads one tensor's verified bytes as stored (little-endian elements / string encoding). */
  readBytes(key: string): Promise<Uint8Array>;
  /**
   * Opens a sequential, chunked read of one tensor's bytes (the bytes {@link readBytes}
   * returns), so that a large tensor is never wholly resident: each
   * {@link TensorByteStream.read} fills the caller's buffer with the next bytes by a
   * positioned read of the data file, and the CRC32C is computed across the chunks and
   * checked when the last byte is read. Fixed-width dtypes of unpartitioned tensors only.
   * @throws ValidationError `ERR_TFEXPORT_BAD_ARGUMENT` for a string or partitioned tensor;
   *   FormatError `ERR_TFEXPORT_BUNDLE_ENTRY` (bytes past the end of the data file) and the
   *   other layout errors of {@link read}
   */
  openStream(key: string): Promise<TensorByteStream>;
  /** Closes the data shards opened so far. */
  close(): Promise<void>;
}

/** A sequential reader of one tensor's bytes ({@link TensorBundle.openStream}). */
export interface TensorByteStream {
  /** bundle key */
  readonly key: string;
  /** the data file read from */
  readonly file: string;
  /** the tensor's byte length */
  readonly byteLength: number;
  /** bytes read so far */
  readonly position: number;
  /**
   * Reads the next `dst.byteLength` bytes of the tensor into `dst` (at most the bytes left).
   * The read that reaches the end verifies the tensor's CRC32C over all the chunks.
   * @throws FormatError `ERR_TFEXPORT_BUNDLE_CRC` (naming the data file and key) on a checksum
   *   mismatch, `ERR_TFEXPORT_TRUNCATED` when the data file ends early; ValidationError
   *   `ERR_TFEXPORT_BAD_ARGUMENT` for a read past the tensor's end or on a closed bundle
   */
  read(dst: Uint8Array): Promise<void>;
}

/** Name of data shard `shard` of `numShards` for `prefix`. */
export function bundleDataFile(prefix: string, shard: number, numShards: number): string {
  const pad = (n: number): string => String(n).padStart(5, '0');
  return `${prefix}.data-${pad(shard)}-of-${pad(numShards)}`;
}

/** Decodes the elements of a DT_STRING tensor as UTF-8 (invalid sequences become U+FFFD). */
export function decodeStrings(tensor: BundleTensor): string[] {
  if (!Array.isArray(tensor.data)) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `tensor ${tensor.key} is ${tensor.dtype}, not string`);
  const dec = new TextDecoder();
  return tensor.data.map((b) => dec.decode(b));
}

/** Reader version of this implementation (TF's kTensorBundleVersion). */
const BUNDLE_READER_VERSION = 1;
/** Tensors at least this large are checksummed off the main thread. */
const ASYNC_CRC_THRESHOLD = 1 << 20;

function entryError(file: string, key: string, what: string, code = 'ERR_TFEXPORT_BUNDLE_ENTRY'): FormatError {
  return new FormatError(code, `${file}: tensor ${JSON.stringify(key)}: ${what}`, { file, field: key });
}

/** Converts a non-negative int64 to a safe number or throws. */
function safeNumber(v: bigint, file: string, key: string, what: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw entryError(file, key, `${what} ${v} is out of range`);
  return Number(v);
}

/** Product of dims with overflow checks; null if a dim is negative. */
function elementCount(shape: number[], file: string, key: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw entryError(file, key, `shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  return n;
}

function typedView(dataType: number, buf: ArrayBuffer): Exclude<BundleTensorData, Uint8Array[]> {
  const base = dataType > 100 ? dataType - 100 : dataType;
  switch (base) {
    case DataType.DT_FLOAT: case DataType.DT_COMPLEX64: return new Float32Array(buf);
    case DataType.DT_DOUBLE: case DataType.DT_COMPLEX128: return new Float64Array(buf);
    case DataType.DT_INT8: case DataType.DT_QINT8: return new Int8Array(buf);
    case DataType.DT_INT16: case DataType.DT_QINT16: return new Int16Array(buf);
    case DataType.DT_INT32: case DataType.DT_QINT32: return new Int32Array(buf);
    case DataType.DT_INT64: return new BigInt64Array(buf);
    case DataType.DT_UINT16: case DataType.DT_QUINT16: case DataType.DT_HALF: case DataType.DT_BFLOAT16: return new Uint16Array(buf);
    case DataType.DT_UINT32: return new Uint32Array(buf);
    case DataType.DT_UINT64: return new BigUint64Array(buf);
    default: return new Uint8Array(buf); // uint8, quint8, bool, float8 variants
  }
}

/**
 * Parses the DT_STRING layout (varint lengths, masked CRC of the lengths, string bytes), checks
 * the lengths' checksum and returns the strings plus the CRC the entry's crc32c is taken over
 * (lengths as little-endian uint32 (uint64 above 4 GiB), the 4 checksum bytes, the strings).
 */
function decodeStringTensor(bytes: Uint8Array, count: number, entry: TensorBundleEntry, file: string): { strings: Uint8Array[]; crc: number } {
  const key = entry.key;
  const lengths: number[] = new Array(count);
  let pos = 0;
  let wide = 0; // lengths above 4 GiB are checksummed as uint64
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let j = 0, scale = 1; ; j++, scale *= 128) {
      if (pos >= bytes.length) throw entryError(file, key, `string length ${i} runs past the ${bytes.length}-byte tensor`);
      if (j >= 10) throw entryError(file, key, `string length ${i} is a varint longer than 10 bytes`);
      const b = bytes[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    if (v > bytes.length) throw entryError(file, key, `string ${i} declares ${v} bytes, more than the ${bytes.length}-byte tensor`);
    lengths[i] = v;
    if (v > 0xffffffff) wide++;
  }
  // CRC of the lengths as little-endian uint32 (uint64 above 4 GiB), in one call
  const lenBytes = new Uint8Array(count * 4 + wide * 4);
  const lenView = new DataView(lenBytes.buffer);
  for (let i = 0, o = 0; i < count; i++) {
    const v = lengths[i]!;
    if (v > 0xffffffff) {
      lenView.setBigUint64(o, BigInt(v), true);
      o += 8;
    } else {
      lenView.setUint32(o, v, true);
      o += 4;
    }
  }
  let crc = crc32cSync(lenBytes);
  if (bytes.length - pos < 4) throw entryError(file, key, 'string tensor ends before its length checksum');
  const storedLengthsCrc = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0, true);
  if (unmaskCrc32c(storedLengthsCrc) !== crc) {
    throw new FormatError(
      'ERR_TFEXPORT_BUNDLE_CRC',
      `${file}: checksum mismatch in the string lengths of tensor ${JSON.stringify(key)} (stored 0x${storedLengthsCrc.toString(16)}, computed 0x${maskCrc32c(crc).toString(16)})`,
      { file, field: key },
    );
  }
  crc = crc32cSync(bytes.subarray(pos, pos + 4), crc);
  pos += 4;
  const stringsStart = pos;
  const out: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = lengths[i]!;
    if (len > bytes.length - pos) throw entryError(file, key, `string ${i} (${len} bytes) runs past the end of the tensor`);
    out[i] = bytes.subarray(pos, pos + len);
    pos += len;
  }
  if (pos !== bytes.length) throw entryError(file, key, `string data ends at byte ${pos} of the ${bytes.length}-byte tensor`);
  crc = crc32cSync(bytes.subarray(stringsStart), crc);
  return { strings: out, crc };
}

/** Compares a tensor's CRC32C with its record's masked one. */
function checkMaskedCrc(crc: number, entry: TensorBundleEntry, file: string): void {
  const masked = maskCrc32c(crc);
  if (masked !== entry.crc32c) {
    throw new FormatError(
      'ERR_TFEXPORT_BUNDLE_CRC',
      `${file}: crc32c mismatch for tensor ${JSON.stringify(entry.key)} (stored masked 0x${entry.crc32c.toString(16)}, computed 0x${masked.toString(16)}): the data file is corrupt`,
      { file, field: entry.key },
    );
  }
}

class TensorBundleReader implements TensorBundle {
  readonly prefix: string;
  readonly indexFile: string;
  readonly header: BundleHeaderProto;
  readonly numShards: number;
  readonly snappyBlocks: number;
  readonly sliceKeyCount: number;
  private readonly rawEntries: Map<string, Uint8Array>;
  /** slice records by their key bytes as a latin1 string */
  private readonly sliceRecords: Map<string, Uint8Array>;
  private readonly decoded = new Map<string, TensorBundleEntry>();
  private readonly shards = new Map<number, Promise<{ handle: fs.FileHandle; file: string; size: number }>>();
  private closed = false;

  constructor(prefix: string, indexFile: string, header: BundleHeaderProto, rawEntries: Map<string, Uint8Array>, snappyBlocks: number, sliceRecords: Map<string, Uint8Array>) {
    this.prefix = prefix;
    this.indexFile = indexFile;
    this.header = header;
    this.numShards = header.numShards;
    this.rawEntries = rawEntries;
    this.snappyBlocks = snappyBlocks;
    this.sliceRecords = sliceRecords;
    this.sliceKeyCount = sliceRecords.size;
  }

  keys(): string[] {
    return [...this.rawEntries.keys()];
  }

  has(key: string): boolean {
    return this.rawEntries.has(key);
  }

  entry(key: string): TensorBundleEntry {
    const cached = this.decoded.get(key);
    if (cached) return cached;
    const raw = this.rawEntries.get(key);
    if (!raw) {
      throw new ValidationError('ERR_TFEXPORT_KEY_NOT_FOUND', `${this.indexFile}: no tensor ${JSON.stringify(key)} in this bundle`, {
        file: this.indexFile,
        field: key,
      });
    }
    const entry = this.decodeEntry(key, raw);
    this.decoded.set(key, entry);
    return entry;
  }

  /** Decodes and checks one BundleEntryProto record (`key` names it in errors). */
  private decodeEntry(key: string, raw: Uint8Array): TensorBundleEntry {
    let proto: BundleEntryProto;
    try {
      proto = messageCodec('tensorflow.BundleEntryProto').decode(raw, { file: this.indexFile });
    } catch (e) {
      if (e instanceof TfexportError) {
        throw new FormatError(e.code, `${e.message} (record of tensor ${JSON.stringify(key)})`, { ...e.context, file: this.indexFile, key });
      }
      throw e;
    }
    const file = this.indexFile;
    const shapeProto = proto.shape;
    if (shapeProto?.unknownRank) throw entryError(file, key, 'shape has unknown rank');
    const shape = (shapeProto?.dim ?? []).map((d, i) => {
      if (d.size < 0n) throw entryError(file, key, `dimension ${i} is ${d.size}`);
      return safeNumber(d.size, file, key, `dimension ${i}`);
    });
    const entry: TensorBundleEntry = {
      key,
      dataType: proto.dtype,
      dtype: dtypeName(proto.dtype),
      shape,
      shardId: proto.shardId,
      offset: safeNumber(proto.offset, file, key, 'offset'),
      size: safeNumber(proto.size, file, key, 'size'),
      crc32c: proto.crc32c,
      sliced: proto.slices.length > 0,
      proto,
    };
    return entry;
  }

  entries(): TensorBundleEntry[] {
    return this.keys().map((k) => this.entry(k));
  }

  private shard(id: number): Promise<{ handle: fs.FileHandle; file: string; size: number }> {
    let p = this.shards.get(id);
    if (!p) {
      const file = bundleDataFile(this.prefix, id, this.numShards);
      p = (async () => {
        let handle: fs.FileHandle;
        try {
          handle = await fs.open(file, 'r');
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new IoError(code === 'ENOENT' ? 'ERR_TFEXPORT_FILE_NOT_FOUND' : 'ERR_TFEXPORT_IO', `${file}: cannot open data shard ${id} of ${this.numShards} (${(e as Error).message})`, { file });
        }
        const { size } = await handle.stat();
        return { handle, file, size };
      })();
      this.shards.set(id, p);
      // a failed open is not cached
      p.catch(() => this.shards.delete(id));
    }
    return p;
  }

  /** Checks that the entry's bytes lie within its data file; returns the open file. */
  private async locate(entry: TensorBundleEntry): Promise<{ handle: fs.FileHandle; file: string }> {
    if (this.closed) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `${this.indexFile}: bundle is closed`);
    const key = entry.key;
    if (entry.shardId < 0 || entry.shardId >= this.numShards) {
      throw entryError(this.indexFile, key, `shard id ${entry.shardId} outside the ${this.numShards} shards of the header`);
    }
    const { handle, file, size: fileSize } = await this.shard(entry.shardId);
    if (entry.offset > fileSize || entry.size > fileSize - entry.offset) {
      throw entryError(file, key, `bytes [${entry.offset}, ${entry.offset + entry.size}) extend past the end of the ${fileSize}-byte data file`);
    }
    return { handle, file };
  }

  /** Checks the entry and reads its bytes (CRC not yet verified). */
  private async readRaw(entry: TensorBundleEntry): Promise<{ bytes: Uint8Array; file: string }> {
    const key = entry.key;
    const { handle, file } = await this.locate(entry);
    if (entry.size > bufferConstants.MAX_LENGTH) {
      throw entryError(file, key, `size ${entry.size} exceeds the largest buffer Node can allocate`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
    }
    const bytes = await readExactly(handle, file, entry.offset, entry.size, key);
    return { bytes, file };
  }

  /** Checks the entry's masked CRC; `crc` is precomputed for strings, else taken over `bytes`. */
  private async verifyCrc(bytes: Uint8Array, entry: TensorBundleEntry, file: string, crc?: number): Promise<void> {
    if (crc === undefined) crc = bytes.length >= ASYNC_CRC_THRESHOLD ? await crc32c(bytes) : crc32cSync(bytes);
    checkMaskedCrc(crc, entry, file);
  }

  /** Validates dtype/shape against the stored size; returns the element count. */
  private checkLayout(entry: TensorBundleEntry): number {
    const key = entry.key;
    const file = this.indexFile;
    if (entry.dtype === null) throw entryError(file, key, `unknown dtype ${dataTypeEnumName(entry.dataType)}`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
    const count = elementCount(entry.shape, file, key);
    if (entry.sliced) {
      if (entry.dtype === 'string') {
        throw entryError(file, key, `partitioned string tensor stored in ${entry.proto.slices.length} slices: not supported yet`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
      }
      const width = dataTypeByteSize(entry.dataType);
      if (width === null) throw entryError(file, key, `dtype ${entry.dtype} cannot be read from a bundle yet`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
      if (count * width > bufferConstants.MAX_LENGTH) {
        throw entryError(file, key, `${count * width} bytes exceed the largest buffer Node can allocate`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
      }
      return count;
    }
    if (entry.dtype === 'string') {
      // each element needs at least a 1-byte length, plus the 4-byte length checksum
      if (count > entry.size - 4) {
        throw entryError(file, key, `shape [${entry.shape.join(', ')}] has ${count} strings but the tensor holds only ${entry.size} bytes`);
      }
      return count;
    }
    const width = dataTypeByteSize(entry.dataType);
    if (width === null) throw entryError(file, key, `dtype ${entry.dtype} cannot be read from a bundle yet`, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED');
    const expected = count * width;
    if (expected !== entry.size) {
      throw entryError(file, key, `shape [${entry.shape.join(', ')}] x ${width}-byte ${entry.dtype} = ${expected} bytes, but the record says ${entry.size}`);
    }
    return count;
  }

  /**
   * Assembles a partitioned tensor from its slices: each slice record is found under its
   * OrderedCode key, checked (dtype, shape = the slice's extents, size, CRC) and copied into place;
   * the slices must cover the tensor exactly once. Holds the full tensor and one slice at a time.
   */
  private async readSliced(entry: TensorBundleEntry, count: number): Promise<Uint8Array> {
    const key = entry.key;
    const file = this.indexFile;
    const width = dataTypeByteSize(entry.dataType)!;
    const full = new Uint8Array(count * width);
    let covered = 0;
    for (const [i, sliceProto] of entry.proto.slices.entries()) {
      const fail = (what: string): FormatError => new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', `${file}: tensor ${JSON.stringify(key)} slice ${i}: ${what}`, { file, field: key });
      const extents = resolveExtents(sliceExtentsFromProto(sliceProto, entry.shape.length), entry.shape, fail);
      const sliceKey = encodeSliceKey(key, sliceExtentsFromProto(sliceProto, entry.shape.length));
      const raw = this.sliceRecords.get(Buffer.from(sliceKey).toString('latin1'));
      const label = `${key}${formatExtents(extents)}`;
      if (!raw) throw fail(`no slice record ${formatExtents(extents)} (key ${Buffer.from(sliceKey).toString('hex')}) in the index`);
      const slice = this.decodeEntry(label, raw);
      const shape = sliceShape(extents);
      if (slice.dataType !== entry.dataType) throw fail(`slice dtype ${dataTypeEnumName(slice.dataType)} differs from the tensor's ${dataTypeEnumName(entry.dataType)}`);
      if (slice.sliced) throw fail('a slice is itself partitioned');
      if (slice.shape.length !== shape.length || slice.shape.some((d, j) => d !== shape[j])) {
        throw fail(`slice record has shape [${slice.shape.join(', ')}], its extents say [${shape.join(', ')}]`);
      }
      const n = elementCount(shape, file, label);
      if (slice.size !== n * width) throw fail(`slice record says ${slice.size} bytes, [${shape.join(', ')}] x ${width} bytes = ${n * width}`);
      const { bytes, file: dataFile } = await this.readRaw(slice);
      await this.verifyCrc(bytes, slice, dataFile);
      copySliceInto(full, entry.shape, extents, bytes, width);
      covered += n;
    }
    if (covered !== count) {
      throw new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', `${file}: the ${entry.proto.slices.length} slices of tensor ${JSON.stringify(key)} cover ${covered} of its ${count} elements`, {
        file,
        field: key,
      });
    }
    return full;
  }

  async readBytes(key: string): Promise<Uint8Array> {
    const entry = this.entry(key);
    const count = this.checkLayout(entry);
    if (entry.sliced) return this.readSliced(entry, count);
    const { bytes, file } = await this.readRaw(entry);
    const crc = entry.dtype === 'string' ? decodeStringTensor(bytes, count, entry, file).crc : undefined;
    await this.verifyCrc(bytes, entry, file, crc);
    return bytes;
  }

  async openStream(key: string): Promise<TensorByteStream> {
    const entry = this.entry(key);
    this.checkLayout(entry);
    if (entry.sliced || dataTypeByteSize(entry.dataType) === null) {
      throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `${this.indexFile}: tensor ${JSON.stringify(key)} is ${entry.sliced ? 'partitioned' : entry.dtype}: it cannot be read in chunks (use readBytes)`, {
        file: this.indexFile,
        field: key,
      });
    }
    const { handle, file } = await this.locate(entry);
    const reader = this;
    const byteLength = entry.size;
    let position = 0;
    let crc = 0;
    if (byteLength === 0) checkMaskedCrc(0, entry, file);
    return {
      key,
      file,
      byteLength,
      get position() {
        return position;
      },
      async read(dst: Uint8Array): Promise<void> {
        if (reader.closed) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `${reader.indexFile}: bundle is closed`, { file, field: key });
        const len = dst.byteLength;
        if (len > byteLength - position) {
          throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `${file}: tensor ${JSON.stringify(key)}: a read of ${len} bytes at byte ${position} runs past its ${byteLength} bytes`, { file, field: key });
        }
        if (len === 0) return;
        let done = 0;
        while (done < len) {
          const at = entry.offset + position + done;
          let bytesRead: number;
          try {
            ({ bytesRead } = await handle.read(dst, done, len - done, at));
          } catch (e) {
            throw new IoError('ERR_TFEXPORT_IO', `${file}: cannot read tensor ${JSON.stringify(key)} (${(e as Error).message})`, { file, field: key });
          }
          if (bytesRead === 0) {
            throw new FormatError('ERR_TFEXPORT_TRUNCATED', `${file}: tensor ${JSON.stringify(key)}: file ends after ${at} bytes, ${entry.offset + byteLength - at} more expected`, { file, field: key });
          }
          done += bytesRead;
        }
        crc = len >= ASYNC_CRC_THRESHOLD ? await crc32c(dst, crc) : crc32cSync(dst, crc);
        position += len;
        if (position === byteLength) checkMaskedCrc(crc, entry, file);
      },
    };
  }

  async read(key: string): Promise<BundleTensor> {
    const entry = this.entry(key);
    const count = this.checkLayout(entry);
    if (entry.sliced) {
      const full = await this.readSliced(entry, count);
      return { key, dtype: entry.dtype!, dataType: entry.dataType, shape: entry.shape, data: typedView(entry.dataType, full.buffer as ArrayBuffer) };
    }
    const { bytes, file } = await this.readRaw(entry);
    let data: BundleTensorData;
    let crc: number | undefined;
    if (entry.dtype === 'string') {
      const decoded = decodeStringTensor(bytes, count, entry, file);
      data = decoded.strings;
      crc = decoded.crc;
    } else {
      data = typedView(entry.dataType, bytes.buffer as ArrayBuffer);
    }
    await this.verifyCrc(bytes, entry, file, crc);
    return { key, dtype: entry.dtype!, dataType: entry.dataType, shape: entry.shape, data };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.shards.values()];
    this.shards.clear();
    for (const p of pending) {
      try {
        const { handle } = await p;
        await handle.close();
      } catch {
        // open failed: nothing to close
      }
    }
  }
}

/**
 * Opens a TensorBundle: reads and checks the index, not the data shards.
 * @param prefix the bundle prefix (e.g. `saved/variables/variables` or `ckpt-3`); a trailing
 *   `.index` is accepted
 * @returns an open {@link TensorBundle}
 * @throws IoError `ERR_TFEXPORT_FILE_NOT_FOUND` when the index is missing; FormatError when the
 *   index is not a valid bundle index (bad magic, block CRC, truncation, no header, unsupported
 *   endianness or version)
 * @example
 * ```ts
 * const bundle = await openTensorBundle('model/variables/variables');
 * try {
 *   for (const key of bundle.keys()) console.log(key, bundle.entry(key).shape);
 *   const t = await bundle.read('dense/kernel/.ATTRIBUTES/VARIABLE_VALUE');
 * } finally {
 *   await bundle.close();
 * }
 * ```
 */
export async function openTensorBundle(prefix: string): Promise<TensorBundle> {
  const base = prefix.endsWith('.index') ? prefix.slice(0, -'.index'.length) : prefix;
  const indexFile = `${base}.index`;
  const table = await readSSTable(indexFile);
  let header: BundleHeaderProto | null = null;
  const raw = new Map<string, Uint8Array>();
  const sliceRecords = new Map<string, Uint8Array>();
  const keyDecoder = new TextDecoder();
  for (const rec of table.records) {
    if (rec.key.length === 0) {
      header = messageCodec('tensorflow.BundleHeaderProto').decode(rec.value, { file: indexFile });
      continue;
    }
    if (rec.key[0] === 0) {
      // OrderedCode-encoded key of one slice of a partitioned tensor (see slices.ts)
      sliceRecords.set(Buffer.from(rec.key).toString('latin1'), rec.value);
      continue;
    }
    raw.set(keyDecoder.decode(rec.key), rec.value);
  }
  if (!header) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_HEADER', `${indexFile}: no BundleHeaderProto (empty key): not a TensorBundle index`, { file: indexFile, field: '' });
  }
  if (header.endianness !== 0) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_UNSUPPORTED', `${indexFile}: big-endian bundle: not supported (TensorFlow does not read it on little-endian hosts either)`, {
      file: indexFile,
      field: 'endianness',
    });
  }
  const version = header.version;
  if (version && (version.minConsumer > BUNDLE_READER_VERSION || version.badConsumers.includes(BUNDLE_READER_VERSION))) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_UNSUPPORTED', `${indexFile}: bundle version needs a reader newer than version ${BUNDLE_READER_VERSION} (min_consumer ${version.minConsumer})`, {
      file: indexFile,
      field: 'version',
    });
  }
  if (header.numShards < 0) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_HEADER', `${indexFile}: negative num_shards ${header.numShards}`, { file: indexFile, field: 'num_shards' });
  }
  return new TensorBundleReader(path.normalize(base), indexFile, header, raw, table.snappyBlocks, sliceRecords);
}
