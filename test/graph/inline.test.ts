// SPDX-License-Identifier: Apache-2.0
/** Pass: inline function calls (attr substitution, list outputs, nested calls, cycles). */
import { describe, expect, it } from 'vitest';
import { FormatError, UnsupportedOpError } from '../../src/errors.js';
import { attr } from '../../src/ir/attrs.js';
import { inlineFunctionCalls } from '../../src/graph/passes/inline.js';
import { OpRegistry } from '../../src/graph/op-registry.js';
import { F32, I32, fdef, graph, inputsOf, library, node, ph } from './helpers.js';

const call = (name: string, f: string, inputs: string[], tout: number[], fattrs: Record<string, ReturnType<typeof attr.type>> = {}) =>
  node(name, 'StatefulPartitionedCall', inputs, { f: attr.func(f, new Map(Object.entries(fattrs))), Tout: attr.typeList(tout), Tin: attr.typeList([]) });

describe('inlineFunctionCalls', () => {
  it('substitutes attr placeholders with the call`s instantiation attrs and maps args / returns', () => {
    const square = fdef('Square', {
      inputs: [['x', { typeAttr: 'T' }]],
      outputs: [['y', { typeAttr: 'T' }]],
      attrs: [['T', 'type']],
      nodes: [
        { name: 'm', op: 'Mul', input: ['x', 'x'], attr: { T: ph('T') } },
        { name: 'out', op: 'Identity', input: ['m:z:0'], attr: { T: ph('T') } },
      ],
      ret: { y: 'out:output:0' },
    });
    const g = graph([node('in', 'Placeholder', [], { dtype: attr.type(F32) }), call('c', 'Square', ['in'], [F32], { T: attr.type(F32) }), node('use', 'Neg', ['c'])], ['use:0']);
    const lib = library(square);
    expect(inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) })).toBe(1);
    expect(g.nodes.has('c')).toBe(false);
    expect(inputsOf(g, 'c/m')).toEqual(['in', 'in']);
    expect(g.nodes.get('c/m')!.attrs.get('T')).toEqual(attr.type(F32));
    expect(inputsOf(g, 'c/out')).toEqual(['c/m']);
    expect(inputsOf(g, 'use')).toEqual(['c/out']);
  });

  it('a direct call (op = function name) takes the node`s attrs; a missing placeholder value is a typed error', () => {
    const f = fdef('AddOne', {
      inputs: [['x', { typeAttr: 'T' }]],
      outputs: [['y', { typeAttr: 'T' }]],
      attrs: [['T', 'type']],
      nodes: [{ name: 'a', op: 'AddV2', input: ['x', 'x'], attr: { T: ph('T') } }],
      ret: { y: 'a:z:0' },
    });
    const lib = library(f);
    const g = graph([node('in', 'Placeholder'), node('d', 'AddOne', ['in'], { T: attr.type(I32) })], ['d:0']);
    inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) });
    expect(g.nodes.get('d/a')!.attrs.get('T')).toEqual(attr.type(I32));
    expect(g.outputs).toEqual([{ node: 'd/a', output: 0 }]);
    const bad = graph([node('in', 'Placeholder'), node('d', 'AddOne', ['in'])], ['d:0']);
    expect(() => inlineFunctionCalls(bad, { library: lib, registry: new OpRegistry([], lib) })).toThrow(/arg x needs type attr T/);
    const body = library(fdef('Cast', { inputs: [['x', F32]], outputs: [['y', F32]], nodes: [{ name: 'c', op: 'Cast', input: ['x'], attr: { DstT: ph('U') } }], ret: { y: 'c:y:0' } }));
    const g2 = graph([node('in', 'Placeholder'), node('d', 'Cast', ['in'])], ['d:0']);
    expect(() => inlineFunctionCalls(g2, { library: body, registry: new OpRegistry([], body) })).toThrow(/node c attr DstT: attr placeholder \$U has no value/);
  });

  it('flattens list outputs and multi-output ops: `node:out:i` and `node:out` (whole list)', () => {
    const f = fdef('Lists', {
      inputs: [['x', F32], ['xs', { numberAttr: 'N', type: F32 }]],
      outputs: [['a', F32], ['b', F32], ['c', F32], ['d', I32], ['e', F32]],
      attrs: [['N', 'int']],
      nodes: [
        { name: 'axis', op: 'Const' },
        { name: 's', op: 'Split', input: ['axis:output:0', 'x'], attr: { num_split: attr.int(3), T: attr.type(F32) } },
        { name: 'sum', op: 'AddN', input: ['s:output'], attr: { N: attr.int(3), T: attr.type(F32) } },
        { name: 'bn', op: 'FusedBatchNormV3', input: ['x', 'x', 'x', 'x', 'x'] },
        { name: 'top', op: 'TopKV2', input: ['x', 'axis:output:0'] },
        { name: 'sumxs', op: 'AddN', input: ['xs'], attr: { N: ph('N'), T: attr.type(F32) } },
      ],
      ret: { a: 's:output:2', b: 'bn:batch_variance:0', c: 'sum:sum:0', d: 'top:indices:0', e: 'xs:1' },
    });
    const lib = library(f);
    const g = graph(
      [node('x', 'Placeholder'), node('p', 'Placeholder'), node('q', 'Placeholder'), call('c', 'Lists', ['x', 'p', 'q'], [F32, F32, F32, I32, F32], { N: attr.type(0) })],
      ['c:0', 'c:1', 'c:2', 'c:3', 'c:4'],
    );
    // N is an int attr: pass it properly
    g.nodes.get('c')!.attrs.set('f', attr.func('Lists', new Map([['N', attr.int(2)]])));
    inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) });
    expect(g.outputs).toEqual([
      { node: 'c/s', output: 2 },
      { node: 'c/bn', output: 2 },
      { node: 'c/sum', output: 0 },
      { node: 'c/top', output: 1 },
      { node: 'q', output: 0 },
    ]);
    expect(inputsOf(g, 'c/sum')).toEqual(['c/s', 'c/s:1', 'c/s:2']);
    expect(inputsOf(g, 'c/sumxs')).toEqual(['p', 'q']);
    expect(inputsOf(g, 'c/s')).toEqual(['c/axis', 'x']);
  });

  it('uses the MetaGraph`s OpDefs (stripped_op_list) for ops outside the built-in table', async () => {
    const { messageCodec } = await import('../../src/proto/index.js');
    const arg = messageCodec('tensorflow.OpDef.ArgDef');
    const opDef = messageCodec('tensorflow.OpDef').create({ name: 'MyTwoOut', outputArg: [arg.create({ name: 'first', type: F32 }), arg.create({ name: 'second', type: F32 })] });
    const f = fdef('Use', { inputs: [['x', F32]], outputs: [['y', F32]], nodes: [{ name: 't', op: 'MyTwoOut', input: ['x'] }], ret: { y: 't:second:0' } });
    const lib = library(f);
    const g = graph([node('x', 'Placeholder'), call('c', 'Use', ['x'], [F32])], ['c:0']);
    inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([opDef], lib) });
    expect(g.outputs).toEqual([{ node: 'c/t', output: 1 }]);
  });

  it('an unknown op referenced through two different output args is refused (layout unknown)', () => {
    const f = fdef('Bad', {
      inputs: [['x', F32]],
      outputs: [['y', F32], ['z', F32]],
      nodes: [{ name: 't', op: 'Mystery', input: ['x'] }],
      ret: { y: 't:one:0', z: 't:two:0' },
    });
    const lib = library(f);
    const g = graph([node('x', 'Placeholder'), call('c', 'Bad', ['x'], [F32, F32])], ['c:0']);
    let err: unknown;
    try {
      inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS');
    expect((err as Error).message).toMatch(/op Mystery .*"one" and "two"/);
  });

  it('inlines nested calls (StatefulPartitionedCall inside a body, direct calls) recursively', () => {
    const h = fdef('H', { inputs: [['a', F32]], outputs: [['b', F32]], nodes: [{ name: 'neg', op: 'Neg', input: ['a'] }], ret: { b: 'neg:y:0' } });
    const g2 = fdef('G', { inputs: [['a', F32]], outputs: [['b', F32]], nodes: [{ name: 'h', op: 'H', input: ['a'] }, { name: 'sq', op: 'Square', input: ['h:b:0'] }], ret: { b: 'sq:y:0' } });
    const f = fdef('F', {
      inputs: [['a', F32]],
      outputs: [['b', F32]],
      nodes: [{ name: 'inner', op: 'PartitionedCall', input: ['a'], attr: { f: attr.func('G'), Tout: attr.typeList([F32]), Tin: attr.typeList([F32]) } }],
      ret: { b: 'inner:output:0' },
    });
    const lib = library(f, g2, h);
    const g = graph([node('x', 'Placeholder'), call('c', 'F', ['x'], [F32]), node('use', 'Relu', ['c'])], ['use:0']);
    expect(inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) })).toBe(3);
    expect([...g.nodes.keys()].sort()).toEqual(['c/inner/h/neg', 'c/inner/sq', 'use', 'x']);
    expect(inputsOf(g, 'c/inner/h/neg')).toEqual(['x']);
    expect(inputsOf(g, 'c/inner/sq')).toEqual(['c/inner/h/neg']);
    expect(inputsOf(g, 'use')).toEqual(['c/inner/sq']);
  });

  it('moves the call`s control inputs onto body sources and control consumers onto the returns and control returns', () => {
    const f = fdef('F', {
      inputs: [['a', F32]],
      outputs: [['b', F32]],
      nodes: [
        { name: 'k', op: 'Const' },
        { name: 'add', op: 'AddV2', input: ['a', 'k:output:0'] },
        { name: 'side', op: 'PrintV2', input: ['k:output:0'] },
      ],
      ret: { b: 'add:z:0' },
      controlRet: { side: 'side' },
    });
    const lib = library(f);
    const g = graph([node('x', 'Placeholder'), node('gate', 'NoOp'), call('c', 'F', ['x', '^gate'], [F32]), node('after', 'Identity', ['x', '^c'])], ['after:0', 'c:0']);
    inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) });
    expect(inputsOf(g, 'c/k')).toEqual(['^gate']);
    expect(inputsOf(g, 'after')).toEqual(['x', '^c/add', '^c/side']);
  });

  it('refuses cyclic calls naming the cycle; self recursion too', () => {
    const f = fdef('F', { inputs: [['a', F32]], outputs: [['b', F32]], nodes: [{ name: 'g', op: 'G', input: ['a'] }], ret: { b: 'g:b:0' } });
    const g2 = fdef('G', { inputs: [['a', F32]], outputs: [['b', F32]], nodes: [{ name: 'f', op: 'F', input: ['a'] }], ret: { b: 'f:b:0' } });
    const lib = library(f, g2);
    const g = graph([node('x', 'Placeholder'), call('c', 'F', ['x'], [F32])], ['c:0']);
    let err: unknown;
    try {
      inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_FUNCTION_CYCLE');
    expect((err as Error).message).toContain('F -> G -> F');
    expect((err as UnsupportedOpError).context.functions).toEqual(['F', 'G', 'F']);
    const self = library(fdef('R', { inputs: [['a', F32]], outputs: [['b', F32]], nodes: [{ name: 'r', op: 'R', input: ['a'] }], ret: { b: 'r:b:0' } }));
    const g3 = graph([node('x', 'Placeholder'), node('c', 'R', ['x'])], ['c:0']);
    expect(() => inlineFunctionCalls(g3, { library: self, registry: new OpRegistry([], self) })).toThrow(/R -> R/);
  });

  it('inlines a 2000-deep call chain without recursion (no stack overflow)', () => {
    const fns = Array.from({ length: 2000 }, (_, i) =>
      fdef(`F${i}`, {
        inputs: [['a', F32]],
        outputs: [['b', F32]],
        nodes: i === 1999 ? [{ name: 'n', op: 'Neg', input: ['a'] }] : [{ name: 'n', op: `F${i + 1}`, input: ['a'] }],
        ret: { b: i === 1999 ? 'n:y:0' : 'n:b:0' },
      }),
    );
    const lib = library(...fns);
    const g = graph([node('x', 'Placeholder'), node('c', 'F0', ['x'])], ['c:0']);
    expect(inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) })).toBe(2000);
    expect(g.nodes.size).toBe(2);
    expect(g.outputs[0]!.node.split('/').length).toBe(2001);
  });

  it('a call of a function that is not in the library names the node and function', () => {
    const g = graph([node('x', 'Placeholder'), call('c', 'Nope', ['x'], [F32])], ['c:0']);
    let err: unknown;
    try {
      inlineFunctionCalls(g, { library: new Map(), registry: new OpRegistry() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('ERR_TFEXPORT_FUNCTION_NOT_FOUND');
    expect((err as Error).message).toMatch(/node "c" .*"Nope"/);
  });

  it('checks the argument count against the signature', () => {
    const f = fdef('Two', { inputs: [['a', F32], ['b', F32]], outputs: [['y', F32]], nodes: [{ name: 's', op: 'AddV2', input: ['a', 'b'] }], ret: { y: 's:z:0' } });
    const lib = library(f);
    const g = graph([node('x', 'Placeholder'), call('c', 'Two', ['x'], [F32])], ['c:0']);
    expect(() => inlineFunctionCalls(g, { library: lib, registry: new OpRegistry([], lib) })).toThrow(/called with 1 inputs, the signature takes 2/);
  });
});
