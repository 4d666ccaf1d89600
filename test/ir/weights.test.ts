// SPDX-License-Identifier: Apache-2.0
/** Lazy IR weights: string layout, bundle / TensorProto / memory weights, TensorProto conversion. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../../src/errors.js';
import { openTensorBundle } from '../../src/formats/tensorbundle/index.js';
import { decodeTensorProto } from '../../src/formats/graphdef/graph.js';
import { DataType, messageCodec } from '../../src/proto/index.js';
import {
  bundleWeight,
  decodeStringList,
  encodeStringList,
  memoryWeight,
  smallTensorProto,
  stringListByteLength,
  tensorProtoWeight,
  weightTensorProto,
} from '../../src/ir/weights.js';
import { bytesOf, encodeStringTensor, writeBundle } from '../formats/tf/helpers/bundle-writer.js';
import { writeSlicedBundle } from '../formats/tf/helpers/sliced-bundle.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-weights-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const enc = new TextEncoder();

describe('string layout (EncodeStringList)', () => {
  it('varint lengths then bytes; decodes to views; rejects truncation and trailing bytes', () => {
    const strings = [enc.encode('a'), new Uint8Array(0), new Uint8Array(200).fill(7), enc.encode('été')];
    const bytes = encodeStringList(strings);
    expect(bytes.length).toBe(stringListByteLength(strings));
    expect(Array.from(bytes.subarray(0, 6))).toEqual([1, 0, 0xc8, 0x01, 5, 0x61]);
    expect(decodeStringList(bytes, 4).map((s) => Buffer.from(s).toString())).toEqual(strings.map((s) => Buffer.from(s).toString()));
    expect(() => decodeStringList(bytes.subarray(0, bytes.length - 1), 4)).toThrow(FormatError);
    expect(() => decodeStringList(bytes, 3)).toThrow(/after the last string/);
  });
});

describe('weights', () => {
  it('bundle weights: numeric bytes as stored, strings without the length checksum, exact byteLength, sliced and sub-slices', async () => {
    const prefix = path.join(tmpRoot, 'b');
    const words = [enc.encode('alpha'), new Uint8Array(0), enc.encode('x'.repeat(300))];
    const s = encodeStringTensor(words);
    writeBundle(prefix, [
      { key: 'f', dtype: DataType.DT_FLOAT, shape: [2, 2], bytes: bytesOf(new Float32Array([1, 2, 3, 4])) },
      { key: 's', dtype: DataType.DT_STRING, shape: [3], bytes: s.bytes, crc32c: s.crc32c },
    ]);
    const bundle = await openTensorBundle(prefix);
    const f = bundleWeight('f_node', bundle, 'f');
    expect({ name: f.name, dtype: f.dtype, shape: f.shape, byteLength: f.byteLength, source: f.source }).toEqual({
      name: 'f_node', dtype: 'float32', shape: [2, 2], byteLength: 16, source: { kind: 'bundle', prefix: path.normalize(prefix), key: 'f' },
    });
    expect(Array.from(new Float32Array((await f.read()).slice().buffer))).toEqual([1, 2, 3, 4]);
    const str = bundleWeight('s', bundle, 's');
    const sb = await str.read();
    expect(sb.length).toBe(str.byteLength);
    expect(decodeStringList(sb, 3).map((x) => Buffer.from(x).toString())).toEqual(words.map((x) => Buffer.from(x).toString()));
    const part = bundleWeight('part', bundle, 'f', [{ start: 1, length: 1 }, { start: 0, length: 2 }]);
    expect(part.shape).toEqual([1, 2]);
    expect(Array.from(new Float32Array((await part.read()).slice().buffer))).toEqual([3, 4]);
    await bundle.close();

    const sliced = path.join(tmpRoot, 'sliced');
    const full = new Uint8Array(Float32Array.from({ length: 12 }, (_, i) => i).buffer);
    writeSlicedBundle(sliced, [{ key: 'big', dtype: DataType.DT_FLOAT, shape: [6, 2], full, width: 4, slices: [[{ start: 0, length: 4 }, { start: 0, length: -1 }], [{ start: 4, length: 2 }, { start: 0, length: -1 }]] }]);
    const b2 = await openTensorBundle(sliced);
    const w = bundleWeight('big', b2, 'big');
    expect(w.byteLength).toBe(48);
    expect(Buffer.from(await w.read()).equals(Buffer.from(full))).toBe(true);
    await b2.close();
  });

  it('TensorProto weights: tensor_content as a view, splats and strings materialized with exact byteLength', async () => {
    const content = new Uint8Array(new Int32Array([5, 6]).buffer);
    const tp = messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_INT32, tensorShape: smallTensorProto(DataType.DT_INT32, [2], [0]).tensorShape, tensorContent: content });
    const w = tensorProtoWeight('c', tp, { file: 'g.pb', node: 'c' });
    expect(await w.read()).toBe(content);
    const splat = tensorProtoWeight('s', smallTensorProto(DataType.DT_FLOAT, [2, 3], [1.5]), { file: 'g.pb', node: 's' });
    expect(splat.byteLength).toBe(24);
    expect(Array.from(new Float32Array((await splat.read()).slice().buffer))).toEqual([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    const strs = messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_STRING, tensorShape: smallTensorProto(DataType.DT_INT32, [4], [0]).tensorShape, stringVal: [enc.encode('ab'), enc.encode('xyz')] });
    const sw = tensorProtoWeight('w', strs, { file: 'g.pb', node: 'w' });
    const sb = await sw.read();
    expect(sb.length).toBe(sw.byteLength);
    expect(decodeStringList(sb, 4).map((x) => Buffer.from(x).toString())).toEqual(['ab', 'xyz', 'xyz', 'xyz']);
    const bad = messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_INT32, tensorShape: smallTensorProto(DataType.DT_INT32, [3], [0]).tensorShape, tensorContent: content });
    expect(() => tensorProtoWeight('bad', bad, { file: 'g.pb', node: 'bad' })).toThrow(/g\.pb: Const "bad": tensor_content has 8 bytes, dtype x shape needs 12/);
    expect(() => tensorProtoWeight('v', messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_VARIANT }), { file: 'g.pb', node: 'v' })).toThrow(ValidationError);
  });

  it('memory weights check their size; weightTensorProto builds tensor_content / string_val', async () => {
    expect(() => memoryWeight('m', DataType.DT_FLOAT, [3], new Uint8Array(8))).toThrow(ValidationError);
    const m = memoryWeight('m', DataType.DT_FLOAT, [2], new Uint8Array(new Float32Array([0.25, 8]).buffer));
    const t = weightTensorProto(m, await m.read());
    expect(Array.from(decodeTensorProto(t, { file: 'x', field: 'm' }).data as Float32Array)).toEqual([0.25, 8]);
    const s = memoryWeight('s', DataType.DT_STRING, [2], encodeStringList([enc.encode('q'), enc.encode('')]));
    expect(weightTensorProto(s, await s.read()).stringVal.map((b) => Buffer.from(b).toString())).toEqual(['q', '']);
    expect(() => weightTensorProto(m, new Uint8Array(4))).toThrow(/read 4 bytes, expected 8/);
  });
});
