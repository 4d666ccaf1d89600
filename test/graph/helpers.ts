// SPDX-License-Identifier: Apache-2.0
/** Builders of small graphs and FunctionDefs for the pass tests. */
import { messageCodec } from '../../src/proto/index.js';
import type { AttrValue, FunctionDef } from '../../src/proto/index.js';
import { DataType } from '../../src/proto/index.js';
import { attr, attrToProto } from '../../src/ir/attrs.js';
import { parseInput, parseTensorName } from '../../src/ir/graphdef.js';
import type { IrAttrValue, IrNode } from '../../src/ir/types.js';
import type { WorkGraph } from '../../src/graph/work-graph.js';
import { smallTensorProto } from '../../src/ir/weights.js';

export const F32 = DataType.DT_FLOAT;
export const I32 = DataType.DT_INT32;
export const RES = DataType.DT_RESOURCE;

/** A node: inputs as GraphDef strings (`a`, `a:1`, `^c`). */
export function node(name: string, op: string, inputs: string[] = [], attrs: Record<string, IrAttrValue> = {}): IrNode {
  return { name, op, inputs: inputs.map((s) => parseInput(s)), device: '', attrs: new Map(Object.entries(attrs)) };
}

/** A float32 scalar Const with its value inline. */
export function constNode(name: string, value = 1): IrNode {
  return node(name, 'Const', [], { dtype: attr.type(F32), value: attr.tensor(smallTensorProto(F32, [], [value])) });
}

/** A work graph with outputs (`node:k`) and kept nodes. */
export function graph(nodes: IrNode[], outputs: string[], keep: string[] = []): WorkGraph {
  return { nodes: new Map(nodes.map((n) => [n.name, n])), outputs: outputs.map((o) => parseTensorName(o)), keep: new Set(keep), where: 'test graph' };
}

/** Inputs of a node as GraphDef strings. */
export function inputsOf(g: WorkGraph, name: string): string[] {
  const n = g.nodes.get(name);
  if (!n) throw new Error(`no node ${name}`);
  return n.inputs.map((i) => (i.control ? `^${i.node}` : i.output === 0 ? i.node : `${i.node}:${i.output}`));
}

/** Arg spec: `[name, type]`, `[name, {typeAttr}]`, `[name, {numberAttr, typeAttr}]`, `[name, {typeListAttr}]`. */
export type ArgSpec = [string, number | { typeAttr?: string; numberAttr?: string; typeListAttr?: string; type?: number }];

/** A body node of a FunctionDef: inputs in function syntax (`x`, `n:out:0`, `^n`). */
export interface BodyNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, IrAttrValue>;
}

/** Builds a FunctionDef. */
export function fdef(
  name: string,
  spec: { inputs: ArgSpec[]; outputs: ArgSpec[]; attrs?: [string, string][]; nodes: BodyNode[]; ret: Record<string, string>; controlRet?: Record<string, string> },
): FunctionDef {
  const argDef = messageCodec('tensorflow.OpDef.ArgDef');
  const arg = ([n, t]: ArgSpec) => (typeof t === 'number' ? argDef.create({ name: n, type: t }) : argDef.create({ name: n, typeAttr: t.typeAttr ?? '', numberAttr: t.numberAttr ?? '', typeListAttr: t.typeListAttr ?? '', type: t.type ?? 0 }));
  const signature = messageCodec('tensorflow.OpDef').create({
    name,
    inputArg: spec.inputs.map(arg),
    outputArg: spec.outputs.map(arg),
    attr: (spec.attrs ?? []).map(([n, type]) => messageCodec('tensorflow.OpDef.AttrDef').create({ name: n, type })),
  });
  const nodeDef = spec.nodes.map((b) =>
    messageCodec('tensorflow.NodeDef').create({
      name: b.name,
      op: b.op,
      input: b.input ?? [],
      attr: new Map<string, AttrValue>(Object.entries(b.attr ?? {}).map(([k, v]) => [k, attrToProto(v)])),
    }),
  );
  return messageCodec('tensorflow.FunctionDef').create({
    signature,
    nodeDef,
    ret: new Map(Object.entries(spec.ret)),
    controlRet: new Map(Object.entries(spec.controlRet ?? {})),
  });
}

/** A library map from FunctionDefs. */
export function library(...fns: FunctionDef[]): Map<string, FunctionDef> {
  return new Map(fns.map((f) => [f.signature!.name, f]));
}

/** Placeholder attr value `$name`. */
export function ph(name: string): IrAttrValue {
  return { kind: 'placeholder', value: name };
}
