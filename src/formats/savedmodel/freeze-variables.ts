// SPDX-License-Identifier: Apache-2.0
/**
 * Where each variable of a SavedModel's graph keeps its value in `variables/`.
 *
 * - **TF2** (object-graph SavedModels): a signature's call node (`StatefulPartitionedCall`)
 *   passes the captured variables as its last inputs; the called concrete function's
 *   `SavedConcreteFunction.bound_inputs` lists the SavedObjectGraph node ids of those captures.
 *   A variable object's id is also its node id in the checkpoint's `TrackableObjectGraph`, whose
 *   `VARIABLE_VALUE` attribute holds the bundle key (`<path>/.ATTRIBUTES/VARIABLE_VALUE`); when
 *   that does not check out (missing key, other dtype), the key is rebuilt from the object path
 *   (child local names from the root, breadth first, `.` escaped as `..` and `/` as `.S`).
 *   Captured assets become string constants holding the asset's absolute path.
 * - **TF1**: the saver's restore ops say it: `Assign(var, RestoreV2:k)` /
 *   `AssignVariableOp(var, Identity(RestoreV2:k))` with `RestoreV2`'s `tensor_names[k]` as the key
 *   and `shape_and_slices[k]` naming a slice of a partitioned variable. Then the `variables`
 *   collection (`VariableDef.save_slice_info_def` for partitioned variables), then the node name
 *   (or a `VarHandleOp`'s `shared_name`) when the bundle has such a key.
 */
import { FormatError } from '../../errors.js';
import { messageCodec } from '../../proto/schema.js';
import type { NodeDef, SavedObjectGraph, TrackableObjectGraph } from '../../proto/types.generated.js';
import { decodeTensorProto } from '../graphdef/graph.js';
import type { TensorBundle } from '../tensorbundle/bundle.js';
import type { SliceExtent } from '../tensorbundle/slices.js';
import type { IrNode } from '../../ir/types.js';
import { dataInputs } from '../../graph/work-graph.js';
import type { SavedModel } from './read.js';
import { VARIABLE_VALUE_SUFFIX } from '../checkpoint/checkpoint.js';

/** Where a graph variable's value is: a bundle key, optionally a slice of that tensor. */
export interface VariableBinding {
  /** the bundle key */
  key: string;
  /** TF1 partitioned variable: the part's extents within the full tensor */
  extents?: SliceExtent[];
  /** how the binding was found */
  via: 'object-graph' | 'object-path' | 'restore-op' | 'variables-collection' | 'name';
}

/** Ops that create variables in a graph. */
export const VARIABLE_NODE_OPS: ReadonlySet<string> = new Set(['VarHandleOp', 'VariableV2', 'Variable']);

/** Captures of the signature functions that are not variables. */
export interface CapturedObjects {
  /** graph node -> variable binding */
  variables: Map<string, VariableBinding>;
  /** graph node -> asset file (absolute path) */
  assets: Map<string, string>;
  /** graph node -> kind of other captured objects (`resource`, `constant`...) */
  others: Map<string, string>;
}

/** TF's `escape_local_name`: `.` -> `..`, `/` -> `.S`. */
export function escapeLocalName(name: string): string {
  return name.replace(/\./g, '..').replace(/\//g, '.S');
}

/** Object paths of every SavedObjectGraph node (breadth first from the root, as TF names checkpoint keys). */
export function objectPaths(graph: SavedObjectGraph | TrackableObjectGraph): Map<number, string> {
  const paths = new Map<number, string>([[0, '']]);
  const queue = [0];
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    const base = paths.get(id)!;
    for (const c of graph.nodes[id]?.children ?? []) {
      if (paths.has(c.nodeId)) continue;
      paths.set(c.nodeId, base ? `${base}/${escapeLocalName(c.localName)}` : escapeLocalName(c.localName));
      queue.push(c.nodeId);
    }
  }
  return paths;
}

/** The bundle key of a SavedObjectGraph variable node (see the module doc), or null. */
export function checkpointKeyOfObject(sm: SavedModel, id: number, paths: () => Map<number, string>): VariableBinding | null {
  const bundle = sm.variables;
  const variable = sm.objectGraph?.nodes[id]?.variable;
  if (!bundle || !variable) return null;
  const fits = (key: string): boolean => bundle.has(key) && (variable.dtype === 0 || bundle.entry(key).dataType === variable.dtype);
  const attr = sm.checkpointObjectGraph?.nodes[id]?.attributes.find((a) => a.name === 'VARIABLE_VALUE');
  if (attr && fits(attr.checkpointKey)) return { key: attr.checkpointKey, via: 'object-graph' };
  const p = paths().get(id);
  if (p !== undefined && fits(`${p}${VARIABLE_VALUE_SUFFIX}`)) return { key: `${p}${VARIABLE_VALUE_SUFFIX}`, via: 'object-path' };
  return null;
}

/** The node a GraphDef input string reads (`node`, `node:3`), or null for a control input (`^node`). */
function inputNode(s: string): string | null {
  if (s.charCodeAt(0) === 94 /* ^ */) return null;
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return s;
  for (let k = colon + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return s;
  }
  return colon === s.length - 1 ? s : s.slice(0, colon);
}

/**
 * TF2: maps the graph nodes captured by signature calls to variables, assets and other objects.
 * Reads the NodeDefs themselves (only the call nodes' `f` attr and inputs), so that the caller
 * converts only the nodes it keeps.
 * @param nodes the MetaGraph's graph nodes
 */
export function capturedObjects(sm: SavedModel, nodes: Iterable<NodeDef>): CapturedObjects {
  const out: CapturedObjects = { variables: new Map(), assets: new Map(), others: new Map() };
  const og = sm.objectGraph;
  if (!og) return out;
  let pathCache: Map<number, string> | null = null;
  const paths = (): Map<number, string> => (pathCache ??= objectPaths(og));
  // several calls (one per signature and the restore functions) capture the same variables
  const bindings = new Map<number, VariableBinding | null>();
  for (const n of nodes) {
    if (n.op !== 'StatefulPartitionedCall' && n.op !== 'PartitionedCall') continue;
    const f = n.attr.get('f')?.func;
    if (!f) continue;
    const cf = og.concreteFunctions.get(f.name);
    if (!cf || cf.boundInputs.length === 0) continue;
    const data: string[] = [];
    for (const s of n.input) {
      const src = inputNode(s);
      if (src !== null) data.push(src);
    }
    const captured = data.slice(data.length - cf.boundInputs.length);
    cf.boundInputs.forEach((id, j) => {
      const src = captured[j];
      const obj = og.nodes[id];
      if (!src || !obj) return;
      if (obj.variable) {
        let b = bindings.get(id);
        if (b === undefined) bindings.set(id, (b = checkpointKeyOfObject(sm, id, paths)));
        if (b) out.variables.set(src, b);
      } else if (obj.asset) {
        const asset = sm.assets[obj.asset.assetFileDefIndex];
        if (asset) out.assets.set(src, asset.path);
      } else {
        const kind = obj.resource ? 'resource' : obj.constant ? 'constant' : obj.capturedTensor ? 'captured_tensor' : 'other';
        out.others.set(src, kind);
      }
    });
  }
  return out;
}

function constStrings(node: IrNode | undefined, file: string): string[] | null {
  if (node?.op !== 'Const') return null;
  const v = node.attrs.get('value');
  if (v?.kind !== 'tensor') return null;
  try {
    const t = decodeTensorProto(v.value, { file, field: node.name });
    if (!Array.isArray(t.data)) return null;
    const dec = new TextDecoder();
    return t.data.map((b) => dec.decode(b));
  } catch {
    return null;
  }
}

/**
 * Parses a `shape_and_slice` string (`"10 20 0,5:-"`: full shape, then start,length per dim with
 * `-` for a whole dimension) into the slice's extents, or null for an empty string.
 * @throws FormatError `ERR_TFEXPORT_BUNDLE_SLICE` when malformed
 */
export function parseShapeAndSlice(spec: string, where: string): SliceExtent[] | null {
  const s = spec.trim();
  if (!s) return null;
  const parts = s.split(/\s+/);
  const sliceSpec = parts.pop()!;
  const shape = parts.map(Number);
  const dims = sliceSpec.split(':');
  if (dims.length !== shape.length || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', `${where}: bad shape_and_slice ${JSON.stringify(spec)}`, { field: where });
  }
  return dims.map((d, i) => {
    if (d === '-') return { start: 0, length: shape[i]! };
    const [a, b] = d.split(',').map(Number);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a! < 0 || b! < 0 || a! + b! > shape[i]!) {
      throw new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', `${where}: bad slice ${JSON.stringify(d)} in ${JSON.stringify(spec)}`, { field: where });
    }
    return { start: a!, length: b! };
  });
}

const PASS_THROUGH = new Set(['Identity', 'Snapshot', 'RefIdentity']);

/**
 * TF1: variable node -> binding from the saver's restore ops (see the module doc).
 * @param nodes the MetaGraph's graph nodes (Const values still inline)
 * @param file named in errors
 */
export function restoredVariables(nodes: ReadonlyMap<string, IrNode>, file: string): Map<string, VariableBinding> {
  const out = new Map<string, VariableBinding>();
  const follow = (name: string): IrNode | undefined => {
    let n = nodes.get(name);
    for (let hops = 0; n && PASS_THROUGH.has(n.op) && hops < 100; hops++) n = nodes.get(dataInputs(n)[0]?.node ?? '');
    return n;
  };
  for (const n of nodes.values()) {
    if (n.op !== 'Assign' && n.op !== 'AssignVariableOp') continue;
    const [target, value] = dataInputs(n);
    if (!target || !value) continue;
    const variable = follow(target.node);
    if (!variable || !VARIABLE_NODE_OPS.has(variable.op)) continue;
    // trace the value through identities to a restore op output
    let src = value;
    for (let hops = 0; hops < 100; hops++) {
      const p = nodes.get(src.node);
      if (!p || !PASS_THROUGH.has(p.op)) break;
      const next = dataInputs(p)[0];
      if (!next) break;
      src = next;
    }
    const restore = nodes.get(src.node);
    if (!restore) continue;
    const ins = dataInputs(restore);
    let key: string | undefined;
    let spec: string | undefined;
    if (restore.op === 'RestoreV2') {
      key = constStrings(nodes.get(ins[1]?.node ?? ''), file)?.[src.output];
      spec = constStrings(nodes.get(ins[2]?.node ?? ''), file)?.[src.output];
    } else if (restore.op === 'Restore' || restore.op === 'RestoreSlice') {
      key = constStrings(nodes.get(ins[1]?.node ?? ''), file)?.[0];
      if (restore.op === 'RestoreSlice') spec = constStrings(nodes.get(ins[2]?.node ?? ''), file)?.[0];
    }
    if (key === undefined) continue;
    const extents = spec ? parseShapeAndSlice(spec, `${file}: ${restore.name}`) : null;
    out.set(variable.name, { key, ...(extents ? { extents } : {}), via: 'restore-op' });
  }
  return out;
}

/** TF1: bindings from the `variables` / `trainable_variables` collections (partitioned variables). */
export function collectionVariables(sm: SavedModel, bundle: TensorBundle | null): Map<string, VariableBinding> {
  const out = new Map<string, VariableBinding>();
  const codec = messageCodec('tensorflow.VariableDef');
  for (const c of ['variables', 'trainable_variables', 'local_variables', 'model_variables']) {
    for (const bytes of sm.metaGraph.collectionDef.get(c)?.bytesList?.value ?? []) {
      let def;
      try {
        def = codec.decode(bytes);
      } catch {
        continue;
      }
      const node = def.variableName.replace(/:\d+$/, '');
      if (out.has(node)) continue;
      const info = def.saveSliceInfoDef;
      if (info?.fullName) {
        const extents = info.varOffset.map((o, i) => ({ start: Number(o), length: Number(info.varShape[i] ?? 0n) }));
        if (!bundle || bundle.has(info.fullName)) out.set(node, { key: info.fullName, extents, via: 'variables-collection' });
      } else if (bundle?.has(node)) out.set(node, { key: node, via: 'variables-collection' });
    }
  }
  return out;
}

/** Last resort: the node's name (or a VarHandleOp's shared_name) as the bundle key. */
export function bindingByName(node: IrNode, bundle: TensorBundle | null): VariableBinding | null {
  if (!bundle) return null;
  const shared = node.attrs.get('shared_name');
  const names = [node.name];
  if (shared?.kind === 's' && shared.value.length) names.push(new TextDecoder().decode(shared.value));
  for (const n of names) if (bundle.has(n)) return { key: n, via: 'name' };
  return null;
}
