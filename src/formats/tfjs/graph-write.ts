// SPDX-License-Identifier: Apache-2.0
/**
 * TF.js graph models, natively: what `tensorflowjs_converter --output_format=tfjs_graph_model`
 * does (formats.md b1.1-b1.4). A SavedModel signature is frozen (or a frozen GraphDef read),
 * optimized (src/graph/optimize), checked against the ops tfjs-converter executes, and written
 * as `model.json` (proto3 JSON of the GraphDef with Const values cleared, the rebuilt signature,
 * the weights manifest, user metadata) plus `group1-shard{i}of{n}.bin` weight shards, into an
 * atomic output directory (a failed conversion leaves nothing behind).
 *
 * Differences from tensorflowjs_converter 4.22: v2 control flow (`If`/`While`) is kept rather
 * than lowered to Switch/Merge (tfjs runs both); grappler's arithmetic optimizer is not run;
 * `Tanh`/`Selu` are not fused (tfjs has no fused kernel for them).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UnsupportedOpError, ValidationError } from '../../errors.js';
import { fromGraphDef, toGraphDef } from '../../ir/graphdef.js';
import { shapeToProto } from '../../ir/attrs.js';
import { decodeStringList, hasWeightLayout, tensorProtoWeight } from '../../ir/weights.js';
import type { GraphIR, IrShape, IrSignature, IrSignatureTensor, IrWeight } from '../../ir/types.js';
import { parseTensorName } from '../../ir/graphdef.js';
import { optimizeGraph, type OptimizeStats, type OptGraph } from '../../graph/optimize/index.js';
import { TFJS_CONVERTER_VERSION, TFJS_SUPPORTED_OPS } from '../../graph/tfjs-ops.js';
import { messageCodec } from '../../proto/index.js';
import type { FunctionDef, GraphDef, TensorProto } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeEnumName } from '../../proto/dtypes.js';
import { atomicOutputDir, checkOutputDir } from '../../util/atomic.js';
import { packageInfo } from '../../util/package-info.js';
import { tryDetectFormat } from '../detect.js';
import { decodeGraphDef, readProtoFile } from '../graphdef/read.js';
import { openSavedModel } from '../savedmodel/read.js';
import { freezeOpenSavedModel } from '../savedmodel/freeze.js';
import { protoToJson, type JsonValue } from './graph-json.js';
import { quantizeValues, resolveQuantization, type QuantizeSpec } from './layers-quantize.js';
import { encodeStrings, writeWeightGroup, DEFAULT_SHARD_SIZE_BYTES, type TfjsWeightDType, type TfjsWeightGroup, type TfjsWeightTensor } from './shards.js';

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
}

/**
 * Lists the ops tfjs-converter cannot execute, with the nodes using them (graph and library).
 * @returns op -> node names (`<function>/<node>` inside functions); empty when all are supported
 */
export function unsupportedTfjsOps(nodes: Iterable<{ name: string; op: string }>, functions: Iterable<FunctionDef> = []): Map<string, string[]> {
  const bad = new Map<string, string[]>();
  const note = (op: string, where: string) => {
    if (TFJS_SUPPORTED_OPS.has(op)) return;
    let l = bad.get(op);
    if (!l) bad.set(op, (l = []));
    l.push(where);
  };
  for (const n of nodes) note(n.op, n.name);
  for (const f of functions) for (const n of f.nodeDef) note(n.op, `${f.signature?.name ?? '?'}/${n.name}`);
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

/** Renames function Consts `<func>/<const>` and extracts their values as weights (b1.1). */
function extractFunctionConsts(graphDef: GraphDef, file: string): IrWeight[] {
  const out: IrWeight[] = [];
  const tensorCodec = messageCodec('tensorflow.TensorProto');
  for (const f of graphDef.library?.function ?? []) {
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
    case DataType.DT_HALF: {
      const h = new Uint16Array(b);
      const f = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) {
        const v = h[i], s = v & 0x8000 ? -1 : 1, e = (v >> 10) & 0x1f, m = v & 0x3ff;
        f[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
      }
      return new Uint8Array(f.buffer);
    }
    case DataType.DT_INT64: return new Uint8Array(Int32Array.from(new BigInt64Array(b), (v) => Number(BigInt.asIntN(32, v))).buffer);
    case DataType.DT_INT16: return new Uint8Array(Int32Array.from(new Int16Array(b)).buffer);
    case DataType.DT_INT8: return new Uint8Array(Int32Array.from(new Int8Array(b)).buffer);
    case DataType.DT_UINT8: return new Uint8Array(Int32Array.from(copy).buffer);
    case DataType.DT_UINT16: return new Uint8Array(Int32Array.from(new Uint16Array(b)).buffer);
    case DataType.DT_STRING: return encodeStrings(decodeStringList(bytes, n, `weight ${w.name}`));
    default: throw new Error('unreachable');
  }
}

async function* weightTensors(weights: IrWeight[], quant: Map<string, 'uint8' | 'uint16' | 'float16'>): AsyncGenerator<TfjsWeightTensor> {
  for (const w of weights) {
    const dtype = TFJS_DTYPE[w.dataType]!;
    const data = tfjsBytes(w, await w.read());
    const q = quant.get(w.name);
    if (q && dtype === 'float32') {
      const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
      const f = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
      const r = quantizeValues(f, q);
      yield { name: w.name, dtype, shape: w.shape, data: r.data, quantization: r.quantization };
    } else yield { name: w.name, dtype, shape: w.shape, data };
  }
}

/** A loaded source graph plus what model.json needs to know about it. */
interface Source {
  ir: GraphIR;
  signature: IrSignature;
  generatedBy: string;
  file: string;
  frozen: boolean;
}

async function loadSource(input: string, format: GraphModelInputFormat, options: GraphModelOptions): Promise<Source> {
  if (format === 'tf_saved_model') {
    const sm = await openSavedModel(input, { tags: options.tags ? [...options.tags] : undefined });
    try {
      const ir = freezeOpenSavedModel(sm, { signature: options.signatureName });
      ir.close = () => sm.close();
      const signature = ir.signatures.get(ir.signatureKey) ?? [...ir.signatures.values()][0];
      return { ir, signature, generatedBy: sm.tensorflowVersion, file: sm.file, frozen: false };
    } catch (e) {
      await sm.close();
      throw e;
    }
  }
  const bytes = await readProtoFile(input);
  const graphDef = decodeGraphDef(bytes, input);
  const outputs = options.outputNodeNames?.map((n) => (n.includes(':') ? n : `${n}:0`));
  const ir = fromGraphDef(graphDef, { file: input, outputs });
  return { ir, signature: [...ir.signatures.values()][0], generatedBy: '', file: input, frozen: true };
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
      keep: new Set(signature.inputs.map((t) => parseTensorName(t.name).node)),
      where: src.file,
    };
    const stats = options.optimize === false ? null : await optimizeGraph(g, { stripDebugOps: options.stripDebugOps });
    const outIr: GraphIR = { ...ir, nodes: g.nodes, weights: g.weights };
    const graphDef = messageCodec('tensorflow.GraphDef').decode(await toGraphDef(outIr, { inlineWeights: false }));
    const functionWeights = extractFunctionConsts(graphDef, src.file);
    if (!options.skipOpCheck) checkTfjsOps(graphDef.node, graphDef.library?.function ?? [], src.file);
    const weights: IrWeight[] = [];
    for (const n of g.nodes.values()) {
      const w = n.op === 'Const' ? g.weights.get(n.name) : undefined;
      if (w) weights.push(w);
    }
    weights.push(...functionWeights);
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
        const group = await writeWeightGroup(dir, weightTensors(weights, quant), { shardSizeBytes: options.weightShardSizeBytes ?? DEFAULT_SHARD_SIZE_BYTES });
        const json: GraphModelJson = {
          format: 'graph-model',
          generatedBy: src.generatedBy,
          convertedBy: `tfexport ${packageInfo().version}`,
          modelTopology: protoToJson('tensorflow.GraphDef', graphDef),
          weightsManifest: [group],
          signature: signatureJson(signature, src.frozen),
        };
        if (Object.keys(metadata).length) json.userDefinedMetadata = metadata;
        await fsp.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
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
