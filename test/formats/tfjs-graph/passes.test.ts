// SPDX-License-Identifier: Apache-2.0
/** Before/after tests of the tfjs graph optimization passes (src/graph/optimize). */
import { describe, expect, it } from 'vitest';
import { attr, emptyAttrList } from '../../../src/ir/attrs.js';
import type { IrInput, IrNode } from '../../../src/ir/types.js';
import { DataType } from '../../../src/proto/types.generated.js';
import { foldBatchNorms, foldConstants, fuseOps, fusePrelu, optimizeGraph, pruneUnused, removeIdentities, stripDebug, type OptGraph } from '../../../src/graph/optimize/index.js';
import { readConst, setConst } from '../../../src/graph/optimize/graph.js';

const F = DataType.DT_FLOAT;
const I = DataType.DT_INT32;

function inp(s: string): IrInput {
  if (s.startsWith('^')) return { node: s.slice(1), output: -1, control: true };
  const [node, out] = s.split(':');
  return { node, output: out ? Number(out) : 0, control: false };
}
function node(name: string, op: string, inputs: string[] = [], attrs: [string, ReturnType<typeof attr.type>][] = [['T', attr.type(F)]]): IrNode {
  return { name, op, inputs: inputs.map(inp), device: '', attrs: new Map(attrs) };
}
function graph(nodes: IrNode[], outputs: string[], keep: string[] = []): OptGraph {
  return { nodes: new Map(nodes.map((n) => [n.name, n])), weights: new Map(), outputs: outputs.map((o) => ({ node: o, output: 0 })), keep: new Set(keep), where: 'test' };
}
function placeholder(name: string, shape: number[] | null = [-1, 4]): IrNode {
  return node(name, 'Placeholder', [], [['dtype', attr.type(F)], ['shape', attr.shape(shape)]]);
}
const ins = (g: OptGraph, n: string) => g.nodes.get(n)!.inputs.map((i) => (i.control ? `^${i.node}` : i.output ? `${i.node}:${i.output}` : i.node));
const strs = (n: IrNode, a: string) => {
  const v = n.attrs.get(a);
  return v?.kind === 'list' ? v.value.s.map((b) => new TextDecoder().decode(b)) : [];
};
async function values(g: OptGraph, n: string) {
  return Array.from((await readConst(g, n))!.values);
}

describe('removeIdentities', () => {
  it('bypasses Identity/StopGradient/IdentityN/NoOp but keeps output identities', () => {
    const g = graph(
      [
        placeholder('x'),
        node('id1', 'Identity', ['x']),
        node('sg', 'StopGradient', ['id1']),
        node('idn', 'IdentityN', ['sg', 'x']),
        node('noop', 'NoOp', ['^x']),
        node('relu', 'Relu', ['idn:1', '^noop']),
        node('add', 'AddV2', ['idn', 'relu']),
        node('out', 'Identity', ['add']),
      ],
      ['out'],
      ['x'],
    );
    expect(removeIdentities(g)).toBe(4);
    expect([...g.nodes.keys()]).toEqual(['x', 'relu', 'add', 'out']);
    expect(ins(g, 'relu')).toEqual(['x']);
    expect(ins(g, 'add')).toEqual(['x', 'relu']);
    expect(ins(g, 'out')).toEqual(['add']);
  });
  it('keeps identities around TF1 control flow', () => {
    const g = graph([placeholder('x'), placeholder('p', []), node('sw', 'Switch', ['x', 'p']), node('t', 'Identity', ['sw:1']), node('m', 'Merge', ['t', 'sw'])], ['m'], ['x', 'p']);
    expect(removeIdentities(g)).toBe(0);
  });
});

describe('stripDebug', () => {
  it('removes Assert and bypasses CheckNumerics, but keeps an output CheckNumerics', () => {
    const g = graph(
      [placeholder('x'), node('ok', 'All', ['x']), node('assert', 'Assert', ['ok', 'x']), node('cn', 'CheckNumerics', ['x']), node('relu', 'Relu', ['cn', '^assert']), node('out', 'CheckNumerics', ['relu'])],
      ['out'],
      ['x'],
    );
    expect(stripDebug(g)).toBe(2);
    expect(g.nodes.has('assert')).toBe(false);
    expect(ins(g, 'relu')).toEqual(['x']);
    expect(g.nodes.get('out')!.op).toBe('CheckNumerics');
  });
});

describe('pruneUnused', () => {
  it('removes nodes and weights nothing needs', () => {
    const g = graph([placeholder('x'), node('a', 'Relu', ['x']), node('dead', 'Relu', ['x'])], ['a'], ['x']);
    setConst(g, 'c', F, [1], [1]);
    expect(pruneUnused(g)).toBe(2);
    expect([...g.nodes.keys()]).toEqual(['x', 'a']);
    expect(g.weights.has('c')).toBe(false);
  });
});

describe('foldConstants', () => {
  it('folds Shape of a static placeholder, StridedSlice, Pack, Mul and Cast', async () => {
    const g = graph(
      [
        placeholder('x', [2, 3, 4]),
        node('shape', 'Shape', ['x'], [['T', attr.type(F)], ['out_type', attr.type(I)]]),
        node('ss', 'StridedSlice', ['shape', 'b', 'e', 's'], [['T', attr.type(I)], ['shrink_axis_mask', attr.int(1)]]),
        node('pack', 'Pack', ['ss', 'm1'], [['T', attr.type(I)], ['N', attr.int(2)]]),
        node('mul', 'Mul', ['pack', 'two'], [['T', attr.type(I)]]),
        node('cast', 'Cast', ['mul'], [['SrcT', attr.type(I)], ['DstT', attr.type(F)]]),
        node('reshape', 'Reshape', ['x', 'cast']),
      ],
      ['reshape'],
      ['x'],
    );
    setConst(g, 'b', I, [1], [1]);
    setConst(g, 'e', I, [1], [2]);
    setConst(g, 's', I, [1], [1]);
    setConst(g, 'm1', I, [], [-1]);
    setConst(g, 'two', I, [], [2]);
    const n = await foldConstants(g);
    expect(n).toBe(5);
    expect(g.nodes.get('cast')!.op).toBe('Const');
    expect(await values(g, 'shape')).toEqual([2, 3, 4]);
    expect(await values(g, 'ss')).toEqual([3]);
    expect(g.weights.get('ss')!.shape).toEqual([]);
    expect(await values(g, 'pack')).toEqual([3, -1]);
    expect(await values(g, 'cast')).toEqual([6, -2]);
    expect(g.nodes.get('reshape')!.op).toBe('Reshape');
  });
  it('folds ConcatV2 and Add with broadcasting, leaves non-constant ops', async () => {
    const g = graph([placeholder('x'), node('cat', 'ConcatV2', ['a', 'b', 'axis'], [['T', attr.type(I)], ['N', attr.int(2)]]), node('add', 'AddV2', ['cat', 'one'], [['T', attr.type(I)]]), node('y', 'Add', ['x', 'add'])], ['y'], ['x']);
    setConst(g, 'a', I, [1, 2], [1, 2]);
    setConst(g, 'b', I, [1, 1], [3]);
    setConst(g, 'axis', I, [], [1]);
    setConst(g, 'one', I, [], [1]);
    await foldConstants(g);
    expect(await values(g, 'add')).toEqual([2, 3, 4]);
    expect(g.weights.get('add')!.shape).toEqual([1, 3]);
    expect(g.nodes.get('y')!.op).toBe('Add');
  });
  it('folds float32 Sub/Mul/RealDiv/Maximum/Add with each broadcast mode, rounded to float32 as TF computes them', async () => {
    // a [2,3] with b of shape [2,3] (elementwise), [] (scalar) and [2,1] (broadcast column)
    const a = [0.1, -2.5, 3.3, 1e-8, 7, -0.7];
    const bs: [number[], number[]][] = [[[2, 3], [0.3, 0.2, -1.1, 3, 1e8, 0.9]], [[], [0.3]], [[2, 1], [1.7, -0.01]]];
    const f32 = (v: number) => Math.fround(v);
    const ref: Record<string, (x: number, y: number) => number> = { Sub: (x, y) => x - y, Mul: (x, y) => x * y, RealDiv: (x, y) => x / y, Maximum: Math.max, AddV2: (x, y) => x + y };
    for (const [bShape, bVals] of bs) {
      for (const op of Object.keys(ref)) {
        const g = graph([node('r', op, ['a', 'b'])], ['out'], []);
        g.nodes.set('out', node('out', 'Relu', ['r']));
        setConst(g, 'a', F, [2, 3], a);
        setConst(g, 'b', F, bShape, bVals);
        expect(await foldConstants(g)).toBe(1);
        const bAt = (k: number) => (bShape.length === 0 ? bVals[0] : bShape[1] === 1 ? bVals[Math.floor(k / 3)] : bVals[k]);
        const want = a.map((x, k) => f32(ref[op](f32(x), f32(bAt(k)))));
        expect(await values(g, 'r'), `${op} b${JSON.stringify(bShape)}`).toEqual(want);
        expect(g.weights.get('r')!.shape).toEqual([2, 3]);
      }
    }
  });
});

function conv(name: string, x: string, w: string, op = 'Conv2D'): IrNode {
  return node(name, op, [x, w], [['T', attr.type(F)], ['strides', attr.intList([1, 1, 1, 1])], ['padding', attr.string('SAME')], ['data_format', attr.string('NHWC')]]);
}

describe('foldBatchNorms', () => {
  it('folds FusedBatchNormV3 after Conv2D into the filter and a BiasAdd', async () => {
    const bn = node('bn', 'FusedBatchNormV3', ['conv', 'gamma', 'beta', 'mean', 'var'], [['T', attr.type(F)], ['epsilon', attr.float(0.001)], ['is_training', attr.bool(false)]]);
    const g = graph([placeholder('x', [1, 2, 2, 1]), conv('conv', 'x', 'w'), bn, node('out', 'Relu', ['bn'])], ['out'], ['x']);
    setConst(g, 'w', F, [1, 1, 1, 2], [1, 2]);
    setConst(g, 'gamma', F, [2], [2, 3]);
    setConst(g, 'beta', F, [2], [0.5, -1]);
    setConst(g, 'mean', F, [2], [1, 2]);
    setConst(g, 'var', F, [2], [3.999, 8.999]);
    expect(await foldBatchNorms(g)).toBe(1);
    pruneUnused(g);
    expect(g.nodes.get('bn')!.op).toBe('BiasAdd');
    expect(ins(g, 'bn')).toEqual(['conv', 'conv_bn_offset']);
    expect(ins(g, 'conv')).toEqual(['x', 'conv_weights']);
    const w = await values(g, 'conv_weights');
    expect(w[0]).toBeCloseTo(1 * (2 / 2), 5);
    expect(w[1]).toBeCloseTo(2 * (3 / 3), 5);
    const o = await values(g, 'conv_bn_offset');
    expect(o[0]).toBeCloseTo(0.5 - 1 * 1, 5);
    expect(o[1]).toBeCloseTo(-1 - 2 * 1, 5);
  });
  it('folds the Mul/Add form after MatMul with a bias', async () => {
    const g = graph(
      [placeholder('x', [-1, 2]), node('mm', 'MatMul', ['x', 'w']), node('ba', 'BiasAdd', ['mm', 'bias']), node('mul', 'Mul', ['ba', 'c']), node('add', 'AddV2', ['mul', 'b']), node('out', 'Identity', ['add'])],
      ['out'],
      ['x'],
    );
    setConst(g, 'w', F, [2, 2], [1, 2, 3, 4]);
    setConst(g, 'bias', F, [2], [1, 1]);
    setConst(g, 'c', F, [2], [2, 10]);
    setConst(g, 'b', F, [2], [0, 1]);
    expect(await foldBatchNorms(g)).toBe(1);
    expect(await values(g, 'mm_weights')).toEqual([2, 20, 6, 40]);
    expect(await values(g, 'mm_bn_offset')).toEqual([2, 11]);
    expect(g.nodes.has('mul')).toBe(false);
    expect(ins(g, 'add')).toEqual(['mm', 'mm_bn_offset']);
  });
});

describe('fuseOps', () => {
  it('makes _FusedConv2D with BiasAdd + Relu6 named after the activation', () => {
    const g = graph([placeholder('x', [1, 2, 2, 1]), conv('conv', 'x', 'w'), node('ba', 'BiasAdd', ['conv', 'b']), node('act', 'Relu6', ['ba']), node('out', 'Identity', ['act'])], ['out'], ['x']);
    setConst(g, 'w', F, [1, 1, 1, 2], [1, 2]);
    setConst(g, 'b', F, [2], [1, 2]);
    expect(fuseOps(g)).toBe(1);
    const f = g.nodes.get('act')!;
    expect(f.op).toBe('_FusedConv2D');
    expect(strs(f, 'fused_ops')).toEqual(['BiasAdd', 'Relu6']);
    expect(f.attrs.get('num_args')).toEqual(attr.int(1));
    expect(ins(g, 'act')).toEqual(['x', 'w', 'b']);
    expect(g.nodes.has('conv')).toBe(false);
  });
  it('makes FusedDepthwiseConv2dNative and _FusedMatMul with LeakyRelu alpha; Add of a 1-D const counts as bias; Tanh is not fused', () => {
    const g = graph(
      [
        placeholder('x', [1, 2, 2, 1]),
        conv('dw', 'x', 'w', 'DepthwiseConv2dNative'),
        node('ba', 'AddV2', ['dw', 'b']),
        placeholder('y', [-1, 2]),
        node('mm', 'MatMul', ['y', 'm']),
        node('mb', 'BiasAdd', ['mm', 'b']),
        node('lr', 'LeakyRelu', ['mb'], [['T', attr.type(F)], ['alpha', attr.float(0.3)]]),
        node('mm2', 'MatMul', ['y', 'm']),
        node('mb2', 'BiasAdd', ['mm2', 'b']),
        node('th', 'Tanh', ['mb2']),
      ],
      ['ba', 'lr', 'th'],
      ['x', 'y'],
    );
    setConst(g, 'w', F, [1, 1, 1, 2], [1, 2]);
    setConst(g, 'b', F, [2], [1, 2]);
    setConst(g, 'm', F, [2, 2], [1, 2, 3, 4]);
    expect(fuseOps(g)).toBe(3);
    expect(g.nodes.get('ba')!.op).toBe('FusedDepthwiseConv2dNative');
    expect(strs(g.nodes.get('ba')!, 'fused_ops')).toEqual(['BiasAdd']);
    const lr = g.nodes.get('lr')!;
    expect(lr.op).toBe('_FusedMatMul');
    expect(strs(lr, 'fused_ops')).toEqual(['BiasAdd', 'LeakyRelu']);
    expect(lr.attrs.get('leakyrelu_alpha')).toEqual(attr.float(0.3));
    expect(g.nodes.get('mb2')!.op).toBe('_FusedMatMul');
    expect(g.nodes.get('th')!.op).toBe('Tanh');
  });
});

describe('fusePrelu', () => {
  it('turns Relu(x) + c*Relu(-x) into Prelu(x, -c) and fuses it', async () => {
    const g = graph(
      [placeholder('x', [-1, 2]), node('mm', 'MatMul', ['x', 'm']), node('ba', 'BiasAdd', ['mm', 'b']), node('pos', 'Relu', ['ba']), node('neg', 'Neg', ['ba']), node('r2', 'Relu', ['neg']), node('mul', 'Mul', ['c', 'r2']), node('add', 'AddV2', ['pos', 'mul'])],
      ['add'],
      ['x'],
    );
    setConst(g, 'm', F, [2, 2], [1, 0, 0, 1]);
    setConst(g, 'b', F, [2], [0, 0]);
    setConst(g, 'c', F, [2], [-0.25, -0.5]);
    const stats = await optimizeGraph(g);
    expect(stats.preluMade).toBe(1);
    const f = g.nodes.get('add')!;
    expect(f.op).toBe('_FusedMatMul');
    expect(strs(f, 'fused_ops')).toEqual(['BiasAdd', 'Prelu']);
    expect(f.attrs.get('num_args')).toEqual(attr.int(2));
    expect(await values(g, ins(g, 'add')[3])).toEqual([0.25, 0.5]);
    expect(emptyAttrList().s).toEqual([]);
  });
});
