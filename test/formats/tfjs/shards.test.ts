// SPDX-License-Identifier: Apache-2.0
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fsp, existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_SHARD_SIZE_BYTES,
  encodeStrings,
  decodeStrings,
  entryByteLength,
  readWeightGroup,
  typedView,
  writeWeightGroup,
  type TfjsWeightGroup,
  type TfjsWeightTensor,
} from '../../../src/formats/tfjs/shards.js';
import { FormatError, ValidationError } from '../../../src/errors.js';
import { pendingTempPaths } from '../../../src/util/atomic.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixturesRoot = path.resolve(repoRoot, '../shared/fixtures');

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tfexport-shards-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random floats. */
function floats(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 0xffffffff) * 4 - 2;
  }
  return out;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function concatShards(d: string, group: TfjsWeightGroup): Uint8Array {
  const parts = group.paths.map((p) => readFileSync(path.join(d, p)));
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Exact IEEE binary16 -> float32 (independent of the code under test). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes a weight from raw bytes the way tfjs io_utils.decodeWeight defines it. */
function expectedValues(w: { dtype: string; quantization?: { dtype: string; min?: number; scale?: number } }, data: Uint8Array): ArrayLike<number> {
  const q = w.quantization;
  const v = typedView({ dtype: w.dtype as 'float32', quantization: q as never, data });
  if (!q) return v;
  const out = w.dtype === 'int32' ? new Int32Array(v.length) : new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = q.dtype === 'float16' ? halfToFloat(v[i]) : v[i] * q.scale! + q.min!;
    out[i] = w.dtype === 'int32' ? Math.round(x) : x;
  }
  return out;
}

/** A varied set of tensors; with a small shard size several straddle boundaries. */
function sampleTensors(): TfjsWeightTensor[] {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x0000, 0x7bff, 0x0001, 0x3555, 0x8000]);
  return [
    { name: 'conv/kernel', dtype: 'float32', shape: [3, 3, 2, 4], data: floats(72, 7) },
    { name: 'conv/bias', dtype: 'float32', shape: [4], data: floats(4, 8) },
    { name: 'empty', dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
    { name: 'flags', dtype: 'bool', shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
    { name: 'ids', dtype: 'int32', shape: [2, 3], data: new Int32Array([1, -2, 3, 2147483647, -2147483648, 0]) },
    { name: 'scalar', dtype: 'float32', shape: [], data: new Float32Array([3.25]) },
    { name: 'words', dtype: 'string', shape: [4], data: encodeStrings(['hello', '', 'wörld', 'a longer string that straddles']) },
    {
      name: 'q8', dtype: 'float32', shape: [33], data: new Uint8Array(33).map((_, i) => (i * 7) & 255),
      quantization: { dtype: 'uint8', min: -0.1019607843137255, scale: 0.005098039215686275 },
    },
    {
      name: 'q16', dtype: 'float32', shape: [9], data: new Uint16Array(9).map((_, i) => i * 7000),
      quantization: { dtype: 'uint16', min: -1.5, scale: 0.0000457770656900893 },
    },
    { name: 'half', dtype: 'float32', shape: [7], data: f16, quantization: { dtype: 'float16' } },
    { name: 'cplx', dtype: 'complex64', shape: [3], data: new Float32Array([1, -1, 2, -2, 0.5, 0.25]) },
    { name: 'emptystr', dtype: 'string', shape: [0], data: new Uint8Array(0) },
    { name: 'tail', dtype: 'int32', shape: [3], data: new Int32Array([7, 8, 9]) },
  ];
}

function totalBytes(ts: TfjsWeightTensor[]): number {
  return ts.reduce((s, t) => s + t.data.byteLength, 0);
}

describe('writeWeightGroup / readWeightGroup', () => {
  it('round-trips many tensors across small shards (straddling, last shard smaller)', async () => {
    const tensors = sampleTensors();
    const total = totalBytes(tensors);
    const shardSizeBytes = 64;
    const group = await writeWeightGroup(dir, tensors, { shardSizeBytes, groupIndex: 2 });
    const n = Math.ceil(total / shardSizeBytes);
    expect(group.paths).toEqual(Array.from({ length: n }, (_, i) => `group2-shard${i + 1}of${n}.bin`));
    expect(readdirSync(dir).sort()).toEqual([...group.paths].sort());
    for (let i = 0; i < n; i++) {
      const size = (await fsp.stat(path.join(dir, group.paths[i]))).size;
      expect(size).toBe(i < n - 1 ? shardSizeBytes : total - shardSizeBytes * (n - 1));
    }
    expect(total % shardSizeBytes).not.toBe(0); // last shard smaller
    expect(group.weights.map((w) => w.name)).toEqual(tensors.map((t) => t.name));
    expect(group.weights[7]).toEqual({
      name: 'q8', shape: [33], dtype: 'float32',
      quantization: { dtype: 'uint8', min: -0.1019607843137255, scale: 0.005098039215686275 },
    });
    expect(Object.keys(group.weights[0])).toEqual(['name', 'shape', 'dtype']);

    // The concatenated shards are exactly the tensors' bytes in order.
    const all = concatShards(dir, group);
    let at = 0;
    for (const t of tensors) {
      expect(Buffer.compare(Buffer.from(all.subarray(at, at + t.data.byteLength)), Buffer.from(bytesOf(t.data)))).toBe(0);
      at += t.data.byteLength;
    }

    const read = await readWeightGroup(dir, group);
    expect([...read.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const w = read.get(t.name)!;
      expect(w.dtype).toBe(t.dtype);
      expect(w.shape).toEqual([...t.shape]);
      expect(w.quantization).toEqual(t.quantization);
      expect(Buffer.from(w.data).equals(Buffer.from(bytesOf(t.data)))).toBe(true);
    }
    expect(decodeStrings(read.get('words')!.data, 4).map((b) => Buffer.from(b).toString('utf8')))
      .toEqual(['hello', '', 'wörld', 'a longer string that straddles']);
  });

  it('returns views into the shard buffer for weights inside one shard and copies straddlers', async () => {
    const a = floats(4, 1); // 16 bytes
    const b = floats(4, 2); // 16 bytes, same shard
    const c = floats(16, 3); // 64 bytes: straddles shards 1..2
    const group = await writeWeightGroup(dir, [
      { name: 'a', dtype: 'float32', shape: [4], data: a },
      { name: 'b', dtype: 'float32', shape: [4], data: b },
      { name: 'c', dtype: 'float32', shape: [16], data: c },
    ], { shardSizeBytes: 48 });
    expect(group.paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    const read = await readWeightGroup(dir, group);
    const ra = read.get('a')!.data;
    const rb = read.get('b')!.data;
    const rc = read.get('c')!.data;
    expect(ra.buffer).toBe(rb.buffer); // both views of shard 1's buffer
    expect(ra.byteOffset).toBe(0);
    expect(rb.byteOffset).toBe(16);
    expect(ra.buffer.byteLength).toBe(48);
    expect(rc.buffer).not.toBe(ra.buffer); // copied
    expect(rc.byteLength).toBe(64);
    expect(Array.from(typedView(read.get('c')!))).toEqual(Array.from(c));
    const va = typedView(read.get('a')!);
    expect(va.buffer).toBe(ra.buffer); // aligned: typed view without copy
    expect(Array.from(va)).toEqual(Array.from(a));
  });

  it('handles tensors ending exactly on a shard boundary (no empty trailing shard)', async () => {
    const t1 = floats(8, 4); // 32 bytes
    const t2 = floats(8, 5); // 32 bytes
    const group = await writeWeightGroup(dir, [
      { name: 't1', dtype: 'float32', shape: [8], data: t1 },
      { name: 't2', dtype: 'float32', shape: [8], data: t2 },
    ], { shardSizeBytes: 32 });
    expect(group.paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect(readFileSync(path.join(dir, group.paths[1])).byteLength).toBe(32);
    const read = await readWeightGroup(dir, group);
    expect(read.get('t1')!.data.buffer).not.toBe(read.get('t2')!.data.buffer);
    expect(Array.from(typedView(read.get('t2')!))).toEqual(Array.from(t2));

    // A whole group that is an exact multiple of the shard size, one tensor spanning 3 shards.
    const d2 = path.join(dir, 'sub');
    await fsp.mkdir(d2);
    const big = floats(24, 6); // 96 bytes = 3 x 32
    const g2 = await writeWeightGroup(d2, [{ name: 'big', dtype: 'float32', shape: [24], data: big }], { shardSizeBytes: 32 });
    expect(g2.paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(Array.from(typedView((await readWeightGroup(d2, g2)).get('big')!))).toEqual(Array.from(big));
  });

  it('writes no shard for an empty group or a group of empty tensors', async () => {
    expect(await writeWeightGroup(dir, [])).toEqual({ paths: [], weights: [] });
    const g = await writeWeightGroup(dir, [
      { name: 'e', dtype: 'float32', shape: [0], data: new Float32Array(0) },
      { name: 's', dtype: 'string', shape: [0, 3], data: new Uint8Array(0) },
    ]);
    expect(g.paths).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    const read = await readWeightGroup(dir, g);
    expect(read.get('e')!.data.byteLength).toBe(0);
    expect(read.get('s')!.data.byteLength).toBe(0);
  });

  it('streams from an async iterable whose producer reuses one buffer', async () => {
    const scratch = new Float32Array(10);
    const expected: Float32Array[] = [];
    async function* gen() {
      for (let i = 0; i < 6; i++) {
        scratch.set(floats(10, 100 + i));
        expected.push(floats(10, 100 + i));
        await new Promise((r) => setImmediate(r));
        yield { name: `w${i}`, dtype: 'float32' as const, shape: [10], data: scratch };
      }
    }
    const group = await writeWeightGroup(dir, gen(), { shardSizeBytes: 100, totalBytes: 240 });
    expect(group.paths.length).toBe(3);
    const read = await readWeightGroup(dir, group);
    for (let i = 0; i < 6; i++) expect(Array.from(typedView(read.get(`w${i}`)!))).toEqual(Array.from(expected[i]));
  });

  it('writes large tensors directly and small ones through staging, byte-exact', async () => {
    const big = floats(300_000, 9); // 1.2 MB: direct positional writes across shards
    const smalls = Array.from({ length: 500 }, (_, i) => floats(3, 1000 + i));
    const tensors: TfjsWeightTensor[] = [
      ...smalls.slice(0, 250).map((d, i) => ({ name: `s${i}`, dtype: 'float32' as const, shape: [3], data: d })),
      { name: 'big', dtype: 'float32', shape: [300_000], data: big },
      ...smalls.slice(250).map((d, i) => ({ name: `s${250 + i}`, dtype: 'float32' as const, shape: [3], data: d })),
    ];
    const group = await writeWeightGroup(dir, tensors, { shardSizeBytes: 500_001 });
    const total = totalBytes(tensors);
    expect(group.paths.length).toBe(Math.ceil(total / 500_001));
    const all = concatShards(dir, group);
    let at = 0;
    for (const t of tensors) {
      expect(Buffer.from(all.subarray(at, at + t.data.byteLength)).equals(Buffer.from(bytesOf(t.data)))).toBe(true);
      at += t.data.byteLength;
    }
  });

  it('is decoded identically by tf.io.decodeWeights (independent reader)', async () => {
    const tensors = sampleTensors();
    const group = await writeWeightGroup(dir, tensors, { shardSizeBytes: 40 });
    const all = concatShards(dir, group);
    const decoded = tf.io.decodeWeights(all.slice().buffer, group.weights as tf.io.WeightsManifestEntry[]);
    for (const t of tensors) {
      const got = decoded[t.name];
      expect(got.shape).toEqual([...t.shape]);
      if (t.dtype === 'string') {
        const want = decodeStrings(bytesOf(t.data), t.shape.reduce((a, b) => a * b, 1));
        const vals = got.dataSync() as unknown as Uint8Array[];
        expect(vals.map((v) => Buffer.from(v).toString('hex'))).toEqual(want.map((v) => Buffer.from(v).toString('hex')));
        continue;
      }
      const vals = got.dataSync();
      const want = t.dtype === 'complex64'
        ? Array.from(t.data as Float32Array)
        : Array.from(expectedValues(t, bytesOf(t.data)));
      if (t.dtype === 'complex64') {
        const re = tf.real(got).dataSync();
        const im = tf.imag(got).dataSync();
        const inter = Array.from(re).flatMap((r, i) => [r, im[i]]);
        expect(inter).toEqual(want);
      } else if (t.dtype === 'bool') {
        expect(Array.from(vals)).toEqual(Array.from(t.data as Uint8Array));
      } else {
        expect(Array.from(vals)).toEqual(want);
      }
    }
    tf.dispose(Object.values(decoded));
  });

  it.each([1, 3, 7, 16, 1000])('round-trips at shard size %i (length prefixes and elements split anywhere)', async (size) => {
    const tensors = sampleTensors();
    const group = await writeWeightGroup(dir, tensors, { shardSizeBytes: size });
    expect(group.paths.length).toBe(Math.ceil(totalBytes(tensors) / size));
    const read = await readWeightGroup(dir, group);
    for (const t of tensors) expect(Buffer.from(read.get(t.name)!.data).equals(Buffer.from(bytesOf(t.data)))).toBe(true);
    const decoded = tf.io.decodeWeights(concatShards(dir, group).slice().buffer, group.weights as tf.io.WeightsManifestEntry[]);
    expect(Array.from(decoded['conv/kernel'].dataSync())).toEqual(Array.from(tensors[0].data as Float32Array));
    expect((decoded['words'].dataSync() as unknown as Uint8Array[]).map((b) => Buffer.from(b).toString('utf8')))
      .toEqual(['hello', '', 'wörld', 'a longer string that straddles']);
    tf.dispose(Object.values(decoded));
  });

  it('leaves no shard file behind when the tensor iterator throws mid-write', async () => {
    async function* failing() {
      for (let i = 0; i < 5; i++) yield { name: `w${i}`, dtype: 'float32' as const, shape: [64], data: floats(64, i) };
      throw new Error('producer exploded');
    }
    await expect(writeWeightGroup(dir, failing(), { shardSizeBytes: 100 })).rejects.toThrow('producer exploded');
    expect(readdirSync(dir)).toEqual([]);

    function* failingSync(): Generator<TfjsWeightTensor> {
      yield { name: 'ok', dtype: 'float32', shape: [100], data: floats(100) };
      yield { name: 'bad', dtype: 'float32', shape: [100], data: floats(99) }; // wrong size
    }
    const err = await writeWeightGroup(dir, failingSync(), { shardSizeBytes: 128 }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    expect(err.message).toMatch(/"bad".*396 bytes.*needs 400/);
    expect(readdirSync(dir)).toEqual([]);
    expect(pendingTempPaths().filter((p) => p.startsWith(dir))).toEqual([]);
  });

  it('refuses a totalBytes that does not match and leaves nothing', async () => {
    const err = await writeWeightGroup(dir, [{ name: 'a', dtype: 'float32', shape: [4], data: floats(4) }], { totalBytes: 12, shardSizeBytes: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('totalBytes');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([0, -1, 1.5, NaN, Infinity, '4096', null])('rejects shardSizeBytes %s with a typed error', async (bad) => {
    const err = await writeWeightGroup(dir, [], { shardSizeBytes: bad as number }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    expect(err.message).toContain('shardSizeBytes');
  });

  it('rejects malformed tensors: duplicate names, bad dtype, quantized bool, bad strings', async () => {
    const cases: [TfjsWeightTensor[], RegExp][] = [
      [[{ name: 'a', dtype: 'float32', shape: [1], data: floats(1) }, { name: 'a', dtype: 'float32', shape: [1], data: floats(1) }], /duplicate weight name "a"/],
      [[{ name: 'a', dtype: 'float64' as never, shape: [1], data: floats(2) }], /unsupported dtype "float64"/],
      [[{ name: 'a', dtype: 'bool', shape: [1], data: new Uint8Array(1), quantization: { dtype: 'uint8', min: 0, scale: 1 } }], /only float32 and int32/],
      [[{ name: 'a', dtype: 'float32', shape: [1], data: new Uint8Array(1), quantization: { dtype: 'uint8' } }], /scale and min/],
      [[{ name: 'a', dtype: 'float32', shape: [2, -1], data: floats(2) }], /shape\[1\]/],
      [[{ name: 's', dtype: 'string', shape: [2], data: encodeStrings(['x']) }], /length-prefixed encoding of 2 strings/],
      [[{ name: '', dtype: 'float32', shape: [1], data: floats(1) }], /name must be a non-empty string/],
    ];
    for (const [ts, re] of cases) {
      const err = await writeWeightGroup(dir, ts).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toMatch(re);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('reports a manifest that needs more bytes than the shards hold, naming file and weight', async () => {
    const group = await writeWeightGroup(dir, [
      { name: 'a', dtype: 'float32', shape: [10], data: floats(10) },
      { name: 'b', dtype: 'float32', shape: [10], data: floats(10) },
    ], { shardSizeBytes: 64 });
    const bad: TfjsWeightGroup = { paths: group.paths, weights: [group.weights[0], { ...group.weights[1], shape: [11] }] };
    const err = await readWeightGroup(dir, bad).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.code).toBe('ERR_TFEXPORT_TFJS_TRUNCATED');
    expect(err.message).toContain('"b"');
    expect(err.message).toContain('group1-shard2of2.bin');
    expect(err.context.field).toBe('b');

    const badStr: TfjsWeightGroup = { paths: group.paths, weights: [{ name: 's', dtype: 'string', shape: [3] }] };
    const err2 = await readWeightGroup(dir, badStr).catch((e) => e);
    expect(err2).toBeInstanceOf(FormatError);
    expect(err2.code).toBe('ERR_TFEXPORT_TFJS_TRUNCATED');
    expect(err2.message).toContain('"s"');
  });

  it('reports missing shards, escaping paths and malformed entries', async () => {
    const e1 = await readWeightGroup(dir, { paths: ['nope.bin'], weights: [] }).catch((e) => e);
    expect(e1).toBeInstanceOf(FormatError);
    expect(e1.code).toBe('ERR_TFEXPORT_TFJS_SHARD_MISSING');
    expect(e1.message).toContain('nope.bin');
    const e2 = await readWeightGroup(dir, { paths: ['../../etc/passwd'], weights: [] }).catch((e) => e);
    expect(e2.code).toBe('ERR_TFEXPORT_TFJS_BAD_PATH');
    const e3 = await readWeightGroup(dir, { paths: [], weights: [{ name: 'x', dtype: 'float32', shape: [1.5] }] }).catch((e) => e);
    expect(e3).toBeInstanceOf(FormatError);
    expect(e3.code).toBe('ERR_TFEXPORT_TFJS_MANIFEST');
    expect(e3.message).toContain('weights[0].shape[0]');
    await fsp.writeFile(path.join(dir, 'x.bin'), new Uint8Array(8));
    const e4 = await readWeightGroup(dir, { paths: ['./x.bin'], weights: [{ name: 'x', dtype: 'int32', shape: [1] }, { name: 'x', dtype: 'int32', shape: [1] }] }).catch((e) => e);
    expect(e4.code).toBe('ERR_TFEXPORT_TFJS_DUPLICATE_WEIGHT');
  });

  it('computes entry byte lengths', () => {
    expect(entryByteLength({ name: 'a', dtype: 'float32', shape: [2, 3] })).toBe(24);
    expect(entryByteLength({ name: 'a', dtype: 'bool', shape: [5] })).toBe(5);
    expect(entryByteLength({ name: 'a', dtype: 'complex64', shape: [2] })).toBe(16);
    expect(entryByteLength({ name: 'a', dtype: 'float32', shape: [5], quantization: { dtype: 'uint16', min: 0, scale: 1 } })).toBe(10);
    expect(entryByteLength({ name: 'a', dtype: 'float32', shape: [5], quantization: { dtype: 'float16' } })).toBe(10);
    expect(entryByteLength({ name: 'a', dtype: 'string', shape: [5] })).toBeNull();
    expect(DEFAULT_SHARD_SIZE_BYTES).toBe(4194304);
  });
});

// ---- tensorflowjs_converter-written fixtures ------------------------------------------

interface FixtureModel {
  dir: string;
  manifest: TfjsWeightGroup[];
}

function fixtureModels(): FixtureModel[] {
  const out: FixtureModel[] = [];
  for (const kind of ['tfjs-graph', 'tfjs-layers', 'tfjs-weights']) {
    const root = path.join(fixturesRoot, kind);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root)) {
      const d = path.join(root, name);
      for (const f of readdirSync(d)) {
        if (!f.endsWith('.json') || f.startsWith('expected')) continue;
        const json = JSON.parse(readFileSync(path.join(d, f), 'utf8'));
        const manifest = Array.isArray(json) ? json : json.weightsManifest;
        if (Array.isArray(manifest)) out.push({ dir: d, manifest });
      }
    }
  }
  return out;
}

const fixtures = existsSync(fixturesRoot) ? fixtureModels() : [];
if (fixtures.length === 0) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED tfjs fixture tests: no fixtures under ${fixturesRoot} (see shared/fixtures/MANIFEST.md)`);
}

describe.skipIf(fixtures.length === 0)('tensorflowjs_converter / tfjs fixtures', () => {
  it.each(fixtures.map((f) => [path.relative(fixturesRoot, f.dir), f] as const))(
    '%s: readWeightGroup agrees with tf.io.decodeWeights and writeWeightGroup reproduces the bytes',
    async (_label, fx) => {
      for (const group of fx.manifest) {
        const read = await readWeightGroup(fx.dir, group);
        const all = concatShards(fx.dir, group);
        const decoded = tf.io.decodeWeights(all.slice().buffer, group.weights as tf.io.WeightsManifestEntry[]);
        for (const w of group.weights) {
          const ours = read.get(w.name)!;
          expect(ours).toBeDefined();
          const theirs = decoded[w.name].dataSync();
          const mine = expectedValues(w, ours.data);
          expect(mine.length).toBe(theirs.length);
          // Bit-exact comparison (NaN-safe).
          const a = new Float64Array(Array.from(mine));
          const b = new Float64Array(Array.from(theirs as ArrayLike<number>));
          expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
        }
        tf.dispose(Object.values(decoded));

        // Re-write the group from what we read: the concatenated bytes must be identical.
        const out = await fsp.mkdtemp(path.join(dir, 'rewrite-'));
        const tensors = group.weights.map((w) => ({ ...w, data: read.get(w.name)!.data }));
        const rewritten = await writeWeightGroup(out, tensors, { shardSizeBytes: DEFAULT_SHARD_SIZE_BYTES });
        expect(rewritten.weights.map((w) => w.name)).toEqual(group.weights.map((w) => w.name));
        const again = concatShards(out, rewritten);
        const needed = group.weights.reduce((s, w) => s + read.get(w.name)!.data.byteLength, 0);
        expect(Buffer.from(again).equals(Buffer.from(all.subarray(0, needed)))).toBe(true);

        // And with small shards, reading back yields the same bytes.
        const out2 = await fsp.mkdtemp(path.join(dir, 'reshard-'));
        const resharded = await writeWeightGroup(out2, tensors, { shardSizeBytes: 4099 });
        expect(resharded.paths.length).toBe(Math.ceil(needed / 4099));
        const back = await readWeightGroup(out2, resharded);
        for (const w of group.weights) {
          expect(Buffer.from(back.get(w.name)!.data).equals(Buffer.from(read.get(w.name)!.data))).toBe(true);
        }
      }
    },
  );

  it('includes converter-written models with float16 and uint8 quantization', () => {
    const q = new Set(fixtures.flatMap((f) => f.manifest.flatMap((g) => g.weights.map((w) => w.quantization?.dtype))));
    expect(q.has('uint8')).toBe(true);
    expect(q.has('float16')).toBe(true);
  });
});
