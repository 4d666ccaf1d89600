// SPDX-License-Identifier: Apache-2.0
/**
 * Facts about a decoded GraphDef shared by the GraphDef and SavedModel readers: op histograms,
 * placeholders, graph outputs, constant weights, shape and tensor-size helpers.
 */
import { FormatError } from '../../errors.js';
import type { AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeByteSize, dtypeName, type DTypeName } from '../../proto/dtypes.js';

/**
 * A shape as reported: dimensions with -1 for unknown sizes, or null when even the rank is
 * unknown.
 */
export type ReportedShape = number[] | null;

/** Converts a TensorShapeProto to a {@link ReportedShape} (absent shape = unknown rank). */
export function shapeFromProto(shape: TensorShapeProto | undefined): ReportedShape {
  if (!shape || shape.unknownRank) return null;
  return shape.dim.map((d) => (d.size < 0n ? -1 : d.size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(d.size)));
}

/** Op -> count, with keys sorted by descending count, then name. */
export type OpHistogram = Record<string, number>;

/** Counts the ops of a list of nodes. */
export function opHistogram(nodes: Iterable<NodeDef>): OpHistogram {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: OpHistogram = {};
  for (const [op, n] of sorted) out[op] = n;
  return out;
}

/** Op histograms of a graph: its own nodes and its library functions' bodies, separately. */
export interface GraphOpHistograms {
  /** ops of graph_def.node */
  graph: OpHistogram;
  /** ops of every FunctionDef node_def in graph_def.library */
  functions: OpHistogram;
  /** number of library functions */
  functionCount: number;
}

/** Computes {@link GraphOpHistograms}. */
export function graphOpHistograms(graph: GraphDef | undefined): GraphOpHistograms {
  const fns = graph?.library?.function ?? [];
  return {
    graph: opHistogram(graph?.node ?? []),
    functions: opHistogram(fns.flatMap((f) => f.nodeDef)),
    functionCount: fns.length,
  };
}

/** A dtype + shape of a graph tensor as reported. */
export interface GraphTensorSpec {
  /** tensor name `node:0` */
  name: string;
  dtype: DTypeName | null;
  /** TensorFlow DataType enum value */
  dataType: number;
  shape: ReportedShape;
}

function attr(node: NodeDef, name: string): AttrValue | undefined {
  return node.attr.get(name);
}

/** Placeholder nodes of a graph (its feedable inputs), with dtype and shape attrs. */
export function placeholders(graph: GraphDef | undefined): GraphTensorSpec[] {
  const out: GraphTensorSpec[] = [];
  for (const n of graph?.node ?? []) {
    if (n.op !== 'Placeholder' && n.op !== 'PlaceholderV2' && n.op !== 'PlaceholderWithDefault') continue;
    const dt = attr(n, 'dtype')?.type ?? 0;
    const shapeAttr = attr(n, 'shape')?.shape;
    out.push({ name: `${n.name}:0`, dtype: dtypeName(dt), dataType: dt, shape: shapeAttr ? shapeFromProto(shapeAttr) : null });
  }
  return out;
}

/** Strips `^`, and `:k` output suffixes from a NodeDef input to get the producing node's name. */
export function inputNodeName(input: string): string {
  const s = input.startsWith('^') ? input.slice(1) : input;
  const colon = s.indexOf(':');
  return colon < 0 ? s : s.slice(0, colon);
}

const NON_OUTPUT_OPS = new Set(['NoOp', 'Const', 'Placeholder', 'PlaceholderV2', 'Assert', 'SaveV2', 'RestoreV2', 'VarHandleOp', 'VariableV2', 'Variable']);

/**
 * Likely outputs of a frozen graph: nodes nobody consumes, except constants, placeholders and
 * side-effect-only ops (what a converter would pick as default outputs).
 */
export function sinkNodes(graph: GraphDef | undefined): string[] {
  const nodes = graph?.node ?? [];
  const consumed = new Set<string>();
  for (const n of nodes) for (const i of n.input) consumed.add(inputNodeName(i));
  return nodes.filter((n) => !consumed.has(n.name) && !NON_OUTPUT_OPS.has(n.op)).map((n) => n.name);
}

/** Number of elements of a fully known shape (null when unknown or absurd). */
export function elementCount(shape: ReportedShape): number | null {
  if (!shape) return null;
  let n = 1;
  for (const d of shape) {
    if (d < 0) return null;
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

/**
 * Bytes a TensorProto's value occupies once materialized: tensor_content's length, else
 * element count x element size (splat `*_val` encodings expand), or the string bytes.
 */
export function tensorProtoByteSize(t: TensorProto): number {
  if (t.tensorContent.length > 0) return t.tensorContent.length;
  if (t.dtype === DataType.DT_STRING) return t.stringVal.reduce((a, s) => a + s.length, 0);
  const width = dataTypeByteSize(t.dtype);
  const count = elementCount(shapeFromProto(t.tensorShape ?? { dim: [], unknownRank: false }));
  if (width === null || count === null) return 0;
  return width * count;
}

/** Summary of weights by dtype. */
export interface WeightsSummary {
  /** where the weights live: `variables` (TensorBundle) or `constants` (Const nodes) */
  source: 'variables' | 'constants' | 'none';
  count: number;
  bytes: number;
  /** dtype -> how many tensors and bytes */
  dtypes: Record<string, { count: number; bytes: number }>;
}

/** Accumulates a {@link WeightsSummary}. */
export function summarizeWeights(source: WeightsSummary['source'], items: Iterable<{ dtype: string | null; bytes: number }>): WeightsSummary {
  const summary: WeightsSummary = { source, count: 0, bytes: 0, dtypes: {} };
  for (const it of items) {
    summary.count++;
    summary.bytes += it.bytes;
    const key = it.dtype ?? 'unknown';
    const d = (summary.dtypes[key] ??= { count: 0, bytes: 0 });
    d.count++;
    d.bytes += it.bytes;
  }
  if (summary.count === 0) summary.source = 'none';
  return summary;
}

/** The Const nodes of a graph as weights (dtype, bytes). */
export function constantWeights(graph: GraphDef | undefined): { name: string; dtype: string | null; bytes: number; shape: ReportedShape }[] {
  const out: { name: string; dtype: string | null; bytes: number; shape: ReportedShape }[] = [];
  for (const n of graph?.node ?? []) {
    if (n.op !== 'Const') continue;
    const t = attr(n, 'value')?.tensor;
    if (!t) continue;
    out.push({ name: n.name, dtype: dtypeName(t.dtype), bytes: tensorProtoByteSize(t), shape: shapeFromProto(t.tensorShape) });
  }
  return out;
}

/**
 * Checks the basic well-formedness every GraphDef node needs (name and op set, sane op name).
 * @throws FormatError `ERR_TFEXPORT_GRAPHDEF` naming the file and node
 */
export function checkGraphNodes(graph: GraphDef, file: string): void {
  graph.node.forEach((n, i) => {
    if (!n.name) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: node[${i}] has no name`, { file, field: `node[${i}].name` });
    if (!/^[A-Za-z0-9_>.\-/]+$/.test(n.op)) {
      throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: node ${JSON.stringify(n.name)} has an invalid op name ${JSON.stringify(n.op.slice(0, 40))}`, {
        file,
        field: `node[${i}].op`,
      });
    }
  });
}

/** A TensorProto's value, materialized (see `BundleTensor` for the typed-array mapping). */
export interface DecodedTensorProto {
  dtype: DTypeName;
  /** TensorFlow DataType enum value */
  dataType: number;
  shape: number[];
  data:
    | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
    | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Uint8Array[];
}

/** Largest tensor {@link decodeTensorProto} materializes by default (splat values can declare huge shapes). */
export const DEFAULT_MAX_TENSOR_BYTES = 1 << 30;

/**
 * Materializes a TensorProto (a Const value): tensor_content, or the typed `*_val` list with
 * TensorFlow's "repeat the last value" rule.
 * @param t the tensor
 * @param where file and field named in errors
 * @param maxBytes refuse tensors larger than this (default 1 GiB)
 * @throws FormatError `ERR_TFEXPORT_TENSOR` when the shape is not fully known, the content does
 *   not match dtype x shape, or the dtype is not supported
 */
export function decodeTensorProto(t: TensorProto, where: { file: string; field: string }, maxBytes = DEFAULT_MAX_TENSOR_BYTES): DecodedTensorProto {
  const fail = (what: string): FormatError =>
    new FormatError('ERR_TFEXPORT_TENSOR', `${where.file}: tensor ${where.field}: ${what}`, { file: where.file, field: where.field });
  const dtype = dtypeName(t.dtype);
  if (!dtype) throw fail(`unknown dtype ${t.dtype}`);
  const shape = shapeFromProto(t.tensorShape ?? { dim: [], unknownRank: false });
  if (!shape || shape.some((d) => d < 0)) throw fail(`shape ${JSON.stringify(shape)} is not fully known`);
  const count = elementCount(shape);
  if (count === null) throw fail(`shape [${shape.join(', ')}] has too many elements`);
  const base = t.dtype > 100 ? t.dtype - 100 : t.dtype;
  if (base === DataType.DT_STRING) {
    if (t.stringVal.length > count) throw fail(`${t.stringVal.length} string values for ${count} elements`);
    if (t.stringVal.length === 0 && count > 0) {
      if (count > maxBytes) throw fail(`${count} empty strings exceed the limit`);
      return { dtype, dataType: t.dtype, shape, data: Array.from({ length: count }, () => new Uint8Array(0)) };
    }
    const data: Uint8Array[] = t.stringVal.slice();
    while (data.length < count) data.push(data[data.length - 1]!);
    return { dtype, dataType: t.dtype, shape, data };
  }
  const width = dataTypeByteSize(t.dtype);
  if (width === null) throw fail(`dtype ${dtype} cannot be materialized`);
  const bytes = count * width;
  if (bytes > maxBytes) throw fail(`${bytes} bytes exceed the ${maxBytes}-byte limit`);
  const buf = new ArrayBuffer(bytes);
  const u8 = new Uint8Array(buf);
  const view = (): DecodedTensorProto['data'] => {
    switch (base) {
      case DataType.DT_FLOAT: case DataType.DT_COMPLEX64: return new Float32Array(buf);
      case DataType.DT_DOUBLE: case DataType.DT_COMPLEX128: return new Float64Array(buf);
      case DataType.DT_INT8: case DataType.DT_QINT8: return new Int8Array(buf);
      case DataType.DT_INT16: case DataType.DT_QINT16: return new Int16Array(buf);
      case DataType.DT_INT32: case DataType.DT_QINT32: return new Int32Array(buf);
      case DataType.DT_INT64: return new BigInt64Array(buf);
      case DataType.DT_UINT16: case DataType.DT_QUINT16: case DataType.DT_HALF: case DataType.DT_BFLOAT16: return new Uint16Array(buf);
      case DataType.DT_UINT32: return new Uint32Array(buf);
      case DataType.DT_UINT64: return new BigUint64Array(buf);
      default: return u8;
    }
  };
  if (t.tensorContent.length > 0) {
    if (t.tensorContent.length !== bytes) throw fail(`tensor_content has ${t.tensorContent.length} bytes, dtype x shape needs ${bytes}`);
    u8.set(t.tensorContent);
    return { dtype, dataType: t.dtype, shape, data: view() };
  }
  const out = view() as Exclude<DecodedTensorProto['data'], Uint8Array[]>;
  // pick the *_val list for the dtype; complex lists hold 2 numbers per element
  let values: ArrayLike<number | bigint | boolean>;
  let perElement = 1;
  switch (base) {
    case DataType.DT_FLOAT: values = t.floatVal; break;
    case DataType.DT_DOUBLE: values = t.doubleVal; break;
    case DataType.DT_COMPLEX64: values = t.scomplexVal; perElement = 2; break;
    case DataType.DT_COMPLEX128: values = t.dcomplexVal; perElement = 2; break;
    case DataType.DT_INT64: values = t.int64Val; break;
    case DataType.DT_UINT32: values = t.uint32Val; break;
    case DataType.DT_UINT64: values = t.uint64Val; break;
    case DataType.DT_BOOL: values = t.boolVal; break;
    case DataType.DT_HALF: case DataType.DT_BFLOAT16: values = t.halfVal; break;
    case DataType.DT_FLOAT8_E5M2: case DataType.DT_FLOAT8_E4M3FN: case DataType.DT_FLOAT8_E4M3FNUZ:
    case DataType.DT_FLOAT8_E4M3B11FNUZ: case DataType.DT_FLOAT8_E5M2FNUZ:
      values = t.float8Val; break;
    default: values = t.intVal; break;
  }
  const n = values.length;
  const slots = count * perElement;
  if (n % perElement !== 0) throw fail(`odd number (${n}) of complex components`);
  if (n > slots) throw fail(`${n / perElement} values for ${count} elements`);
  if (n === 0) return { dtype, dataType: t.dtype, shape, data: out };
  const conv = (v: number | bigint | boolean): number | bigint => {
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) return typeof v === 'bigint' ? v : BigInt(Number(v));
    return typeof v === 'bigint' ? Number(v) : Number(v);
  };
  const arr = out as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) arr[i] = conv(values[i]!);
  // repeat the last element (the last perElement numbers) to fill the tensor
  for (let i = n; i < slots; i++) arr[i] = arr[i - perElement]!;
  return { dtype, dataType: t.dtype, shape, data: out };
}
