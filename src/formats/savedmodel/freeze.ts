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
 * `controlFlow: 'lower'` (what tensorflowjs_converter does by default) rewrites the remaining
 * control flow v2 (`If`/`While`/`Case`, also nested in their bodies) into control flow v1
 * `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration`/`LoopCond` (`graph/passes/lower-control-flow.ts`)
 * before the constants are lifted; a graph without them is returned as is.
 */
import { FormatError, UnsupportedOpError, ValidationError } from '../../errors.js';
import type { FunctionDef } from '../../proto/types.generated.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeEnumName, dtypeName } from '../../proto/dtypes.js';
import { attr, shapeFromProto } from '../../ir/attrs.js';
import { nodeFromProto, parseTensorName, tensorName } from '../../ir/graphdef.js';
import type { GraphIR, IrNode, IrSignature, IrSignatureTensor, IrWeight, TensorRef } from '../../ir/types.js';
import { bundleWeight, encodeStringList, memoryWeight } from '../../ir/weights.js';
import { functionsReferencedBy, functionsReferencedByAttrs } from '../../ir/validate.js';
import { dropColocationAttrs, freezeGraphBody, FunctionFreezer, type FreezeStats } from '../../graph/freeze.js';
import { OpRegistry } from '../../graph/op-registry.js';
import { liftConstants } from '../../graph/passes/constants.js';
import { refuseControlFlowV2 } from '../../graph/passes/checks.js';
import { lowerControlFlow } from '../../graph/passes/lower-control-flow.js';
import { pruneGraph } from '../../graph/passes/prune.js';
import type { FrozenVariable } from '../../graph/passes/variables.js';
import { rewriteTensors, sortTopologically, tensorKey, uniqueName, type WorkGraph } from '../../graph/work-graph.js';
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

  const nodes = new Map<string, IrNode>();
  for (const nd of graphDef.node) {
    if (nodes.has(nd.name)) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: duplicate node name ${JSON.stringify(nd.name)}`, { file, field: nd.name });
    nodes.set(nd.name, nodeFromProto(nd, file));
  }
  const g: WorkGraph = { nodes, outputs: [], keep: new Set(), where };

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
    if (!nodes.has(ref.node)) {
      throw new FormatError('ERR_TFEXPORT_TENSOR_NOT_FOUND', `${file}: signature ${sigKey} ${kind} ${JSON.stringify(key)} names ${info.name}, but the graph has no node ${JSON.stringify(ref.node)}`, {
        file,
        field: `${sigKey}.${kind}s.${key}`,
      });
    }
    return { ref, dataType: info.dtype, shape: shapeFromProto(info.tensorShape) };
  };
  const inputs = sorted(sigDef.inputs).map((k) => ({ key: k, ...resolveSig(k, 'input') }));
  const outputs = sorted(sigDef.outputs).map((k) => ({ key: k, ...resolveSig(k, 'output') }));
  g.outputs = outputs.map((o) => o.ref);
  cutInputs(g, inputs);

  // 2. variables (before pruning: TF1 restore ops and TF2 capture lists live outside the signature)
  const captured = capturedObjects(sm, nodes);
  const restored = sm.objectGraph ? new Map<string, VariableBinding>() : restoredVariables(nodes, file);
  const collected = sm.objectGraph ? new Map<string, VariableBinding>() : collectionVariables(sm, sm.variables);

  // 3. prune to the signature
  const stats: FreezeStats = { inlinedCalls: 0, strippedNodes: 0, prunedNodes: pruneGraph(g), frozenFunctions: 0 };

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
  const freezer = new FunctionFreezer(library, registry);
  freezeGraphBody(g, freezer, seeds);
  stats.inlinedCalls = freezer.stats.inlinedCalls;
  stats.strippedNodes = freezer.stats.strippedNodes;
  stats.prunedNodes += freezer.stats.prunedNodes;
  stats.frozenFunctions = freezer.stats.frozenFunctions;

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
  };
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
 *   `ERR_TFEXPORT_UNSUPPORTED_OP` for lookup tables and, with `controlFlow: 'lower'`,
 *   non-boolean predicates)
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
