// SPDX-License-Identifier: Apache-2.0
/**
 * TF.js graph models, natively: what `tensorflowjs_converter --output_format=tfjs_graph_model`
 * does (formats.md b1.1-b1.4). A SavedModel signature is frozen (or a frozen GraphDef read),
 * optimized (src/graph/optimize), checked against the ops tfjs-converter executes, and written
 * as `model.json` (proto3 JSON of the GraphDef with Const values cleared, the rebuilt signature,
 * the weights manifest, user metadata) plus `group1-shard{i}of{n}.bin` weight shards, into an
 * atomic output directory (a failed conversion leaves nothing behind).
 *
 * As tensorflowjs_converter 4.22, v2 control flow (`If`/`While`/`Case`) is lowered to v1
 * `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration`/`LoopCond` unless `controlFlowV2` (such models
 * need `executeAsync` in tfjs), and static hash tables get a `modelInitializer` graph: the main
 * graph reads each table from a `DT_RESOURCE` signature input whose `resourceId` matches an
 * `initializerSignature` output (the initializer creates the table under the same node name and
 * fills it); the initializer's constants join the single weight group. `generatedBy` is the
 * SavedModel's TensorFlow version; a frozen GraphDef records none, so it is left empty there
 * (tensorflowjs_converter writes the TensorFlow version it runs with).
 *
 * Differences from tensorflowjs_converter 4.22: grappler's arithmetic optimizer is not run;
 * `Tanh`/`Selu` are not fused (tfjs has no fused kernel for them).
 */
import path from 'node:path';
import { NativeError, UnsupportedOpError, ValidationError } from '../../errors.js';
import { fromGraphDef, graphDefStructure } from '../../ir/graphdef.js';
import { shapeToProto } from '../../ir/attrs.js';
import { decodeStringList, hasWeightLayout, tensorProtoWeight } from '../../ir/weights.js';
import type { GraphIR, IrNode, IrShape, IrSignature, IrSignatureTensor, IrWeight } from '../../ir/types.js';
import { parseTensorName } from '../../ir/graphdef.js';
import { optimizeGraph, type OptimizeStats, type OptGraph } from '../../graph/optimize/index.js';
import { TFJS_CONVERTER_VERSION, TFJS_SUPPORTED_OPS } from '../../graph/tfjs-ops.js';
import { messageCodec } from '../../proto/index.js';
import type { FunctionDef, GraphDef, TensorProto } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeEnumName } from '../../proto/dtypes.js';
import { atomicOutputDir, checkOutputDir, writeNewFile } from '../../util/atomic.js';
import { packageInfo } from '../../util/package-info.js';
import { tryDetectFormat } from '../detect.js';
import { decodeGraphDef, readProtoFile } from '../graphdef/read.js';
import { openSavedModel } from '../savedmodel/read.js';
import { freezeOpenSavedModel, type FrozenTable, type TableInitializer } from '../savedmodel/freeze.js';
import { CONTROL_FLOW_V2_OPS } from '../../graph/passes/checks.js';
import { lowerControlFlowIR } from '../../graph/passes/lower-control-flow.js';
import { reshapeTableLookups } from '../../graph/passes/tables.js';
import { protoToJson, type JsonValue } from './graph-json.js';
import { quantizeValues, resolveQuantization, type QuantizeSpec } from './layers-quantize.js';
import { encodeStrings, writeWeightGroup, DEFAULT_SHARD_SIZE_BYTES, type TfjsQuantization, type TfjsWeightDType, type TfjsWeightGroup, type TfjsWeightStream, type TfjsWeightTensor, type WeightSink } from './shards.js';
import { f16ToF32Sync, f32ToF16Sync, minMaxSync, quantizeAffineRangeSync } from '../../kernels/index.js';

/** Input formats of {@link convertToGraphModel}. */
export type GraphModelInputFormat = 'tf_saved_model' | 'tf_frozen_model';

/** Options of {@link convertToGraphModel}. */
export interface GraphModelOptions {
  /** Default: `tf_saved_model` for a directory, `tf_frozen_model` for a file. */
  inputFormat?: GraphModelInputFormat;
  /** SavedModel signature (default `serving_default`). */
  signatureName?: string;
  /** MetaGraph tags (default `['serve']`). */
  tags?: readonly string[];
  /** Output nodes of a frozen GraphDef (default: the graph's sinks). */
  outputNodeNames?: readonly string[];
  /** Weight quantization (tensorflowjs_converter's --quantize_* semantics). */
  quantize?: QuantizeSpec;
  /** Maximum shard size (default 4194304). */
  weightShardSizeBytes?: number;
  /** Do not refuse ops tfjs cannot run. */
  skipOpCheck?: boolean;
  /** `userDefinedMetadata` entries (parsed JSON). */
  metadata?: Record<string, JsonValue>;
  /** Add `structuredOutputKeys` (the sorted signature output keys) to the metadata. */
  useStructuredOutputsNames?: boolean;
  /** Remove Assert / CheckNumerics / Print (default true, as tensorflowjs_converter's CLI). */
  stripDebugOps?: boolean;
  /**
   * Keep control flow v2 (`If`/`While`/`Case` with their functions) instead of lowering it to
   * v1 `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration` (default false, as tensorflowjs_converter;
   * `--control-flow-v2`).
   */
  controlFlowV2?: boolean;
  /** Run the optimization passes (default true). */
  optimize?: boolean;
  /** Replace a non-empty output directory. */
  overwrite?: boolean;
}

/** What {@link convertToGraphModel} wrote. */
export interface GraphModelResult {
  output: string;
  inputFormat: GraphModelInputFormat;
  /** number of weights in the manifest */
  weights: number;
  /** number of graph nodes written */
  nodes: number;
  shards: string[];
  stats: OptimizeStats | null;
  /** signature inputs / outputs: original key, graph tensor name, and the key used in model.json */
  signature: { inputs: SignatureTensorKey[]; outputs: SignatureTensorKey[] };
}

/** A signature tensor of {@link GraphModelResult}. */
export interface SignatureTensorKey {
  key: string;
  name: string;
  jsonKey: string;
}

/** The model.json object of a graph model. */
export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { [k: string]: JsonValue };
  weightsManifest: TfjsWeightGroup[];
  signature: { inputs?: Record<string, JsonValue>; outputs?: Record<string, JsonValue> };
  userDefinedMetadata?: Record<string, JsonValue>;
  /** proto3 JSON GraphDef creating and filling the hash tables (only when the model has some) */
  modelInitializer?: { [k: string]: JsonValue };
  /** its outputs, paired with the signature's `DT_RESOURCE` inputs by `resourceId` */
  initializerSignature?: { outputs: Record<string, JsonValue> };
}

/**
 * Hash-table ops: tfjs-converter 4.22 runs them only in the main graph and the initializer (its
 * function executors, used for `If`/`While` bodies kept as v2 control flow, get no resource
 * manager, so a lookup there fails at run time).
 */
const TFJS_MAIN_GRAPH_ONLY_OPS = new Set([
  'HashTable', 'HashTableV2', 'LookupTableFind', 'LookupTableFindV2', 'LookupTableImport', 'LookupTableImportV2',
  'LookupTableSize', 'LookupTableSizeV2', 'InitializeTable', 'InitializeTableV2',
]);

/**
 * Lists the ops tfjs-converter cannot execute, with the nodes using them (graph and library).
 * Hash-table ops inside functions are listed as `<op> (inside a function)`.
 * @returns op -> node names (`<function>/<node>` inside functions); empty when all are supported
 */
export function unsupportedTfjsOps(nodes: Iterable<{ name: string; op: string }>, functions: Iterable<FunctionDef> = []): Map<string, string[]> {
  const bad = new Map<string, string[]>();
  const note = (op: string, where: string) => {
    let l = bad.get(op);
    if (!l) bad.set(op, (l = []));
    l.push(where);
  };
  for (const n of nodes) if (!TFJS_SUPPORTED_OPS.has(n.op)) note(n.op, n.name);
  for (const f of functions) {
    for (const n of f.nodeDef) {
      const where = `${f.signature?.name ?? '?'}/${n.name}`;
      if (!TFJS_SUPPORTED_OPS.has(n.op)) note(n.op, where);
      else if (TFJS_MAIN_GRAPH_ONLY_OPS.has(n.op)) note(`${n.op} (inside a function: tfjs runs hash tables only in the main graph; convert without --control-flow-v2)`, where);
    }
  }
  return bad;
}

/**
 * Throws one UnsupportedOpError listing every unsupported op and its nodes.
 * @throws {UnsupportedOpError} `ERR_TFEXPORT_UNSUPPORTED_OP`
 */
export function checkTfjsOps(nodes: Iterable<{ name: string; op: string }>, functions: Iterable<FunctionDef> = [], where = 'graph'): void {
  const bad = unsupportedTfjsOps(nodes, functions);
  if (!bad.size) return;
  const list = [...bad.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const items = list.map(([op, ns]) => `${op}: ${ns.slice(0, 10).join(', ')}${ns.length > 10 ? `, ... (${ns.length} nodes)` : ''}`);
  throw new UnsupportedOpError(
    'ERR_TFEXPORT_UNSUPPORTED_OP',
    `${where}: ${bad.size} op(s) are not supported by TensorFlow.js (tfjs-converter ${TFJS_CONVERTER_VERSION}): ${items.join('; ')}; pass --skip-op-check to write the model anyway`,
    { field: list.map(([op]) => op).join(','), ops: Object.fromEntries(list) },
  );
}

function shapeJson(shape: IrShape): JsonValue {
  return protoToJson('tensorflow.TensorShapeProto', shapeToProto(shape));
}

/**
 * The model.json key of each signature tensor, as tensorflowjs_converter 4.x picks it
 * (`_find_signature_def_name`): the original SignatureDef key when exactly one entry of the
 * same map has the tensor's dtype and shape, else the tensor name (`x:0`). Frozen GraphDefs
 * have no SignatureDef: outputs are keyed by node name.
 */
export function signatureKeys(tensors: readonly IrSignatureTensor[], frozen: boolean): string[] {
  if (frozen) return tensors.map((t) => parseTensorName(t.name).node);
  const sameSpec = (a: IrSignatureTensor, b: IrSignatureTensor) => a.dataType === b.dataType && JSON.stringify(a.shape) === JSON.stringify(b.shape);
  return tensors.map((t) => (tensors.filter((o) => sameSpec(o, t)).length === 1 ? t.key : t.name));
}

/** The rebuilt SignatureDef of model.json (`inputs` / `outputs` only; no inputs for frozen graphs). */
export function signatureJson(sig: IrSignature, frozen: boolean): GraphModelJson['signature'] {
  const entry = (t: IrSignatureTensor): JsonValue => {
    const o: { [k: string]: JsonValue } = { name: t.name };
    if (t.dataType) o.dtype = dataTypeEnumName(t.dataType);
    o.tensorShape = shapeJson(t.shape);
    return o;
  };
  const map = (tensors: readonly IrSignatureTensor[]) => {
    const keys = signatureKeys(tensors, frozen);
    return Object.fromEntries(tensors.map((t, i) => [keys[i], entry(t)]));
  };
  const outputs = map(sig.outputs);
  if (frozen) return { outputs };
  return { inputs: map(sig.inputs), outputs };
}

function hasWeightLayoutTensor(t: TensorProto | undefined): t is TensorProto {
  return t !== undefined && hasWeightLayout(t.dtype);
}

/** Renames function Consts `<func>/<const>` and extracts their values as weights (b1.1). */
function extractFunctionConsts(graphDef: GraphDef, file: string): IrWeight[] {
  const out: IrWeight[] = [];
  const tensorCodec = messageCodec('tensorflow.TensorProto');
  const functions = graphDef.library?.function ?? [];
  for (let fi = 0; fi < functions.length; fi++) {
    const original = functions[fi]!;
    if (!original.nodeDef.some((nd) => nd.op === 'Const' && hasWeightLayoutTensor(nd.attr.get('value')?.tensor))) continue;
    // the library holds the IR's FunctionDefs (graphDefStructure): change a copy
    const f: FunctionDef = { ...original, nodeDef: original.nodeDef.map((nd) => ({ ...nd, attr: new Map(nd.attr) })), ret: new Map(original.ret) };
    functions[fi] = f;
    const fname = f.signature?.name ?? '';
    const renames = new Map<string, string>();
    for (const nd of f.nodeDef) {
      if (nd.op !== 'Const') continue;
      const t = nd.attr.get('value')?.tensor;
      if (!t || !hasWeightLayout(t.dtype)) continue;
      const newName = `${fname}/${nd.name}`;
      renames.set(nd.name, newName);
      out.push(tensorProtoWeight(newName, t, { file, node: newName }));
      nd.name = newName;
      const cleared: TensorProto = tensorCodec.create({ dtype: t.dtype, tensorShape: t.tensorShape });
      nd.attr.set('value', messageCodec('tensorflow.AttrValue').create({ tensor: cleared }));
    }
    if (!renames.size) continue;
    const rewrite = (s: string): string => {
      const ctl = s.startsWith('^');
      const body = ctl ? s.slice(1) : s;
      const k = body.indexOf(':');
      const node = k < 0 ? body : body.slice(0, k);
      const r = renames.get(node);
      return r === undefined ? s : `${ctl ? '^' : ''}${r}${k < 0 ? '' : body.slice(k)}`;
    };
    for (const nd of f.nodeDef) nd.input = nd.input.map(rewrite);
    for (const [k, v] of f.ret) f.ret.set(k, rewrite(v));
  }
  return out;
}

const TFJS_DTYPE: Partial<Record<number, TfjsWeightDType>> = {
  [DataType.DT_FLOAT]: 'float32',
  [DataType.DT_DOUBLE]: 'float32',
  [DataType.DT_HALF]: 'float32',
  [DataType.DT_INT32]: 'int32',
  [DataType.DT_INT64]: 'int32',
  [DataType.DT_INT16]: 'int32',
  [DataType.DT_INT8]: 'int32',
  [DataType.DT_UINT8]: 'int32',
  [DataType.DT_UINT16]: 'int32',
  [DataType.DT_BOOL]: 'bool',
  [DataType.DT_STRING]: 'string',
  [DataType.DT_COMPLEX64]: 'complex64',
  [DataType.DT_COMPLEX128]: 'complex64',
};

/** Converts a weight's IR bytes to the tfjs stored layout of its tfjs dtype (the Python writer's coercions). */
function tfjsBytes(w: IrWeight, bytes: Uint8Array): Uint8Array {
  const n = w.shape.reduce((a, c) => a * c, 1);
  // Stored as-is: written straight from the bytes the reader returned (no copy); a 4-byte
  // aligned view is only needed for float32 weights that get quantized (see weightTensors).
  if (w.dataType === DataType.DT_FLOAT || w.dataType === DataType.DT_INT32 || w.dataType === DataType.DT_BOOL || w.dataType === DataType.DT_COMPLEX64) return bytes;
  const copy = bytes.slice();
  const b = copy.buffer;
  switch (w.dataType) {
    case DataType.DT_DOUBLE: return new Uint8Array(Float32Array.from(new Float64Array(b)).buffer);
    case DataType.DT_COMPLEX128: return new Uint8Array(Float32Array.from(new Float64Array(b)).buffer);
    case DataType.DT_HALF: return new Uint8Array(f16ToF32Sync(new Uint16Array(b)).buffer); // numpy's astype(float32), NaN payloads kept
    case DataType.DT_INT64: return new Uint8Array(Int32Array.from(new BigInt64Array(b), (v) => Number(BigInt.asIntN(32, v))).buffer);
    case DataType.DT_INT16: return new Uint8Array(Int32Array.from(new Int16Array(b)).buffer);
    case DataType.DT_INT8: return new Uint8Array(Int32Array.from(new Int8Array(b)).buffer);
    case DataType.DT_UINT8: return new Uint8Array(Int32Array.from(copy).buffer);
    case DataType.DT_UINT16: return new Uint8Array(Int32Array.from(new Uint16Array(b)).buffer);
    case DataType.DT_STRING: return encodeStrings(decodeStringList(bytes, n, `weight ${w.name}`));
    default: throw new Error('unreachable');
  }
}

/**
 * Weights at least this large are written in chunks: TensorBundle weights are read in chunks
 * (never wholly resident) and quantized weights are converted chunk by chunk straight into
 * the writer's shard buffer (no whole-tensor output array). Smaller ones take the plain path.
 */
const CHUNKED_MIN_BYTES = 1 << 20;
/** Elements per conversion chunk (4 MiB of float32 input). */
const CHUNK_ELEMENTS = 1 << 20;

/** A sequential pass over a weight's (tfjs-layout) bytes. */
type OpenChunks = () => Promise<{ read(dst: Uint8Array): Promise<void> }>;

/** Chunked passes over bytes already in memory. */
function memoryChunks(bytes: Uint8Array): OpenChunks {
  return async () => {
    let pos = 0;
    return {
      async read(dst: Uint8Array) {
        dst.set(bytes.subarray(pos, pos + dst.byteLength));
        pos += dst.byteLength;
      },
    };
  };
}

/** Reused conversion buffers: float32 input chunks and misaligned outputs. */
class ChunkScratch {
  readonly f32 = new Float32Array(CHUNK_ELEMENTS);
  readonly f32Bytes = new Uint8Array(this.f32.buffer);
  private outBuf: ArrayBuffer | undefined;
  /** Scratch output bytes for chunks that cannot be converted in place. */
  out(): ArrayBuffer {
    return (this.outBuf ??= new ArrayBuffer(CHUNK_ELEMENTS * 2));
  }
}

/** Copies a weight's bytes unchanged: each chunk is read straight into the shard buffer. */
async function copyChunks(open: OpenChunks, byteLength: number, sink: WeightSink): Promise<void> {
  const src = await open();
  for (let left = byteLength; left > 0;) {
    const r = await sink.region(left);
    await src.read(r);
    sink.commit(r.byteLength);
    left -= r.byteLength;
  }
}

/**
 * float32 -> float16 chunk by chunk: each chunk is read into the scratch and converted into
 * the shard buffer (or, where the buffer position is odd or a shard ends mid-element, into the
 * scratch and copied).
 */
async function float16Chunks(open: OpenChunks, count: number, sink: WeightSink, scratch: ChunkScratch): Promise<void> {
  const src = await open();
  for (let done = 0; done < count;) {
    const want = Math.min(count - done, CHUNK_ELEMENTS);
    const r = await sink.region(want * 2);
    const direct = r.byteLength >= 2 && r.byteOffset % 2 === 0;
    const k = direct ? r.byteLength >> 1 : want;
    await src.read(scratch.f32Bytes.subarray(0, k * 4));
    const input = scratch.f32.subarray(0, k);
    if (direct) {
      f32ToF16Sync(input, { out: new Uint16Array(r.buffer, r.byteOffset, k) });
      sink.commit(k * 2);
    } else {
      const out = new Uint16Array(scratch.out(), 0, k);
      f32ToF16Sync(input, { out });
      await sink.write(new Uint8Array(out.buffer, 0, k * 2));
    }
    done += k;
  }
}

/**
 * tfjs affine uint8/uint16 chunk by chunk, bytes identical to {@link quantizeValues} on the
 * whole tensor: a first pass finds the tensor's min/max; the second quantizes each chunk with
 * that range ({@link quantizeAffineRangeSync}: the whole tensor's parameters), straight into
 * the shard buffer where it is aligned (always for uint8), else into the scratch and copied.
 */
async function quantizeAffineChunks(name: string, open: OpenChunks, count: number, dtype: 'uint8' | 'uint16', scratch: ChunkScratch): Promise<{ quantization: TfjsQuantization; write(sink: WeightSink): Promise<void> }> {
  let min = Infinity;
  let max = -Infinity;
  let nanCount = 0;
  const first = await open();
  for (let done = 0; done < count;) {
    const k = Math.min(count - done, CHUNK_ELEMENTS);
    await first.read(scratch.f32Bytes.subarray(0, k * 4));
    const r = minMaxSync(scratch.f32.subarray(0, k));
    min = Math.min(min, r.min);
    max = Math.max(max, r.max);
    nanCount += r.nanCount;
    done += k;
  }
  if (nanCount !== 0 || !Number.isFinite(min) || !Number.isFinite(max)) {
    // the code a whole tensor gets from quantizeAffine
    throw new NativeError('ERR_TFEXPORT_NON_FINITE', `weight ${JSON.stringify(name)}: the tensor holds NaN or Infinity, which ${dtype} affine quantization cannot represent`, { field: name });
  }
  const range = { min, max };
  // (the parameters depend on the range alone: those of an empty chunk)
  const params = quantizeAffineRangeSync(new Float32Array(0), dtype, range);
  const width = dtype === 'uint8' ? 1 : 2;
  return {
    quantization: { dtype, min: params.min, scale: params.scale },
    async write(sink: WeightSink): Promise<void> {
      const src = await open();
      for (let done = 0; done < count;) {
        const want = Math.min(count - done, CHUNK_ELEMENTS);
        const r = await sink.region(want * width);
        const direct = r.byteLength >= width && r.byteOffset % width === 0;
        const k = direct ? Math.floor(r.byteLength / width) : want;
        await src.read(scratch.f32Bytes.subarray(0, k * 4));
        const input = scratch.f32.subarray(0, k);
        const buf = direct ? r.buffer : scratch.out();
        const at = direct ? r.byteOffset : 0;
        const out = width === 1 ? new Uint8Array(buf, at, k) : new Uint16Array(buf, at, k);
        // Values outside [min, max] (only if the source changed between the two passes)
        // are clipped, so the codes stay valid for the manifest's parameters.
        quantizeAffineRangeSync(input, dtype, range, { out: out as Uint8Array & Uint16Array });
        if (direct) sink.commit(k * width);
        else await sink.write(new Uint8Array(buf, 0, k * width));
        done += k;
      }
    },
  };
}

/**
 * The tfjs tensors of a graph model's weights, in order, for {@link writeWeightGroup}: each in
 * its tfjs layout, quantized as `quant` says; large ones as {@link TfjsWeightStream}s.
 * @internal exported for tests
 */
export async function* graphWeightTensors(weights: readonly IrWeight[], quant: ReadonlyMap<string, 'uint8' | 'uint16' | 'float16'>): AsyncGenerator<TfjsWeightTensor | TfjsWeightStream> {
  let scratch: ChunkScratch | undefined;
  for (const w of weights) {
    const dtype = TFJS_DTYPE[w.dataType]!;
    const q = quant.get(w.name);
    const quantized = q !== undefined && dtype === 'float32';
    const count = w.shape.reduce((a, c) => a * c, 1);
    // Chunked: big TensorBundle weights stored as-is (read straight into the shard buffer) and
    // every big quantized weight (from its bundle in chunks, else from its bytes in memory).
    const asIs = w.dataType === DataType.DT_FLOAT || w.dataType === DataType.DT_INT32 || w.dataType === DataType.DT_BOOL || w.dataType === DataType.DT_COMPLEX64;
    const streamable = asIs && w.openStream !== undefined;
    if ((streamable && w.byteLength >= CHUNKED_MIN_BYTES) || (quantized && count * 4 >= CHUNKED_MIN_BYTES)) {
      // (a quantized weight is float32 in tfjs: streamable means DT_FLOAT, stored as-is)
      const open: OpenChunks = streamable ? () => w.openStream!() : memoryChunks(tfjsBytes(w, await w.read()));
      const sc = (scratch ??= new ChunkScratch());
      if (!quantized) {
        yield { name: w.name, dtype, shape: w.shape, byteLength: w.byteLength, write: (sink) => copyChunks(open, w.byteLength, sink) };
      } else if (q === 'float16') {
        yield { name: w.name, dtype, shape: w.shape, quantization: { dtype: 'float16' }, byteLength: count * 2, write: (sink) => float16Chunks(open, count, sink, sc) };
      } else {
        const a = await quantizeAffineChunks(w.name, open, count, q!, sc);
        yield { name: w.name, dtype, shape: w.shape, quantization: a.quantization, byteLength: count * (q === 'uint8' ? 1 : 2), write: (sink) => a.write(sink) };
      }
      continue;
    }
    const data = tfjsBytes(w, await w.read());
    if (q && dtype === 'float32') {
      const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
      const f = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
      const r = quantizeValues(f, q);
      yield { name: w.name, dtype, shape: w.shape, data: r.data, quantization: r.quantization };
    } else yield { name: w.name, dtype, shape: w.shape, data };
  }
}

/**
 * The initializer GraphDef (Const values cleared) and its weights. Constants whose names the main
 * graph (or a library function constant) also uses are renamed `<name>_init[_k]`: tfjs loads
 * both graphs' weights into one map.
 */
async function initializerGraph(init: TableInitializer, ir: GraphIR, taken: ReadonlySet<string>): Promise<{ graphDef: GraphDef; weights: IrWeight[]; outputs: TableInitializer['outputs'] }> {
  const renames = new Map<string, string>();
  const used = new Set([...taken, ...init.nodes.keys()]);
  for (const n of init.nodes.values()) {
    if (n.op !== 'Const' || !taken.has(n.name)) continue;
    let name = `${n.name}_init`;
    for (let k = 1; used.has(name); k++) name = `${n.name}_init_${k}`;
    used.add(name);
    renames.set(n.name, name);
  }
  const nodes = new Map<string, IrNode>();
  const weights = new Map<string, IrWeight>();
  for (const n of init.nodes.values()) {
    const name = renames.get(n.name) ?? n.name;
    nodes.set(name, { ...n, name, inputs: n.inputs.map((i) => ({ ...i, node: renames.get(i.node) ?? i.node })) });
    const w = init.weights.get(n.name);
    if (!w) continue;
    const stream = w.openStream?.bind(w);
    weights.set(name, name === n.name ? w : { name, dtype: w.dtype, dataType: w.dataType, shape: w.shape, byteLength: w.byteLength, source: w.source, read: () => w.read(), ...(stream ? { openStream: stream } : {}) });
  }
  const initIr: GraphIR = { nodes, functions: new Map(), gradients: [], signatures: new Map(), versions: ir.versions, weights, close: () => Promise.resolve() };
  const graphDef = graphDefStructure(initIr);
  const order: IrWeight[] = [];
  for (const n of nodes.values()) {
    const w = n.op === 'Const' ? weights.get(n.name) : undefined;
    if (w) order.push(w);
  }
  return { graphDef, weights: order, outputs: init.outputs };
}

/** A loaded source graph plus what model.json needs to know about it. */
interface Source {
  ir: GraphIR;
  signature: IrSignature;
  generatedBy: string;
  file: string;
  frozen: boolean;
  /** static hash tables read through resource placeholders (SavedModel inputs) */
  tables: FrozenTable[];
  initializer: TableInitializer | null;
}

async function loadSource(input: string, format: GraphModelInputFormat, options: GraphModelOptions): Promise<Source> {
  if (format === 'tf_saved_model') {
    const sm = await openSavedModel(input, { tags: options.tags ? [...options.tags] : undefined });
    try {
      const ir = freezeOpenSavedModel(sm, {
        signature: options.signatureName,
        controlFlow: options.controlFlowV2 ? 'keep' : 'lower',
        stripDebugOps: options.stripDebugOps ?? true,
        tables: 'initializer',
      });
      ir.close = () => sm.close();
      const signature = ir.signatures.get(ir.signatureKey) ?? [...ir.signatures.values()][0];
      return { ir, signature, generatedBy: sm.tensorflowVersion, file: sm.file, frozen: false, tables: ir.tables, initializer: ir.initializer };
    } catch (e) {
      await sm.close();
      throw e;
    }
  }
  const bytes = await readProtoFile(input);
  const graphDef = decodeGraphDef(bytes, input);
  const outputs = options.outputNodeNames?.map((n) => (n.includes(':') ? n : `${n}:0`));
  const ir = fromGraphDef(graphDef, { file: input, outputs });
  if (!options.controlFlowV2 && [...ir.nodes.values()].some((n) => CONTROL_FLOW_V2_OPS.has(n.op))) lowerControlFlowIR(ir, { where: input, keepOutputNames: true });
  return { ir, signature: [...ir.signatures.values()][0], generatedBy: '', file: input, frozen: true, tables: [], initializer: null };
}

/**
 * Detects (by content) whether `input` is a SavedModel or a frozen GraphDef.
 * @returns the format, or null for anything else
 */
export async function detectGraphInputFormat(input: string): Promise<GraphModelInputFormat | null> {
  const found = await tryDetectFormat(input);
  return found?.format === 'tf_saved_model' || found?.format === 'tf_frozen_model' ? found.format : null;
}

async function detectFormat(input: string): Promise<GraphModelInputFormat> {
  const f = await detectGraphInputFormat(input);
  if (!f) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `${input} is neither a SavedModel nor a frozen GraphDef; give inputFormat (tf_saved_model or tf_frozen_model)`, { file: input, field: 'inputFormat' });
  return f;
}

/**
 * Converts a SavedModel signature or a frozen GraphDef to a TF.js graph model directory.
 * @param input SavedModel directory or frozen GraphDef (`.pb`) file
 * @param output directory to write (created atomically)
 * @param options see {@link GraphModelOptions}
 * @returns what was written
 * @throws {UnsupportedOpError} `ERR_TFEXPORT_UNSUPPORTED_OP` listing every op tfjs cannot run
 *   (before anything is written) unless `skipOpCheck`; errors of the readers and the freeze;
 *   IoError for the output
 * @example
 * ```ts
 * await convertToGraphModel('saved_model', 'web_model', { quantize: { float16: true } });
 * ```
 */
export async function convertToGraphModel(input: string, output: string, options: GraphModelOptions = {}): Promise<GraphModelResult> {
  const inputFormat = options.inputFormat ?? (await detectFormat(input));
  if (inputFormat !== 'tf_saved_model' && inputFormat !== 'tf_frozen_model') {
    throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `input format ${String(inputFormat)} cannot be converted to a graph model`, { field: 'inputFormat' });
  }
  // Fail fast on an existing output (atomicOutputDir checks again before renaming).
  await checkOutputDir(path.resolve(output), options.overwrite ?? false);
  const src = await loadSource(input, inputFormat, options);
  try {
    const { ir, signature } = src;
    const g: OptGraph = {
      nodes: ir.nodes,
      weights: ir.weights,
      outputs: signature.outputs.map((t) => parseTensorName(t.name)),
      keep: new Set([...signature.inputs.map((t) => parseTensorName(t.name).node), ...src.tables.map((t) => t.node)]),
      where: src.file,
    };
    if (src.tables.length) reshapeTableLookups(g);
    const stats = options.optimize === false ? null : await optimizeGraph(g, { stripDebugOps: options.stripDebugOps });
    const outIr: GraphIR = { ...ir, nodes: g.nodes, weights: g.weights };
    const graphDef = graphDefStructure(outIr);
    const functionWeights = extractFunctionConsts(graphDef, src.file);
    if (!options.skipOpCheck) checkTfjsOps(graphDef.node, graphDef.library?.function ?? [], src.file);
    const init = src.initializer ? await initializerGraph(src.initializer, ir, new Set([...graphDef.node.map((n) => n.name), ...functionWeights.map((w) => w.name)])) : null;
    if (init && !options.skipOpCheck) checkTfjsOps(init.graphDef.node, [], `${src.file} (table initializer)`);
    const weights: IrWeight[] = [];
    for (const n of g.nodes.values()) {
      const w = n.op === 'Const' ? g.weights.get(n.name) : undefined;
      if (w) weights.push(w);
    }
    weights.push(...functionWeights);
    if (init) weights.push(...init.weights);
    const unsupported = weights.filter((w) => TFJS_DTYPE[w.dataType] === undefined);
    if (unsupported.length) {
      throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_DTYPE', `constants of dtypes tfjs cannot store: ${unsupported.slice(0, 10).map((w) => `${w.name} (${w.dtype})`).join(', ')}`, { field: unsupported[0].name });
    }
    const quant = resolveQuantization(options.quantize ?? {}, weights.map((w) => w.name), weights.map((w) => TFJS_DTYPE[w.dataType]!));
    const metadata: Record<string, JsonValue> = { ...(options.metadata ?? {}) };
    if (options.useStructuredOutputsNames) metadata.structuredOutputKeys = signature.outputs.map((o) => o.key).sort();
    const result = await atomicOutputDir(
      output,
      async (dir) => {
        // atomicOutputDir fsyncs the directory once everything is in it
        const group = await writeWeightGroup(dir, graphWeightTensors(weights, quant), { shardSizeBytes: options.weightShardSizeBytes ?? DEFAULT_SHARD_SIZE_BYTES, syncDir: false });
        const json: GraphModelJson = {
          format: 'graph-model',
          generatedBy: src.generatedBy,
          convertedBy: `tfexport ${packageInfo().version}`,
          modelTopology: protoToJson('tensorflow.GraphDef', graphDef),
          weightsManifest: [group],
          signature: signatureJson(signature, src.frozen),
        };
        if (init) {
          const resource = (name: string, resourceId: number): JsonValue => ({ name, dtype: 'DT_RESOURCE', tensorShape: {}, resourceId });
          json.signature.inputs ??= {};
          for (const t of src.tables) json.signature.inputs[`${t.node}:0`] = resource(`${t.node}:0`, t.resourceId);
          json.modelInitializer = protoToJson('tensorflow.GraphDef', init.graphDef);
          json.initializerSignature = { outputs: Object.fromEntries(init.outputs.map((o) => [o.tensor, resource(o.tensor, o.resourceId)])) };
        }
        if (Object.keys(metadata).length) json.userDefinedMetadata = metadata;
        // fsynced like the shards: the directory is renamed into place only once all of it is on disk
        await writeNewFile(path.join(dir, 'model.json'), JSON.stringify(json));
        return group;
      },
      { overwrite: options.overwrite },
    );
    const keyed = (ts: readonly IrSignatureTensor[]): SignatureTensorKey[] => {
      const keys = signatureKeys(ts, src.frozen);
      return ts.map((t, i) => ({ key: t.key, name: t.name, jsonKey: keys[i] }));
    };
    return {
      output: path.resolve(output),
      inputFormat,
      weights: weights.length,
      nodes: graphDef.node.length,
      shards: result.paths,
      stats,
      signature: { inputs: src.frozen ? [] : keyed(signature.inputs), outputs: keyed(signature.outputs) },
    };
  } finally {
    await src.ir.close();
  }
}
