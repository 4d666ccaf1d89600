// SPDX-License-Identifier: Apache-2.0
/**
 * Reader of LevelDB-format table files (TensorFlow's `lib/io/table`), the format of a
 * TensorBundle's `.index` file: data blocks of prefix-compressed key/value records with restart
 * points, each followed by a 5-byte trailer (compression type + masked CRC32C of the block and
 * the type byte), a metaindex block, an index block mapping separator keys to data-block handles,
 * and a 48-byte footer ending in the magic number 0xdb4775248b80fb57.
 *
 * Blocks are read with positioned reads; every handle, length and offset is checked against the
 * file and block bounds, and block CRCs are verified, so malformed tables end in a
 * {@link FormatError} naming the file and block.
 *
 * File I/O is always TypeScript. Footer, block (CRC, compression type, snappy) and record
 * parsing run in the native reader (native/wire/sstable.cc) when the addon loads, else in the
 * TypeScript code below, which is the fallback and the specification the native reader
 * mirrors check for check: both return the same records and fail with the same error codes
 * (test/formats/tf/sstable-native.test.ts).
 */
import fs from 'node:fs/promises';
import { FormatError, IoError } from '../../errors.js';
import { crc32cSync, maskCrc32c } from '../../kernels/index.js';
import type { SSTableBinding } from '../../kernels/sstable-binding.js';
import { fromNativeError, snappyDecompressWith, sstableBinding, type SSTableBackend } from './snappy.js';

/** Size of the table footer. */
export const SSTABLE_FOOTER_SIZE = 48;
/** The table magic number, stored little-endian in the last 8 bytes. */
export const SSTABLE_MAGIC = 0xdb4775248b80fb57n;
const BLOCK_TRAILER_SIZE = 5;
const COMPRESSION_NONE = 0;
const COMPRESSION_SNAPPY = 1;
/** Refuse single blocks larger than this (TF writes ~256 KiB blocks). */
const MAX_BLOCK_SIZE = 1 << 30;

/** One key/value record of a table. Both are views into the block that held them. */
export interface SSTableRecord {
  key: Uint8Array;
  value: Uint8Array;
}

/** Position of a block in the file (size excludes the 5-byte trailer). */
export interface BlockHandle {
  offset: number;
  size: number;
}

/** What {@link readSSTable} returns. */
export interface SSTable {
  /** every record of every data block, in key order */
  records: SSTableRecord[];
  /** how many data blocks were snappy-compressed */
  snappyBlocks: number;
  /** number of data blocks */
  dataBlocks: number;
}

function corrupt(file: string, field: string, what: string, code = 'ERR_TFEXPORT_SSTABLE_CORRUPT'): FormatError {
  return new FormatError(code, `${file}: ${what} (${field})`, { file, field });
}

/** Reads a varint64 (as a safe-integer number) from `buf` at `pos`. */
function readVarint(buf: Uint8Array, pos: number, limit: number, file: string, field: string): [number, number] {
  let value = 0;
  for (let shift = 0, i = 0; i < 10; i++, shift += 7) {
    if (pos >= limit) throw corrupt(file, field, 'truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (!Number.isSafeInteger(value)) throw corrupt(file, field, `varint ${value} too large`);
      return [value, pos];
    }
  }
  throw corrupt(file, field, 'varint longer than 10 bytes');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Reads exactly `length` bytes at `position`.
 * @throws FormatError when the file ends early
 */
export async function readExactly(handle: fs.FileHandle, file: string, position: number, length: number, field: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw corrupt(file, field, `file ends after ${position + done} bytes, ${length - done} more expected`, 'ERR_TFEXPORT_TRUNCATED');
    }
    done += bytesRead;
  }
  return out;
}

/** Rethrows a native table-reader error as the TS reader's FormatError (`file: what (field)`). */
function nativeFailure(e: unknown, file: string, field: string): unknown {
  return fromNativeError(e, file, field, (what) => `${file}: ${what} (${field})`);
}

/** Parses the records of one (uncompressed) block. */
export function parseBlock(block: Uint8Array, file: string, field: string): SSTableRecord[] {
  return parseBlockWith(block, file, field, 'auto');
}

/**
 * {@link parseBlock} with an explicit implementation (tests compare the two).
 * @internal
 */
export function parseBlockWith(block: Uint8Array, file: string, field: string, backend: SSTableBackend): SSTableRecord[] {
  const b = sstableBinding(backend);
  return b ? parseBlockNative(b, block, file, field) : parseBlockTs(block, file, field);
}

/** Native record iteration: offsets come back, keys are rebuilt here, values are views. */
function parseBlockNative(b: SSTableBinding, block: Uint8Array, file: string, field: string): SSTableRecord[] {
  let parsed;
  try {
    parsed = b.sstableParseBlockSync(block);
  } catch (e) {
    throw nativeFailure(e, file, field);
  }
  const { count, stride, records: t } = parsed;
  const records: SSTableRecord[] = new Array(count);
  let prevKey = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    const row = i * stride;
    const shared = t[row]!;
    const keyOffset = t[row + 1]!;
    const keyDelta = t[row + 2]!;
    const valueOffset = t[row + 3]!;
    // The native reader guarantees shared <= prevKey.length and both ranges inside the block.
    const key = new Uint8Array(shared + keyDelta);
    key.set(prevKey.subarray(0, shared), 0);
    key.set(block.subarray(keyOffset, keyOffset + keyDelta), shared);
    records[i] = { key, value: block.subarray(valueOffset, valueOffset + t[row + 4]!) };
    prevKey = key;
  }
  return records;
}

/** The TypeScript record iteration (the fallback). */
function parseBlockTs(block: Uint8Array, file: string, field: string): SSTableRecord[] {
  if (block.length < 4) throw corrupt(file, field, `block of ${block.length} bytes is too small for its restart count`);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const numRestarts = view.getUint32(block.length - 4, true);
  if (numRestarts > (block.length - 4) / 4) {
    throw corrupt(file, field, `restart count ${numRestarts} does not fit in a block of ${block.length} bytes`);
  }
  const limit = block.length - 4 - numRestarts * 4;
  for (let i = 0; i < numRestarts; i++) {
    const r = view.getUint32(limit + i * 4, true);
    if (r > limit) throw corrupt(file, field, `restart point ${r} beyond the records (${limit} bytes)`);
  }
  const records: SSTableRecord[] = [];
  let pos = 0;
  let prevKey = new Uint8Array(0);
  while (pos < limit) {
    let shared: number;
    let unshared: number;
    let valueLength: number;
    [shared, pos] = readVarint(block, pos, limit, file, field);
    [unshared, pos] = readVarint(block, pos, limit, file, field);
    [valueLength, pos] = readVarint(block, pos, limit, file, field);
    if (shared > prevKey.length) {
      throw corrupt(file, field, `record at block byte ${pos} shares ${shared} key bytes but the previous key has ${prevKey.length}`);
    }
    if (unshared > limit - pos || valueLength > limit - pos - unshared) {
      throw corrupt(file, field, `record at block byte ${pos} (key ${unshared} + value ${valueLength} bytes) runs past the records`);
    }
    const key = new Uint8Array(shared + unshared);
    key.set(prevKey.subarray(0, shared), 0);
    key.set(block.subarray(pos, pos + unshared), shared);
    pos += unshared;
    const value = block.subarray(pos, pos + valueLength);
    pos += valueLength;
    records.push({ key, value });
    prevKey = key;
  }
  return records;
}

function decodeHandle(buf: Uint8Array, pos: number, limit: number, file: string, field: string): [BlockHandle, number] {
  let offset: number;
  let size: number;
  [offset, pos] = readVarint(buf, pos, limit, file, field);
  [size, pos] = readVarint(buf, pos, limit, file, field);
  return [{ offset, size }, pos];
}

/**
 * Reads one block and its trailer, verifies the masked CRC32C and decompresses it.
 * @param dataEnd where the blocks region ends (the footer start)
 */
async function readBlock(
  handle: fs.FileHandle,
  file: string,
  h: BlockHandle,
  dataEnd: number,
  field: string,
  b: SSTableBinding | null,
): Promise<{ block: Uint8Array; snappy: boolean }> {
  if (h.size > MAX_BLOCK_SIZE) throw corrupt(file, field, `block size ${h.size} exceeds the ${MAX_BLOCK_SIZE}-byte limit`);
  if (h.offset + h.size + BLOCK_TRAILER_SIZE > dataEnd) {
    throw corrupt(file, field, `block [${h.offset}, +${h.size}] and its trailer extend past the ${dataEnd} bytes before the footer`);
  }
  const raw = await readExactly(handle, file, h.offset, h.size + BLOCK_TRAILER_SIZE, field);
  if (b) return checkBlockNative(b, raw, file, field);
  const type = raw[h.size]!;
  const stored = new DataView(raw.buffer, raw.byteOffset + h.size + 1, 4).getUint32(0, true);
  const actual = maskCrc32c(crc32cSync(raw.subarray(0, h.size + 1)));
  if (stored !== actual) {
    throw new FormatError(
      'ERR_TFEXPORT_SSTABLE_CRC',
      `${file}: block checksum mismatch in ${field} (stored masked crc32c 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`,
      { file, field },
    );
  }
  const body = raw.subarray(0, h.size);
  if (type === COMPRESSION_NONE) return { block: body, snappy: false };
  if (type === COMPRESSION_SNAPPY) return { block: snappyDecompressWith(body, { file, field }, MAX_BLOCK_SIZE, 'ts'), snappy: true };
  throw corrupt(file, field, `unknown block compression type ${type}`, 'ERR_TFEXPORT_SSTABLE_UNSUPPORTED');
}

/** Native CRC, type and snappy handling of a block read with its trailer. */
function checkBlockNative(b: SSTableBinding, raw: Uint8Array, file: string, field: string): { block: Uint8Array; snappy: boolean } {
  let info;
  try {
    info = b.sstableCheckBlockSync(raw, MAX_BLOCK_SIZE);
  } catch (e) {
    throw nativeFailure(e, file, field);
  }
  const body = raw.subarray(0, raw.length - BLOCK_TRAILER_SIZE);
  if (info.type === COMPRESSION_NONE) return { block: body, snappy: false };
  // type is COMPRESSION_SNAPPY (the native check refuses others); the preamble is checked.
  const out = new Uint8Array(info.uncompressedLength);
  try {
    b.sstableDecompressBlockSync(body, MAX_BLOCK_SIZE, out);
  } catch (e) {
    throw fromNativeError(e, file, field, (what) => `${file}: corrupt snappy-compressed ${field}: ${what}`);
  }
  return { block: out, snappy: true };
}

/**
 * Reads every record of a LevelDB-format table file.
 * @param file path of the table (e.g. `variables/variables.index`)
 * @returns the records in key order, plus block statistics
 * @throws IoError when the file cannot be opened; FormatError (`ERR_TFEXPORT_SSTABLE_*`,
 *   `ERR_TFEXPORT_SNAPPY`, `ERR_TFEXPORT_TRUNCATED`) when it is not a valid table
 */
export async function readSSTable(file: string): Promise<SSTable> {
  return readSSTableWith(file, 'auto');
}

/**
 * {@link readSSTable} with an explicit block parser (tests compare the two).
 * @internal
 */
export async function readSSTableWith(file: string, backend: SSTableBackend): Promise<SSTable> {
  const b = sstableBinding(backend);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? 'ERR_TFEXPORT_FILE_NOT_FOUND' : 'ERR_TFEXPORT_IO', `${file}: cannot open table (${(e as Error).message})`, { file });
  }
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < SSTABLE_FOOTER_SIZE) {
      throw corrupt(file, 'footer', `file of ${fileSize} bytes is smaller than the ${SSTABLE_FOOTER_SIZE}-byte table footer`, 'ERR_TFEXPORT_TRUNCATED');
    }
    const footerAt = fileSize - SSTABLE_FOOTER_SIZE;
    const footer = await readExactly(handle, file, footerAt, SSTABLE_FOOTER_SIZE, 'footer');
    const [, indexHandle] = b ? footerNative(b, footer, file) : footerTs(footer, file);
    const indexField = `index block at offset ${indexHandle.offset}`;
    const { block: indexBlock } = await readBlock(handle, file, indexHandle, footerAt, indexField, b);
    const indexRecords = b ? parseBlockNative(b, indexBlock, file, indexField) : parseBlockTs(indexBlock, file, indexField);
    const records: SSTableRecord[] = [];
    let snappyBlocks = 0;
    let prevKey: Uint8Array | null = null;
    for (const [i, rec] of indexRecords.entries()) {
      const field = `index entry ${i}`;
      const [h, end] = decodeHandle(rec.value, 0, rec.value.length, file, field);
      if (end !== rec.value.length) throw corrupt(file, field, 'trailing bytes after the block handle');
      const where = `data block ${i} at offset ${h.offset}`;
      const { block, snappy } = await readBlock(handle, file, h, footerAt, where, b);
      if (snappy) snappyBlocks++;
      for (const r of b ? parseBlockNative(b, block, file, where) : parseBlockTs(block, file, where)) {
        if (prevKey && compareBytes(prevKey, r.key) >= 0) {
          throw corrupt(file, where, `keys are not in strictly increasing order at key ${JSON.stringify(Buffer.from(r.key).toString('latin1'))}`);
        }
        records.push(r);
        prevKey = r.key;
      }
    }
    return { records, snappyBlocks, dataBlocks: indexRecords.length };
  } finally {
    await handle.close();
  }
}

/** Footer handles (metaindex, index), natively. */
function footerNative(b: SSTableBinding, footer: Uint8Array, file: string): [BlockHandle, BlockHandle] {
  try {
    const f = b.sstableFooterSync(footer);
    return [{ offset: f.metaOffset, size: f.metaSize }, { offset: f.indexOffset, size: f.indexSize }];
  } catch (e) {
    throw nativeFailure(e, file, 'footer');
  }
}

/** Footer handles (metaindex, index): magic first, then the two handles in bytes [0, 40). */
function footerTs(footer: Uint8Array, file: string): [BlockHandle, BlockHandle] {
  const magic = new DataView(footer.buffer, footer.byteOffset + 40, 8).getBigUint64(0, true);
  if (magic !== SSTABLE_MAGIC) {
    throw corrupt(file, 'footer', `bad table magic 0x${magic.toString(16)} (expected 0x${SSTABLE_MAGIC.toString(16)}): not a TensorBundle index / LevelDB table`, 'ERR_TFEXPORT_SSTABLE_MAGIC');
  }
  let pos = 0;
  let metaHandle: BlockHandle;
  let indexHandle: BlockHandle;
  [metaHandle, pos] = decodeHandle(footer, pos, 40, file, 'footer metaindex handle');
  [indexHandle, pos] = decodeHandle(footer, pos, 40, file, 'footer index handle');
  return [metaHandle, indexHandle];
}
