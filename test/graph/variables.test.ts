// SPDX-License-Identifier: Apache-2.0
/** Pass: variable -> constant (readers rewritten, control-flow functions specialized), and the function freezer. */
import { describe, expect, it } from 'vitest';
import { FormatError, UnsupportedOpError } from '../../src/errors.js';
import { attr } from '../../src/ir/attrs.js';
import { DataType } from '../../src/proto/index.js';
import { convertVariableConsumers, type FrozenVariable, type VariablePassContext } from '../../src/graph/passes/variables.js';
import { FunctionFreezer, freezeGraphBody } from '../../src/graph/freeze.js';
import { functionBody } from '../../src/graph/function-body.js';
import { OpRegistry } from '../../src/graph/op-registry.js';
import { checkFrozenGraph, refuseControlFlowV2 } from '../../src/graph/passes/checks.js';
import { F32, I32, RES, fdef, graph, inputsOf, library, node } from './helpers.js';

const v = (kind: 'resource' | 'ref' = 'resource'): FrozenVariable => ({ label: 'w (checkpoint key w/.ATTRIBUTES/VARIABLE_VALUE)', dataType: F32, shape: [3, 2], kind });
const noFunctions: VariablePassContext = {
  specializeFunction: () => {
    throw new Error('unexpected');
  },
};
// the VarHandleOp `w` has already become a Const carrying the value
const frozenVar = () => node('w', 'Const', [], { dtype: attr.type(F32) });

describe('convertVariableConsumers', () => {
  it('ReadVariableOp -> Identity, through Identity of the handle; ResourceGather -> GatherV2; VariableShape -> Shape; VarIsInitializedOp -> true', () => {
    const g = graph(
      [
        frozenVar(),
        node('x', 'Placeholder'),
        node('h', 'Identity', ['w'], { T: attr.type(RES), _output_shapes: attr.shapeList([[]]) }),
        node('read', 'ReadVariableOp', ['h', '^x'], { dtype: attr.type(F32) }),
        node('gather', 'ResourceGather', ['w', 'x'], { dtype: attr.type(F32), Tindices: attr.type(I32), batch_dims: attr.int(0) }),
        node('shape', 'VariableShape', ['w'], { out_type: attr.type(DataType.DT_INT64) }),
        node('init', 'VarIsInitializedOp', ['w']),
        node('disable', 'DisableCopyOnRead', ['w']),
        node('y', 'MatMul', ['x', 'read', '^disable']),
      ],
      ['y:0', 'gather:0', 'shape:0', 'init:0'],
    );
    convertVariableConsumers(g, new Map([['w:0', v()]]), noFunctions);
    expect(g.nodes.get('h')!.attrs.get('T')).toEqual(attr.type(F32));
    expect(g.nodes.get('h')!.attrs.has('_output_shapes')).toBe(false);
    expect(g.nodes.get('read')!.op).toBe('Identity');
    expect(g.nodes.get('read')!.attrs).toEqual(new Map([['T', attr.type(F32)]]));
    expect(inputsOf(g, 'read')).toEqual(['h', '^x']);
    const gather = g.nodes.get('gather')!;
    expect(gather.op).toBe('GatherV2');
    expect(inputsOf(g, 'gather')).toEqual(['w', 'x', 'gather/axis']);
    expect(gather.attrs.get('Tparams')).toEqual(attr.type(F32));
    expect(g.nodes.get('gather/axis')!.op).toBe('Const');
    expect(g.nodes.get('shape')!.op).toBe('Shape');
    expect(g.nodes.get('shape')!.attrs.get('out_type')).toEqual(attr.type(DataType.DT_INT64));
    expect(g.nodes.get('init')!.op).toBe('Const');
    expect(g.nodes.has('disable')).toBe(false);
    expect(inputsOf(g, 'y')).toEqual(['x', 'read']);
  });

  it('refuses writes and unknown uses of a variable, naming node and variable', () => {
    const write = graph([frozenVar(), node('v', 'Const'), node('assign', 'AssignAddVariableOp', ['w', 'v'])], [], ['assign']);
    let err: unknown;
    try {
      convertVariableConsumers(write, new Map([['w:0', v()]]), noFunctions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_VARIABLE_MUTATION');
    expect((err as Error).message).toMatch(/node "assign" \(AssignAddVariableOp\) writes variable w \(checkpoint key/);
    const odd = graph([frozenVar(), node('odd', 'SomethingWithAHandle', ['w'])], ['odd:0']);
    expect(() => convertVariableConsumers(odd, new Map([['w:0', v()]]), noFunctions)).toThrow(/SomethingWithAHandle\) uses the resource handle of variable w/);
    const out = graph([frozenVar(), node('h', 'Identity', ['w'], { T: attr.type(RES) })], ['h:0']);
    expect(() => convertVariableConsumers(out, new Map([['w:0', v()]]), noFunctions)).toThrow(/returns the resource handle of variable w/);
  });

  it('TF1 reference variables: readers unchanged, Ref* ops renamed, Assign refused', () => {
    const g = graph(
      [frozenVar(), node('x', 'Placeholder'), node('read', 'Identity', ['w']), node('enter', 'RefEnter', ['w'], { frame_name: attr.string('loop') }), node('y', 'MatMul', ['x', 'enter'])],
      ['y:0', 'read:0'],
    );
    convertVariableConsumers(g, new Map([['w:0', v('ref')]]), noFunctions);
    expect(g.nodes.get('enter')!.op).toBe('Enter');
    expect(g.nodes.get('read')!.op).toBe('Identity');
    const assign = graph([frozenVar(), node('v', 'Const'), node('a', 'Assign', ['w', 'v'])], ['a:0']);
    expect(() => convertVariableConsumers(assign, new Map([['w:0', v('ref')]]), noFunctions)).toThrow(/\(Assign\) writes variable w/);
  });
});

describe('FunctionFreezer: control-flow functions reading captured variables', () => {
  const thenFn = fdef('then_fn', {
    inputs: [['res', RES], ['x', F32]],
    outputs: [['y', F32]],
    nodes: [
      { name: 'read', op: 'ReadVariableOp', input: ['res'], attr: { dtype: attr.type(F32) } },
      { name: 'mul', op: 'Mul', input: ['x', 'read:value:0'], attr: { T: attr.type(F32) } },
      { name: 'chk', op: 'CheckNumerics', input: ['mul:z:0'], attr: { T: attr.type(F32) } },
      { name: 'out', op: 'Identity', input: ['chk:output:0', '^noop'], attr: { T: attr.type(F32) } },
      { name: 'noop', op: 'NoOp', input: ['^read'] },
    ],
    ret: { y: 'out:output:0' },
    controlRet: { read: 'read' },
  });
  const elseFn = fdef('else_fn', { inputs: [['res', RES], ['x', F32]], outputs: [['y', F32]], nodes: [{ name: 'neg', op: 'Neg', input: ['x'], attr: { T: attr.type(F32) } }], ret: { y: 'neg:y:0' } });
  const condFn = fdef('cond_fn', { inputs: [['i', I32], ['res', RES], ['x', F32]], outputs: [['b', DataType.DT_BOOL]], nodes: [{ name: 'c', op: 'Less', input: ['i', 'i'] }], ret: { b: 'c:z:0' } });
  const bodyFn = fdef('body_fn', {
    inputs: [['i', I32], ['res', RES], ['x', F32]],
    outputs: [['i_out', I32], ['res_out', RES], ['x_out', F32]],
    nodes: [
      { name: 'inner', op: 'If', input: ['i', 'res', 'x'], attr: { Tin: attr.typeList([RES, F32]), Tout: attr.typeList([F32]), then_branch: attr.func('then_fn'), else_branch: attr.func('else_fn') } },
    ],
    ret: { i_out: 'i', res_out: 'res', x_out: 'inner:output:0' },
  });

  it('specializes If branches and While cond / body (nested If inside) with value-typed args', () => {
    const lib = library(thenFn, elseFn, condFn, bodyFn);
    const freezer = new FunctionFreezer(lib, new OpRegistry([], lib));
    const g = graph(
      [
        frozenVar(),
        node('x', 'Placeholder'),
        node('p', 'Placeholder'),
        node('i', 'Const'),
        node('if', 'If', ['p', 'w', 'x'], { Tin: attr.typeList([RES, F32]), Tout: attr.typeList([F32]), then_branch: attr.func('then_fn'), else_branch: attr.func('else_fn') }),
        node('loop', 'While', ['i', 'w', 'if'], {
          T: attr.typeList([I32, RES, F32]),
          cond: attr.func('cond_fn'),
          body: attr.func('body_fn'),
          output_shapes: attr.shapeList([[], [], null]),
        }),
      ],
      ['loop:2'],
      ['x', 'p'],
    );
    freezeGraphBody(g, freezer, new Map([['w:0', v()]]));
    const ifNode = g.nodes.get('if')!;
    expect(ifNode.attrs.get('Tin')).toEqual(attr.typeList([F32, F32]));
    expect(ifNode.attrs.get('then_branch')).toEqual(attr.func('then_fn_frozen'));
    expect(ifNode.attrs.get('else_branch')).toEqual(attr.func('else_fn_frozen'));
    const loop = g.nodes.get('loop')!;
    expect(loop.attrs.get('T')).toEqual(attr.typeList([I32, F32, F32]));
    expect(loop.attrs.get('output_shapes')).toEqual(attr.shapeList([[], [3, 2], null]));
    expect(loop.attrs.get('body')).toEqual(attr.func('body_fn_frozen'));
    expect(loop.attrs.get('cond')).toEqual(attr.func('cond_fn_frozen'));

    const then = freezer.frozen.get('then_fn_frozen')!;
    expect(then.signature!.inputArg.map((a) => [a.name, a.type])).toEqual([['res', F32], ['x', F32]]);
    expect(then.nodeDef.map((n) => [n.name, n.op, n.input])).toEqual([
      ['read', 'Identity', ['res']],
      ['mul', 'Mul', ['x', 'read:output:0']],
      ['out', 'Identity', ['mul:z:0']],
    ]);
    expect(then.ret.get('y')).toBe('out:output:0');
    expect([...then.controlRet]).toEqual([]); // the read only ordered state
    const body = freezer.frozen.get('body_fn_frozen')!;
    expect(body.signature!.inputArg.map((a) => a.type)).toEqual([I32, F32, F32]);
    expect(body.signature!.outputArg.map((a) => a.type)).toEqual([I32, F32, F32]);
    // the nested If reuses the same specialization (same frozen args)
    expect(body.nodeDef[0]!.attr.get('then_branch')!.func!.name).toBe('then_fn_frozen');
    expect(body.ret.get('res_out')).toBe('res');
    expect([...freezer.frozen.keys()].sort()).toEqual(['body_fn_frozen', 'cond_fn_frozen', 'else_fn_frozen', 'then_fn_frozen']);
    expect(() => refuseControlFlowV2(g)).toThrow(/not supported yet.*"if \(If\)", "loop \(While\)"/);
  });

  it('freezes functions without variables under their own name; memoizes; refuses cycles through control flow', () => {
    const lib = library(elseFn);
    const freezer = new FunctionFreezer(lib, new OpRegistry([], lib));
    expect(freezer.specializeFunction('else_fn', new Map(), new Set(), 'test')).toBe('else_fn');
    expect(freezer.specializeFunction('else_fn', new Map(), new Set(), 'test')).toBe('else_fn');
    expect(freezer.stats.frozenFunctions).toBe(1);
    const loopy = fdef('loopy', {
      inputs: [['p', DataType.DT_BOOL]],
      outputs: [['y', F32]],
      nodes: [{ name: 'again', op: 'StatelessIf', input: ['p', 'p'], attr: { Tin: attr.typeList([DataType.DT_BOOL]), Tout: attr.typeList([F32]), then_branch: attr.func('loopy'), else_branch: attr.func('loopy') } }],
      ret: { y: 'again:output:0' },
    });
    const lib2 = library(loopy);
    const f2 = new FunctionFreezer(lib2, new OpRegistry([], lib2));
    let err: unknown;
    try {
      f2.specializeFunction('loopy', new Map(), new Set(), 'test');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_FUNCTION_CYCLE');
    expect((err as Error).message).toContain('loopy -> loopy');
    expect(() => f2.specializeFunction('missing', new Map(), new Set(), 'test')).toThrow(FormatError);
  });

  it('function bodies round-trip through body graphs (arg references, list args, multi-output refs)', async () => {
    const { bodyToFunctionDef } = await import('../../src/graph/function-body.js');
    const f = fdef('rt', {
      inputs: [['x', F32], ['xs', { numberAttr: 'N', type: F32 }]],
      outputs: [['a', F32], ['b', F32]],
      attrs: [['N', 'int']],
      nodes: [
        { name: 'bn', op: 'FusedBatchNormV3', input: ['x', 'xs:0', 'xs:1', 'x', 'x'] },
        { name: 'add', op: 'AddV2', input: ['bn:batch_mean:0', 'bn:y:0'] },
      ],
      ret: { a: 'add:z:0', b: 'bn:reserve_space_3:0' },
    });
    const lib = library(f);
    const registry = new OpRegistry([], lib);
    const body = functionBody(f, registry, new Map([['N', attr.int(2)]]));
    expect(body.outputs).toEqual([{ node: 'add', output: 0 }, { node: 'bn', output: 5 }]);
    const back = bodyToFunctionDef(body, registry, 'rt2');
    expect(back.signature!.name).toBe('rt2');
    expect(back.nodeDef.map((n) => n.input)).toEqual([['x', 'xs:0', 'xs:1', 'x', 'x'], ['bn:batch_mean:0', 'bn:y:0']]);
    expect([...back.ret]).toEqual([['a', 'add:z:0'], ['b', 'bn:reserve_space_3:0']]);
  });

  it('checkFrozenGraph names leftover variables and lookup tables', () => {
    const tables = graph([node('t', 'HashTableV2'), node('k', 'Placeholder'), node('d', 'Const'), node('find', 'LookupTableFindV2', ['t', 'k', 'd'])], ['find:0']);
    let err: unknown;
    try {
      checkFrozenGraph(tables);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_UNSUPPORTED_OP');
    expect((err as Error).message).toMatch(/lookup tables .* "t \(HashTableV2\)", "find \(LookupTableFindV2\)"/);
    const vars = graph([node('v', 'VarHandleOp'), node('r', 'ReadVariableOp', ['v'])], ['r:0']);
    expect(() => checkFrozenGraph(vars)).toThrow(/could not be resolved.*"v \(VarHandleOp\)"/);
  });
});
