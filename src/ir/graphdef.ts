// SPDX-License-Identifier: Apache-2.0
/**
 * GraphDef <-> graph IR: {@link fromGraphDef} (a frozen GraphDef's Const values become lazy
 * weights) and {@link toGraphDef} / {@link graphDefChunks} (serialization through our protobuf
 * codec, one node at a time, so that only one weight is held at a time besides the output).
 */
import fs from 'node:fs/promises';
import { FormatError, ValidationError } from '../errors.js';
import { decodeGraphDef } from '../formats/graphdef/read.js';
import { sinkNodes } from '../formats/graphdef/graph.js';
import { messageCodec } from '../proto/schema.js';
import type { GraphDef, NodeDef, TensorProto } from '../proto/types.generated.js';
import { DataType } from '../proto/types.generated.js';
import { dtypeName } from '../proto/dtypes.js';
import { attrsFromProto, attrsToProto, attr } from './attrs.js';
import type { GraphIR, IrInput, IrNode, IrSignature, IrSignatureTensor, IrWeight, TensorRef } from './types.js';
import { hasWeightLayout, tensorProtoWeight, weightTensorProto } from './weights.js';

/**
 * Parses a GraphDef input string: `node` (output 0), `node:3`, `^node` (control).
 * @throws FormatError `ERR_TFEXPORT_GRAPHDEF` for an empty name or a bad output index
 */
export function parseInput(s: string, where = '<graph>'): IrInput {
  if (s.startsWith('^')) {
    const node = s.slice(1);
    if (!node) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${where}: empty control input`, { field: where });
    return { node, output: -1, control: true };
  }
  const colon = s.lastIndexOf(':');
  if (colon < 0) {
    if (!s) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${where}: empty input`, { field: where });
    return { node: s, output: 0, control: false };
  }
  const idx = s.slice(colon + 1);
  if (!/^\d+$/.test(idx) || colon === 0) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${where}: bad input ${JSON.stringify(s)}`, { field: where });
  return { node: s.slice(0, colon), output: Number(idx), control: false };
}

/** {@link parseInput} for well-formed inputs; undefined where parseInput would throw. */
export function parseInputFast(s: string): IrInput | undefined {
  if (s.charCodeAt(0) === 94 /* ^ */) return s.length > 1 ? { node: s.slice(1), output: -1, control: true } : undefined;
  const colon = s.lastIndexOf(':');
  if (colon < 0) return s ? { node: s, output: 0, control: false } : undefined;
  if (colon === 0 || colon === s.length - 1) return undefined;
  for (let k = colon + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
  }
  return { node: s.slice(0, colon), output: Number(s.slice(colon + 1)), control: false };
}

/** Formats an input edge as a GraphDef input string. */
export function formatInput(i: IrInput): string {
  if (i.control) return `^${i.node}`;
  return i.output === 0 ? i.node : `${i.node}:${i.output}`;
}

/** `node:index`, the canonical tensor name used by signatures and feeds. */
export function tensorName(t: TensorRef): string {
  return `${t.node}:${t.output}`;
}

/**
 * Parses a tensor name `node:index` (a bare `node` means output 0).
 * @throws FormatError `ERR_TFEXPORT_GRAPHDEF` for a control input or malformed name
 */
export function parseTensorName(s: string, where = '<tensor>'): TensorRef {
  const i = parseInput(s, where);
  if (i.control) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${where}: ${JSON.stringify(s)} is a control input, not a tensor`, { field: where });
  return { node: i.node, output: i.output };
}

/**
 * Converts a NodeDef to an IR node (input strings parsed, attrs typed). The `value` attr of a
 * Const stays on the node; {@link fromGraphDef} moves it into the weights.
 */
export function nodeFromProto(n: NodeDef, where = '<graph>'): IrNode {
  const node: IrNode = {
    name: n.name,
    op: n.op,
    // The error context is built only for an input that fails to parse.
    inputs: n.input.map((s, i) => parseInputFast(s) ?? parseInput(s, `${where}: node ${n.name} input ${i}`)),
    device: n.device,
    attrs: attrsFromProto(n.attr),
  };
  let seenControl = false;
  for (const i of node.inputs) {
    if (i.control) seenControl = true;
    else if (seenControl) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${where}: node ${JSON.stringify(n.name)} has a data input after a control input`, { field: n.name });
  }
  if (n.experimentalDebugInfo || n.experimentalType || n.$unknown?.length) {
    node.extra = {
      ...(n.experimentalDebugInfo ? { debugInfo: n.experimentalDebugInfo } : {}),
      ...(n.experimentalType ? { fullType: n.experimentalType } : {}),
      ...(n.$unknown?.length ? { unknown: n.$unknown } : {}),
    };
  }
  return node;
}

/** Converts an IR node back to a NodeDef (without adding weight values). */
export function nodeToProto(n: IrNode): NodeDef {
  const nd = messageCodec('tensorflow.NodeDef').create({
    name: n.name,
    op: n.op,
    input: n.inputs.map(formatInput),
    device: n.device,
    attr: attrsToProto(n.attrs),
  });
  if (n.extra?.debugInfo) nd.experimentalDebugInfo = n.extra.debugInfo;
  if (n.extra?.fullType) nd.experimentalType = n.extra.fullType;
  if (n.extra?.unknown) nd.$unknown = n.extra.unknown;
  return nd;
}

/** Options of {@link fromGraphDef}. */
export interface FromGraphDefOptions {
  /** file named in errors and weight sources (default `<graphdef>`) */
  file?: string;
  /**
   * The signature to record (key `serving_default`). Default: inputs = the Placeholder nodes,
   * outputs = output 0 of every node nothing consumes (excluding Const, Placeholder, NoOp and
   * side-effect ops), each keyed by its node name.
   */
  inputs?: string[];
  outputs?: string[];
}

function specFor(nodes: Map<string, IrNode>, name: string, key: string, file: string): IrSignatureTensor {
  const ref = parseTensorName(name, `${file}: signature tensor`);
  const node = nodes.get(ref.node);
  if (!node) throw new FormatError('ERR_TFEXPORT_TENSOR_NOT_FOUND', `${file}: signature tensor ${JSON.stringify(name)}: no node ${JSON.stringify(ref.node)} in the graph`, { file, field: name });
  let dataType = 0;
  for (const a of ['dtype', 'T', 'out_type', 'DstT']) {
    const v = node.attrs.get(a);
    if (v?.kind === 'type') {
      dataType = v.value;
      break;
    }
  }
  const shapeAttr = node.op.startsWith('Placeholder') ? node.attrs.get('shape') : undefined;
  return { key, name: tensorName(ref), dtype: dtypeName(dataType), dataType, shape: shapeAttr?.kind === 'shape' ? shapeAttr.value : null };
}

/**
 * Builds an IR from a frozen GraphDef. Const values become lazy weights (views of the decoded
 * bytes: `tensor_content` is not copied); the library is kept as decoded FunctionDefs.
 * @param input serialized GraphDef bytes or an already decoded GraphDef
 * @param options signature inputs / outputs, file name for errors
 * @throws FormatError `ERR_TFEXPORT_PROTO_DECODE` / `ERR_TFEXPORT_GRAPHDEF` for a malformed
 *   GraphDef, `ERR_TFEXPORT_TENSOR` for a Const whose value does not match dtype x shape,
 *   `ERR_TFEXPORT_TENSOR_NOT_FOUND` for signature tensors not in the graph
 * @example
 * ```ts
 * const ir = fromGraphDef(await fs.readFile('frozen.pb'), { file: 'frozen.pb' });
 * for (const w of ir.weights.values()) console.log(w.name, w.dtype, w.shape);
 * ```
 */
export function fromGraphDef(input: Uint8Array | GraphDef, options: FromGraphDefOptions = {}): GraphIR {
  const file = options.file ?? '<graphdef>';
  const graphDef = input instanceof Uint8Array ? decodeGraphDef(input, file) : input;
  const nodes = new Map<string, IrNode>();
  const weights = new Map<string, IrWeight>();
  for (const nd of graphDef.node) {
    if (nodes.has(nd.name)) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: duplicate node name ${JSON.stringify(nd.name)}`, { file, field: nd.name });
    const node = nodeFromProto(nd, file);
    if (node.op === 'Const') {
      const value = node.attrs.get('value');
      if (value?.kind === 'tensor' && hasWeightLayout(value.value.dtype)) {
        weights.set(node.name, tensorProtoWeight(node.name, value.value, { file, node: node.name }));
        node.attrs.delete('value');
        if (!node.attrs.has('dtype')) node.attrs.set('dtype', attr.type(value.value.dtype));
      }
    }
    nodes.set(node.name, node);
  }
  for (const n of nodes.values()) {
    for (const i of n.inputs) {
      if (!nodes.has(i.node)) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: node ${JSON.stringify(n.name)} reads ${JSON.stringify(formatInput(i))}, which is not in the graph`, { file, field: n.name });
    }
  }
  const inputs =
    options.inputs ??
    [...nodes.values()].filter((n) => n.op === 'Placeholder' || n.op === 'PlaceholderV2').map((n) => `${n.name}:0`);
  const outputs = options.outputs ?? sinkNodes(graphDef).map((n) => `${n}:0`);
  const keyOf = (name: string): string => {
    const t = parseTensorName(name, file);
    return t.output === 0 ? t.node : tensorName(t);
  };
  const byKey = (a: IrSignatureTensor, b: IrSignatureTensor): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const signature: IrSignature = {
    key: 'serving_default',
    methodName: '',
    inputs: inputs.map((n) => specFor(nodes, n, keyOf(n), file)).sort(byKey),
    outputs: outputs.map((n) => specFor(nodes, n, keyOf(n), file)).sort(byKey),
  };
  const functions = new Map((graphDef.library?.function ?? []).map((f) => [f.signature?.name ?? '', f]));
  return {
    nodes,
    functions,
    gradients: graphDef.library?.gradient ?? [],
    signatures: new Map([[signature.key, signature]]),
    versions: {
      producer: graphDef.versions?.producer ?? graphDef.version,
      minConsumer: graphDef.versions?.minConsumer ?? 0,
      badConsumers: graphDef.versions?.badConsumers ?? [],
    },
    weights,
    close: () => Promise.resolve(),
  };
}

/** Options of {@link toGraphDef}. */
export interface ToGraphDefOptions {
  /**
   * true: every weight is read and written into its Const node's `value` (tensor_content for
   * numeric dtypes, string_val for strings). false: Const nodes get a `value` with dtype and
   * shape only (a structure-only graph TensorFlow will not run).
   */
  inlineWeights: boolean;
}

function lengthPrefixed(fieldNumber: number, payload: Uint8Array): Uint8Array {
  const head: number[] = [(fieldNumber << 3) | 2];
  let n = payload.length;
  while (n >= 128) {
    head.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  head.push(n);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** Sets a Const NodeDef's `value` attr to `tensor` (and `dtype` when missing). */
function setConstValue(nd: NodeDef, w: IrWeight, tensor: TensorProto): void {
  nd.attr.set('value', messageCodec('tensorflow.AttrValue').create({ tensor }));
  if (!nd.attr.has('dtype')) nd.attr.set('dtype', messageCodec('tensorflow.AttrValue').create({ type: w.dataType }));
}

/** A TensorProto with a weight's dtype and shape and no values. */
function structureTensor(w: IrWeight): TensorProto {
  const dim = messageCodec('tensorflow.TensorShapeProto.Dim');
  return messageCodec('tensorflow.TensorProto').create({ dtype: w.dataType, tensorShape: messageCodec('tensorflow.TensorShapeProto').create({ dim: w.shape.map((d) => dim.create({ size: BigInt(d) })) }) });
}

/** The NodeDef of a node with its weight (if any) as the `value` attr. */
async function nodeDefWithValue(ir: GraphIR, node: IrNode, inlineWeights: boolean): Promise<NodeDef> {
  const nd = nodeToProto(node);
  const w = node.op === 'Const' ? ir.weights.get(node.name) : undefined;
  if (w) setConstValue(nd, w, inlineWeights ? weightTensorProto(w, await w.read()) : structureTensor(w));
  return nd;
}

/**
 * The GraphDef message {@link toGraphDef} with `inlineWeights: false` would encode, built
 * directly (no encode and decode): Const nodes hold dtype and shape only. The library holds
 * the IR's own FunctionDef objects (not copies: copy one before changing it).
 */
export function graphDefStructure(ir: GraphIR): GraphDef {
  const node: NodeDef[] = [];
  for (const n of ir.nodes.values()) {
    const nd = nodeToProto(n);
    const w = n.op === 'Const' ? ir.weights.get(n.name) : undefined;
    if (w) setConstValue(nd, w, structureTensor(w));
    node.push(nd);
  }
  const versions = messageCodec('tensorflow.VersionDef').create({
    producer: ir.versions.producer,
    minConsumer: ir.versions.minConsumer,
    badConsumers: ir.versions.badConsumers.slice(),
  });
  const graphDef = messageCodec('tensorflow.GraphDef').create({ node, versions });
  if (ir.functions.size || ir.gradients.length) {
    graphDef.library = messageCodec('tensorflow.FunctionDefLibrary').create({ function: [...ir.functions.values()], gradient: ir.gradients.slice() });
  }
  return graphDef;
}

/**
 * Serializes the IR as GraphDef wire-format chunks, in order: one chunk per node (field 1), then
 * the library (field 2) and versions (field 4). Each weight is read, encoded and dropped before
 * the next node, so memory holds one weight at a time (plus what the consumer keeps).
 * @throws FormatError when a weight's bytes do not match its dtype and shape
 */
export async function* graphDefChunks(ir: GraphIR, options: ToGraphDefOptions = { inlineWeights: true }): AsyncGenerator<Uint8Array> {
  const nodeCodec = messageCodec('tensorflow.NodeDef');
  for (const node of ir.nodes.values()) {
    yield lengthPrefixed(1, nodeCodec.encode(await nodeDefWithValue(ir, node, options.inlineWeights)));
  }
  if (ir.functions.size || ir.gradients.length) {
    const lib = messageCodec('tensorflow.FunctionDefLibrary').create({ function: [...ir.functions.values()], gradient: ir.gradients });
    yield lengthPrefixed(2, messageCodec('tensorflow.FunctionDefLibrary').encode(lib));
  }
  const versions = messageCodec('tensorflow.VersionDef').create({
    producer: ir.versions.producer,
    minConsumer: ir.versions.minConsumer,
    badConsumers: ir.versions.badConsumers.slice(),
  });
  yield lengthPrefixed(4, messageCodec('tensorflow.VersionDef').encode(versions));
}

/**
 * Serializes the IR to GraphDef bytes (Const nodes carry the weights when `inlineWeights`).
 * Protobuf limits a GraphDef to 2 GiB.
 * @throws ValidationError `ERR_TFEXPORT_PROTO_TOO_LARGE` above 2 GiB
 * @example
 * ```ts
 * const ir = await freezeSavedModel('model_dir');
 * await fs.writeFile('frozen.pb', await toGraphDef(ir, { inlineWeights: true }));
 * await ir.close();
 * ```
 */
export async function toGraphDef(ir: GraphIR, options: ToGraphDefOptions = { inlineWeights: true }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of graphDefChunks(ir, options)) {
    chunks.push(c);
    total += c.length;
    if (total > 2 ** 31 - 1) throw new ValidationError('ERR_TFEXPORT_PROTO_TOO_LARGE', `GraphDef exceeds the 2 GiB protobuf limit (${total}+ bytes); keep weights outside the graph`);
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/**
 * Writes the IR as a GraphDef file, streaming node by node (the file is written in place; use the
 * atomic output helpers for user-facing outputs).
 */
export async function writeGraphDef(ir: GraphIR, file: string, options: ToGraphDefOptions = { inlineWeights: true }): Promise<number> {
  const handle = await fs.open(file, 'w');
  let total = 0;
  try {
    for await (const c of graphDefChunks(ir, options)) {
      await handle.write(c);
      total += c.length;
    }
  } finally {
    await handle.close();
  }
  return total;
}

/** Decodes GraphDef bytes produced by {@link toGraphDef} (a convenience for tests and tools). */
export function decodeGraphDefBytes(bytes: Uint8Array): GraphDef {
  return messageCodec('tensorflow.GraphDef').decode(bytes);
}

/** Counts ops of the IR's nodes (sorted like `opHistogram`). */
export function irOpHistogram(ir: Pick<GraphIR, 'nodes'>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of ir.nodes.values()) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [op, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) out[op] = n;
  return out;
}

/** Convenience: the attr value of `dtype` as a DataType, e.g. for Const nodes. */
export function constDataType(node: IrNode): number {
  const v = node.attrs.get('dtype');
  return v?.kind === 'type' ? v.value : DataType.DT_INVALID;
}
