// SPDX-License-Identifier: Apache-2.0
/**
 * A minimal, independent LevelDB SSTable reader for tests (TensorBundle .index files are
 * SSTables): the footer, block handles, block trailers and the entries of uncompressed
 * blocks. Written from the LevelDB table_format.md, not shared with product code.
 */

/** 0xdb4775248b80fb57, stored little-endian in the last 8 bytes. */
export const TABLE_MAGIC = 0xdb4775248b80fb57n;
export const FOOTER_SIZE = 48;
export const TRAILER_SIZE = 5;

export interface BlockHandle {
  offset: number;
  size: number;
}

/** A block's bytes plus its trailer: compression type and the stored (masked) CRC. */
export interface BlockWithTrailer {
  handle: BlockHandle;
  /** block contents followed by the type byte: the bytes the CRC covers */
  covered: Uint8Array;
  type: number;
  storedMaskedCrc: number;
}

function readVarint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length) throw new Error('truncated varint');
    const b = bytes[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

function readHandle(bytes: Uint8Array, pos: number): [BlockHandle, number] {
  const [offset, p1] = readVarint(bytes, pos);
  const [size, p2] = readVarint(bytes, p1);
  return [{ offset, size }, p2];
}

/** Parses the 48-byte footer: metaindex and index handles; throws on a bad magic. */
export function readFooter(file: Uint8Array): { metaindex: BlockHandle; index: BlockHandle } {
  if (file.length < FOOTER_SIZE) throw new Error('file shorter than a footer');
  const footer = file.subarray(file.length - FOOTER_SIZE);
  const magic = new DataView(footer.buffer, footer.byteOffset + 40, 8).getBigUint64(0, true);
  if (magic !== TABLE_MAGIC) throw new Error(`bad table magic 0x${magic.toString(16)}`);
  const [metaindex, p] = readHandle(footer, 0);
  const [index] = readHandle(footer, p);
  return { metaindex, index };
}

/** The block at `handle` with its 5-byte trailer. */
export function readBlock(file: Uint8Array, handle: BlockHandle): BlockWithTrailer {
  const end = handle.offset + handle.size;
  if (end + TRAILER_SIZE > file.length) throw new Error(`block ${handle.offset}+${handle.size} past end of file`);
  const covered = file.subarray(handle.offset, end + 1);
  const type = file[end]!;
  const storedMaskedCrc = new DataView(file.buffer, file.byteOffset + end + 1, 4).getUint32(0, true);
  return { handle, covered, type, storedMaskedCrc };
}

/** Key/value entries of an uncompressed block (prefix-compressed keys, restart array). */
export function blockEntries(contents: Uint8Array): { key: Uint8Array; value: Uint8Array }[] {
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  const numRestarts = view.getUint32(contents.length - 4, true);
  const limit = contents.length - 4 - 4 * numRestarts;
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  let prev = new Uint8Array(0);
  let pos = 0;
  while (pos < limit) {
    const [shared, p1] = readVarint(contents, pos);
    const [unshared, p2] = readVarint(contents, p1);
    const [valueLength, p3] = readVarint(contents, p2);
    const key = new Uint8Array(shared + unshared);
    key.set(prev.subarray(0, shared), 0);
    key.set(contents.subarray(p3, p3 + unshared), shared);
    const value = contents.subarray(p3 + unshared, p3 + unshared + valueLength);
    out.push({ key, value });
    prev = key;
    pos = p3 + unshared + valueLength;
  }
  return out;
}

/**
 * Every block of the table with its trailer: metaindex, index, and the data blocks the
 * index points to (when the index block is uncompressed; a compressed index is returned
 * alone, its data blocks cannot be located without decompressing it).
 */
export function allBlocks(file: Uint8Array): { metaindex: BlockWithTrailer; index: BlockWithTrailer; data: BlockWithTrailer[] } {
  const footer = readFooter(file);
  const metaindex = readBlock(file, footer.metaindex);
  const index = readBlock(file, footer.index);
  const data: BlockWithTrailer[] = [];
  if (index.type === 0) {
    const contents = index.covered.subarray(0, index.covered.length - 1);
    for (const { value } of blockEntries(contents)) data.push(readBlock(file, readHandle(value, 0)[0]));
  }
  return { metaindex, index, data };
}
