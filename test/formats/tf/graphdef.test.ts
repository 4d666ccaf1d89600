// SPDX-License-Identifier: Apache-2.0
/** Frozen GraphDef reader and TensorProto materialization. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { decodeTensorProto, readGraphDef } from '../../../src/formats/graphdef/index.js';
import { openTensorBundle } from '../../../src/formats/tensorbundle/index.js';
import { DataType, messageCodec } from '../../../src/proto/index.js';
import { fixture, fixturesDir, readJson } from './fixtures.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-gd-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function graphFixtures(): [string, string][] {
  if (!fixturesDir) return [];
  return fs
    .readdirSync(fixture('graphdef'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.pb'))
    .sort()
    .map((f) => [f, fixture('graphdef', f)]);
}

function expectedFor(file: string): { cases?: { feeds?: Record<string, unknown>; fetches?: Record<string, unknown>; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } | null {
  const sibling = file.replace(/\.pb$/, '.expected.json');
  const inDir = path.join(path.dirname(file), 'expected.json');
  if (fs.existsSync(sibling)) return readJson(sibling);
  if (path.dirname(file) !== fixture('graphdef') && fs.existsSync(inDir)) return readJson(inDir);
  return null;
}

describe.skipIf(!fixturesDir)('fixture GraphDefs', () => {
  it.each(graphFixtures())('%s: nodes, op histogram, placeholders and outputs', async (_n, file) => {
    const g = await readGraphDef(file);
    expect(g.nodeCount).toBe(g.graphDef.node.length);
    expect(Object.values(g.ops.graph).reduce((a, b) => a + b, 0)).toBe(g.nodeCount);
    expect(g.inputs.length).toBeGreaterThan(0);
    expect(g.outputs.length).toBeGreaterThan(0);
    const expected = expectedFor(file);
    for (const c of expected?.cases ?? []) {
      const feeds = Object.keys(c.feeds ?? c.inputs ?? {}).map((k) => (k.includes(':') ? k : `${k}:0`));
      for (const f of feeds) expect(g.inputs.map((i) => i.name)).toContain(f);
      const fetches = Object.keys(c.fetches ?? c.outputs ?? {}).map((k) => k.split(':')[0]);
      for (const f of fetches) expect(g.outputs).toContain(f);
    }
  });

  it('tf2onnx regression: W and b Consts hold the documented values', async () => {
    const g = await readGraphDef(fixture('graphdef/tf2onnx_regression_frozen.pb'));
    const value = (name: string): number => {
      const node = g.graphDef.node.find((n) => n.name === name)!;
      return (decodeTensorProto(node.attr.get('value')!.tensor!, { file: 'frozen.pb', field: name }).data as Float32Array)[0]!;
    };
    expect(value('W')).toBe(Math.fround(0.21396178));
    expect(value('b')).toBe(Math.fround(1.0495254));
    expect(g.weights).toMatchObject({ source: 'constants', count: 2, bytes: 8 });
  });

  it('tensorspace: the frozen Consts equal the SavedModel variables of the same model', async () => {
    const g = await readGraphDef(fixture('graphdef/tensorspace_mnist_frozen_model.pb'));
    const bundle = await openTensorBundle(fixture('savedmodel/tensorspace_mnist_tf1/variables/variables'));
    let compared = 0;
    for (const key of bundle.keys().filter((k) => /^Variable(_\d+)?$/.test(k))) {
      const node = g.graphDef.node.find((n) => n.name === key && n.op === 'Const')!;
      const frozen = decodeTensorProto(node.attr.get('value')!.tensor!, { file: 'frozen', field: key });
      const variable = await bundle.read(key);
      expect(frozen.shape).toEqual(variable.shape);
      expect(Buffer.from((frozen.data as Float32Array).buffer).equals(Buffer.from((variable.data as Float32Array).buffer))).toBe(true);
      compared++;
    }
    expect(compared).toBe(10);
    await bundle.close();
  });

  it('tract plus3: Const "three" and a placeholder of unknown shape; producer versions', async () => {
    const g = await readGraphDef(fixture('graphdef/tract_plus3.pb'));
    const three = g.graphDef.node.find((n) => n.name === 'three')!;
    expect(Array.from(decodeTensorProto(three.attr.get('value')!.tensor!, { file: 'f', field: 'three' }).data as Float32Array)).toEqual([3]);
    expect(g.inputs).toEqual([{ name: 'input:0', dtype: 'float32', dataType: 1, shape: null }]);
    expect((await readGraphDef(fixture('graphdef/tfrust_multiplication.pb'))).producer).toBe(9);
    expect((await readGraphDef(fixture('graphdef/tfrust_addition.pb'))).producer).toBe(1882);
    const conv = await readGraphDef(fixture('graphdef/nnstreamer_conv_actions/conv_actions_frozen.pb'));
    expect(conv.inputs).toEqual([{ name: 'wav_data:0', dtype: 'string', dataType: 7, shape: [] }]);
    expect(conv.ops.graph).toHaveProperty('DecodeWav', 1);
  });

  it('non-GraphDef and truncated files are FormatErrors naming the file', async () => {
    for (const src of [fixture('tflite/tfjs_tflite_add4.tflite'), fixture('savedmodel/tf2onnx_regression/saved_model.pb')]) {
      const file = path.join(tmpRoot, `${path.basename(src)}.pb`);
      fs.copyFileSync(src, file);
      await expect(readGraphDef(file)).rejects.toThrow(FormatError);
      await expect(readGraphDef(file)).rejects.toThrow(file);
    }
    const bytes = fs.readFileSync(fixture('graphdef/tf2onnx_lstm_frozen.pb'));
    const trunc = path.join(tmpRoot, 'trunc.pb');
    fs.writeFileSync(trunc, bytes.subarray(0, 5000));
    const err = await readGraphDef(trunc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toContain(trunc);
    expect((err as FormatError).context.field).toMatch(/^node\[\d+\]/);
  });
});

describe('decodeTensorProto', () => {
  const tp = messageCodec('tensorflow.TensorProto');
  const shape = (dims: number[]) =>
    messageCodec('tensorflow.TensorShapeProto').create({ dim: dims.map((d) => messageCodec('tensorflow.TensorShapeProto.Dim').create({ size: BigInt(d) })) });
  const where = { file: 'g.pb', field: 'c' };

  it('expands splat *_val lists (repeat the last value) for every value list', () => {
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([4]), floatVal: [1, 2] }), where).data as Float32Array)).toEqual([1, 2, 2, 2]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_INT64, tensorShape: shape([3]), int64Val: [-5n] }), where).data as BigInt64Array)).toEqual([-5n, -5n, -5n]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_COMPLEX64, tensorShape: shape([2]), scomplexVal: [1, 2] }), where).data as Float32Array)).toEqual([1, 2, 1, 2]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_HALF, tensorShape: shape([2]), halfVal: [0x3c00] }), where).data as Uint16Array)).toEqual([0x3c00, 0x3c00]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_BOOL, tensorShape: shape([2]), boolVal: [true] }), where).data as Uint8Array)).toEqual([1, 1]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_UINT8, tensorShape: shape([2]), intVal: [255] }), where).data as Uint8Array)).toEqual([255, 255]);
    expect(Array.from(decodeTensorProto(tp.create({ dtype: DataType.DT_INT32, tensorShape: shape([2]) }), where).data as Int32Array)).toEqual([0, 0]);
    const s = decodeTensorProto(tp.create({ dtype: DataType.DT_STRING, tensorShape: shape([3]), stringVal: [Buffer.from('a'), Buffer.from('b')] }), where);
    expect((s.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['a', 'b', 'b']);
    const content = decodeTensorProto(tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([2]), tensorContent: new Uint8Array(Float32Array.from([7, 8]).buffer) }), where);
    expect(Array.from(content.data as Float32Array)).toEqual([7, 8]);
  });

  it('refuses inconsistent or absurd tensors with a FormatError', () => {
    const bad = [
      tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([3]), tensorContent: new Uint8Array(8) }),
      tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([1]), floatVal: [1, 2] }),
      tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([1 << 20, 1 << 20]), floatVal: [1] }),
      tp.create({ dtype: DataType.DT_FLOAT, tensorShape: shape([-1]) }),
      tp.create({ dtype: DataType.DT_COMPLEX64, tensorShape: shape([1]), scomplexVal: [1] }),
      tp.create({ dtype: DataType.DT_RESOURCE, tensorShape: shape([1]) }),
      tp.create({ dtype: 99, tensorShape: shape([1]) }),
    ];
    for (const t of bad) {
      let err: unknown;
      try {
        decodeTensorProto(t, where);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).message).toContain('g.pb');
    }
  });
});
