// SPDX-License-Identifier: Apache-2.0
/**
 * Chunked weight writing of the graph-model writer: big TensorBundle weights are read in chunks
 * straight into the shard buffer and big quantized weights are converted chunk by chunk; the
 * shards and manifest must be byte-identical to whole-tensor conversion with the pure-TS
 * reference kernels, also when a weight spans many (odd-sized) shards and starts at an odd
 * offset. Corrupt or non-finite data fails with typed errors and leaves no shard behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, TfexportError } from '../../../src/errors.js';
import { openTensorBundle, type TensorBundle } from '../../../src/formats/tensorbundle/index.js';
import { graphWeightTensors } from '../../../src/formats/tfjs/graph-write.js';
import { writeWeightGroup, type TfjsQuantizationDType, type TfjsWeightTensor } from '../../../src/formats/tfjs/shards.js';
import { bundleWeight, memoryWeight } from '../../../src/ir/weights.js';
import type { IrWeight } from '../../../src/ir/types.js';
import { f32ToF16Ref, minMaxRef, quantizeAffineRef } from '../../../src/kernels/reference.js';
import { minMaxSync } from '../../../src/kernels/index.js';
import { DataType } from '../../../src/proto/index.js';
import { bytesOf, writeBundle } from '../tf/helpers/bundle-writer.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-graph-stream-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
const tmpDir = (): string => {
  const d = path.join(tmpRoot, String(n++));
  fs.mkdirSync(d);
  return d;
};

/** 1.5 M floats (6 MB: two conversion chunks of 1 Mi elements): min in the first chunk, max in the second. */
function bigValues(): Float32Array {
  const v = Float32Array.from({ length: 1_500_000 }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 0.011));
  v[1234] = -7.25;
  v[1_300_000] = 9.5;
  v[77] = 0;
  return v;
}

/** A bundle holding `k` (bigValues), `i` (a big int32) and `bad` (bigValues with a NaN). */
async function bundle(dir: string): Promise<{ b: TensorBundle; prefix: string }> {
  const prefix = path.join(dir, 'variables');
  const bad = bigValues();
  bad[1_400_000] = NaN;
  writeBundle(prefix, [
    { key: 'k', dtype: DataType.DT_FLOAT, shape: [1500, 1000], bytes: bytesOf(bigValues()) },
    { key: 'i', dtype: DataType.DT_INT32, shape: [300_000], bytes: bytesOf(Int32Array.from({ length: 300_000 }, (_, j) => j * 7 - 5)) },
    { key: 'bad', dtype: DataType.DT_FLOAT, shape: [1_500_000], bytes: bytesOf(bad) },
  ]);
  return { b: await openTensorBundle(prefix), prefix };
}

/** The shards' bytes concatenated, plus the manifest group. */
async function writeGroup(tensors: AsyncIterable<unknown> | Iterable<unknown>, shardSizeBytes: number): Promise<{ bytes: Buffer; group: unknown; shards: number }> {
  const dir = tmpDir();
  const group = await writeWeightGroup(dir, tensors as Iterable<TfjsWeightTensor>, { shardSizeBytes, fsync: false });
  const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  return { bytes, group, shards: group.paths.length };
}

/** Whole-tensor conversion with the pure-TS reference kernels (the specification). */
async function referenceTensors(weights: IrWeight[], quant: Map<string, TfjsQuantizationDType>): Promise<TfjsWeightTensor[]> {
  const out: TfjsWeightTensor[] = [];
  for (const w of weights) {
    const bytes = (await w.read()).slice();
    const dtype = w.dataType === DataType.DT_INT32 ? 'int32' : w.dataType === DataType.DT_BOOL ? 'bool' : 'float32';
    const q = quant.get(w.name);
    if (!q) {
      out.push({ name: w.name, dtype, shape: w.shape, data: bytes });
      continue;
    }
    const f = new Float32Array(bytes.buffer);
    if (q === 'float16') {
      const h = new Uint16Array(f.length);
      f32ToF16Ref(f, h);
      out.push({ name: w.name, dtype, shape: w.shape, data: h, quantization: { dtype: 'float16' } });
    } else {
      const codes = q === 'uint8' ? new Uint8Array(f.length) : new Uint16Array(f.length);
      const p = quantizeAffineRef(f, codes);
      out.push({ name: w.name, dtype, shape: w.shape, data: codes, quantization: { dtype: q, min: p.min, scale: p.scale } });
    }
  }
  return out;
}

async function caught(p: Promise<unknown>): Promise<TfexportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TfexportError);
    return e as TfexportError;
  }
  throw new Error('expected a rejection');
}

describe('graph-model weights written in chunks', () => {
  it('quantized weights spanning many shards are byte-identical to whole-tensor reference conversion', async () => {
    const dir = tmpDir();
    const { b } = await bundle(dir);
    try {
      const weights: IrWeight[] = [
        memoryWeight('flags', DataType.DT_BOOL, [3], Uint8Array.of(1, 0, 1)), // odd start for what follows
        bundleWeight('k', b, 'k'),
        bundleWeight('i', b, 'i'),
        memoryWeight('m', DataType.DT_FLOAT, [1_500_000], bytesOf(bigValues())), // not in a bundle
        memoryWeight('small', DataType.DT_FLOAT, [5], bytesOf(Float32Array.of(1, -2, 3, 0.5, 4))),
      ];
      for (const q of [undefined, 'float16', 'uint8', 'uint16'] as const) {
        const quant = new Map<string, TfjsQuantizationDType>(q ? [['k', q], ['m', q], ['small', q]] : []);
        let streamed = 0;
        const counted = async function* () {
          for await (const t of graphWeightTensors(weights, quant)) {
            if ('write' in t) streamed++;
            yield t;
          }
        };
        for (const shardSize of [100_003, 4 * 1024 * 1024]) {
          streamed = 0;
          const got = await writeGroup(counted(), shardSize);
          const want = await writeGroup(await referenceTensors(weights, quant), shardSize);
          expect(streamed).toBe(q ? 3 : 2); // k and i always; m when quantized
          expect(got.group).toEqual(want.group);
          expect(got.bytes.equals(want.bytes)).toBe(true);
          if (shardSize === 100_003) expect(got.shards).toBeGreaterThan(10);
        }
      }
    } finally {
      await b.close();
    }
  });

  it('NaN in a big quantized weight is ERR_TFEXPORT_NON_FINITE (as for a whole tensor), float16 keeps it', async () => {
    const dir = tmpDir();
    const { b } = await bundle(dir);
    try {
      const out = tmpDir();
      const e = await caught(writeWeightGroup(out, graphWeightTensors([bundleWeight('bad', b, 'bad')], new Map([['bad', 'uint8']])), { fsync: false }));
      expect(e.code).toBe('ERR_TFEXPORT_NON_FINITE');
      expect(fs.readdirSync(out)).toEqual([]);
      const ok = await writeGroup(graphWeightTensors([bundleWeight('bad', b, 'bad')], new Map([['bad', 'float16']])), 1 << 20);
      expect(ok.bytes.length).toBe(3_000_000);
    } finally {
      await b.close();
    }
  });

  it('+-Infinity in a big quantized weight is ERR_TFEXPORT_NON_FINITE naming the weight', async () => {
    for (const [inf, q] of [[Infinity, 'uint16'], [-Infinity, 'uint8']] as const) {
      const v = bigValues();
      v[1_100_000] = inf;
      const out = tmpDir();
      const e = await caught(writeWeightGroup(out, graphWeightTensors([memoryWeight('w/inf', DataType.DT_FLOAT, [v.length], bytesOf(v))], new Map([['w/inf', q]])), { fsync: false }));
      expect(e.code).toBe('ERR_TFEXPORT_NON_FINITE');
      expect(e.message).toContain('"w/inf"');
      expect(fs.readdirSync(out)).toEqual([]);
    }
  });

  it('a CRC mismatch found at the end of a streamed weight names file and tensor and leaves no shard', async () => {
    const dir = tmpDir();
    const { b, prefix } = await bundle(dir);
    await b.close();
    const data = `${prefix}.data-00000-of-00001`;
    const bytes = fs.readFileSync(data);
    // keys are stored sorted (bad, i, k): flip a byte near the end of k, the last tensor
    bytes[bytes.length - 100] ^= 1;
    fs.writeFileSync(data, bytes);
    const b2 = await openTensorBundle(prefix);
    try {
      for (const q of [undefined, 'float16', 'uint8'] as const) {
        const out = tmpDir();
        const e = await caught(writeWeightGroup(out, graphWeightTensors([bundleWeight('k', b2, 'k')], new Map(q ? [['k', q]] : [])), { shardSizeBytes: 100_000 }));
        expect(e).toBeInstanceOf(FormatError);
        expect(e.code).toBe('ERR_TFEXPORT_BUNDLE_CRC');
        expect(e.message).toContain(data);
        expect(e.message).toContain('"k"');
        expect(fs.readdirSync(out)).toEqual([]);
      }
    } finally {
      await b2.close();
    }
  });
});

describe('minMaxSync (the first pass of chunked affine quantization)', () => {
  it('matches the reference: NaN skipped and counted, zero extremes +0, empty gives +-Infinity', () => {
    const v = bigValues();
    v[5] = NaN;
    v[900_000] = NaN;
    expect(minMaxSync(v)).toEqual(minMaxRef(v));
    expect(minMaxSync(v)).toMatchObject({ min: -7.25, max: 9.5, nanCount: 2 });
    const z = minMaxSync(Float32Array.of(-0, 0, -0));
    expect(Object.is(z.min, 0) && Object.is(z.max, 0)).toBe(true);
    expect(minMaxSync(new Float32Array(0))).toEqual({ min: Infinity, max: -Infinity, nanCount: 0 });
    expect(() => minMaxSync([1, 2] as unknown as Float32Array)).toThrow(/Float32Array/);
  });
});

describe('writeWeightGroup with producer streams', () => {
  it('checks the byte count a producer writes', async () => {
    const out = tmpDir();
    const short = { name: 'w', dtype: 'float32' as const, shape: [4], byteLength: 16, write: async (sink: { write(b: Uint8Array): Promise<void> }) => sink.write(new Uint8Array(12)) };
    expect((await caught(writeWeightGroup(out, [short]))).message).toContain('wrote 12 of its 16 bytes');
    const long = { ...short, write: async (sink: { write(b: Uint8Array): Promise<void> }) => sink.write(new Uint8Array(20)) };
    expect((await caught(writeWeightGroup(out, [long]))).message).toContain('past its 16 bytes');
    const wrongLength = { ...short, byteLength: 15 };
    expect((await caught(writeWeightGroup(out, [wrongLength]))).message).toContain('needs 16');
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
