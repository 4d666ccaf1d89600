// SPDX-License-Identifier: Apache-2.0
/**
 * Typed attr values: conversion between protobuf `AttrValue`s and {@link IrAttrValue}s,
 * constructors and typed getters.
 */
import { FormatError } from '../errors.js';
import { messageCodec } from '../proto/schema.js';
import type { AttrValue, AttrValue_ListValue, NameAttrList, TensorProto, TensorShapeProto } from '../proto/types.generated.js';
import type { IrAttrList, IrAttrValue, IrFunctionRef, IrNode, IrShape } from './types.js';

/** Converts a TensorShapeProto to an {@link IrShape} (dim names are dropped). */
export function shapeFromProto(shape: TensorShapeProto | undefined): IrShape {
  if (!shape || shape.unknownRank) return null;
  return shape.dim.map((d) => (d.size < 0n ? -1 : d.size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(d.size)));
}

/** Converts an {@link IrShape} to a TensorShapeProto. */
export function shapeToProto(shape: IrShape): TensorShapeProto {
  const codec = messageCodec('tensorflow.TensorShapeProto');
  if (shape === null) return codec.create({ unknownRank: true });
  const dim = messageCodec('tensorflow.TensorShapeProto.Dim');
  return codec.create({ dim: shape.map((d) => dim.create({ size: BigInt(d) })) });
}

function funcFromProto(f: NameAttrList): IrFunctionRef {
  return { name: f.name, attrs: attrsFromProto(f.attr) };
}

function funcToProto(f: IrFunctionRef): NameAttrList {
  return messageCodec('tensorflow.NameAttrList').create({ name: f.name, attr: attrsToProto(f.attrs) });
}

/** An empty {@link IrAttrList}. */
export function emptyAttrList(): IrAttrList {
  return { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] };
}

/** Converts a protobuf AttrValue to an {@link IrAttrValue}. */
export function attrFromProto(v: AttrValue): IrAttrValue {
  if (v.list) {
    const l = v.list;
    return {
      kind: 'list',
      value: {
        s: l.s.slice(),
        i: l.i.slice(),
        f: l.f.slice(),
        b: l.b.slice(),
        type: l.type.slice(),
        shape: l.shape.map(shapeFromProto),
        tensor: l.tensor.slice(),
        func: l.func.map(funcFromProto),
      },
    };
  }
  if (v.s !== undefined) return { kind: 's', value: v.s };
  if (v.i !== undefined) return { kind: 'i', value: v.i };
  if (v.f !== undefined) return { kind: 'f', value: v.f };
  if (v.b !== undefined) return { kind: 'b', value: v.b };
  if (v.type !== undefined) return { kind: 'type', value: v.type };
  if (v.shape !== undefined) return { kind: 'shape', value: shapeFromProto(v.shape) };
  if (v.tensor !== undefined) return { kind: 'tensor', value: v.tensor };
  if (v.placeholder !== undefined) return { kind: 'placeholder', value: v.placeholder };
  if (v.func !== undefined) return { kind: 'func', value: funcFromProto(v.func) };
  return { kind: 'none' };
}

/** Converts an {@link IrAttrValue} to a protobuf AttrValue. */
export function attrToProto(v: IrAttrValue): AttrValue {
  const codec = messageCodec('tensorflow.AttrValue');
  switch (v.kind) {
    case 'list': {
      const l = v.value;
      const list: AttrValue_ListValue = messageCodec('tensorflow.AttrValue.ListValue').create({
        s: l.s.slice(),
        i: l.i.slice(),
        f: l.f.slice(),
        b: l.b.slice(),
        type: l.type.slice(),
        shape: l.shape.map(shapeToProto),
        tensor: l.tensor.slice(),
        func: l.func.map(funcToProto),
      });
      return codec.create({ list });
    }
    case 's': return codec.create({ s: v.value });
    case 'i': return codec.create({ i: v.value });
    case 'f': return codec.create({ f: v.value });
    case 'b': return codec.create({ b: v.value });
    case 'type': return codec.create({ type: v.value });
    case 'shape': return codec.create({ shape: shapeToProto(v.value) });
    case 'tensor': return codec.create({ tensor: v.value });
    case 'placeholder': return codec.create({ placeholder: v.value });
    case 'func': return codec.create({ func: funcToProto(v.value) });
    case 'none': return codec.create({});
  }
}

/** Converts an attr map (NodeDef.attr, NameAttrList.attr). */
export function attrsFromProto(attrs: Map<string, AttrValue>): Map<string, IrAttrValue> {
  const out = new Map<string, IrAttrValue>();
  // (forEach: no [key, value] array per entry, which for-of makes in cold code)
  attrs.forEach((v, k) => out.set(k, attrFromProto(v)));
  return out;
}

/** Converts an attr map back to protobuf AttrValues. */
export function attrsToProto(attrs: Map<string, IrAttrValue>): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  attrs.forEach((v, k) => out.set(k, attrToProto(v)));
  return out;
}

/** Attr constructors. */
export const attr = {
  type: (value: number): IrAttrValue => ({ kind: 'type', value }),
  int: (value: number | bigint): IrAttrValue => ({ kind: 'i', value: BigInt(value) }),
  float: (value: number): IrAttrValue => ({ kind: 'f', value }),
  bool: (value: boolean): IrAttrValue => ({ kind: 'b', value }),
  string: (value: string | Uint8Array): IrAttrValue => ({ kind: 's', value: typeof value === 'string' ? new TextEncoder().encode(value) : value }),
  shape: (value: IrShape): IrAttrValue => ({ kind: 'shape', value }),
  tensor: (value: TensorProto): IrAttrValue => ({ kind: 'tensor', value }),
  func: (name: string, attrs: Map<string, IrAttrValue> = new Map()): IrAttrValue => ({ kind: 'func', value: { name, attrs } }),
  typeList: (types: number[]): IrAttrValue => ({ kind: 'list', value: { ...emptyAttrList(), type: types.slice() } }),
  intList: (values: (number | bigint)[]): IrAttrValue => ({ kind: 'list', value: { ...emptyAttrList(), i: values.map((v) => BigInt(v)) } }),
  shapeList: (shapes: IrShape[]): IrAttrValue => ({ kind: 'list', value: { ...emptyAttrList(), shape: shapes.slice() } }),
  funcList: (refs: IrFunctionRef[]): IrAttrValue => ({ kind: 'list', value: { ...emptyAttrList(), func: refs.slice() } }),
};

function attrError(node: IrNode | string, name: string, what: string): FormatError {
  const n = typeof node === 'string' ? node : node.name;
  return new FormatError('ERR_TFEXPORT_GRAPH_ATTR', `node ${JSON.stringify(n)}: attr ${JSON.stringify(name)} ${what}`, { field: `${n}.${name}`, node: n });
}

/** Typed attr getters: `get*` return undefined when the attr is absent, `require*` throw FormatError `ERR_TFEXPORT_GRAPH_ATTR`. */
export const attrs = {
  /** a `type` attr (DataType enum value) */
  getType(node: IrNode, name: string): number | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'type') throw attrError(node, name, `is a ${v.kind}, not a type`);
    return v.value;
  },
  requireType(node: IrNode, name: string): number {
    const t = attrs.getType(node, name);
    if (t === undefined) throw attrError(node, name, 'is missing');
    return t;
  },
  getInt(node: IrNode, name: string): bigint | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'i') throw attrError(node, name, `is a ${v.kind}, not an int`);
    return v.value;
  },
  getBool(node: IrNode, name: string): boolean | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'b') throw attrError(node, name, `is a ${v.kind}, not a bool`);
    return v.value;
  },
  getString(node: IrNode, name: string): string | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 's') throw attrError(node, name, `is a ${v.kind}, not a string`);
    return new TextDecoder().decode(v.value);
  },
  getShape(node: IrNode, name: string): IrShape | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'shape') throw attrError(node, name, `is a ${v.kind}, not a shape`);
    return v.value;
  },
  getTensor(node: IrNode, name: string): TensorProto | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'tensor') throw attrError(node, name, `is a ${v.kind}, not a tensor`);
    return v.value;
  },
  getFunc(node: IrNode, name: string): IrFunctionRef | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'func') throw attrError(node, name, `is a ${v.kind}, not a function`);
    return v.value;
  },
  getList(node: IrNode, name: string): IrAttrList | undefined {
    const v = node.attrs.get(name);
    if (v === undefined) return undefined;
    if (v.kind === 'none') return emptyAttrList();
    if (v.kind !== 'list') throw attrError(node, name, `is a ${v.kind}, not a list`);
    return v.value;
  },
  /** a list(type) attr (empty list when absent) */
  getTypeList(node: IrNode, name: string): number[] {
    return attrs.getList(node, name)?.type ?? [];
  },
};

/** Deep-copies an attr value (lists, function refs); tensors and byte strings are shared. */
export function cloneAttr(v: IrAttrValue): IrAttrValue {
  switch (v.kind) {
    case 'list':
      return {
        kind: 'list',
        value: {
          s: v.value.s.slice(),
          i: v.value.i.slice(),
          f: v.value.f.slice(),
          b: v.value.b.slice(),
          type: v.value.type.slice(),
          shape: v.value.shape.map((s) => (s ? s.slice() : null)),
          tensor: v.value.tensor.slice(),
          func: v.value.func.map(cloneFuncRef),
        },
      };
    case 'func':
      return { kind: 'func', value: cloneFuncRef(v.value) };
    case 'shape':
      return { kind: 'shape', value: v.value ? v.value.slice() : null };
    default:
      return { ...v };
  }
}

function cloneFuncRef(f: IrFunctionRef): IrFunctionRef {
  return { name: f.name, attrs: new Map([...f.attrs].map(([k, v]) => [k, cloneAttr(v)])) };
}

/** Deep-copies a node (attrs and inputs; tensors shared). */
export function cloneNode(n: IrNode): IrNode {
  return {
    name: n.name,
    op: n.op,
    inputs: n.inputs.map((i) => ({ ...i })),
    device: n.device,
    attrs: new Map([...n.attrs].map(([k, v]) => [k, cloneAttr(v)])),
    ...(n.extra ? { extra: { ...n.extra } } : {}),
  };
}
