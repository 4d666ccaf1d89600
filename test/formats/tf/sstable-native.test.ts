// SPDX-License-Identifier: Apache-2.0
/**
 * The native SSTable reader (native/wire/sstable.cc, snappy.cc) against the TypeScript one
 * (the fallback and specification): identical records on every `.index` under
 * ../shared/fixtures (including the two snappy-compressed ones), identical error codes on
 * crafted corrupt tables (truncations at every offset, flipped bytes, bad restart counts,
 * shared > previous key length, snappy copy offsets), and never a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfexportError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native.js';
import { snappyDecompressWith, type SSTableBackend } from '../../../src/formats/tensorbundle/snappy.js';
import { parseBlockWith, readSSTable, readSSTableWith, type SSTable } from '../../../src/formats/tensorbundle/sstable.js';
import { fixturesDir, repoRoot } from './fixtures.js';
// @ts-expect-error -- plain ESM helper without type declarations (also writes the fuzz seeds)
import * as seeds from '../../../native/fuzz/make-sstable-seeds.mjs';

interface Rec {
  key: Uint8Array | string;
  value: Uint8Array;
}
const builder = seeds as {
  buildTable(records: Rec[], opts?: { blockSize?: number; snappy?: boolean | 'alternate'; restartInterval?: number }): Uint8Array;
  buildBlock(records: Rec[], restartInterval?: number): Uint8Array;
  withTrailer(body: Uint8Array, type: number): Uint8Array;
  snappyCompress(src: Uint8Array): Uint8Array;
  sampleRecords(count: number, valueBytes?: number): Rec[];
  varint(n: number): number[];
};

const native = loadNative().binding;
const hasNative = native !== null && typeof native.sstableParseBlockSync === 'function';
if (!hasNative) {
  console.warn(`sstable-native tests skipped: native addon unavailable (${loadNative().error?.message.split('\n')[0]}); build it with npx cmake-js compile --out build`);
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

async function outcome(f: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (!(e instanceof TfexportError)) throw e; // a RangeError/TypeError would be a bug
    return { ok: false, code: e.code, message: e.message };
  }
}

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const tableSummary = (t: SSTable): unknown => ({
  snappyBlocks: t.snappyBlocks,
  dataBlocks: t.dataBlocks,
  records: t.records.map((r) => [hex(r.key), hex(r.value)]),
});

/** Runs `f` with both backends; expects the same records or the same error code. */
async function same(f: (backend: SSTableBackend) => unknown, summarize: (v: never) => unknown = (v) => v): Promise<Outcome> {
  const a = await outcome(() => f('native'));
  const b = await outcome(() => f('ts'));
  if (a.ok && b.ok) {
    expect(summarize(a.value as never)).toEqual(summarize(b.value as never));
  } else {
    expect({ ok: a.ok, code: a.ok ? undefined : a.code }).toEqual({ ok: b.ok, code: b.ok ? undefined : b.code });
  }
  return a;
}

const blockSummary = (recs: { key: Uint8Array; value: Uint8Array }[]): unknown => recs.map((r) => [hex(r.key), hex(r.value)]);

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(repoRoot, 'test/.tmp/sstable-native-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

let fileNo = 0;
/** Both backends read `bytes` as a table file. */
async function sameTable(bytes: Uint8Array): Promise<Outcome> {
  const file = path.join(tmp, `t${fileNo++}.index`);
  fs.writeFileSync(file, bytes);
  try {
    return await same((backend) => readSSTableWith(file, backend), tableSummary);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** A table whose data blocks are the given raw bodies (with valid trailers), index + footer. */
function tableFromBlocks(blocks: { body: Uint8Array; type: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const index: Rec[] = [];
  let offset = 0;
  blocks.forEach((blk, i) => {
    index.push({ key: `k${String(i).padStart(3, '0')}`, value: Uint8Array.from([...builder.varint(offset), ...builder.varint(blk.body.length)]) });
    const t = builder.withTrailer(blk.body, blk.type);
    parts.push(t);
    offset += t.length;
  });
  const indexBody = builder.buildBlock(index, 1);
  const indexHandle = [...builder.varint(offset), ...builder.varint(indexBody.length)];
  parts.push(builder.withTrailer(indexBody, 0));
  const footer = new Uint8Array(48);
  footer.set([0, 0, ...indexHandle]);
  new DataView(footer.buffer).setBigUint64(40, 0xdb4775248b80fb57n, true);
  parts.push(footer);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe.skipIf(!hasNative)('native SSTable reader = TS reader', () => {
  it.skipIf(!fixturesDir)('reads every .index under ../shared/fixtures identically (incl. the snappy ones)', async () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.index')) files.push(p);
      }
    };
    walk(fixturesDir!);
    expect(files.length).toBeGreaterThan(0);
    let snappyFiles = 0;
    for (const f of files.sort()) {
      const o = await same((backend) => readSSTableWith(f, backend), tableSummary);
      if (o.ok && (o.value as SSTable).snappyBlocks > 0) snappyFiles++;
    }
    for (const name of ['tfserving_half_plus_two_cpu', 'tfserving_half_plus_two_tf2_cpu']) {
      const t = await readSSTableWith(path.join(fixturesDir!, 'savedmodel', name, 'variables/variables.index'), 'native');
      expect(t.snappyBlocks, name).toBeGreaterThan(0);
      expect(t.records.length, name).toBeGreaterThan(1);
    }
    expect(snappyFiles).toBeGreaterThanOrEqual(2);
    // the default path is the native one
    const f = path.join(fixturesDir!, 'savedmodel/tfserving_half_plus_two_cpu/variables/variables.index');
    expect(tableSummary(await readSSTable(f))).toEqual(tableSummary(await readSSTableWith(f, 'ts')));
  });

  it('reads synthetic plain, snappy and mixed tables identically', async () => {
    for (const snappy of [false, true, 'alternate'] as const) {
      const o = await sameTable(builder.buildTable(builder.sampleRecords(40), { snappy, blockSize: 128 }));
      expect(o.ok).toBe(true);
      expect((o as { value: SSTable }).value.records.length).toBe(41);
    }
    expect((await sameTable(builder.buildTable([]))).ok).toBe(true);
  });

  it('agrees on a table truncated at every offset', async () => {
    for (const snappy of [false, true]) {
      const t = builder.buildTable(builder.sampleRecords(5), { snappy, blockSize: 96 });
      for (let n = 0; n < t.length; n++) expect((await sameTable(t.subarray(0, n))).ok).toBe(false);
      // and with the footer kept (a valid footer over a shortened blocks region)
      for (let n = 0; n < t.length - 48; n += 3) {
        await sameTable(Uint8Array.from([...t.subarray(0, n), ...t.subarray(t.length - 48)]));
      }
    }
  });

  it('agrees on every flipped byte of a table and of a block', async () => {
    for (const snappy of [false, true]) {
      const t = builder.buildTable(builder.sampleRecords(4), { snappy, blockSize: 80 });
      for (let i = 0; i < t.length; i++) {
        const c = Uint8Array.from(t);
        c[i] ^= 0x5a;
        await sameTable(c);
      }
    }
    // CRC-valid corruption: flip block bytes, re-wrap with a correct trailer
    const body = builder.buildBlock(builder.sampleRecords(5), 2);
    const codes = new Set<string>();
    for (let i = 0; i < body.length; i++) {
      for (const x of [0x01, 0x80, 0xff]) {
        const c = Uint8Array.from(body);
        c[i] ^= x;
        const o = await same((backend) => parseBlockWith(c, 'f.index', 'block', backend), blockSummary);
        if (!o.ok) codes.add(o.code);
        const z = builder.snappyCompress(c);
        const oz = await sameTable(tableFromBlocks([{ body: z, type: 1 }]));
        if (!oz.ok) codes.add(oz.code);
        const s = Uint8Array.from(builder.snappyCompress(body));
        if (i < s.length) {
          s[i] ^= x;
          const os = await same((backend) => snappyDecompressWith(s, { file: 'f', field: 'b' }, 1 << 20, backend), hex);
          if (!os.ok) codes.add(os.code);
        }
      }
    }
    expect([...codes].sort()).toEqual(['ERR_TFEXPORT_SNAPPY', 'ERR_TFEXPORT_SSTABLE_CORRUPT']);
  });

  it('agrees on bad restart counts, restart points and shared > previous key length', async () => {
    const u32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
    const rec = (shared: number, key: string, value: number[]): number[] => [shared, key.length, value.length, ...Buffer.from(key), ...value];
    const cases: [string, number[]][] = [
      ['restart count too big', [...rec(0, 'a', [1]), ...u32(0), ...u32(1000)]],
      ['restart count 2^32-1', [...rec(0, 'a', [1]), ...u32(0), ...u32(0xffffffff)]],
      ['restart point beyond records', [...rec(0, 'a', [1]), ...u32(99), ...u32(1)]],
      ['shared > previous key', [...rec(0, 'ab', [1]), ...rec(3, 'c', [2]), ...u32(0), ...u32(1)]],
      ['shared on first record', [...rec(1, 'a', [1]), ...u32(0), ...u32(1)]],
      ['value past records', [0, 1, 9, 0x61, 1, ...u32(0), ...u32(1)]],
      ['truncated varint', [0x80, ...u32(0), ...u32(1)]],
      ['11-byte varint', [...Array(10).fill(0x80), 0, ...u32(0), ...u32(1)]],
      ['block too small', [1, 0]],
    ];
    for (const [name, body] of cases) {
      const b = Uint8Array.from(body);
      const o = await same((backend) => parseBlockWith(b, 'f.index', name, backend), blockSummary);
      expect(o.ok ? 'ok' : o.code, name).toBe('ERR_TFEXPORT_SSTABLE_CORRUPT');
      expect((o as { message: string }).message).toContain(name);
      for (const type of [0, 1]) {
        const t = await sameTable(tableFromBlocks([{ body: type ? builder.snappyCompress(b) : b, type }]));
        expect(t.ok ? 'ok' : t.code, name).toBe('ERR_TFEXPORT_SSTABLE_CORRUPT');
        expect((t as { message: string }).message).toContain('data block 0');
      }
    }
    // a valid shared prefix works on both
    const ok = Uint8Array.from([...rec(0, 'ab', [1]), ...rec(2, 'c', [2]), ...u32(0), ...u32(1)]);
    const o = await same((backend) => parseBlockWith(ok, 'f', 'b', backend), blockSummary);
    expect(o.ok && blockSummary(o.value as never)).toEqual([[hex(Buffer.from('ab')), '01'], [hex(Buffer.from('abc')), '02']]);
  });

  it('agrees on snappy copy offset errors, overruns and unknown compression types', async () => {
    const streams: [string, number[]][] = [
      ['copy offset 0', [4, 0x01, 0]],
      ['copy offset 5 outside the 1 bytes written', [8, 0, 0x61, 0x01 | (3 << 2), 5]],
      ['copy offset 2 outside the 1 bytes written', [8, 0, 0x61, 0x02 | (3 << 2), 2, 0]],
      ['copy offset 9 outside the 1 bytes written', [8, 0, 0x61, 0x03 | (3 << 2), 9, 0, 0, 0]],
      ['copy of 8 bytes runs past the declared length', [4, 0, 0x61, 0x02 | (7 << 2), 1, 0]],
      ['literal of 3 bytes runs past the declared length', [2, 2 << 2, 1, 2, 3]],
      ['truncated copy', [4, 0, 0x61, 0x03, 1, 0]],
      ['truncated literal length', [4, 62 << 2, 1]],
      ['produced 1 bytes', [3, 0, 0x61]],
      ['more than 2 compressed bytes can hold', [0xff, 0x7f]],
      ['truncated length preamble', [0x80]],
    ];
    for (const [what, bytes] of streams) {
      const s = Uint8Array.from(bytes);
      const o = await same((backend) => snappyDecompressWith(s, { file: 'x.index', field: 'blk' }, 1 << 20, backend), hex);
      expect(o.ok ? 'ok' : o.code, what).toBe('ERR_TFEXPORT_SNAPPY');
      expect((o as { message: string }).message).toContain(what);
      // identical messages from both implementations
      const ts = await outcome(() => snappyDecompressWith(s, { file: 'x.index', field: 'blk' }, 1 << 20, 'ts'));
      expect((o as { message: string }).message).toBe((ts as { message: string }).message);
      const t = await sameTable(tableFromBlocks([{ body: s, type: 1 }]));
      expect(t.ok ? 'ok' : t.code, what).toBe('ERR_TFEXPORT_SNAPPY');
    }
    const u = await sameTable(tableFromBlocks([{ body: builder.buildBlock([]), type: 7 }]));
    expect(u.ok ? 'ok' : u.code).toBe('ERR_TFEXPORT_SSTABLE_UNSUPPORTED');
    // every valid element kind round-trips (1-, 2- and 4-byte offsets, overlapping copies)
    const text = Buffer.from('abcabcabcabcabc-xyzxyzxyz-abcabcabc'.repeat(4));
    const o = await same((backend) => snappyDecompressWith(builder.snappyCompress(text), { file: 'f', field: 'b' }, 1 << 20, backend), hex);
    expect(o.ok && Buffer.from(o.value as Uint8Array).toString()).toBe(text.toString());
  });

  it('maps CRC and magic errors to the TS codes, naming file and block', async () => {
    const t = builder.buildTable(builder.sampleRecords(3));
    const bad = Uint8Array.from(t);
    bad[3] ^= 1;
    const o = await sameTable(bad);
    expect(o.ok ? 'ok' : o.code).toBe('ERR_TFEXPORT_SSTABLE_CRC');
    expect((o as { message: string }).message).toMatch(/t\d+\.index: .*data block 0/);
    // the native sentence (the TS one reads "mismatch in data block ...")
    expect((o as { message: string }).message).toMatch(/block checksum mismatch \(stored masked crc32c/);
    const sh = Uint8Array.from([0, 2, 1, 0x61, 0x62, 1, 3, 1, 1, 0x63, 2, 0, 0, 0, 0, 1, 0, 0, 0]);
    const os = await outcome(() => parseBlockWith(sh, 'f.index', 'data block 3', 'native'));
    expect(os).toMatchObject({ ok: false, code: 'ERR_TFEXPORT_SSTABLE_CORRUPT' });
    expect((os as { message: string }).message).toBe(
      'ERR_TFEXPORT_SSTABLE_CORRUPT: f.index: record at block byte 6 shares 3 key bytes but the previous key has 2 (data block 3)',
    );
    const m = Uint8Array.from(t);
    m[m.length - 1] ^= 1;
    expect(((await sameTable(m)) as { code: string }).code).toBe('ERR_TFEXPORT_SSTABLE_MAGIC');
  });

  it('async binding calls give the same results as the sync ones', async () => {
    const block = builder.buildBlock(builder.sampleRecords(6), 3);
    const a = native!.sstableParseBlockSync(block);
    const b = await native!.sstableParseBlock(block);
    expect([...b.records]).toEqual([...a.records]);
    await expect(native!.sstableParseBlock(Uint8Array.from([1, 0]))).rejects.toMatchObject({ code: 'ERR_TFEXPORT_SSTABLE_CORRUPT' });
  });
});
