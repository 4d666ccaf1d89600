// SPDX-License-Identifier: Apache-2.0
/**
 * Test-only writers: a LevelDB-format table builder and a TensorBundle writer, used to craft
 * valid and deliberately broken bundles (the product has no bundle writer yet).
 */
import fs from 'node:fs';
import { crc32cSync, maskCrc32c } from '../../../../src/kernels/index.js';
import { messageCodec } from '../../../../src/proto/index.js';
import type { BundleEntryProto } from '../../../../src/proto/index.js';

const enc = new TextEncoder();

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Options of {@link buildTable}. */
export interface TableOptions {
  /** start a new data block once a block reaches this many bytes (default 4096) */
  blockSize?: number;
  /** records between restart points (default 16, as TF) */
  restartInterval?: number;
}

function buildBlock(records: { key: Uint8Array; value: Uint8Array }[], restartInterval: number): Uint8Array {
  const out: number[] = [];
  const restarts: number[] = [];
  let prev = new Uint8Array(0);
  records.forEach((r, i) => {
    let shared = 0;
    if (i % restartInterval === 0) {
      restarts.push(out.length);
    } else {
      while (shared < prev.length && shared < r.key.length && prev[shared] === r.key[shared]) shared++;
    }
    out.push(...varint(shared), ...varint(r.key.length - shared), ...varint(r.value.length));
    out.push(...r.key.subarray(shared), ...r.value);
    prev = r.key;
  });
  if (restarts.length === 0) restarts.push(0);
  for (const r of restarts) out.push(...u32(r));
  out.push(...u32(restarts.length));
  return Uint8Array.from(out);
}

function withTrailer(block: Uint8Array, type = 0): Uint8Array {
  const typed = new Uint8Array(block.length + 1);
  typed.set(block);
  typed[block.length] = type;
  const crc = maskCrc32c(crc32cSync(typed));
  return Uint8Array.from([...typed, ...u32(crc)]);
}

/** Builds a LevelDB-format table from records (keys must be sorted). */
export function buildTable(records: { key: Uint8Array | string; value: Uint8Array }[], opts: TableOptions = {}): Uint8Array {
  const blockSize = opts.blockSize ?? 4096;
  const restartInterval = opts.restartInterval ?? 16;
  const recs = records.map((r) => ({ key: typeof r.key === 'string' ? enc.encode(r.key) : r.key, value: r.value }));
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const index: { key: Uint8Array; value: Uint8Array }[] = [];
  let pending: typeof recs = [];
  let pendingSize = 0;
  const flush = (): void => {
    if (!pending.length) return;
    const block = buildBlock(pending, restartInterval);
    index.push({ key: pending[pending.length - 1]!.key, value: Uint8Array.from([...varint(offset), ...varint(block.length)]) });
    const t = withTrailer(block);
    chunks.push(t);
    offset += t.length;
    pending = [];
    pendingSize = 0;
  };
  for (const r of recs) {
    pending.push(r);
    pendingSize += r.key.length + r.value.length + 3;
    if (pendingSize >= blockSize) flush();
  }
  flush();
  const meta = buildBlock([], restartInterval);
  const metaHandle = [...varint(offset), ...varint(meta.length)];
  chunks.push(withTrailer(meta));
  offset += meta.length + 5;
  const indexBlock = buildBlock(index, 1);
  const indexHandle = [...varint(offset), ...varint(indexBlock.length)];
  chunks.push(withTrailer(indexBlock));
  const footer = new Uint8Array(48);
  footer.set([...metaHandle, ...indexHandle]);
  new DataView(footer.buffer).setBigUint64(40, 0xdb4775248b80fb57n, true);
  chunks.push(footer);
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** One tensor to write with {@link writeBundle}. */
export interface TensorToWrite {
  key: string;
  /** DataType enum value */
  dtype: number;
  shape: number[];
  /** stored bytes (numeric: little-endian elements; use {@link encodeStringTensor} for strings) */
  bytes: Uint8Array;
  /** shard to put it in (default 0) */
  shard?: number;
  /** CRC the entry records (default: the masked CRC32C of `bytes`) */
  crc32c?: number;
  /** overrides of the BundleEntryProto fields, applied after the defaults */
  entry?: Partial<BundleEntryProto>;
}

/** Encodes a DT_STRING tensor the way TensorBundle stores it; returns bytes and entry CRC. */
export function encodeStringTensor(strings: Uint8Array[]): { bytes: Uint8Array; crc32c: number } {
  const lengths: number[] = [];
  let crc = 0;
  for (const s of strings) {
    lengths.push(...varint(s.length));
    crc = crc32cSync(Uint8Array.from(u32(s.length)), crc);
  }
  const lengthsCrc = Uint8Array.from(u32(maskCrc32c(crc)));
  crc = crc32cSync(lengthsCrc, crc);
  const parts = [Uint8Array.from(lengths), lengthsCrc, ...strings];
  for (const s of strings) crc = crc32cSync(s, crc);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const bytes = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  return { bytes, crc32c: maskCrc32c(crc) };
}

/** Options of {@link writeBundle}. */
export interface BundleOptions extends TableOptions {
  numShards?: number;
  /** header endianness (default 0 = little) */
  endianness?: number;
  /** omit the header record */
  noHeader?: boolean;
}

/** Writes `<prefix>.index` and its data shards. */
export function writeBundle(prefix: string, tensors: TensorToWrite[], opts: BundleOptions = {}): void {
  const numShards = opts.numShards ?? 1;
  const shardData: Uint8Array[][] = Array.from({ length: numShards }, () => []);
  const shardSize = new Array<number>(numShards).fill(0);
  const entryCodec = messageCodec('tensorflow.BundleEntryProto');
  const shapeCodec = messageCodec('tensorflow.TensorShapeProto');
  const dimCodec = messageCodec('tensorflow.TensorShapeProto.Dim');
  const records: { key: string; value: Uint8Array }[] = [];
  for (const t of [...tensors].sort((a, b) => (Buffer.from(a.key) < Buffer.from(b.key) ? -1 : 1))) {
    const shard = t.shard ?? 0;
    const entry = entryCodec.create({
      dtype: t.dtype,
      shape: shapeCodec.create({ dim: t.shape.map((d) => dimCodec.create({ size: BigInt(d) })) }),
      shardId: shard,
      offset: BigInt(shardSize[shard]!),
      size: BigInt(t.bytes.length),
      crc32c: t.crc32c ?? maskCrc32c(crc32cSync(t.bytes)),
      ...t.entry,
    });
    shardData[shard]!.push(t.bytes);
    shardSize[shard]! += t.bytes.length;
    records.push({ key: t.key, value: entryCodec.encode(entry) });
  }
  if (!opts.noHeader) {
    const header = messageCodec('tensorflow.BundleHeaderProto').create({
      numShards,
      endianness: opts.endianness ?? 0,
      version: messageCodec('tensorflow.VersionDef').create({ producer: 1 }),
    });
    records.unshift({ key: '', value: messageCodec('tensorflow.BundleHeaderProto').encode(header) });
  }
  fs.writeFileSync(`${prefix}.index`, buildTable(records, opts));
  for (let s = 0; s < numShards; s++) {
    const name = `${prefix}.data-${String(s).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
    fs.writeFileSync(name, Buffer.concat(shardData[s]!));
  }
}

/** Little-endian bytes of a typed array. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}
