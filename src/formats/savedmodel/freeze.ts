// SPDX-License-Identifier: Apache-2.0
/**
 * Freezing a SavedModel signature into an inference graph (the graph IR).
 *
 * Steps (each a small pass under `src/graph/passes/`):
 * 1. Take the MetaGraph's `graph_def` and resolve the signature's input and output tensor names.
 * 2. Find where every variable keeps its value (`freeze-variables.ts`: TF2 captures through the
 *    SavedObjectGraph and the checkpoint's object graph; TF1 through the saver's restore ops).
 * 3. Prune to the signature (drops the saver, initializers and other signatures).
 * 4. Turn each remaining variable node (`VarHandleOp`, `VariableV2`) into a `Const` whose value is
 *    a lazy weight over its TensorBundle tensor; captured assets become string constants.
 * 5. Run the shared freeze pipeline (`src/graph/freeze.ts`): inline `StatefulPartitionedCall` /
 *    `PartitionedCall` / direct function calls recursively, strip debug and checkpoint ops,
 *    rewrite variable reads (`ReadVariableOp` -> `Identity`, `ResourceGather` -> `GatherV2`...),
 *    freeze control-flow functions (`If` / `While` / `Case` bodies, specialized where they read
 *    captured variables), drop NoOp and state-ordering control edges, prune again, refuse
 *    leftover variables and lookup tables.
 * 6. Lift the remaining Const values into lazy weights, drop `_class` colocation attrs, order the
 *    nodes topologically and keep the reachable frozen functions.
 *
 * Lookup tables: by default refused (`ERR_TFEXPORT_UNSUPPORTED_OP`). With `tables: 'initializer'`
 * (the tfjs graph-model writer) static hash tables are kept the way tensorflowjs_converter 4.22
 * keeps them: each `HashTableV2` the signature reads becomes a `DT_RESOURCE` placeholder (a
 * captured input paired by a resource id), and a separate initializer graph creates the table
 * under the same node name and fills it (`LookupTableImportV2` / `InitializeTableV2` with constant
 * keys and values, found through `__saved_model_init_op` / the TF1 init ops, i.e. the
 * TrackableResource's `_initialize` function) and returns its handle. Other table kinds
 * (mutable tables, tables filled from a text file asset) are refused naming the node and op.
 *
 * `stripDebugOps: false` keeps `Assert` / `CheckNumerics` / `Print` (default: removed).
 *
 * `controlFlow: 'lower'` (what tensorflowjs_converter does by default) rewrites the remaining
 * control flow v2 (`If`/`While`/`Case`, also nested in their bodies) into control flow v1
 * `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration`/`LoopCond` (`graph/passes/lower-control-flow.ts`)
 * before the constants are lifted; a graph without them is returned as is.
 */
import { FormatError, UnsupportedOpError, ValidationError } from '../../errors.js';
import type { FunctionDef, NodeDef } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeEnumName, dtypeName } from '../../proto/dtypes.js';
import { attr, shapeFromProto } from '../../ir/attrs.js';
import { nodeFromProto, parseInputFast, parseTensorName, tensorName } from '../../ir/graphdef.js';
import type { GraphIR, IrNode, IrSignature, IrSignatureTensor, IrWeight, TensorRef } from '../../ir/types.js';
import { bundleWeight, encodeStringList, memoryWeight } from '../../ir/weights.js';
import { functionsReferencedBy, functionsReferencedByAttrs } from '../../ir/validate.js';
import { dropColocationAttrs, freezeGraphBody, FunctionFreezer, type FreezeStats } from '../../graph/freeze.js';
import { OpRegistry } from '../../graph/op-registry.js';
import { liftConstants } from '../../graph/passes/constants.js';
import { isLookupTableOp, refuseControlFlowV2, STATIC_TABLE_CREATE_OPS, STATIC_TABLE_INIT_OPS } from '../../graph/passes/checks.js';
import { inlineFunctionCalls } from '../../graph/passes/inline.js';
import { lowerControlFlow } from '../../graph/passes/lower-control-flow.js';
import { pruneGraph } from '../../graph/passes/prune.js';
import type { FrozenVariable } from '../../graph/passes/variables.js';
import { controlEdge, dataInputs, rewriteTensors, sortTopologically, tensorKey, uniqueName, type WorkGraph } from '../../graph/work-graph.js';
import { DEFAULT_TAGS, INIT_OP_SIGNATURE_KEY, openSavedModel, type SavedModel } from './read.js';
import { bindingByName, capturedObjects, collectionVariables, restoredVariables, VARIABLE_NODE_OPS, type VariableBinding } from './freeze-variables.js';

/** Options of {@link freezeSavedModel}. */
export interface FreezeOptions {
  /** signature key (default `serving_default`) */
  signature?: string;
  /** MetaGraph tags (default `['serve']`) */
  tags?: readonly string[];
  /**
   * `keep` (default): control flow v2 (`If`/`While`/`Case`) stays, with frozen branch and body
   * functions in the library. `lower`: they are rewritten into control flow v1
   * (`Switch`/`Merge`/`Enter`/`Exit`/`NextIteration`/`LoopCond`), no functions remain.
   */
  controlFlow?: 'keep' | 'lower';
  /** remove `Assert` / `CheckNumerics` / `Print` and other debug ops (default true) */
  stripDebugOps?: boolean;
  /**
   * `refuse` (default): lookup tables are refused. `initializer`: static hash tables become
   * resource placeholders plus a {@link TableInitializer} graph (see the module doc).
   */
  tables?: 'refuse' | 'initializer';
}

/** A static hash table of a frozen graph: a `DT_RESOURCE` placeholder fed by the initializer. */
export interface FrozenTable {
  /** the placeholder node (the original `HashTableV2` node's name) */
  node: string;
  /** pairs the placeholder with the initializer output of the same id */
  resourceId: number;
}

/** The graph creating and filling the static hash tables (tfjs `modelInitializer`). */
export interface TableInitializer {
  /** `HashTableV2` nodes (same names as the tables), constant keys / values, the import ops and one `Identity` output per table */
  nodes: Map<string, IrNode>;
  /** the constants' values */
  weights: Map<string, IrWeight>;
  /** one per table: the output tensor (`Identity:0`) and the table's resource id */
  outputs: { tensor: string; table: string; resourceId: number }[];
}

/** A frozen variable: the Const node that replaced it and where its value lives. */
export interface FrozenVariableInfo {
  node: string;
  key: string;
  via: VariableBinding['via'];
  sliced: boolean;
}

/** The IR of a frozen signature, with what the freeze did. */
export interface FrozenGraphIR extends GraphIR {
  /** the signature that was frozen */
  signatureKey: string;
  stats: FreezeStats;
  /** the variables turned into constants, in graph order */
  variables: FrozenVariableInfo[];
  /** static hash tables (`tables: 'initializer'`), in graph order */
  tables: FrozenTable[];
  /** their initializer graph, or null when there are none */
  initializer: TableInitializer | null;
}

const PLACEHOLDER_OPS = new Set(['Placeholder', 'PlaceholderV2', 'PlaceholderWithDefault']);

/**
 * Makes every signature input a placeholder: TF1 signatures may feed an intermediate tensor
 * (e.g. `x:0` computed by `ParseExample` from a serialized tf.Example); the frozen inference
 * graph gets a `Placeholder` there (the node itself when it is the tensor's only producer
 * output in use, else a new `<node>_<k>_input` node) so that the upstream subgraph is pruned.
 * Updates `inputs[].ref` and marks the inputs as kept.
 */
function cutInputs(g: WorkGraph, inputs: { key: string; ref: TensorRef; dataType: number; shape: IrSignatureTensor['shape'] }[]): void {
  const rewrites = new Map<string, TensorRef>();
  for (const i of inputs) {
    const node = g.nodes.get(i.ref.node)!;
    if (!PLACEHOLDER_OPS.has(node.op)) {
      const t = node.attrs.get('T') ?? node.attrs.get('dtype');
      const dataType = i.dataType || (t?.kind === 'type' ? t.value : 0);
      const attrs = new Map([['dtype', attr.type(dataType)], ['shape', attr.shape(i.shape)]]);
      const otherOutputsUsed =
        [...g.nodes.values()].some((n) => n.inputs.some((e) => !e.control && e.node === node.name && e.output !== i.ref.output)) ||
        g.outputs.some((o) => o.node === node.name && o.output !== i.ref.output);
      if (i.ref.output === 0 && !otherOutputsUsed) {
        node.op = 'Placeholder';
        node.inputs = [];
        node.attrs = attrs;
      } else {
        const name = uniqueName(g, `${node.name}_${i.ref.output}_input`);
        g.nodes.set(name, { name, op: 'Placeholder', inputs: [], device: node.device, attrs });
        rewrites.set(tensorKey(i.ref), { node: name, output: 0 });
        i.ref = { node: name, output: 0 };
      }
    }
    g.keep.add(i.ref.node);
  }
  rewriteTensors(g, rewrites);
}

function signatureTensor(key: string, name: string, dataType: number, shape: IrSignatureTensor['shape']): IrSignatureTensor {
  return { key, name, dtype: dtypeName(dataType), dataType, shape };
}

/**
 * Freezes a signature of an already open SavedModel (the caller keeps ownership: the IR's
 * `close()` does nothing, and weights read from `sm.variables` until the caller closes `sm`).
 * @see freezeSavedModel
 */
export function freezeOpenSavedModel(sm: SavedModel, options: FreezeOptions = {}): FrozenGraphIR {
  const file = sm.file;
  const meta = sm.metaGraph;
  const graphDef = meta.graphDef;
  if (!graphDef) throw new FormatError('ERR_TFEXPORT_SAVED_MODEL', `${file}: the MetaGraph has no graph_def`, { file, field: 'graph_def' });
  const sigKey = options.signature ?? 'serving_default';
  const sigDef = sigKey === INIT_OP_SIGNATURE_KEY ? undefined : meta.signatureDef.get(sigKey);
  if (!sigDef) {
    throw new ValidationError('ERR_TFEXPORT_SIGNATURE_NOT_FOUND', `${file}: no signature ${JSON.stringify(sigKey)}; signatures: ${sm.signatures.map((s) => s.key).join(', ') || '(none)'}`, {
      file,
      field: sigKey,
    });
  }
  const where = `${sm.dir} (signature ${sigKey})`;

  const library = new Map<string, FunctionDef>();
  for (const f of graphDef.library?.function ?? []) library.set(f.signature?.name ?? '', f);
  const registry = new OpRegistry(meta.metaInfoDef?.strippedOpList?.op ?? [], library);

  const byName = new Map<string, NodeDef>();
  for (const nd of graphDef.node) {
    if (byName.has(nd.name)) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: duplicate node name ${JSON.stringify(nd.name)}`, { file, field: nd.name });
    byName.set(nd.name, nd);
  }

  // 1. signature tensors
  const sorted = (m: Map<string, unknown>) => [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const resolveSig = (key: string, kind: 'input' | 'output'): { ref: TensorRef; dataType: number; shape: IrSignatureTensor['shape'] } => {
    const info = (kind === 'input' ? sigDef.inputs : sigDef.outputs).get(key)!;
    if (info.name === undefined) {
      const enc = info.cooSparse ? 'a COO sparse tensor' : info.compositeTensor ? 'a composite tensor' : 'no tensor';
      throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_SIGNATURE', `${file}: signature ${sigKey} ${kind} ${JSON.stringify(key)} is ${enc}; only dense named tensors can be frozen yet`, {
        file,
        field: `${sigKey}.${kind}s.${key}`,
      });
    }
    const ref = parseTensorName(info.name, `${file}: signature ${sigKey} ${kind} ${key}`);
    if (!byName.has(ref.node)) {
      throw new FormatError('ERR_TFEXPORT_TENSOR_NOT_FOUND', `${file}: signature ${sigKey} ${kind} ${JSON.stringify(key)} names ${info.name}, but the graph has no node ${JSON.stringify(ref.node)}`, {
        file,
        field: `${sigKey}.${kind}s.${key}`,
      });
    }
    return { ref, dataType: info.dtype, shape: shapeFromProto(info.tensorShape) };
  };
  const inputs = sorted(sigDef.inputs).map((k) => ({ key: k, ...resolveSig(k, 'input') }));
  const outputs = sorted(sigDef.outputs).map((k) => ({ key: k, ...resolveSig(k, 'output') }));

  // TF2 (variables found through the object graph, inputs are placeholders): only the nodes
  // the signature reaches are converted, in graph order; pruneGraph below keeps the same ones.
  const wanted = sm.objectGraph && inputs.every((i) => PLACEHOLDER_OPS.has(byName.get(i.ref.node)!.op)) ? reachableNodeDefs(byName, [...outputs, ...inputs].map((t) => t.ref.node)) : null;
  const nodes = new Map<string, IrNode>();
  for (const nd of graphDef.node) if (wanted === null || wanted.has(nd.name)) nodes.set(nd.name, nodeFromProto(nd, file));
  const g: WorkGraph = { nodes, outputs: outputs.map((o) => o.ref), keep: new Set(), where };
  cutInputs(g, inputs);

  // 2. variables (before pruning: TF1 restore ops and TF2 capture lists live outside the signature)
  const captured = capturedObjects(sm, graphDef.node);
  const restored = sm.objectGraph ? new Map<string, VariableBinding>() : restoredVariables(nodes, file);
  const collected = sm.objectGraph ? new Map<string, VariableBinding>() : collectionVariables(sm, sm.variables);

  // 3. prune to the signature
  const stats: FreezeStats = { inlinedCalls: 0, strippedNodes: 0, prunedNodes: graphDef.node.length - nodes.size + pruneGraph(g), frozenFunctions: 0 };

  // 4. variables -> constants
  const weights = new Map<string, IrWeight>();
  const seeds = new Map<string, FrozenVariable>();
  const frozenVars: FrozenVariableInfo[] = [];
  for (const n of g.nodes.values()) {
    const asset = captured.assets.get(n.name);
    if (asset !== undefined) {
      n.op = 'Const';
      n.inputs = n.inputs.filter((i) => i.control);
      n.attrs = new Map([['dtype', attr.type(DataType.DT_STRING)]]);
      weights.set(n.name, memoryWeight(n.name, DataType.DT_STRING, [], encodeStringList([new TextEncoder().encode(asset)])));
      continue;
    }
    if (!VARIABLE_NODE_OPS.has(n.op)) continue;
    const binding = captured.variables.get(n.name) ?? restored.get(n.name) ?? collected.get(n.name) ?? bindingByName(n, sm.variables);
    if (!binding || !sm.variables) {
      const other = captured.others.get(n.name);
      throw new FormatError(
        'ERR_TFEXPORT_VARIABLE_NOT_FOUND',
        `${where}: variable node ${JSON.stringify(n.name)} (${n.op}) has no value in ${sm.variables ? sm.variables.indexFile : 'the SavedModel (no variables/ directory)'}${other ? ` (it is captured as a ${other})` : ''}`,
        { file, field: n.name },
      );
    }
    const w = bundleWeight(n.name, sm.variables, binding.key, binding.extents);
    const declared = n.attrs.get('dtype');
    const declaredType = declared?.kind === 'type' ? (declared.value > 100 ? declared.value - 100 : declared.value) : w.dataType;
    if (declaredType !== w.dataType) {
      throw new FormatError(
        'ERR_TFEXPORT_VARIABLE_MISMATCH',
        `${where}: variable node ${JSON.stringify(n.name)} is ${dataTypeEnumName(declaredType)} but its checkpoint value ${JSON.stringify(binding.key)} is ${dataTypeEnumName(w.dataType)}`,
        { file, field: n.name },
      );
    }
    seeds.set(tensorKey({ node: n.name, output: 0 }), {
      label: `${n.name} (checkpoint key ${binding.key})`,
      dataType: w.dataType,
      shape: w.shape,
      kind: n.op === 'VarHandleOp' ? 'resource' : 'ref',
    });
    n.op = 'Const';
    n.inputs = n.inputs.filter((i) => i.control);
    n.attrs = new Map([['dtype', attr.type(w.dataType)]]);
    weights.set(n.name, w);
    frozenVars.push({ node: n.name, key: binding.key, via: binding.via, sliced: binding.extents !== undefined || sm.variables.entry(binding.key).sliced });
  }

  // 5. the shared pipeline
  const withTables = options.tables === 'initializer';
  const freezer = new FunctionFreezer(library, registry, { stripDebugOps: options.stripDebugOps, allowStaticTables: withTables });
  freezeGraphBody(g, freezer, seeds);
  stats.inlinedCalls = freezer.stats.inlinedCalls;
  stats.strippedNodes = freezer.stats.strippedNodes;
  stats.prunedNodes += freezer.stats.prunedNodes;
  stats.frozenFunctions = freezer.stats.frozenFunctions;

  // tables: placeholders here, created and filled by the initializer graph
  const tables: FrozenTable[] = [];
  let initializer: TableInitializer | null = null;
  const tableNodes = withTables ? [...g.nodes.values()].filter((n) => STATIC_TABLE_CREATE_OPS.has(n.op)) : [];
  if (tableNodes.length) {
    initializer = tableInitializer(sm, library, registry, tableNodes, options, where);
    for (const [k, n] of tableNodes.entries()) {
      n.op = 'Placeholder';
      n.inputs = [];
      n.attrs = new Map([['dtype', attr.type(DataType.DT_RESOURCE)], ['shape', attr.shape([])]]);
      g.keep.add(n.name);
      tables.push({ node: n.name, resourceId: k + 1 });
    }
  }

  // 6. finish
  if (options.controlFlow === 'lower') lowerControlFlow(g, { library: freezer.frozen, registry });
  liftConstants(g, weights, file);
  for (const k of [...weights.keys()]) if (g.nodes.get(k)?.op !== 'Const') weights.delete(k);
  if (options.controlFlow === 'lower') refuseControlFlowV2(g);
  dropColocationAttrs(g.nodes.values());
  sortTopologically(g);

  const functions = new Map<string, FunctionDef>();
  const queue = functionsReferencedByAttrs([...g.nodes.values()].map((n) => n.attrs));
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi]!;
    if (functions.has(name)) continue;
    const f = freezer.frozen.get(name);
    if (!f) throw new FormatError('ERR_TFEXPORT_FUNCTION_NOT_FOUND', `${where}: frozen graph references function ${JSON.stringify(name)}, which was not frozen`, { file, field: name });
    functions.set(name, f);
    queue.push(...functionsReferencedBy(f));
  }

  const signature: IrSignature = {
    key: sigKey,
    methodName: sigDef.methodName,
    inputs: inputs.map((i) => signatureTensor(i.key, tensorName(i.ref), i.dataType, i.shape)),
    outputs: outputs.map((o, k) => signatureTensor(o.key, tensorName(g.outputs[k]!), o.dataType, o.shape)),
  };
  const frozenNodes = new Set(g.nodes.keys());
  return {
    nodes: g.nodes,
    functions,
    gradients: [],
    signatures: new Map([[sigKey, signature]]),
    versions: {
      producer: graphDef.versions?.producer ?? graphDef.version,
      minConsumer: graphDef.versions?.minConsumer ?? 0,
      badConsumers: graphDef.versions?.badConsumers.slice() ?? [],
    },
    weights,
    close: () => Promise.resolve(),
    signatureKey: sigKey,
    stats,
    variables: frozenVars.filter((v) => frozenNodes.has(v.node)),
    tables,
    initializer,
  };
}

/**
 * Names of the NodeDefs reachable backwards (data and control inputs) from `roots`, or null
 * when an input string does not parse (the caller then converts every node, which reports it).
 */
function reachableNodeDefs(byName: ReadonlyMap<string, NodeDef>, roots: readonly string[]): Set<string> | null {
  const seen = new Set<string>();
  const stack = roots.slice();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const nd = byName.get(name);
    if (!nd) continue;
    seen.add(name);
    for (const s of nd.input) {
      const i = parseInputFast(s);
      if (i === undefined) return null;
      if (!seen.has(i.node)) stack.push(i.node);
    }
  }
  return seen;
}

/** Ops that fill a lookup table (static or not). */
function isTableInitOp(op: string): boolean {
  return STATIC_TABLE_INIT_OPS.has(op) || /^InitializeTableFromTextFile|^InitializeTableFromDataset|^LookupTableInsert/.test(op);
}

/**
 * Builds the initializer graph of `tables` (see the module doc) from a fresh copy of the
 * MetaGraph: every table-filling op (top level, or inside the functions the init ops call) whose
 * table input is one of `tables`, with what it needs, inlined and frozen.
 * @throws UnsupportedOpError `ERR_TFEXPORT_UNSUPPORTED_OP` naming the table and op when a table
 *   has no initializer or is filled by an op tfjs cannot run (a text file asset, a dataset,
 *   inserts into a mutable table)
 */
function tableInitializer(sm: SavedModel, library: ReadonlyMap<string, FunctionDef>, registry: OpRegistry, tableNodes: IrNode[], options: FreezeOptions, where: string): TableInitializer {
  const file = sm.file;
  const nodes = new Map<string, IrNode>();
  for (const nd of sm.metaGraph.graphDef!.node) nodes.set(nd.name, nodeFromProto(nd, file));
  const g: WorkGraph = { nodes, outputs: [], keep: new Set(), where: `${where} table initializer` };
  // functions that (transitively) fill a table
  const fills = new Map<string, boolean>();
  const fillsTable = (name: string, depth = 0): boolean => {
    const known = fills.get(name);
    if (known !== undefined) return known;
    fills.set(name, false);
    const f = library.get(name);
    let r = false;
    for (const nd of f?.nodeDef ?? []) {
      if (isTableInitOp(nd.op)) r = true;
      else if (depth < 64) {
        const callee = nd.attr.get('f')?.func?.name ?? (library.has(nd.op) ? nd.op : undefined);
        if (callee && fillsTable(callee, depth + 1)) r = true;
      }
      if (r) break;
    }
    fills.set(name, r);
    return r;
  };
  for (const n of nodes.values()) {
    const f = n.attrs.get('f');
    const callee = f?.kind === 'func' ? f.value.name : library.has(n.op) ? n.op : undefined;
    if (isTableInitOp(n.op) || (callee !== undefined && fillsTable(callee))) g.keep.add(n.name);
  }
  pruneGraph(g);
  inlineFunctionCalls(g, { library, registry });

  const follow = (name: string): IrNode | undefined => {
    let n = g.nodes.get(name);
    for (let hops = 0; n && (n.op === 'Identity' || n.op === 'IdentityN') && hops < 100; hops++) n = g.nodes.get(dataInputs(n)[0]?.node ?? '');
    return n;
  };
  const wanted = new Set(tableNodes.map((t) => t.name));
  const inits = new Map<string, IrNode[]>();
  for (const n of g.nodes.values()) {
    if (!isTableInitOp(n.op)) continue;
    const t = follow(dataInputs(n)[0]?.node ?? '');
    if (!t || !wanted.has(t.name)) continue;
    let l = inits.get(t.name);
    if (!l) inits.set(t.name, (l = []));
    l.push(n);
  }
  for (const t of tableNodes) {
    const l = inits.get(t.name) ?? [];
    const bad = l.find((n) => !STATIC_TABLE_INIT_OPS.has(n.op));
    if (bad || l.length === 0) {
      const why = bad
        ? `is filled by node ${JSON.stringify(bad.name)} (${bad.op})${/TextFile/.test(bad.op) ? ' from a text file asset' : ''}, which TensorFlow.js cannot run`
        : 'has no initializer in the SavedModel (no LookupTableImportV2 / InitializeTableV2 fills it)';
      throw new UnsupportedOpError(
        'ERR_TFEXPORT_UNSUPPORTED_OP',
        `${where}: lookup table node ${JSON.stringify(t.name)} (${t.op}) ${why}; only static hash tables filled from constant keys and values can be converted`,
        { field: bad?.name ?? t.name, op: bad?.op ?? t.op },
      );
    }
  }
  g.keep = new Set([...inits.values()].flat().map((n) => n.name));
  pruneGraph(g);
  const freezer = new FunctionFreezer(library, registry, { stripDebugOps: options.stripDebugOps, allowStaticTables: true, allowTableInitializers: true });
  freezeGraphBody(g, freezer, new Map());
  for (const n of g.nodes.values()) {
    if (isLookupTableOp(n.op) && !STATIC_TABLE_CREATE_OPS.has(n.op) && !STATIC_TABLE_INIT_OPS.has(n.op)) {
      throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `${g.where}: node ${JSON.stringify(n.name)} (${n.op}) cannot run in a table initializer`, { field: n.name, op: n.op });
    }
  }
  const outputs: TableInitializer['outputs'] = [];
  for (const [k, t] of tableNodes.entries()) {
    const name = uniqueName(g, 'Identity');
    g.nodes.set(name, {
      name,
      op: 'Identity',
      device: '',
      inputs: [{ node: t.name, output: 0, control: false }, ...inits.get(t.name)!.map((n) => controlEdge(n.name))],
      attrs: new Map([['T', attr.type(DataType.DT_RESOURCE)]]),
    });
    g.keep.add(name);
    outputs.push({ tensor: `${name}:0`, table: t.name, resourceId: k + 1 });
  }
  const weights = new Map<string, IrWeight>();
  liftConstants(g, weights, file);
  dropColocationAttrs(g.nodes.values());
  sortTopologically(g);
  return { nodes: g.nodes, weights, outputs };
}

/**
 * Freezes one signature of a SavedModel into an inference graph: function calls inlined,
 * variables turned into constants (lazy weights read from `variables/` on demand), debug and
 * training ops removed, pruned to the signature. Call `close()` on the result when done.
 * @param dir the SavedModel directory (or a TF-Serving base directory)
 * @param options signature (default `serving_default`), tags (default `['serve']`), control flow
 * @returns the frozen {@link FrozenGraphIR}
 * @throws ValidationError `ERR_TFEXPORT_SIGNATURE_NOT_FOUND` / `ERR_TFEXPORT_TAGS_NOT_FOUND`;
 *   FormatError (`ERR_TFEXPORT_VARIABLE_NOT_FOUND`, `ERR_TFEXPORT_FUNCTION_NOT_FOUND`,
 *   `ERR_TFEXPORT_FUNCTION_DEF`, ...) naming the file, node or function; UnsupportedOpError
 *   (`ERR_TFEXPORT_FUNCTION_CYCLE`, `ERR_TFEXPORT_VARIABLE_MUTATION`,
 *   `ERR_TFEXPORT_UNSUPPORTED_OP` for lookup tables (with `tables: 'initializer'`: for tables
 *   other than static hash tables filled from constants, naming the node and op) and, with
 *   `controlFlow: 'lower'`, non-boolean predicates)
 * @example
 * ```ts
 * const ir = await freezeSavedModel('models/mlp', { signature: 'serving_default' });
 * try {
 *   const sig = ir.signatures.get('serving_default')!;
 *   console.log(sig.inputs.map((i) => i.name), sig.outputs.map((o) => o.name));
 *   for (const w of ir.weights.values()) await w.read(); // one at a time
 *   await fs.writeFile('frozen.pb', await toGraphDef(ir, { inlineWeights: true }));
 * } finally {
 *   await ir.close();
 * }
 * ```
 */
export async function freezeSavedModel(dir: string, options: FreezeOptions = {}): Promise<FrozenGraphIR> {
  const sm = await openSavedModel(dir, { tags: options.tags ?? DEFAULT_TAGS });
  try {
    const ir = freezeOpenSavedModel(sm, options);
    ir.close = () => sm.close();
    return ir;
  } catch (e) {
    await sm.close();
    throw e;
  }
}
