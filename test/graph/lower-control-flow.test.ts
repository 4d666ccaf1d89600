// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: lower control flow v2 (If / While / Case) into control flow v1 on small hand-built IRs:
 * structure (no functional op left, Switch / Merge / Enter / Exit / NextIteration / LoopCond
 * counts and wiring, pivots of constants, frames), nested control flow, signatures, validation,
 * GraphDef serialization and typed errors.
 */
import { describe, expect, it } from 'vitest';
import { FormatError, UnsupportedOpError } from '../../src/errors.js';
import { attr } from '../../src/ir/attrs.js';
import { decodeGraphDefBytes, irOpHistogram, toGraphDef } from '../../src/ir/graphdef.js';
import { validateGraphIR } from '../../src/ir/validate.js';
import { smallTensorProto } from '../../src/ir/weights.js';
import type { GraphIR, IrNode, IrSignature } from '../../src/ir/types.js';
import type { FunctionDef } from '../../src/proto/index.js';
import { DataType } from '../../src/proto/index.js';
import { lowerControlFlow, lowerControlFlowIR } from '../../src/graph/passes/lower-control-flow.js';
import { OpRegistry } from '../../src/graph/op-registry.js';
import { F32, I32, fdef, graph, inputsOf, library, node, type BodyNode } from './helpers.js';

const BOOL = DataType.DT_BOOL;

const placeholder = (name: string, type: number): IrNode => node(name, 'Placeholder', [], { dtype: attr.type(type), shape: attr.shape([]) });
const bodyConst = (name: string, type: number, value: number): BodyNode => ({ name, op: 'Const', attr: { dtype: attr.type(type), value: attr.tensor(smallTensorProto(type, [], [value])) } });

function ir(nodes: IrNode[], functions: FunctionDef[], inputs: [string, number][], outputs: [string, string, number][]): GraphIR {
  const sig: IrSignature = {
    key: 'serving_default',
    methodName: '',
    inputs: inputs.map(([name, t]) => ({ key: name, name: `${name}:0`, dtype: null, dataType: t, shape: [] })),
    outputs: outputs.map(([key, name, t]) => ({ key, name, dtype: null, dataType: t, shape: [] })),
  };
  return {
    nodes: new Map(nodes.map((n) => [n.name, n])),
    functions: library(...functions),
    gradients: [],
    signatures: new Map([['serving_default', sig]]),
    versions: { producer: 1000, minConsumer: 0, badConsumers: [] },
    weights: new Map(),
    close: () => Promise.resolve(),
  };
}

async function checkValid(g: GraphIR): Promise<Record<string, number>> {
  validateGraphIR(g);
  const gd = decodeGraphDefBytes(await toGraphDef(g, { inlineWeights: true }));
  expect(gd.node.length).toBe(g.nodes.size);
  const ops = irOpHistogram(g);
  for (const op of ['If', 'StatelessIf', 'While', 'StatelessWhile', 'Case', 'StatelessCase', 'StatefulPartitionedCall', 'PartitionedCall']) expect(ops, op).not.toHaveProperty(op);
  return ops;
}

// then: (a, b) -> (a * 2, b); else: (a, b) -> (-a, a)   (else ignores b; both return an arg directly)
const thenFn = fdef('then_fn', {
  inputs: [['a', F32], ['b', F32]],
  outputs: [['o0', F32], ['o1', F32]],
  nodes: [bodyConst('two', F32, 2), { name: 'm', op: 'Mul', input: ['a', 'two:output:0'], attr: { T: attr.type(F32) } }],
  ret: { o0: 'm:z:0', o1: 'b' },
});
const elseFn = fdef('else_fn', {
  inputs: [['a', F32], ['b', F32]],
  outputs: [['o0', F32], ['o1', F32]],
  nodes: [{ name: 'n', op: 'Neg', input: ['a'], attr: { T: attr.type(F32) } }],
  ret: { o0: 'n:y:0', o1: 'a' },
});
const ifNode = (name: string, inputs: string[], op = 'StatelessIf', extra: Record<string, ReturnType<typeof attr.type>> = {}): IrNode =>
  node(name, op, inputs, {
    Tcond: attr.type(BOOL),
    Tin: attr.typeList([F32, F32]),
    Tout: attr.typeList([F32, F32]),
    then_branch: attr.func('then_fn'),
    else_branch: attr.func('else_fn'),
    ...extra,
  });

// cond: i < n; body: (i, x, n) -> (i + 1, x * 2, n)   (n is loop invariant)
const condFn = fdef('cond_fn', {
  inputs: [['i', I32], ['x', F32], ['n', I32]],
  outputs: [['c', BOOL]],
  nodes: [{ name: 'less', op: 'Less', input: ['i', 'n'], attr: { T: attr.type(I32) } }],
  ret: { c: 'less:z:0' },
});
const bodyFn = fdef('body_fn', {
  inputs: [['i', I32], ['x', F32], ['n', I32]],
  outputs: [['i2', I32], ['x2', F32], ['n2', I32]],
  nodes: [
    bodyConst('one', I32, 1),
    bodyConst('two', F32, 2),
    { name: 'add', op: 'AddV2', input: ['i', 'one:output:0'], attr: { T: attr.type(I32) } },
    { name: 'mul', op: 'Mul', input: ['x', 'two:output:0'], attr: { T: attr.type(F32) } },
  ],
  ret: { i2: 'add:z:0', x2: 'mul:z:0', n2: 'n' },
});
const whileNode = (name: string, inputs: string[], body = 'body_fn', parallel = 7): IrNode =>
  node(name, 'StatelessWhile', inputs, {
    T: attr.typeList([I32, F32, I32]),
    cond: attr.func('cond_fn'),
    body: attr.func(body),
    parallel_iterations: attr.int(parallel),
  });

describe('lowerControlFlow', () => {
  it('If: Switch per input on the predicate, branches inlined on the true / false outputs, Merge per output', async () => {
    const g = ir(
      [
        placeholder('p', BOOL),
        placeholder('x', F32),
        placeholder('y', F32),
        node('c', 'NoOp'),
        ifNode('cond', ['p', 'x', 'y', '^c']),
        node('out', 'Identity', ['cond', '^cond'], { T: attr.type(F32) }),
      ],
      [thenFn, elseFn],
      [['p', BOOL], ['x', F32], ['y', F32]],
      [['a', 'out:0', F32], ['b', 'cond:1', F32]],
    );
    const stats = lowerControlFlowIR(g);
    expect(stats).toMatchObject({ ifs: 1, whiles: 0, cases: 0 });
    const ops = await checkValid(g);
    expect(ops).toMatchObject({ Switch: 3, Merge: 3, Identity: 3, Mul: 1, Neg: 1, Const: 1 });
    const gg = { nodes: g.nodes, outputs: [], keep: new Set<string>(), where: '' };
    expect(inputsOf(gg, 'cond/switch_pred')).toEqual(['p', 'p', '^c']);
    expect(inputsOf(gg, 'cond/switch_0')).toEqual(['x', 'p', '^c']);
    expect(inputsOf(gg, 'cond/switch_1')).toEqual(['y', 'p', '^c']);
    expect(inputsOf(gg, 'cond/pivot_t')).toEqual(['cond/switch_pred:1']);
    expect(inputsOf(gg, 'cond/then/m')).toEqual(['cond/switch_0:1', 'cond/then/two']);
    // constants of a branch live in it: control edge from the pivot
    expect(inputsOf(gg, 'cond/then/two')).toEqual(['^cond/pivot_t']);
    expect(inputsOf(gg, 'cond/else/n')).toEqual(['cond/switch_0']);
    expect(inputsOf(gg, 'cond/merge_0')).toEqual(['cond/then/m', 'cond/else/n']);
    // outputs that are branch inputs: the Switch outputs themselves
    expect(inputsOf(gg, 'cond/merge_1')).toEqual(['cond/switch_1:1', 'cond/switch_0']);
    // control consumers wait for branch_executed
    expect(inputsOf(gg, 'out')).toEqual(['cond/merge_0', '^cond/branch_executed']);
    expect(inputsOf(gg, 'cond/branch_executed')).toEqual(['cond/pivot_t', 'cond/pivot_f']);
    expect(g.signatures.get('serving_default')!.outputs.map((o) => o.name)).toEqual(['out:0', 'cond/merge_1:0']);
    // the inlined constant became a weight; the branch functions are gone
    expect([...g.weights.keys()]).toEqual(['cond/then/two']);
    expect(g.functions.size).toBe(0);
    expect(g.nodes.get('cond/merge_0')!.attrs.get('T')).toEqual(attr.type(F32));
    expect(g.nodes.get('cond/merge_0')!.attrs.get('N')).toEqual(attr.int(2));
  });

  it('While: Enter -> Merge (NextIteration back edge) -> cond -> LoopCond -> Switch -> body -> NextIteration; Exit on the false outputs', async () => {
    const g = ir(
      [placeholder('x', F32), placeholder('n', I32), node('zero', 'Placeholder', [], { dtype: attr.type(I32) }), whileNode('loop', ['zero', 'x', 'n']), node('out', 'Identity', ['loop:1'], { T: attr.type(F32) })],
      [condFn, bodyFn],
      [['x', F32], ['n', I32], ['zero', I32]],
      [['y', 'out:0', F32], ['i', 'loop:0', I32]],
    );
    expect(lowerControlFlowIR(g)).toMatchObject({ ifs: 0, whiles: 1, cases: 0 });
    const ops = await checkValid(g);
    expect(ops).toMatchObject({ Enter: 3, Merge: 3, Switch: 3, Exit: 3, NextIteration: 3, LoopCond: 1, Less: 1, AddV2: 1, Mul: 1, Const: 2 });
    const gg = { nodes: g.nodes, outputs: [], keep: new Set<string>(), where: '' };
    expect(inputsOf(gg, 'loop/enter_1')).toEqual(['x']);
    const enter = g.nodes.get('loop/enter_1')!;
    expect(enter.attrs.get('frame_name')).toEqual(attr.string('loop/while_context'));
    expect(enter.attrs.get('is_constant')).toEqual(attr.bool(false));
    expect(enter.attrs.get('parallel_iterations')).toEqual(attr.int(7));
    expect(inputsOf(gg, 'loop/merge_1')).toEqual(['loop/enter_1', 'loop/next_iteration_1']);
    expect(inputsOf(gg, 'loop/cond/less')).toEqual(['loop/merge_0', 'loop/merge_2']);
    expect(inputsOf(gg, 'loop/loop_cond')).toEqual(['loop/cond/less']);
    expect(inputsOf(gg, 'loop/switch_1')).toEqual(['loop/merge_1', 'loop/loop_cond']);
    expect(inputsOf(gg, 'loop/exit_1')).toEqual(['loop/switch_1']);
    expect(inputsOf(gg, 'loop/body_input_1')).toEqual(['loop/switch_1:1']);
    expect(inputsOf(gg, 'loop/body/mul')).toEqual(['loop/body_input_1', 'loop/body/two']);
    expect(inputsOf(gg, 'loop/body/one')).toEqual(['^loop/body_input_0']);
    expect(inputsOf(gg, 'loop/next_iteration_1')).toEqual(['loop/body/mul']);
    // the loop-invariant var goes round unchanged
    expect(inputsOf(gg, 'loop/next_iteration_2')).toEqual(['loop/body_input_2']);
    expect(inputsOf(gg, 'out')).toEqual(['loop/exit_1']);
    expect(g.signatures.get('serving_default')!.outputs.map((o) => o.name)).toEqual(['out:0', 'loop/exit_0:0']);
    // topological order with back edges ignored: every Merge comes after its Enter, NextIteration last
    const order = [...g.nodes.keys()];
    expect(order.indexOf('loop/merge_1')).toBeGreaterThan(order.indexOf('loop/enter_1'));
    expect(order.indexOf('loop/next_iteration_1')).toBeGreaterThan(order.indexOf('loop/body/mul'));
  });

  it('nested: a cond and a function call inside a loop body, a loop inside a loop body; each loop its own frame', async () => {
    const inner = fdef('inner_call', {
      inputs: [['v', F32]],
      outputs: [['w', F32]],
      nodes: [bodyConst('k', F32, 3), { name: 'add', op: 'AddV2', input: ['v', 'k:output:0'], attr: { T: attr.type(F32) } }],
      ret: { w: 'add:z:0' },
    });
    const outerBody = fdef('outer_body', {
      inputs: [['i', I32], ['x', F32], ['n', I32]],
      outputs: [['i2', I32], ['x2', F32], ['n2', I32]],
      nodes: [
        bodyConst('one', I32, 1),
        bodyConst('zero', I32, 0),
        { name: 'add', op: 'AddV2', input: ['i', 'one:output:0'], attr: { T: attr.type(I32) } },
        { name: 'pos', op: 'Greater', input: ['i', 'zero:output:0'], attr: { T: attr.type(I32) } },
        { name: 'c', op: 'StatelessIf', input: ['pos:z:0', 'x', 'x'], attr: { Tcond: attr.type(BOOL), Tin: attr.typeList([F32, F32]), Tout: attr.typeList([F32, F32]), then_branch: attr.func('then_fn'), else_branch: attr.func('else_fn') } },
        { name: 'call', op: 'StatefulPartitionedCall', input: ['c:output:0'], attr: { f: attr.func('inner_call'), Tin: attr.typeList([F32]), Tout: attr.typeList([F32]) } },
        { name: 'w', op: 'While', input: ['zero:output:0', 'call:output:0', 'n'], attr: { T: attr.typeList([I32, F32, I32]), cond: attr.func('cond_fn'), body: attr.func('body_fn') } },
      ],
      ret: { i2: 'add:z:0', x2: 'w:output:1', n2: 'n' },
    });
    const g = ir(
      [placeholder('x', F32), placeholder('n', I32), placeholder('zero', I32), whileNode('loop', ['zero', 'x', 'n'], 'outer_body')],
      [condFn, bodyFn, outerBody, thenFn, elseFn, inner],
      [['x', F32], ['n', I32], ['zero', I32]],
      [['y', 'loop:1', F32]],
    );
    expect(lowerControlFlowIR(g)).toMatchObject({ ifs: 1, whiles: 2, cases: 0 });
    const ops = await checkValid(g);
    expect(ops).toMatchObject({ Enter: 6, Exit: 6, NextIteration: 6, LoopCond: 2, Switch: 6 + 3, Merge: 6 + 2 });
    const frames = new Set([...g.nodes.values()].filter((n) => n.op === 'Enter').map((n) => new TextDecoder().decode((n.attrs.get('frame_name') as { value: Uint8Array }).value)));
    expect([...frames].sort()).toEqual(['loop/body/w/while_context', 'loop/while_context']);
    const gg = { nodes: g.nodes, outputs: [], keep: new Set<string>(), where: '' };
    // the cond inside the body switches loop-frame tensors; its constants hang on its pivots
    expect(inputsOf(gg, 'loop/body/c/switch_0')).toEqual(['loop/body_input_1', 'loop/body/pos']);
    expect(inputsOf(gg, 'loop/body/c/then/two')).toEqual(['^loop/body/c/pivot_t']);
    // the inlined call's constant is in the loop frame
    expect(inputsOf(gg, 'loop/body/call/k')).toEqual(['^loop/body_input_0']);
    // the inner loop enters from the outer frame
    expect(inputsOf(gg, 'loop/body/w/enter_1')).toEqual(['loop/body/call/add']);
    expect(inputsOf(gg, 'loop/next_iteration_1')).toEqual(['loop/body/w/exit_1']);
    expect(g.signatures.get('serving_default')!.outputs[0]!.name).toBe('loop/exit_1:0');
    expect(g.functions.size).toBe(0);
  });

  it('Case: a chain of conds on branch_index == j, the last branch also for out-of-range indices', async () => {
    const branch = (name: string, k: number): FunctionDef =>
      fdef(name, {
        inputs: [['a', F32]],
        outputs: [['o', F32]],
        nodes: [bodyConst('k', F32, k), { name: 'm', op: 'Mul', input: ['a', 'k:output:0'], attr: { T: attr.type(F32) } }],
        ret: { o: 'm:z:0' },
      });
    const g = ir(
      [
        placeholder('i', I32),
        placeholder('x', F32),
        node('case', 'Case', ['i', 'x'], { Tin: attr.typeList([F32]), Tout: attr.typeList([F32]), branches: attr.funcList([0, 1, 2].map((k) => ({ name: `b${k}`, attrs: new Map() }))) }),
      ],
      [branch('b0', 10), branch('b1', 20), branch('b2', 30)],
      [['i', I32], ['x', F32]],
      [['y', 'case:0', F32]],
    );
    expect(lowerControlFlowIR(g)).toMatchObject({ cases: 1 });
    const ops = await checkValid(g);
    // level 0: pred + x + index switched; level 1: pred + x + index
    expect(ops).toMatchObject({ Equal: 2, Switch: 6, Merge: 2, Mul: 3, Const: 5 });
    const gg = { nodes: g.nodes, outputs: [], keep: new Set<string>(), where: '' };
    expect(inputsOf(gg, 'case/index_0')).toEqual(['i']);
    expect(inputsOf(gg, 'case/is_branch_0')).toEqual(['case/index_0', 'case/index_0/value']);
    expect(inputsOf(gg, 'case/branch_0/m')).toEqual(['case/case_0/switch_0:1', 'case/branch_0/k']);
    expect(inputsOf(gg, 'case/index_1')).toEqual(['case/case_0/switch_1']);
    expect(inputsOf(gg, 'case/branch_2/m')).toEqual(['case/case_1/switch_0', 'case/branch_2/k']);
    expect(inputsOf(gg, 'case/branch_2/k')).toEqual(['^case/index_2']);
    expect(inputsOf(gg, 'case/case_0/merge_0')).toEqual(['case/branch_0/m', 'case/case_1/merge_0']);
    expect(g.signatures.get('serving_default')!.outputs[0]!.name).toBe('case/case_0/merge_0:0');
  });

  it('works on a work graph directly; graphs without control flow are left alone', () => {
    const lib = library(thenFn, elseFn);
    const g = graph([placeholder('p', BOOL), placeholder('x', F32), ifNode('c', ['p', 'x', 'x', '^p'], 'If')], ['c:0', 'c:1'], ['c']);
    const stats = lowerControlFlow(g, { library: lib, registry: new OpRegistry([], lib) });
    expect(stats.ifs).toBe(1);
    expect(g.outputs).toEqual([
      { node: 'c/merge_0', output: 0 },
      { node: 'c/merge_1', output: 0 },
    ]);
    // a kept node is replaced by branch_executed
    expect([...g.keep]).toEqual(['c/branch_executed']);
    // a one-branch Case: the branch hangs on an Identity of the index, which control consumers wait for
    const one = fdef('one', { inputs: [['a', F32]], outputs: [['o', F32]], nodes: [bodyConst('k', F32, 1)], ret: { o: 'k:output:0' } });
    const lib1 = library(one);
    const g1 = graph(
      [placeholder('i', I32), placeholder('x', F32), node('case', 'StatelessCase', ['i', 'x', '^x'], { Tin: attr.typeList([F32]), Tout: attr.typeList([F32]), branches: attr.funcList([{ name: 'one', attrs: new Map() }]) }), node('after', 'NoOp', ['^case'])],
      ['case:0'],
      ['after'],
    );
    expect(lowerControlFlow(g1, { library: lib1, registry: new OpRegistry([], lib1) }).cases).toBe(1);
    expect(inputsOf(g1, 'case/index_0')).toEqual(['i', '^x']);
    expect(inputsOf(g1, 'case/branch_0/k')).toEqual(['^case/index_0']);
    expect(inputsOf(g1, 'after')).toEqual(['^case/index_0']);
    expect(g1.outputs).toEqual([{ node: 'case/branch_0/k', output: 0 }]);
    const plain = graph([placeholder('x', F32), node('y', 'Neg', ['x'])], ['y:0']);
    expect(lowerControlFlow(plain, { library: lib, registry: new OpRegistry([], lib) })).toEqual({ ifs: 0, whiles: 0, cases: 0, addedNodes: 0 });
    expect([...plain.nodes.keys()]).toEqual(['x', 'y']);
  });

  it('typed errors name the node and function: missing functions, non-boolean predicates, wrong arity', () => {
    const lib = library(thenFn);
    const g = graph([placeholder('p', BOOL), placeholder('x', F32), ifNode('c', ['p', 'x', 'x'])], ['c:0']);
    const err = (() => {
      try {
        lowerControlFlow(g, { library: lib, registry: new OpRegistry([], lib) });
      } catch (e) {
        return e as FormatError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(FormatError);
    expect(err!.code).toBe('ERR_TFEXPORT_FUNCTION_NOT_FOUND');
    expect(err!.message).toMatch(/node "c" \(StatelessIf\) else_branch function "else_fn" is not in the library/);

    const lib2 = library(thenFn, elseFn);
    const g2 = graph([placeholder('p', F32), placeholder('x', F32), ifNode('c', ['p', 'x', 'x'], 'If', { Tcond: attr.type(F32) })], ['c:0']);
    expect(() => lowerControlFlow(g2, { library: lib2, registry: new OpRegistry([], lib2) })).toThrow(UnsupportedOpError);
    expect(() => lowerControlFlow(g2, { library: lib2, registry: new OpRegistry([], lib2) })).toThrow(/node "c" \(If\): the predicate \(attr Tcond\) is DT_FLOAT, not bool/);

    // a loop whose body runs the same loop again: recursion is refused, naming the cycle
    const rec = fdef('rec_body', {
      inputs: [['i', I32], ['x', F32], ['n', I32]],
      outputs: [['i2', I32], ['x2', F32], ['n2', I32]],
      nodes: [{ name: 'w', op: 'While', input: ['i', 'x', 'n'], attr: { T: attr.typeList([I32, F32, I32]), cond: attr.func('cond_fn'), body: attr.func('rec_body') } }],
      ret: { i2: 'w:output:0', x2: 'w:output:1', n2: 'n' },
    });
    const lib4 = library(condFn, rec);
    const g4 = graph([placeholder('i', I32), placeholder('x', F32), whileNode('w', ['i', 'x', 'i'], 'rec_body')], ['w:1']);
    expect(() => lowerControlFlow(g4, { library: lib4, registry: new OpRegistry([], lib4) })).toThrow(/node "w\/body\/w" \(While\): recursive control flow rec_body -> rec_body cannot be lowered/);

    const lib3 = library(condFn, bodyFn);
    const g3 = graph([placeholder('x', F32), whileNode('w', ['x', 'x'])], ['w:0']);
    expect(() => lowerControlFlow(g3, { library: lib3, registry: new OpRegistry([], lib3) })).toThrow(/node "w" \(StatelessWhile\): attr T lists 3 types for 2 tensors/);
  });
});
