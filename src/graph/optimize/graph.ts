// SPDX-License-Identifier: Apache-2.0
/**
 * The graph the tfjs optimization passes rewrite: a {@link WorkGraph} (nodes, protected output
 * tensors, kept nodes) plus the lazy weights of its `Const` nodes. Helpers to read small
 * constants as numbers and to add new constants.
 */
import type { IrNode, IrWeight } from '../../ir/types.js';
import { attr } from '../../ir/attrs.js';
import { memoryWeight } from '../../ir/weights.js';
import { DataType } from '../../proto/types.generated.js';
import type { WorkGraph } from '../work-graph.js';
import { uniqueName } from '../work-graph.js';

/** A graph under optimization. */
export interface OptGraph extends WorkGraph {
  /** Const node name -> value */
  weights: Map<string, IrWeight>;
}

/** A constant's value as numbers (float32, int32, int64 as numbers, bool as 0/1). */
export interface ConstValue {
  dataType: number;
  shape: number[];
  values: Float32Array | Int32Array | Float64Array | Uint8Array;
}

/** Node names the passes must not remove or rename: output producers and kept nodes. */
export function protectedNodes(g: WorkGraph): Set<string> {
  return new Set([...g.outputs.map((t) => t.node), ...g.keep]);
}

/** True when `name` is a Const node with a readable weight. */
export function isConst(g: OptGraph, name: string): boolean {
  return g.nodes.get(name)?.op === 'Const' && g.weights.has(name);
}

/** Element count of a shape. */
export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Reads a numeric constant (float32, int32, int64, bool). Returns undefined for other dtypes
 * or when it has more than `maxElements` elements.
 */
export async function readConst(g: OptGraph, name: string, maxElements = Infinity): Promise<ConstValue | undefined> {
  const w = g.weights.get(name);
  if (!w || g.nodes.get(name)?.op !== 'Const') return undefined;
  if (numElements(w.shape) > maxElements) return undefined;
  const bytes = (await smallBytes(w)).slice();
  const buf = bytes.buffer;
  switch (w.dataType) {
    case DataType.DT_FLOAT: return { dataType: w.dataType, shape: w.shape.slice(), values: new Float32Array(buf) };
    case DataType.DT_INT32: return { dataType: w.dataType, shape: w.shape.slice(), values: new Int32Array(buf) };
    case DataType.DT_INT64: return { dataType: w.dataType, shape: w.shape.slice(), values: Float64Array.from(new BigInt64Array(buf), (v) => Number(v)) };
    case DataType.DT_BOOL: return { dataType: w.dataType, shape: w.shape.slice(), values: bytes };
    default: return undefined;
  }
}

/** Weights up to this many bytes are read once and kept (passes read small constants often). */
const SMALL_CONST_BYTES = 1 << 16;
const smallConsts = new WeakMap<IrWeight, Promise<Uint8Array>>();

/** The bytes of `w`; those of small weights are memoized (callers copy before writing). */
function smallBytes(w: IrWeight): Promise<Uint8Array> {
  const size = numElements(w.shape) * 8;
  if (size > SMALL_CONST_BYTES) return w.read();
  let p = smallConsts.get(w);
  if (!p) {
    p = w.read();
    // A prefetched read that fails is reported when (and if) a pass awaits it.
    p.catch(() => undefined);
    smallConsts.set(w, p);
  }
  return p;
}

/**
 * Starts reading the small Const weights among `names` (all at once, so that their I/O
 * overlaps); {@link readConst} then finds them read.
 */
export function prefetchConsts(g: OptGraph, names: Iterable<string>, maxElements: number): void {
  for (const name of names) {
    const w = g.weights.get(name);
    if (w && g.nodes.get(name)?.op === 'Const' && numElements(w.shape) <= maxElements && numElements(w.shape) * 8 <= SMALL_CONST_BYTES) void smallBytes(w);
  }
}

/** Encodes numbers as the little-endian bytes of `dataType` (float32, int32, int64, bool). */
export function encodeValues(dataType: number, values: ArrayLike<number>): Uint8Array {
  switch (dataType) {
    case DataType.DT_FLOAT: return new Uint8Array(Float32Array.from(values).buffer);
    case DataType.DT_INT32: return new Uint8Array(Int32Array.from(values).buffer);
    case DataType.DT_INT64: return new Uint8Array(BigInt64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v))).buffer);
    case DataType.DT_BOOL: return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default: throw new Error(`internal: encodeValues of DataType ${dataType}`);
  }
}

/**
 * Adds (or replaces) a Const node `name` holding `values`.
 * @returns the node
 */
export function setConst(g: OptGraph, name: string, dataType: number, shape: number[], values: ArrayLike<number>, device = ''): IrNode {
  const node: IrNode = { name, op: 'Const', inputs: [], device, attrs: new Map([['dtype', attr.type(dataType)]]) };
  g.nodes.set(name, node);
  g.weights.set(name, memoryWeight(name, dataType, shape, encodeValues(dataType, values)));
  return node;
}

/** Adds (or replaces) a Const node `name` whose value is `bytes` (little-endian `dataType`). */
export function setConstBytes(g: OptGraph, name: string, dataType: number, shape: number[], bytes: Uint8Array, device = ''): IrNode {
  const node: IrNode = { name, op: 'Const', inputs: [], device, attrs: new Map([['dtype', attr.type(dataType)]]) };
  g.nodes.set(name, node);
  g.weights.set(name, memoryWeight(name, dataType, shape, bytes));
  return node;
}

/** A fresh node name based on `base`. */
export function freshName(g: OptGraph, base: string): string {
  return uniqueName(g, base);
}

/** Removes nodes (and their weights). */
export function removeNodes(g: OptGraph, names: Iterable<string>): void {
  for (const n of names) {
    g.nodes.delete(n);
    g.weights.delete(n);
  }
}

/** The `T` (or `dtype`) attr of a node. */
export function nodeType(n: IrNode): number | undefined {
  const v = n.attrs.get('T') ?? n.attrs.get('dtype');
  return v?.kind === 'type' ? v.value : undefined;
}

/** A string attr as text. */
export function stringAttr(n: IrNode, name: string): string | undefined {
  const v = n.attrs.get(name);
  return v?.kind === 's' ? new TextDecoder().decode(v.value) : undefined;
}
