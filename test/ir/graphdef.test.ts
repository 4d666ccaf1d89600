// SPDX-License-Identifier: Apache-2.0
/** The graph IR: typed attrs, GraphDef <-> IR (lazy Const weights, streaming serialization), invariants. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { decodeTensorProto } from '../../src/formats/graphdef/graph.js';
import { messageCodec, DataType } from '../../src/proto/index.js';
import type { GraphDef, NodeDef } from '../../src/proto/index.js';
import { attr, attrFromProto, attrToProto, attrs } from '../../src/ir/attrs.js';
import { formatInput, fromGraphDef, graphDefChunks, parseInput, parseTensorName, tensorName, toGraphDef } from '../../src/ir/graphdef.js';
import { graphIRProblems, validateGraphIR } from '../../src/ir/validate.js';
import { memoryWeight, smallTensorProto } from '../../src/ir/weights.js';
import type { IrAttrValue } from '../../src/ir/types.js';
import { fixture, fixturesDir } from '../formats/tf/fixtures.js';

function graphDef(nodes: Partial<NodeDef>[]): Uint8Array {
  const codec = messageCodec('tensorflow.NodeDef');
  const g = messageCodec('tensorflow.GraphDef').create({ node: nodes.map((n) => codec.create(n)), versions: messageCodec('tensorflow.VersionDef').create({ producer: 1234, minConsumer: 12 }) });
  return messageCodec('tensorflow.GraphDef').encode(g);
}
const av = (v: IrAttrValue) => attrToProto(v);

describe('inputs and tensor names', () => {
  it('parses and formats data and control inputs', () => {
    expect(parseInput('a/b')).toEqual({ node: 'a/b', output: 0, control: false });
    expect(parseInput('a/b:3')).toEqual({ node: 'a/b', output: 3, control: false });
    expect(parseInput('^c')).toEqual({ node: 'c', output: -1, control: true });
    for (const s of ['a', 'a:2', '^a']) expect(formatInput(parseInput(s))).toBe(s);
    expect(formatInput(parseInput('a:0'))).toBe('a');
    expect(tensorName(parseTensorName('x'))).toBe('x:0');
    expect(() => parseInput('a:x')).toThrow(FormatError);
    expect(() => parseInput('^')).toThrow(FormatError);
    expect(() => parseTensorName('^a')).toThrow(/control input/);
  });
});

describe('typed attrs', () => {
  it('round-trip every AttrValue kind', () => {
    const values: IrAttrValue[] = [
      attr.string('same'),
      attr.int(-(2n ** 62n)),
      attr.float(0.5),
      attr.bool(true),
      attr.type(DataType.DT_HALF),
      attr.shape([-1, 3]),
      attr.shape(null),
      attr.shape([]),
      attr.tensor(smallTensorProto(DataType.DT_INT32, [2], [1, 2])),
      attr.func('f', new Map([['T', attr.type(DataType.DT_FLOAT)]])),
      { kind: 'placeholder', value: 'T' },
      attr.typeList([DataType.DT_FLOAT, DataType.DT_RESOURCE]),
      attr.intList([1, 2, 3]),
      attr.shapeList([[1], null]),
      attr.funcList([{ name: 'a', attrs: new Map() }]),
      { kind: 'none' },
    ];
    for (const v of values) {
      const wire = messageCodec('tensorflow.AttrValue').encode(attrToProto(v));
      expect(attrFromProto(messageCodec('tensorflow.AttrValue').decode(wire)), v.kind).toEqual(v);
    }
  });

  it('typed getters check the kind and name node and attr', () => {
    const n = { name: 'n', op: 'X', inputs: [], device: '', attrs: new Map<string, IrAttrValue>([['T', attr.type(1)], ['k', attr.int(2)]]) };
    expect(attrs.getType(n, 'T')).toBe(1);
    expect(attrs.getInt(n, 'k')).toBe(2n);
    expect(attrs.getType(n, 'absent')).toBeUndefined();
    expect(() => attrs.getType(n, 'k')).toThrow(/node "n": attr "k" is a i, not a type/);
    expect(() => attrs.requireType(n, 'U')).toThrow(FormatError);
  });
});

describe('fromGraphDef / toGraphDef', () => {
  const bytes = graphDef([
    { name: 'x', op: 'Placeholder', attr: new Map([['dtype', av(attr.type(DataType.DT_FLOAT))], ['shape', av(attr.shape([-1, 2]))]]) },
    {
      name: 'w',
      op: 'Const',
      attr: new Map([
        ['dtype', av(attr.type(DataType.DT_FLOAT))],
        ['value', av(attr.tensor(messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_FLOAT, tensorShape: messageCodec('tensorflow.TensorShapeProto').create({ dim: [messageCodec('tensorflow.TensorShapeProto.Dim').create({ size: 2n })] }), tensorContent: new Uint8Array(new Float32Array([1.5, -2]).buffer) })))],
      ]),
    },
    { name: 'splat', op: 'Const', attr: new Map([['dtype', av(attr.type(DataType.DT_INT32))], ['value', av(attr.tensor(smallTensorProto(DataType.DT_INT32, [3], [7])))]]) },
    {
      name: 'words',
      op: 'Const',
      attr: new Map([['dtype', av(attr.type(DataType.DT_STRING))], ['value', av(attr.tensor(messageCodec('tensorflow.TensorProto').create({ dtype: DataType.DT_STRING, tensorShape: messageCodec('tensorflow.TensorShapeProto').create({ dim: [messageCodec('tensorflow.TensorShapeProto.Dim').create({ size: 2n })] }), stringVal: [new TextEncoder().encode('été'), new Uint8Array(0)] })))]]),
    },
    { name: 'y', op: 'MatMul', input: ['x', 'w', '^splat'], attr: new Map([['T', av(attr.type(DataType.DT_FLOAT))]]) },
  ]);

  it('builds an IR whose Const values are lazy weights (tensor_content as a view, splats materialized on read)', async () => {
    const ir = fromGraphDef(bytes, { file: 'mem.pb' });
    validateGraphIR(ir);
    expect([...ir.nodes.keys()]).toEqual(['x', 'w', 'splat', 'words', 'y']);
    expect(ir.nodes.get('w')!.attrs.has('value')).toBe(false);
    expect(ir.nodes.get('y')!.inputs).toEqual([
      { node: 'x', output: 0, control: false },
      { node: 'w', output: 0, control: false },
      { node: 'splat', output: -1, control: true },
    ]);
    const w = ir.weights.get('w')!;
    expect({ dtype: w.dtype, shape: w.shape, byteLength: w.byteLength, source: w.source }).toEqual({ dtype: 'float32', shape: [2], byteLength: 8, source: { kind: 'constant', file: 'mem.pb', node: 'w' } });
    const wb = await w.read();
    expect(wb.buffer).toBe(bytes.buffer); // a view of the input, not a copy
    expect(Array.from(new Float32Array(wb.slice().buffer))).toEqual([1.5, -2]);
    expect(Array.from(new Int32Array((await ir.weights.get('splat')!.read()).slice().buffer))).toEqual([7, 7, 7]);
    const s = ir.weights.get('words')!;
    expect(s.byteLength).toBe((await s.read()).length);
    const sig = ir.signatures.get('serving_default')!;
    expect(sig.inputs).toEqual([{ key: 'x', name: 'x:0', dtype: 'float32', dataType: DataType.DT_FLOAT, shape: [-1, 2] }]);
    expect(sig.outputs.map((o) => o.name)).toEqual(['y:0']);
    expect(ir.versions).toEqual({ producer: 1234, minConsumer: 12, badConsumers: [] });
  });

  it('serializes back: same nodes, values in tensor_content / string_val; streaming chunks concatenate to the same bytes', async () => {
    const ir = fromGraphDef(bytes);
    const out = await toGraphDef(ir, { inlineWeights: true });
    const chunks: Uint8Array[] = [];
    for await (const c of graphDefChunks(ir, { inlineWeights: true })) chunks.push(c);
    expect(Buffer.concat(chunks).equals(Buffer.from(out))).toBe(true);
    const back = messageCodec('tensorflow.GraphDef').decode(out);
    const orig = messageCodec('tensorflow.GraphDef').decode(bytes);
    expect(back.node.map((n) => [n.name, n.op, n.input])).toEqual(orig.node.map((n) => [n.name, n.op, n.input]));
    for (const name of ['w', 'splat', 'words']) {
      const a = decodeTensorProto(back.node.find((n) => n.name === name)!.attr.get('value')!.tensor!, { file: 'a', field: name });
      const b = decodeTensorProto(orig.node.find((n) => n.name === name)!.attr.get('value')!.tensor!, { file: 'b', field: name });
      expect(a, name).toEqual(b);
    }
    expect(back.node.find((n) => n.name === 'w')!.attr.get('value')!.tensor!.tensorContent.length).toBe(8);
    const structure = messageCodec('tensorflow.GraphDef').decode(await toGraphDef(ir, { inlineWeights: false }));
    const t = structure.node.find((n) => n.name === 'w')!.attr.get('value')!.tensor!;
    expect(t.tensorContent.length).toBe(0);
    expect(t.tensorShape!.dim.map((d) => d.size)).toEqual([2n]);
  });

  it('rejects graphs with edges to missing nodes and reports broken invariants', () => {
    expect(() => fromGraphDef(graphDef([{ name: 'a', op: 'Identity', input: ['ghost'] }]))).toThrow(/reads "ghost", which is not in the graph/);
    expect(() => fromGraphDef(graphDef([{ name: 'a', op: 'NoOp' }, { name: 'a', op: 'NoOp' }]))).toThrow(/duplicate node name/);
    const ir = fromGraphDef(bytes);
    ir.weights.set('ghost', memoryWeight('ghost', DataType.DT_FLOAT, [1], new Uint8Array(4)));
    ir.nodes.get('y')!.inputs.push({ node: 'x', output: 0, control: false });
    ir.nodes.delete('splat');
    const problems = graphIRProblems(ir);
    expect(problems.join('\n')).toMatch(/weight "ghost" has no Const node/);
    expect(problems.join('\n')).toMatch(/data input x after a control input/);
    expect(problems.join('\n')).toMatch(/reads missing node "splat"/);
    expect(() => validateGraphIR(ir)).toThrow(/ERR_TFEXPORT_IR_INVALID/);
  });

  it.skipIf(!fixturesDir)('every fixture GraphDef converts to a valid IR and back with the same nodes and values', async () => {
    const dir = fixture('graphdef');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.pb')) files.push(path.join(d, e.name));
      }
    };
    walk(dir);
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      const input = new Uint8Array(fs.readFileSync(file));
      const ir = fromGraphDef(input, { file });
      validateGraphIR(ir);
      const back: GraphDef = messageCodec('tensorflow.GraphDef').decode(await toGraphDef(ir, { inlineWeights: true }));
      const orig: GraphDef = messageCodec('tensorflow.GraphDef').decode(input);
      expect(back.node.length, file).toBe(orig.node.length);
      for (const [i, n] of orig.node.entries()) {
        const b = back.node[i]!;
        expect([b.name, b.op, b.input, b.device], file).toEqual([n.name, n.op, n.input, n.device]);
        expect([...b.attr.keys()].sort(), `${file} ${n.name}`).toEqual([...n.attr.keys()].sort());
        if (n.op === 'Const' && ir.weights.has(n.name)) {
          const want = decodeTensorProto(n.attr.get('value')!.tensor!, { file, field: n.name });
          const got = decodeTensorProto(b.attr.get('value')!.tensor!, { file, field: n.name });
          expect([got.dtype, got.shape], `${file} ${n.name}`).toEqual([want.dtype, want.shape]);
          const bytesOf = (d: typeof got.data): Buffer =>
            Array.isArray(d) ? Buffer.concat(d.flatMap((s) => [Buffer.from(String(s.length) + ':'), Buffer.from(s)])) : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
          expect(bytesOf(got.data).equals(bytesOf(want.data)), `${file} ${n.name}`).toBe(true);
        }
      }
    }
  });
});
