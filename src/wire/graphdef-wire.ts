// SPDX-License-Identifier: Apache-2.0
/**
 * Zero-copy GraphDef rewriting at the protobuf wire level (native/wire/graphdef_wire.h).
 *
 * - {@link scanGraphDefSync} lists every `AttrValue.tensor` of a serialized `GraphDef`
 *   (top-level nodes and library functions) with byte offsets: no tensor bytes are copied.
 * - {@link splitGraphDefSync} returns the GraphDef without its large `tensor_content` fields
 *   (`structure`, small, safe to decode with any protobuf library) plus one
 *   {@link GraphDefWeight} per removed field whose `data` is a view into the ORIGINAL buffer
 *   (`data.buffer === bytes.buffer`): weights stay where they were read.
 * - {@link joinGraphDefSync} is the inverse: it re-inserts `tensor_content` fields from the
 *   caller's views into a structure, re-encoding every enclosing length. Each weight is copied
 *   exactly once, into the output.
 *
 * Fields the walker does not interpret (everything but the path GraphDef → node/library →
 * function → node_def → attr → value → tensor and the TensorProto fields it reports) are
 * validated as wire format and preserved byte for byte. `join(split(x))` decodes to the same
 * message as `x`, and is byte-identical to `x` when `x` was serialized canonically (fields in
 * field-number order, unknown fields last — what protobuf serializers write): the join places
 * `tensor_content` (field 4) before the TensorProto's first field numbered above 4.
 *
 * Tensor ids number the `AttrValue.tensor` occurrences in wire order from 0; a structure from
 * split keeps every tensor, so ids are stable across split and join.
 *
 * Async variants run on the libuv pool. Arrays passed to them must not be mutated,
 * transferred or detached until the returned Promise settles.
 */
import { FormatError, TfexportError, invalidParameter } from '../errors.js';
import { requireWireBinding, type NativeGraphDefScan, type WireBinding } from '../kernels/wire-binding.js';

/** A byte range in the buffer that was scanned (absolute offsets). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** A length-delimited field on the path from the GraphDef root to a TensorProto. */
export interface EnclosingField {
  /** Field number in its parent message (e.g. 1 = GraphDef.node, 5 = NodeDef.attr). */
  field: number;
  /** Offset of the field's tag. */
  recordOffset: number;
  /** Offset of its payload (after the tag and the length varint). */
  payloadOffset: number;
  /** The payload's length. */
  payloadLength: number;
}

/** The `*_val` fields of a TensorProto, as far as the wire shows them. */
export interface TensorValues {
  /** Field number of the last `*_val` record (5 = float_val, 7 = int_val, 13 = half_val, …). */
  field: number;
  /** Whether that record is a packed payload (then `range` holds all its elements). */
  packed: boolean;
  /** Payload of the last record. */
  range: ByteRange;
  /** Number of `*_val` records in the TensorProto. */
  records: number;
  /** Number of elements over all those records. */
  count: number;
}

/** One `AttrValue.tensor` found by {@link scanGraphDefSync}. */
export interface GraphDefTensor {
  /** Tensor id: index in wire order over the whole GraphDef. */
  id: number;
  /** Index of the library function holding the node, or -1 for `GraphDef.node`. */
  functionIndex: number;
  /** `FunctionDef.signature.name` of that function, when inside one. */
  functionName: string | undefined;
  /** Index of the node in `GraphDef.node` or in the function's `node_def`. */
  nodeIndex: number;
  /** `NodeDef.name` ('' when absent). */
  nodeName: string;
  /** `NodeDef.op` ('' when absent). */
  op: string;
  /** The attr key holding the tensor (usually `value`). */
  attr: string;
  /** `TensorProto.dtype` (a `tensorflow.DataType` number; 0 when absent). */
  dtype: number;
  /** `tensor_shape` dims in order ([] for a scalar or an absent shape); null for unknown rank. */
  shape: number[] | null;
  /** The TensorProto payload. */
  tensor: ByteRange;
  /** The `tensor_content` payload (the last occurrence, the one decoders keep), or null. */
  content: ByteRange | null;
  /** Number of `tensor_content` occurrences (1 for anything a serializer wrote). */
  contentRecords: number;
  /** The `*_val` fields, or null when there are none. */
  values: TensorValues | null;
  /** Enclosing length-delimited fields, outermost first; the last is the tensor field itself. */
  enclosing: EnclosingField[];
}

/** Result of {@link scanGraphDefSync}. */
export interface GraphDefScan {
  tensors: GraphDefTensor[];
}

/** A tensor_content removed by {@link splitGraphDefSync}. */
export interface GraphDefWeight {
  /** Tensor id (pass it back to {@link joinGraphDefSync}). */
  tensorId: number;
  nodeName: string;
  /** Signature name of the library function holding the node, when inside one. */
  functionName: string | undefined;
  op: string;
  attr: string;
  dtype: number;
  shape: number[] | null;
  /** The tensor_content bytes: a view into the original buffer, never a copy. */
  data: Uint8Array;
}

/** Result of {@link splitGraphDefSync}. */
export interface SplitGraphDef {
  /** The GraphDef without the removed tensor_content fields (a new, small buffer). */
  structure: Uint8Array;
  /** The removed contents in ascending tensor id. */
  weights: GraphDefWeight[];
  /** Every tensor of the GraphDef (removed or not), as scanned in the original buffer. */
  tensors: GraphDefTensor[];
}

/** Options of {@link splitGraphDefSync}. */
export interface SplitOptions {
  /**
   * Remove tensor_content fields of at least this many bytes (default 0: all of them).
   * Smaller ones stay inline in the structure.
   */
  minBytes?: number;
  /** File the bytes came from, for error messages. */
  source?: string;
}

/** Options of {@link scanGraphDefSync} and {@link joinGraphDefSync}. */
export interface WireOptions {
  /** File the bytes came from, for error messages. */
  source?: string;
}

/** A tensor_content to insert with {@link joinGraphDefSync}. */
export interface JoinWeight {
  tensorId: number;
  /** The bytes (any ArrayBufferView; read in place, copied once into the output). */
  data: ArrayBufferView;
}

const WIRE_FORMAT_CODE = 'ERR_TFEXPORT_BAD_WIRE_FORMAT';
const utf8 = new TextDecoder('utf-8');

function native(): WireBinding {
  return requireWireBinding();
}

function checkBytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw invalidParameter(name, 'a Uint8Array', v);
  if (isDetached(v)) throw invalidParameter(name, 'a Uint8Array whose ArrayBuffer is not detached', v);
  return v;
}

/** True when the view's ArrayBuffer is known to be detached (`detached` is Node >= 21). */
function isDetached(v: ArrayBufferView): boolean {
  const b = v.buffer as ArrayBuffer & { detached?: boolean };
  return b.detached === true;
}

function checkOptions(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(name, 'an object', v);
  return v as Record<string, unknown>;
}

function checkSource(options: Record<string, unknown>): string | undefined {
  const s = options.source;
  if (s !== undefined && typeof s !== 'string') throw invalidParameter('options.source', 'a string', s);
  return s;
}

function checkMinBytes(options: Record<string, unknown>): number {
  const m = options.minBytes;
  if (m === undefined) return 0;
  if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 0) {
    throw invalidParameter('options.minBytes', 'a non-negative integer', m);
  }
  return m;
}

function checkWeights(v: unknown): { ids: Float64Array; views: Uint8Array[] } {
  if (!Array.isArray(v)) throw invalidParameter('weights', 'an array of { tensorId, data }', v);
  const list: { id: number; view: Uint8Array }[] = [];
  v.forEach((w: unknown, i) => {
    if (w === null || typeof w !== 'object') throw invalidParameter(`weights[${i}]`, 'an object { tensorId, data }', w);
    const { tensorId, data } = w as { tensorId?: unknown; data?: unknown };
    if (typeof tensorId !== 'number' || !Number.isSafeInteger(tensorId) || tensorId < 0) {
      throw invalidParameter(`weights[${i}].tensorId`, 'a non-negative integer', tensorId);
    }
    if (!ArrayBuffer.isView(data)) throw invalidParameter(`weights[${i}].data`, 'an ArrayBufferView', data);
    if (isDetached(data)) throw invalidParameter(`weights[${i}].data`, 'a view whose ArrayBuffer is not detached', data);
    // A Uint8Array over the same memory: no copy.
    const view = data instanceof Uint8Array && data.constructor === Uint8Array
      ? data
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    list.push({ id: tensorId, view });
  });
  list.sort((a, b) => a.id - b.id);
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.id === list[i - 1]!.id) {
      throw invalidParameter('weights', 'at most one entry per tensorId', `tensorId ${list[i]!.id} twice`);
    }
  }
  return { ids: Float64Array.from(list, (e) => e.id), views: list.map((e) => e.view) };
}

/**
 * Turns the addon's wire error ("CODE: call: <path>: what at offset n [NAME]") into a
 * FormatError naming the source file, with the field path as `context.field`.
 */
function wrapError(e: unknown, source: string | undefined): unknown {
  if (!(e instanceof TfexportError) || e instanceof FormatError) return e;
  const detail = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message;
  const rest = detail.slice(detail.indexOf(': ') + 2);
  const path = rest.startsWith('GraphDef') ? rest.slice(0, rest.indexOf(': ')) : undefined;
  if (e.code === WIRE_FORMAT_CODE) {
    const err = new FormatError(e.code, source ? `${source}: ${detail}` : detail, {
      ...(source ? { file: source } : {}),
      ...(path ? { field: path } : {}),
    });
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }
  if (source && e.context.file === undefined) {
    (e.context as { file?: string }).file = source;
  }
  return e;
}

function callSync<T>(source: string | undefined, body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw wrapError(e, source);
  }
}

/**
 * Runs an async entry point: argument errors and native errors alike arrive as a rejection
 * whose stack is the caller's (captured before any await).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
async function callAsync<T>(entry: Function, body: () => Promise<T>): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, entry);
  try {
    return await body();
  } catch (err) {
    if (err instanceof Error && site.stack) {
      err.stack = `${err.name}: ${err.message}\n${site.stack.slice(site.stack.indexOf('\n') + 1)}`;
    }
    throw err;
  }
}

function text(bytes: Uint8Array, offset: number, length: number): string {
  return utf8.decode(bytes.subarray(offset, offset + length));
}

/** Unpacks the addon's scan table into objects (names decoded from the scanned bytes). */
function decodeScan(bytes: Uint8Array, s: NativeGraphDefScan): GraphDefTensor[] {
  const col: Record<string, number> = {};
  s.columns.forEach((name, i) => {
    col[name] = i;
  });
  const flag: Record<string, number> = {};
  s.flagNames.forEach((name, i) => {
    flag[name] = 2 ** i;
  });
  const encBase = s.columns.length;
  const out: GraphDefTensor[] = [];
  for (let id = 0; id < s.tensorCount; id++) {
    const row = id * s.stride;
    const get = (name: string): number => s.table[row + col[name]!]!;
    const flags = get('flags');
    const has = (name: string): boolean => (flags & flag[name]!) !== 0;
    const dimsBegin = get('dimsBegin');
    const dims = Array.from(s.dims.subarray(dimsBegin, dimsBegin + get('dimsCount')));
    const enclosing: EnclosingField[] = [];
    for (let e = 0; e < get('enclosingCount'); e++) {
      const c = row + encBase + 4 * e;
      enclosing.push({
        field: s.table[c]!,
        recordOffset: s.table[c + 1]!,
        payloadOffset: s.table[c + 2]!,
        payloadLength: s.table[c + 3]!,
      });
    }
    const valuesRecords = get('valuesRecords');
    out.push({
      id,
      functionIndex: get('functionIndex'),
      functionName: has('hasFunctionName') ? text(bytes, get('functionNameOffset'), get('functionNameLength')) : undefined,
      nodeIndex: get('nodeIndex'),
      nodeName: has('hasNodeName') ? text(bytes, get('nodeNameOffset'), get('nodeNameLength')) : '',
      op: has('hasNodeOp') ? text(bytes, get('opOffset'), get('opLength')) : '',
      attr: has('hasAttrKey') ? text(bytes, get('attrKeyOffset'), get('attrKeyLength')) : '',
      dtype: get('dtype'),
      shape: has('unknownRank') ? null : dims,
      tensor: { offset: get('tensorOffset'), length: get('tensorLength') },
      content: has('hasContent') ? { offset: get('contentOffset'), length: get('contentLength') } : null,
      contentRecords: get('contentRecords'),
      values: valuesRecords === 0 ? null : {
        field: get('valuesField'),
        packed: has('valuesPacked'),
        range: { offset: get('valuesOffset'), length: get('valuesLength') },
        records: valuesRecords,
        count: get('valuesCount'),
      },
      enclosing,
    });
  }
  return out;
}

function assemble(bytes: Uint8Array, tensors: GraphDefTensor[], structure: Uint8Array, removed: Float64Array): SplitGraphDef {
  const weights: GraphDefWeight[] = [];
  for (let i = 0; i < removed.length; i += 3) {
    const t = tensors[removed[i]!]!;
    weights.push({
      tensorId: t.id,
      nodeName: t.nodeName,
      functionName: t.functionName,
      op: t.op,
      attr: t.attr,
      dtype: t.dtype,
      shape: t.shape,
      // Zero-copy: a view into the caller's buffer.
      data: new Uint8Array(bytes.buffer, bytes.byteOffset + removed[i + 1]!, removed[i + 2]!),
    });
  }
  return { structure, weights, tensors };
}

/**
 * Lists every `AttrValue.tensor` in a serialized GraphDef, with byte offsets into `bytes`.
 * @param bytes the serialized GraphDef (read in place)
 * @param options `source`: file name for error messages
 * @returns the tensors in wire order (their index is their tensor id)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for invalid arguments
 * @throws FormatError ERR_TFEXPORT_BAD_WIRE_FORMAT when the bytes are not a well-formed
 *   GraphDef; the message names the field path and byte offset
 * @example
 * const { tensors } = scanGraphDefSync(fs.readFileSync('frozen.pb'));
 * for (const t of tensors) console.log(t.nodeName, t.dtype, t.shape, t.content?.length);
 */
export function scanGraphDefSync(bytes: Uint8Array, options?: WireOptions): GraphDefScan {
  const b = checkBytes('bytes', bytes);
  const source = checkSource(checkOptions('options', options));
  return callSync(source, () => ({ tensors: decodeScan(b, native().scanGraphDefSync(b)) }));
}

/** Async {@link scanGraphDefSync}: `bytes` must not be mutated or detached until it settles. */
export function scanGraphDef(bytes: Uint8Array, options?: WireOptions): Promise<GraphDefScan> {
  return callAsync(scanGraphDef, async () => {
    const b = checkBytes('bytes', bytes);
    const source = checkSource(checkOptions('options', options));
    try {
      return { tensors: decodeScan(b, await native().scanGraphDef(b)) };
    } catch (e) {
      throw wrapError(e, source);
    }
  });
}

/**
 * Splits a serialized GraphDef into its structure (every `tensor_content` of at least
 * `minBytes` bytes removed, enclosing lengths re-encoded) and the removed weights, each a
 * view into `bytes` (no copy: `weight.data.buffer === bytes.buffer`).
 * @param bytes the serialized GraphDef; the weight views alias it, so keep it alive and
 *   unmodified while they are used
 * @param options `minBytes` (default 0: remove every tensor_content), `source`
 * @returns the structure, the weights in ascending tensor id and every scanned tensor
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for invalid arguments
 * @throws FormatError ERR_TFEXPORT_BAD_WIRE_FORMAT for a malformed GraphDef
 * @example
 * const { structure, weights } = splitGraphDefSync(bytes, { minBytes: 1024 });
 * const back = joinGraphDefSync(structure, weights); // equal to bytes when canonical
 */
export function splitGraphDefSync(bytes: Uint8Array, options?: SplitOptions): SplitGraphDef {
  const b = checkBytes('bytes', bytes);
  const opts = checkOptions('options', options);
  const minBytes = checkMinBytes(opts);
  const source = checkSource(opts);
  return callSync(source, () => {
    const n = native();
    const tensors = decodeScan(b, n.scanGraphDefSync(b));
    const plan = n.splitGraphDefPlanSync(b, minBytes);
    const structure = new Uint8Array(plan.structureLength);
    const removed = new Float64Array(plan.removedCount * 3);
    n.splitGraphDefSync(b, minBytes, structure, removed);
    return assemble(b, tensors, structure, removed);
  });
}

/**
 * Async {@link splitGraphDefSync} (scan, size and write run on the libuv pool). `bytes` must
 * not be mutated or detached until it settles.
 */
export function splitGraphDef(bytes: Uint8Array, options?: SplitOptions): Promise<SplitGraphDef> {
  return callAsync(splitGraphDef, async () => {
    const b = checkBytes('bytes', bytes);
    const opts = checkOptions('options', options);
    const minBytes = checkMinBytes(opts);
    const source = checkSource(opts);
    try {
      const n = native();
      const tensors = decodeScan(b, await n.scanGraphDef(b));
      const plan = await n.splitGraphDefPlan(b, minBytes);
      const structure = new Uint8Array(plan.structureLength);
      const removed = new Float64Array(plan.removedCount * 3);
      await n.splitGraphDef(b, minBytes, structure, removed);
      return assemble(b, tensors, structure, removed);
    } catch (e) {
      throw wrapError(e, source);
    }
  });
}

/**
 * Re-inserts `tensor_content` fields into a structure (the inverse of
 * {@link splitGraphDefSync}); every weight is copied once, into the new buffer.
 * @param structure a serialized GraphDef whose listed tensors have no tensor_content
 * @param weights `{ tensorId, data }` entries (any order, one per tensor id); the
 *   {@link GraphDefWeight}s from a split qualify as they are
 * @param options `source`: file name for error messages
 * @returns the joined GraphDef (a new buffer)
 * @throws ValidationError ERR_TFEXPORT_BAD_ARGUMENT for invalid arguments, a tensor id the
 *   structure does not have, or a target tensor that already has tensor_content
 * @throws FormatError ERR_TFEXPORT_BAD_WIRE_FORMAT for a malformed structure
 */
export function joinGraphDefSync(structure: Uint8Array, weights: readonly JoinWeight[], options?: WireOptions): Uint8Array {
  const s = checkBytes('structure', structure);
  const { ids, views } = checkWeights(weights);
  const source = checkSource(checkOptions('options', options));
  return callSync(source, () => {
    const n = native();
    const plan = n.joinGraphDefPlanSync(s, ids, views);
    const out = new Uint8Array(plan.outputLength);
    n.joinGraphDefSync(s, ids, views, out);
    return out;
  });
}

/**
 * Async {@link joinGraphDefSync}. `structure` and every weight's data must not be mutated or
 * detached until it settles.
 */
export function joinGraphDef(structure: Uint8Array, weights: readonly JoinWeight[], options?: WireOptions): Promise<Uint8Array> {
  return callAsync(joinGraphDef, async () => {
    const s = checkBytes('structure', structure);
    const { ids, views } = checkWeights(weights);
    const source = checkSource(checkOptions('options', options));
    try {
      const n = native();
      const plan = await n.joinGraphDefPlan(s, ids, views);
      const out = new Uint8Array(plan.outputLength);
      await n.joinGraphDef(s, ids, views, out);
      return out;
    } catch (e) {
      throw wrapError(e, source);
    }
  });
}
