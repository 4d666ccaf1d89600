#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Writes the seeds of fuzz_sstable.cc to native/fuzz/corpus-sstable/: small LevelDB-format
// tables built here from synthetic records (no third-party files), with uncompressed and
// snappy-compressed blocks, plus single-block inputs. Byte 0 of each seed is the harness
// mode (see fuzz_sstable.cc): 0/1 whole table (1: harness fixes CRCs), 2 plain block,
// 6 snappy block, 10 unknown-type block. Also exports the table builder and the snappy
// encoder for tests (test/formats/tf/sstable-native.test.ts).
//   node native/fuzz/make-sstable-seeds.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of bytes. */
export function crc32c(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** LevelDB's masked CRC. */
export const maskCrc = (c) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

export function varint(n) {
  let v = BigInt(n);
  const out = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/**
 * Raw snappy encoder (greedy, 4-byte hash matches). Copies rotate through the 1-, 2- and
 * 4-byte offset forms where each is valid, so every element kind appears in small inputs.
 */
export function snappyCompress(src) {
  const out = [...varint(src.length)];
  const literal = (from, to) => {
    let p = from;
    while (p < to) {
      const n = Math.min(to - p, 65536);
      if (n <= 60) out.push((n - 1) << 2);
      else if (n <= 256) out.push(60 << 2, n - 1);
      else out.push(61 << 2, (n - 1) & 0xff, (n - 1) >> 8);
      for (let i = 0; i < n; i++) out.push(src[p + i]);
      p += n;
    }
  };
  let kind = 0;
  const copy = (offset, len) => {
    while (len > 0) {
      let n = Math.min(len, 64);
      if (len - n > 0 && len - n < 4) n = len - 4; // keep the remainder >= 4 for a copy-1
      const k = kind++ % 3;
      if (k === 0 && n >= 4 && n <= 11 && offset < 2048) out.push(1 | ((n - 4) << 2) | ((offset >> 8) << 5), offset & 0xff);
      else if (k !== 2 && offset < 65536) out.push(2 | ((n - 1) << 2), offset & 0xff, offset >> 8);
      else out.push(3 | ((n - 1) << 2), ...u32(offset));
      len -= n;
    }
  };
  const table = new Map();
  let lit = 0;
  let i = 0;
  while (i + 4 <= src.length) {
    const h = `${src[i]},${src[i + 1]},${src[i + 2]},${src[i + 3]}`;
    const cand = table.get(h);
    table.set(h, i);
    if (cand !== undefined) {
      let len = 4;
      while (i + len < src.length && src[cand + len] === src[i + len]) len++;
      literal(lit, i);
      copy(i - cand, len);
      i += len;
      lit = i;
    } else {
      i++;
    }
  }
  literal(lit, src.length);
  return Uint8Array.from(out);
}

/** One block: prefix-compressed records + restart array. */
export function buildBlock(records, restartInterval = 16) {
  const enc = new TextEncoder();
  records = records.map((r) => ({ key: typeof r.key === 'string' ? enc.encode(r.key) : r.key, value: r.value }));
  const out = [];
  const restarts = [];
  let prev = new Uint8Array(0);
  records.forEach((r, i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(out.length);
    else while (shared < prev.length && shared < r.key.length && prev[shared] === r.key[shared]) shared++;
    out.push(...varint(shared), ...varint(r.key.length - shared), ...varint(r.value.length));
    out.push(...r.key.subarray(shared), ...r.value);
    prev = r.key;
  });
  if (restarts.length === 0) restarts.push(0);
  for (const r of restarts) out.push(...u32(r));
  out.push(...u32(restarts.length));
  return Uint8Array.from(out);
}

/** A block body followed by its trailer (type byte + masked CRC32C of body and type). */
export function withTrailer(body, type) {
  const typed = Uint8Array.from([...body, type]);
  return Uint8Array.from([...typed, ...u32(maskCrc(crc32c(typed)))]);
}

/**
 * A whole table. records: sorted {key, value} (Uint8Array or string keys).
 * opts: blockSize (bytes per data block, default 64), snappy (compress data and index
 * blocks: true, false, or 'alternate'), restartInterval.
 */
export function buildTable(records, opts = {}) {
  const enc = new TextEncoder();
  const recs = records.map((r) => ({ key: typeof r.key === 'string' ? enc.encode(r.key) : r.key, value: r.value }));
  const blockSize = opts.blockSize ?? 64;
  const chunks = [];
  let offset = 0;
  let n = 0;
  const put = (block) => {
    const snappy = opts.snappy === 'alternate' ? n++ % 2 === 1 : Boolean(opts.snappy);
    const body = snappy ? snappyCompress(block) : block;
    const handle = [...varint(offset), ...varint(body.length)];
    const t = withTrailer(body, snappy ? 1 : 0);
    chunks.push(t);
    offset += t.length;
    return Uint8Array.from(handle);
  };
  const index = [];
  let pending = [];
  let size = 0;
  const flush = () => {
    if (!pending.length) return;
    index.push({ key: pending[pending.length - 1].key, value: put(buildBlock(pending, opts.restartInterval ?? 4)) });
    pending = [];
    size = 0;
  };
  for (const r of recs) {
    pending.push(r);
    size += r.key.length + r.value.length + 3;
    if (size >= blockSize) flush();
  }
  flush();
  const metaHandle = put(buildBlock([]));
  const indexHandle = put(buildBlock(index, 1));
  const footer = new Uint8Array(48);
  footer.set([...metaHandle, ...indexHandle]);
  new DataView(footer.buffer).setBigUint64(40, 0xdb4775248b80fb57n, true);
  chunks.push(footer);
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

/** Synthetic TensorBundle-like records: header key '' then sorted variable names. */
export function sampleRecords(count, valueBytes = 12) {
  const recs = [{ key: '', value: Uint8Array.from([0x08, 0x01, 0x1a, 0x02, 0x08, 0x01]) }];
  for (let i = 0; i < count; i++) {
    const key = `layer_${String(Math.floor(i / 3)).padStart(2, '0')}/${['bias', 'kernel', 'scale'][i % 3]}/.ATTRIBUTES/VARIABLE_VALUE`;
    recs.push({ key, value: Uint8Array.from({ length: valueBytes }, (_, j) => (j < 4 ? 0x10 + j : (i * 7 + j) & 0x3f)) });
  }
  return recs;
}

function main() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = path.join(here, 'corpus-sstable');
  fs.mkdirSync(out, { recursive: true });
  const text = new TextEncoder().encode('abcabcabcabc-the quick brown fox-the quick brown fox-abcabc'.repeat(3));
  const block = buildBlock(sampleRecords(6), 2);
  const seeds = {
    'table-plain.bin': [0, buildTable(sampleRecords(9))],
    'table-snappy.bin': [0, buildTable(sampleRecords(9), { snappy: true })],
    'table-mixed-fixcrc.bin': [1, buildTable(sampleRecords(12), { snappy: 'alternate', blockSize: 96 })],
    'table-empty.bin': [0, buildTable([])],
    'block-plain.bin': [2, block],
    'block-snappy.bin': [6, snappyCompress(block)],
    'block-snappy-text.bin': [6, snappyCompress(text)],
    'block-unknown-type.bin': [10, Uint8Array.from([7, ...block])],
  };
  for (const [name, [mode, body]] of Object.entries(seeds)) {
    fs.writeFileSync(path.join(out, name), Uint8Array.from([mode, ...body]));
  }
  console.log(`wrote ${Object.keys(seeds).length} seeds to ${path.relative(process.cwd(), out)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
