// SPDX-License-Identifier: Apache-2.0
/**
 * TensorBundle / SSTable reader: every fixture bundle reads with its CRCs verified, values match
 * the fixtures' expected results, every dtype round-trips through a crafted bundle, and corrupt
 * inputs (made here from real and crafted files) give typed FormatErrors naming file and key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, IoError, TfexportError, ValidationError } from '../../../src/errors.js';
import { decodeStrings, openTensorBundle, parseBlock, readSSTable } from '../../../src/formats/tensorbundle/index.js';
import { crc32cSync, maskCrc32c } from '../../../src/kernels/index.js';
import { DataType } from '../../../src/proto/index.js';
import { buildTable, bytesOf, encodeStringTensor, writeBundle, type TensorToWrite } from './helpers/bundle-writer.js';
import { copyWritable, fixture, fixturesDir, savedModelDirs } from './fixtures.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-bundle-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCounter = 0;
function tmpDir(): string {
  const d = path.join(tmpRoot, String(tmpCounter++));
  fs.mkdirSync(d);
  return d;
}

/** Copies a bundle (index + shards) into a temp dir; returns the new prefix. */
function copyBundle(prefix: string): string {
  const dir = tmpDir();
  const base = path.basename(prefix);
  for (const f of fs.readdirSync(path.dirname(prefix))) {
    if (f.startsWith(`${base}.`)) copyWritable(path.join(path.dirname(prefix), f), path.join(dir, f));
  }
  return path.join(dir, base);
}

async function expectError<T extends TfexportError>(p: Promise<unknown>, cls: new (...a: never[]) => T, code: string, ...fragments: string[]): Promise<T> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(cls);
  const te = err as T;
  expect(te.code).toBe(code);
  for (const f of fragments) expect(te.message).toContain(f);
  return te;
}

function fixtureBundles(): string[] {
  if (!fixturesDir) return [];
  const prefixes = savedModelDirs()
    .filter((d) => fs.existsSync(path.join(d, 'variables/variables.index')))
    .map((d) => path.join(d, 'variables/variables'));
  prefixes.push(fixture('checkpoint/tf2onnx_regression_tf1_saver/model'), fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt'));
  return prefixes;
}

async function readAll(prefix: string): Promise<Map<string, Awaited<ReturnType<Awaited<ReturnType<typeof openTensorBundle>>['read']>>>> {
  const bundle = await openTensorBundle(prefix);
  try {
    const out = new Map();
    for (const k of bundle.keys()) out.set(k, await bundle.read(k));
    return out;
  } finally {
    await bundle.close();
  }
}

/** Parses a little-endian float32 .npy file. */
function readNpyFloat32(file: string): { shape: number[]; data: Float32Array } {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  expect(header).toContain("'descr': '<f4'");
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').filter((s) => s.trim()).map(Number);
  const body = buf.subarray(10 + headerLen);
  return { shape, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) };
}

describe.skipIf(!fixturesDir)('fixture bundles', () => {
  it.each(fixtureBundles().map((p) => [path.relative(fixturesDir ?? '', p), p]))('%s: every tensor reads with a valid CRC', async (_n, prefix) => {
    const bundle = await openTensorBundle(prefix);
    try {
      expect(bundle.keys().length).toBeGreaterThan(0);
      for (const key of bundle.keys()) {
        const t = await bundle.read(key);
        const e = bundle.entry(key);
        expect(t.shape).toEqual(e.shape);
        const count = t.shape.reduce((a, b) => a * b, 1);
        expect(Array.isArray(t.data) ? t.data.length : (t.data as ArrayLike<unknown>).length).toBe(count);
      }
    } finally {
      await bundle.close();
    }
  });

  it('half_plus_two variables (TF1 and TF2, snappy-compressed index blocks)', async () => {
    for (const [dir, keys] of [
      ['tfserving_half_plus_two_cpu', { a: 0.5, a2: 0.5, b: 2, c: 3, c2: 3 }],
      ['tfserving_half_plus_two_tf2_cpu', { 'a/.ATTRIBUTES/VARIABLE_VALUE': 0.5, 'b/.ATTRIBUTES/VARIABLE_VALUE': 2, 'c/.ATTRIBUTES/VARIABLE_VALUE': 3 }],
    ] as const) {
      const prefix = fixture('savedmodel', dir, 'variables/variables');
      const bundle = await openTensorBundle(prefix);
      expect(bundle.snappyBlocks).toBeGreaterThanOrEqual(1);
      await bundle.close();
      const all = await readAll(prefix);
      for (const [k, v] of Object.entries(keys)) {
        expect(all.get(k)!.dtype).toBe('float32');
        expect(Array.from(all.get(k)!.data as Float32Array)).toEqual([v]);
      }
    }
  });

  it('tf2onnx regression W and b (SavedModel and TF1 Saver checkpoint)', async () => {
    for (const prefix of [fixture('savedmodel/tf2onnx_regression/variables/variables'), fixture('checkpoint/tf2onnx_regression_tf1_saver/model')]) {
      const all = await readAll(prefix);
      expect((all.get('W')!.data as Float32Array)[0]).toBe(Math.fround(0.21396178));
      expect((all.get('b')!.data as Float32Array)[0]).toBe(Math.fround(1.0495254));
      expect(all.get('W')!.shape).toEqual([]);
    }
  });

  it('tfkeras_lso: values split over 2 data shards', async () => {
    for (const [prefix, kernelKey] of [
      [fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt'), 'layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE'],
      [fixture('savedmodel/tfkeras_lso_savedmodel_tf2.2/variables/variables'), 'variables/0/.ATTRIBUTES/VARIABLE_VALUE'],
    ] as const) {
      const bundle = await openTensorBundle(prefix);
      expect(bundle.numShards).toBe(2);
      const shards = new Set(bundle.entries().map((e) => e.shardId));
      expect([...shards].sort()).toEqual([0, 1]);
      const kernel = await bundle.read(bundle.has(kernelKey) ? kernelKey : 'layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
      expect(kernel.shape).toEqual([2, 2]);
      const expected = [9.229685, 10.901115, 10.370763, 9.757362].map(Math.fround);
      Array.from(kernel.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      const bias = await bundle.read('layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE');
      Array.from(bias.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo([10.049943, 9.917691][i]!, 5));
      const slot = bundle.keys().find((k) => k.startsWith('layer_with_weights-0/kernel/.OPTIMIZER_SLOT/') && k.includes('momentum'))!;
      Array.from((await bundle.read(slot)).data as Float32Array).forEach((v, i) =>
        expect(v).toBeCloseTo([10.049943, 9.917691, 10.049943, 9.917691][i]!, 5),
      );
      expect(Array.from((await bundle.read('optimizer/loss_scale/current_loss_scale/.ATTRIBUTES/VARIABLE_VALUE')).data as Float32Array)).toEqual([32768]);
      const good = await bundle.read('optimizer/loss_scale/good_steps/.ATTRIBUTES/VARIABLE_VALUE');
      expect(good.dtype).toBe('int64');
      expect(good.data).toBeInstanceOf(BigInt64Array);
      expect((good.data as BigInt64Array)[0]).toBe(1n);
      const graph = await bundle.read('_CHECKPOINTABLE_OBJECT_GRAPH');
      expect(graph.dtype).toBe('string');
      expect((graph.data as Uint8Array[])[0]!.length).toBeGreaterThan(100);
      await bundle.close();
    }
  });

  it('int64 variables of tfjs_node_int64_multiply and the expected.json values of the tfjs_node models', async () => {
    const all = await readAll(fixture('savedmodel/tfjs_node_int64_multiply/variables/variables'));
    expect(Array.from(all.get('v1/.ATTRIBUTES/VARIABLE_VALUE')!.data as BigInt64Array)).toEqual([3n]);
    expect(Array.from(all.get('v2/.ATTRIBUTES/VARIABLE_VALUE')!.data as BigInt64Array)).toEqual([2n]);
    for (const dir of ['tfjs_node_times_three_float', 'tfjs_node_module_with_multiple_signatures', 'tfjavax'].filter((d) => fs.existsSync(fixture('savedmodel', d)))) {
      const expected = JSON.parse(fs.readFileSync(fixture('savedmodel', dir, 'expected.json'), 'utf8')) as { variables: Record<string, number> };
      const vars = await readAll(fixture('savedmodel', dir, 'variables/variables'));
      for (const [name, value] of Object.entries(expected.variables)) {
        expect(Number((vars.get(`${name}/.ATTRIBUTES/VARIABLE_VALUE`)!.data as Float32Array)[0])).toBe(value);
      }
    }
  });

  it('tfnet_simple_model: kernel1.npy and bias0.npy equal the stored variables exactly', async () => {
    const all = await readAll(fixture('savedmodel/tfnet_simple_model_from_auto_compile/variables/variables'));
    for (const [npy, shape] of [['kernel1.npy', [100, 10]], ['bias0.npy', [100]]] as const) {
      const want = readNpyFloat32(fixture('savedmodel/tfnet_simple_model_from_auto_compile', npy));
      expect(want.shape).toEqual(shape);
      const candidates = [...all.values()].filter((t) => !t.key.includes('OPTIMIZER_SLOT') && JSON.stringify(t.shape) === JSON.stringify(shape));
      expect(candidates.length).toBe(1);
      expect(Buffer.from(bytesOf(candidates[0]!.data as Float32Array)).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
    }
  });
});

describe('crafted bundles', () => {
  const f32 = (xs: number[]): Uint8Array => bytesOf(Float32Array.from(xs));

  it('every supported dtype round-trips', async () => {
    const prefix = path.join(tmpDir(), 'all');
    const str = encodeStringTensor([Buffer.from('hello'), new Uint8Array(0), Uint8Array.from([0, 255, 128]), Buffer.from('é')]);
    const tensors: TensorToWrite[] = [
      { key: 'f32', dtype: DataType.DT_FLOAT, shape: [2, 2], bytes: f32([1, -2, 3.5, Infinity]) },
      { key: 'f64', dtype: DataType.DT_DOUBLE, shape: [2], bytes: bytesOf(Float64Array.from([Math.PI, -0])) },
      { key: 'i8', dtype: DataType.DT_INT8, shape: [3], bytes: bytesOf(Int8Array.from([-128, 0, 127])) },
      { key: 'i16', dtype: DataType.DT_INT16, shape: [2], bytes: bytesOf(Int16Array.from([-32768, 32767])) },
      { key: 'i32', dtype: DataType.DT_INT32, shape: [2], bytes: bytesOf(Int32Array.from([-2147483648, 2147483647])) },
      { key: 'i64', dtype: DataType.DT_INT64, shape: [2], bytes: bytesOf(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n])) },
      { key: 'u8', dtype: DataType.DT_UINT8, shape: [2], bytes: Uint8Array.from([0, 255]) },
      { key: 'u16', dtype: DataType.DT_UINT16, shape: [1], bytes: bytesOf(Uint16Array.from([65535])) },
      { key: 'u32', dtype: DataType.DT_UINT32, shape: [1], bytes: bytesOf(Uint32Array.from([4294967295])) },
      { key: 'u64', dtype: DataType.DT_UINT64, shape: [1], bytes: bytesOf(BigUint64Array.from([2n ** 64n - 1n])) },
      { key: 'bool', dtype: DataType.DT_BOOL, shape: [3], bytes: Uint8Array.from([1, 0, 1]) },
      { key: 'half', dtype: DataType.DT_HALF, shape: [2], bytes: bytesOf(Uint16Array.from([0x3c00, 0xc000])) },
      { key: 'bf16', dtype: DataType.DT_BFLOAT16, shape: [2], bytes: bytesOf(Uint16Array.from([0x3f80, 0x4000])) },
      { key: 'c64', dtype: DataType.DT_COMPLEX64, shape: [1], bytes: f32([1, -1]) },
      { key: 'c128', dtype: DataType.DT_COMPLEX128, shape: [1], bytes: bytesOf(Float64Array.from([2, 3])) },
      { key: 'str', dtype: DataType.DT_STRING, shape: [2, 2], bytes: str.bytes, crc32c: str.crc32c },
      { key: 'empty', dtype: DataType.DT_FLOAT, shape: [0, 3], bytes: new Uint8Array(0) },
    ];
    writeBundle(prefix, tensors);
    const all = await readAll(prefix);
    expect([...all.keys()]).toEqual([...tensors.map((t) => t.key)].sort());
    const typeOf = (k: string): string => (all.get(k)!.data as object).constructor.name;
    expect(Object.fromEntries(tensors.map((t) => [t.key, [all.get(t.key)!.dtype, typeOf(t.key)]]))).toEqual({
      f32: ['float32', 'Float32Array'], f64: ['float64', 'Float64Array'], i8: ['int8', 'Int8Array'], i16: ['int16', 'Int16Array'],
      i32: ['int32', 'Int32Array'], i64: ['int64', 'BigInt64Array'], u8: ['uint8', 'Uint8Array'], u16: ['uint16', 'Uint16Array'],
      u32: ['uint32', 'Uint32Array'], u64: ['uint64', 'BigUint64Array'], bool: ['bool', 'Uint8Array'], half: ['float16', 'Uint16Array'],
      bf16: ['bfloat16', 'Uint16Array'], c64: ['complex64', 'Float32Array'], c128: ['complex128', 'Float64Array'], str: ['string', 'Array'],
      empty: ['float32', 'Float32Array'],
    });
    for (const t of tensors.filter((x) => x.dtype !== DataType.DT_STRING)) {
      expect(Buffer.from(bytesOf(all.get(t.key)!.data as ArrayBufferView)).equals(Buffer.from(t.bytes)), t.key).toBe(true);
    }
    expect(Array.from(all.get('i64')!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(decodeStrings(all.get('str')!)).toEqual(['hello', '', '\u0000\ufffd\ufffd', 'é']);
    expect(Array.from((all.get('str')!.data as Uint8Array[])[2]!)).toEqual([0, 255, 128]);
    expect(all.get('empty')!.shape).toEqual([0, 3]);
  });

  it('reads many keys over many small blocks with prefix compression and restart points', async () => {
    const prefix = path.join(tmpDir(), 'many');
    const keys = Array.from({ length: 700 }, (_, i) => `model/layer_${String(i).padStart(4, '0')}/kernel/.ATTRIBUTES/VARIABLE_VALUE`);
    writeBundle(prefix, keys.map((key, i) => ({ key, dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([i]) })), { blockSize: 300, restartInterval: 16 });
    const table = await readSSTable(`${prefix}.index`);
    expect(table.dataBlocks).toBeGreaterThan(20);
    const bundle = await openTensorBundle(`${prefix}.index`);
    expect(bundle.keys()).toEqual(keys);
    expect(Array.from((await bundle.read(keys[555]!)).data as Float32Array)).toEqual([555]);
    await bundle.close();
  });

  it('reads tensors from several shards', async () => {
    const prefix = path.join(tmpDir(), 'sharded');
    writeBundle(prefix, [
      { key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]), shard: 0 },
      { key: 'b', dtype: DataType.DT_FLOAT, shape: [2], bytes: f32([2, 3]), shard: 2 },
      { key: 'c', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([4]), shard: 1 },
    ], { numShards: 3 });
    const all = await readAll(prefix);
    expect(Array.from(all.get('b')!.data as Float32Array)).toEqual([2, 3]);
    expect(Array.from(all.get('c')!.data as Float32Array)).toEqual([4]);
  });
});

describe('corrupt bundles', () => {
  const f32 = (xs: number[]): Uint8Array => bytesOf(Float32Array.from(xs));

  async function crafted(tensors: TensorToWrite[], opts = {}): Promise<string> {
    const prefix = path.join(tmpDir(), 'bad');
    writeBundle(prefix, tensors, opts);
    return prefix;
  }

  it('a missing index is an IoError; a missing data shard is an IoError naming the shard', async () => {
    await expectError(openTensorBundle(path.join(tmpDir(), 'nothing')), IoError, 'ERR_TFEXPORT_FILE_NOT_FOUND', 'nothing.index');
    const prefix = await crafted([{ key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]) }]);
    fs.rmSync(`${prefix}.data-00000-of-00001`);
    const bundle = await openTensorBundle(prefix);
    await expectError(bundle.read('a'), IoError, 'ERR_TFEXPORT_FILE_NOT_FOUND', 'bad.data-00000-of-00001');
    await bundle.close();
  });

  it('truncated index files give FormatErrors, never a crash', async () => {
    const prefix = await crafted([{ key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]) }]);
    const index = fs.readFileSync(`${prefix}.index`);
    for (const cut of [0, 10, 47, index.length - 1, index.length - 48, 20]) {
      fs.writeFileSync(`${prefix}.index`, index.subarray(0, cut));
      let err: unknown;
      try {
        await openTensorBundle(prefix);
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(FormatError);
      expect((err as FormatError).message).toContain('bad.index');
    }
    if (fixturesDir) {
      const real = copyBundle(fixture('savedmodel/tfserving_half_plus_two_cpu/variables/variables'));
      const bytes = fs.readFileSync(`${real}.index`);
      fs.writeFileSync(`${real}.index`, bytes.subarray(0, bytes.length - 30));
      await expectError(openTensorBundle(real), FormatError, 'ERR_TFEXPORT_SSTABLE_MAGIC', 'variables.index');
    }
  });

  it('bad magic', async () => {
    const prefix = await crafted([{ key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]) }]);
    const index = fs.readFileSync(`${prefix}.index`);
    index[index.length - 1] ^= 0xff;
    fs.writeFileSync(`${prefix}.index`, index);
    await expectError(openTensorBundle(prefix), FormatError, 'ERR_TFEXPORT_SSTABLE_MAGIC', 'bad.index', 'magic');
  });

  it.skipIf(!fixturesDir)('a flipped byte in a real index block is a block CRC error; in a data shard a tensor CRC error naming file and key', async () => {
    const prefix = copyBundle(fixture('savedmodel/tf2onnx_regression/variables/variables'));
    const index = fs.readFileSync(`${prefix}.index`);
    index[3] ^= 0x10;
    fs.writeFileSync(`${prefix}.index`, index);
    await expectError(openTensorBundle(prefix), FormatError, 'ERR_TFEXPORT_SSTABLE_CRC', 'variables.index', 'data block 0');

    const p2 = copyBundle(fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt'));
    const bundle = await openTensorBundle(p2);
    const e = bundle.entry('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
    const shardFile = `${p2}.data-${String(e.shardId).padStart(5, '0')}-of-00002`;
    const data = fs.readFileSync(shardFile);
    data[e.offset + 5] ^= 0x01;
    fs.writeFileSync(shardFile, data);
    const err = await expectError(bundle.read('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE'), FormatError, 'ERR_TFEXPORT_BUNDLE_CRC', shardFile, 'layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
    expect(err.context.file).toBe(shardFile);
    expect(err.context.field).toBe('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
    // the other tensors still read
    await bundle.read('layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE');
    // a flipped byte inside the string tensor's lengths is caught by the lengths checksum
    const g = bundle.entry('_CHECKPOINTABLE_OBJECT_GRAPH');
    const gFile = `${p2}.data-${String(g.shardId).padStart(5, '0')}-of-00002`;
    const gData = fs.readFileSync(gFile);
    gData[g.offset] ^= 0x01;
    fs.writeFileSync(gFile, gData);
    await expectError(bundle.read('_CHECKPOINTABLE_OBJECT_GRAPH'), FormatError, 'ERR_TFEXPORT_BUNDLE_CRC', '_CHECKPOINTABLE_OBJECT_GRAPH');
    await bundle.close();
  });

  it('offsets and sizes beyond the data file', async () => {
    const prefix = await crafted([
      { key: 'far', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]), entry: { offset: 1n << 40n } },
      { key: 'long', dtype: DataType.DT_FLOAT, shape: [1000], bytes: f32([2]), entry: { size: 4000n } },
      { key: 'neg', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([3]), entry: { offset: -5n } },
    ]);
    const bundle = await openTensorBundle(prefix);
    await expectError(bundle.read('far'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'far', 'past the end');
    await expectError(bundle.read('long'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'long', 'past the end');
    await expectError(bundle.read('neg'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'neg', 'offset -5');
    await bundle.close();
  });

  it('huge declared shapes and size/shape mismatches never allocate', async () => {
    const prefix = await crafted([
      { key: 'huge', dtype: DataType.DT_FLOAT, shape: [1 << 30, 1 << 30, 1 << 30], bytes: f32([1]) },
      { key: 'big', dtype: DataType.DT_DOUBLE, shape: [1 << 20, 1 << 20], bytes: f32([1]), entry: { size: 1n << 43n } },
      { key: 'mismatch', dtype: DataType.DT_FLOAT, shape: [3], bytes: f32([1, 2]) },
      { key: 'strings', dtype: DataType.DT_STRING, shape: [1 << 30], bytes: Uint8Array.from([1, 0, 0, 0, 0, 65]) },
      { key: 'negdim', dtype: DataType.DT_FLOAT, shape: [-1], bytes: f32([1]) },
    ]);
    const bundle = await openTensorBundle(prefix);
    await expectError(bundle.read('huge'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'huge');
    await expectError(bundle.read('big'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'big');
    await expectError(bundle.read('mismatch'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'mismatch', '12 bytes, but the record says 8');
    await expectError(bundle.read('strings'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'strings');
    expect(() => bundle.entry('negdim')).toThrow(FormatError);
    await bundle.close();
  });

  it('corrupt string tensors', async () => {
    const good = encodeStringTensor([Buffer.from('abc'), Buffer.from('de')]);
    const badLen = good.bytes.slice();
    badLen[0] = 2; // first length says 2 bytes instead of 3
    const badCrc = good.bytes.slice();
    badCrc[badCrc.length - 1] ^= 1; // last string byte
    const prefix = await crafted([
      { key: 's_len', dtype: DataType.DT_STRING, shape: [2], bytes: badLen, crc32c: good.crc32c },
      { key: 's_data', dtype: DataType.DT_STRING, shape: [2], bytes: badCrc, crc32c: good.crc32c },
      { key: 's_varint', dtype: DataType.DT_STRING, shape: [2], bytes: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0]) },
    ]);
    const bundle = await openTensorBundle(prefix);
    await expectError(bundle.read('s_len'), FormatError, 'ERR_TFEXPORT_BUNDLE_CRC', 's_len', 'string lengths');
    await expectError(bundle.read('s_data'), FormatError, 'ERR_TFEXPORT_BUNDLE_CRC', 's_data');
    await expectError(bundle.read('s_varint'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 's_varint');
    await bundle.close();
  });

  it('header problems: missing, big-endian, shard ids out of range; partitioned tensors without slice records refused on read', async () => {
    const noHeader = await crafted([{ key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]) }], { noHeader: true });
    await expectError(openTensorBundle(noHeader), FormatError, 'ERR_TFEXPORT_BUNDLE_HEADER', 'bad.index');
    const big = await crafted([{ key: 'a', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]) }], { endianness: 1 });
    await expectError(openTensorBundle(big), FormatError, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED', 'big-endian');
    const slice = await crafted([
      { key: 'part', dtype: DataType.DT_FLOAT, shape: [4], bytes: new Uint8Array(0), entry: { slices: [{ extent: [{ start: 0n, length: 2n }] }] } },
      { key: 'shard9', dtype: DataType.DT_FLOAT, shape: [1], bytes: f32([1]), entry: { shardId: 9 } },
      { key: 'dt', dtype: DataType.DT_RESOURCE, shape: [1], bytes: f32([1]) },
      { key: 'dt_unknown', dtype: 77, shape: [1], bytes: f32([1]) },
    ]);
    const bundle = await openTensorBundle(slice);
    expect(bundle.entry('part').sliced).toBe(true);
    await expectError(bundle.read('part'), FormatError, 'ERR_TFEXPORT_BUNDLE_SLICE', 'part', 'no slice record [0:2]');
    await expectError(bundle.read('shard9'), FormatError, 'ERR_TFEXPORT_BUNDLE_ENTRY', 'shard9', 'shard id 9');
    await expectError(bundle.read('dt'), FormatError, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED', 'resource');
    await expectError(bundle.read('dt_unknown'), FormatError, 'ERR_TFEXPORT_BUNDLE_UNSUPPORTED', 'DT_UNKNOWN_77');
    expect(() => bundle.entry('nope')).toThrow(ValidationError);
    await bundle.close();
  });

  it('a corrupt BundleEntryProto names the key', async () => {
    const dir = tmpDir();
    const prefix = path.join(dir, 'b');
    const header = Uint8Array.from([0x08, 0x01]);
    fs.writeFileSync(`${prefix}.index`, buildTable([{ key: '', value: header }, { key: 'w', value: Uint8Array.from([0x12, 0x40, 0x01]) }]));
    fs.writeFileSync(`${prefix}.data-00000-of-00001`, '');
    const bundle = await openTensorBundle(prefix);
    let err: unknown;
    try {
      bundle.entry('w');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toContain('"w"');
    expect((err as FormatError).message).toContain('b.index');
    expect((err as FormatError).message).toContain('shape');
  });

  it('keys out of order, bogus block handles and unknown compression types', async () => {
    const dir = tmpDir();
    const unsorted = path.join(dir, 'unsorted.index');
    fs.writeFileSync(unsorted, buildTable([{ key: 'b', value: new Uint8Array(1) }, { key: 'a', value: new Uint8Array(1) }]));
    await expectError(readSSTable(unsorted), FormatError, 'ERR_TFEXPORT_SSTABLE_CORRUPT', 'not in strictly increasing order');

    const table = buildTable([{ key: 'a', value: new Uint8Array(1) }]);
    // point the footer's index handle far beyond the file
    const bogus = table.slice();
    const footer = bogus.length - 48;
    bogus.fill(0, footer, footer + 40);
    bogus.set([0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x20], footer);
    const bogusFile = path.join(dir, 'bogus.index');
    fs.writeFileSync(bogusFile, bogus);
    await expectError(readSSTable(bogusFile), FormatError, 'ERR_TFEXPORT_SSTABLE_CORRUPT', 'bogus.index', 'extend past');

    // data block 0 with compression type 7 and a matching CRC
    const typed = table.slice();
    const recs = parseBlock(typed.subarray(0, 0 + findFirstBlockSize(typed)), 'x', 'y');
    expect(recs.length).toBe(1);
    const size = findFirstBlockSize(typed);
    typed[size] = 7;
    new DataView(typed.buffer).setUint32(size + 1, maskCrc32c(crc32cSync(typed.subarray(0, size + 1))), true);
    const typedFile = path.join(dir, 'typed.index');
    fs.writeFileSync(typedFile, typed);
    await expectError(readSSTable(typedFile), FormatError, 'ERR_TFEXPORT_SSTABLE_UNSUPPORTED', 'compression type 7');
  });

  it('malformed blocks: restart count, shared prefix and record lengths are bounds-checked', () => {
    const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const cases: [number[], string][] = [
      [[1, 2], 'too small'],
      [[...u32(0), ...u32(1000)], 'restart count 1000'],
      [[0, 1, 1, 0x61, 0x62, ...u32(99), ...u32(1)], 'restart point 99'],
      [[3, 1, 1, 0x61, 0x62, ...u32(0), ...u32(1)], 'shares 3 key bytes'],
      [[0, 50, 1, 0x61, 0x62, ...u32(0), ...u32(1)], 'runs past the records'],
      [[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...u32(0), ...u32(1)], 'varint'],
    ];
    for (const [bytes, fragment] of cases) {
      expect(() => parseBlock(Uint8Array.from(bytes), 'f.index', 'data block 0'), fragment).toThrow(fragment);
    }
  });
});

/** Size of the first block of a table built by buildTable (read from the index block). */
function findFirstBlockSize(table: Uint8Array): number {
  // footer: metaindex handle, index handle; index block's first record value is the first handle
  const footer = table.subarray(table.length - 48);
  const readV = (b: Uint8Array, p: number): [number, number] => {
    let v = 0;
    let s = 0;
    for (;;) {
      const x = b[p++]!;
      v += (x & 0x7f) * 2 ** s;
      s += 7;
      if (x < 0x80) return [v, p];
    }
  };
  let p = 0;
  [, p] = readV(footer, p);
  [, p] = readV(footer, p);
  let indexOffset: number;
  let indexSize: number;
  [indexOffset, p] = readV(footer, p);
  [indexSize] = readV(footer, p);
  const rec = parseBlock(table.subarray(indexOffset, indexOffset + indexSize), 't', 'index');
  const [, q] = readV(rec[0]!.value, 0);
  return readV(rec[0]!.value, q)[0];
}
