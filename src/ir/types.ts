// SPDX-License-Identifier: Apache-2.0
/**
 * The graph IR: a typed, in-memory TensorFlow inference graph that readers produce and writers
 * consume (see `shared/docs/architecture.md`).
 *
 * Shape of the IR:
 *
 * - **nodes**: `name -> IrNode` in a deterministic order (topological when produced by the freeze
 *   pipeline). A node has an op, typed attrs ({@link IrAttrValue}), a device string and parsed
 *   input edges ({@link IrInput}): data inputs first (`{node, output}`), then control inputs
 *   (`{node, output: -1, control: true}`), as in a GraphDef.
 * - **functions**: the FunctionDef library, kept as decoded protobuf messages (unknown fields
 *   preserved); after freezing it holds only the (frozen) bodies of control-flow ops and other
 *   function-valued attrs reachable from the graph.
 * - **signatures**: `key -> inputs / outputs` with dtype, shape and the graph tensor names
 *   (`node:index`) to feed and fetch.
 * - **weights**: `name -> IrWeight`, lazy: dtype, shape and byte length are known, the bytes are
 *   pulled with `read()` (a positioned TensorBundle read, or a view of a decoded Const) only when
 *   a writer needs them; nothing caches them.
 *
 * Invariants (checked by {@link validateGraphIR}):
 *
 * 1. Node names are unique and every input edge names an existing node; data edges never
 *    follow control edges in `inputs`; control edges have `output === -1`.
 * 2. Every graph `Const` node whose dtype has a byte layout (numeric, bool, string) has **no**
 *    `value` attr: its value is `weights.get(node.name)` (same name, dtype and shape as the
 *    node's `dtype` attr). Const nodes of other dtypes (variant, resource, 4-bit types) keep their
 *    `value` attr inline. Const nodes inside library FunctionDefs always keep their `value` attr.
 * 3. Every weight belongs to exactly one Const node of the same name.
 * 4. Every signature tensor name resolves to an existing node.
 * 5. Every function named by a `func` attr of a graph node or of a library function's node is in
 *    `functions`.
 *
 * Weight byte layout: numeric tensors are little-endian row-major elements (exactly a
 * TensorProto's `tensor_content`: bool 1 byte, float16/bfloat16 2 bytes, complex as (re, im)
 * pairs); strings use TensorFlow's `EncodeStringList` layout: every element's length as a
 * varint, then all element bytes concatenated.
 */
import type { FunctionDef, GradientDef, NodeDef_ExperimentalDebugInfo, FullTypeDef, TensorProto } from '../proto/types.generated.js';
import type { DTypeName } from '../proto/dtypes.js';

/** One output of a node: `node:output`. */
export interface TensorRef {
  node: string;
  output: number;
}

/** An input edge of a node: a data edge `{node, output}` or a control edge (`output` -1). */
export interface IrInput {
  node: string;
  /** output index of the producing node; -1 for control edges */
  output: number;
  control: boolean;
}

/** A shape attr: dims with -1 for unknown sizes, or null for unknown rank. */
export type IrShape = number[] | null;

/** A function reference (`NameAttrList`): function name + instantiation attrs. */
export interface IrFunctionRef {
  name: string;
  attrs: Map<string, IrAttrValue>;
}

/** A list attr; only the member lists of the list's element kind are non-empty. */
export interface IrAttrList {
  s: Uint8Array[];
  i: bigint[];
  f: number[];
  b: boolean[];
  /** DataType enum values */
  type: number[];
  shape: IrShape[];
  tensor: TensorProto[];
  func: IrFunctionRef[];
}

/**
 * A typed attr value (the `AttrValue` oneof). `tensor` values stay decoded TensorProtos; graph
 * Const values live in {@link GraphIR.weights} instead (invariant 2).
 */
export type IrAttrValue =
  | { kind: 's'; value: Uint8Array }
  | { kind: 'i'; value: bigint }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: number }
  | { kind: 'shape'; value: IrShape }
  | { kind: 'tensor'; value: TensorProto }
  | { kind: 'func'; value: IrFunctionRef }
  | { kind: 'placeholder'; value: string }
  | { kind: 'list'; value: IrAttrList }
  /** an AttrValue with no member set */
  | { kind: 'none' };

/** NodeDef fields the IR does not interpret, kept for round trips. */
export interface IrNodeExtra {
  debugInfo?: NodeDef_ExperimentalDebugInfo;
  fullType?: FullTypeDef;
  /** unknown NodeDef fields (raw wire bytes) */
  unknown?: Uint8Array[];
}

/** A graph node. */
export interface IrNode {
  name: string;
  op: string;
  /** data inputs first, then control inputs */
  inputs: IrInput[];
  device: string;
  attrs: Map<string, IrAttrValue>;
  extra?: IrNodeExtra;
}

/** One input or output of a signature. */
export interface IrSignatureTensor {
  /** key in the SignatureDef (e.g. `x`, `output_0`) */
  key: string;
  /** graph tensor to feed / fetch, `node:index` */
  name: string;
  dtype: DTypeName | null;
  /** TensorFlow DataType enum value (0 when unknown) */
  dataType: number;
  shape: IrShape;
}

/** A signature: named inputs and outputs mapped to graph tensors. */
export interface IrSignature {
  key: string;
  /** e.g. `tensorflow/serving/predict` (may be empty) */
  methodName: string;
  /** sorted by key */
  inputs: IrSignatureTensor[];
  /** sorted by key */
  outputs: IrSignatureTensor[];
}

/** GraphDef versions. */
export interface IrVersions {
  producer: number;
  minConsumer: number;
  badConsumers: number[];
}

/** Where a weight's bytes come from. */
export type IrWeightSource =
  /** a tensor of a TensorBundle (SavedModel variables, checkpoint) */
  | { kind: 'bundle'; prefix: string; key: string }
  /** a Const node's TensorProto (frozen GraphDef, inlined function bodies) */
  | { kind: 'constant'; file: string; node: string }
  /** bytes held in memory (small constants created by passes) */
  | { kind: 'memory' };

/**
 * A lazy weight. `read()` fetches the bytes (layout: see the module doc) each time it is called
 * and keeps no reference to them: a writer pulls each weight once and drops it. The returned
 * bytes may be a view of a shared buffer (e.g. the decoded GraphDef): do not modify them.
 */
export interface IrWeight {
  /** name of the Const node holding it */
  readonly name: string;
  readonly dtype: DTypeName;
  /** TensorFlow DataType enum value */
  readonly dataType: number;
  readonly shape: number[];
  /** exact length of what `read()` returns */
  readonly byteLength: number;
  readonly source: IrWeightSource;
  read(): Promise<Uint8Array>;
  /**
   * Optional (TensorBundle weights of fixed-width dtypes): starts a new sequential pass over the
   * bytes `read()` returns, in chunks the caller sizes, so that a large weight is never wholly
   * resident. Integrity checks (the bundle's CRC32C) run when a pass reads its last byte.
   */
  openStream?(): Promise<IrWeightStream>;
}

/** A sequential pass over a weight's bytes ({@link IrWeight.openStream}). */
export interface IrWeightStream {
  /** the weight's byte length */
  readonly byteLength: number;
  /** Reads the next `dst.byteLength` bytes into `dst`; the read that reaches the end verifies them. */
  read(dst: Uint8Array): Promise<void>;
}

/**
 * A TensorFlow inference graph (see the module doc for its invariants). Call {@link close} when
 * done: lazy weights may hold open files.
 */
export interface GraphIR {
  nodes: Map<string, IrNode>;
  /** library functions by name (decoded FunctionDefs) */
  functions: Map<string, FunctionDef>;
  /** gradient registrations of the library (kept for round trips; empty after freezing) */
  gradients: GradientDef[];
  signatures: Map<string, IrSignature>;
  versions: IrVersions;
  weights: Map<string, IrWeight>;
  /** Releases the files lazy weights read from; weights cannot be read afterwards. */
  close(): Promise<void>;
}
