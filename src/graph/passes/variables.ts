// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: rewrite the readers of frozen variables.
 *
 * Before this pass runs, each variable's producer has been turned into something that carries
 * its *value*: a graph `VarHandleOp` / `VariableV2` became a `Const` (a lazy weight), a function's
 * resource argument became a value-typed `_Arg`. These tensors are the seeds. The pass then
 * rewrites what consumed the resource handle (or the TF1 reference), following it through
 * identities and control flow:
 *
 * | consumer | becomes |
 * |---|---|
 * | `ReadVariableOp` | `Identity` (T = dtype) |
 * | `Identity` / `IdentityN` of the handle | same op, T = dtype (output followed) |
 * | `ResourceGather` | `GatherV2(value, indices, axis = batch_dims)` |
 * | `ResourceGatherNd` | `GatherNd` |
 * | `VariableShape` | `Shape` |
 * | `VarIsInitializedOp`, `IsVariableInitialized` | `Const true` |
 * | `DisableCopyOnRead`, `DestroyResourceOp` | removed |
 * | `If` / `Case` (branch args), `While` (loop vars) | input type = dtype, branch / cond / body functions specialized (their resource args become value args, recursively frozen); a `While` output of a loop-invariant variable is followed |
 * | TF1 `RefIdentity`, `RefEnter`, `RefSwitch`, `RefMerge`, `RefExit`, `RefNextIteration`, `RefSelect` | the non-ref op (output followed) |
 * | `Assign*`, `ResourceApply*`, `ResourceScatter*`, `Scatter*`, `Apply*`... | UnsupportedOpError `ERR_TFEXPORT_VARIABLE_MUTATION` |
 * | any other op taking the handle | UnsupportedOpError `ERR_TFEXPORT_UNSUPPORTED_OP` |
 *
 * TF1 reference variables need no rewrite for ordinary readers (a ref input reads the value).
 */
import { UnsupportedOpError } from '../../errors.js';
import { DataType } from '../../proto/types.generated.js';
import { dataTypeEnumName } from '../../proto/dtypes.js';
import { attr } from '../../ir/attrs.js';
import type { IrAttrValue, IrFunctionRef, IrNode, IrShape, TensorRef } from '../../ir/types.js';
import { smallTensorProto } from '../../ir/weights.js';
import { rewriteControl, tensorKey, uniqueName, type WorkGraph } from '../work-graph.js';

/** A variable whose value now flows where its handle (or reference) used to. */
export interface FrozenVariable {
  /** names the variable in messages (e.g. `w (checkpoint key w/.ATTRIBUTES/VARIABLE_VALUE)`) */
  label: string;
  /** DataType of the value */
  dataType: number;
  shape: IrShape;
  /** a TF2 resource handle or a TF1 reference */
  kind: 'resource' | 'ref';
}

/** What the pass needs from its caller: specialized copies of functions. */
export interface VariablePassContext {
  /**
   * Freezes function `name` with the given (flat) input args carrying variable values instead of
   * resource handles; `resourceOutputs` are flat outputs that return those args unchanged (while
   * loop bodies). Returns the name of the frozen function.
   */
  specializeFunction(name: string, argVars: ReadonlyMap<number, FrozenVariable>, resourceOutputs: ReadonlySet<number>, where: string): string;
}

const REF_RENAMES: Readonly<Record<string, string>> = {
  RefIdentity: 'Identity',
  RefEnter: 'Enter',
  RefExit: 'Exit',
  RefSwitch: 'Switch',
  RefMerge: 'Merge',
  RefNextIteration: 'NextIteration',
  RefSelect: 'Select',
};

/** True for ops that write a variable (resource or reference). */
export function isVariableMutation(op: string): boolean {
  return (
    /^Assign.*VariableOp$/.test(op) ||
    /^(Resource)?(Sparse)?Apply/.test(op) ||
    /^(Resource)?Scatter/.test(op) ||
    op === 'Assign' || op === 'AssignAdd' || op === 'AssignSub' ||
    op === 'ResourceStridedSliceAssign' || op === 'StridedSliceAssign' ||
    op === 'CountUpTo' || op === 'ResourceCountUpTo'
  );
}

const IF_OPS = new Set(['If', 'StatelessIf']);
const CASE_OPS = new Set(['Case', 'StatelessCase']);
const WHILE_OPS = new Set(['While', 'StatelessWhile']);

function setListType(node: IrNode, name: string, index: number, dataType: number): void {
  const v = node.attrs.get(name);
  if (v?.kind !== 'list' || index >= v.value.type.length) {
    throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `node ${JSON.stringify(node.name)} (${node.op}): attr ${name} has no entry ${index}`, { field: node.name });
  }
  const types = v.value.type.slice();
  types[index] = dataType;
  node.attrs.set(name, { kind: 'list', value: { ...v.value, type: types } });
}

function dropShapeHints(node: IrNode): void {
  node.attrs.delete('_output_shapes');
  node.attrs.delete('_handle_dtypes');
  node.attrs.delete('_handle_shapes');
}

function specializeAttr(v: IrAttrValue | undefined, fn: (ref: IrFunctionRef) => string): IrAttrValue | undefined {
  if (v?.kind === 'func') return { kind: 'func', value: { name: fn(v.value), attrs: v.value.attrs } };
  if (v?.kind === 'list') return { kind: 'list', value: { ...v.value, func: v.value.func.map((f) => ({ name: fn(f), attrs: f.attrs })) } };
  return v;
}

/**
 * Rewrites the consumers of frozen variables (see the module doc).
 * @param g the graph
 * @param seeds tensors now carrying a variable's value, by `node:output` key
 * @param ctx specializes control-flow functions
 * @param resourceOutputs flat graph outputs allowed to return a variable (while bodies)
 * @returns the keys of every tensor found to carry a variable value
 * @throws UnsupportedOpError `ERR_TFEXPORT_VARIABLE_MUTATION` / `ERR_TFEXPORT_UNSUPPORTED_OP`
 *   naming the node and the variable
 */
export function convertVariableConsumers(
  g: WorkGraph,
  seeds: ReadonlyMap<string, FrozenVariable>,
  ctx: VariablePassContext,
  resourceOutputs: ReadonlySet<number> = new Set(),
): Map<string, FrozenVariable> {
  const resolved = new Map(seeds);
  const handled = new Set<string>();
  const removed = new Map<string, string[]>();
  const unsupported = (n: IrNode, v: FrozenVariable, code: string, what: string, why = ''): UnsupportedOpError =>
    new UnsupportedOpError(code, `${g.where}: node ${JSON.stringify(n.name)} (${n.op}) ${what} variable ${v.label}${why}`, { field: n.name, op: n.op, variable: v.label });

  const rewrite = (n: IrNode, hits: { index: number; v: FrozenVariable }[]): void => {
    const first = hits[0]!.v;
    if (first.kind === 'ref') {
      const renamed = REF_RENAMES[n.op];
      if (renamed) {
        n.op = renamed;
        dropShapeHints(n);
        const outs = n.op === 'Switch' ? [0, 1] : [0];
        for (const o of outs) resolved.set(tensorKey({ node: n.name, output: o }), first);
      } else if (isVariableMutation(n.op) && hits.some((h) => h.index === 0)) {
        throw unsupported(n, first, 'ERR_TFEXPORT_VARIABLE_MUTATION', 'writes', '; a signature that updates variables cannot be frozen');
      } else if (n.op === 'IsVariableInitialized') {
        n.op = 'Const';
        n.inputs = n.inputs.filter((i) => i.control);
        n.attrs = new Map([['dtype', attr.type(DataType.DT_BOOL)], ['value', attr.tensor(smallTensorProto(DataType.DT_BOOL, [], [true]))]]);
      }
      // any other op reads the reference's value: nothing to change
      return;
    }
    const v = first;
    switch (n.op) {
      case 'ReadVariableOp':
        n.op = 'Identity';
        n.attrs = new Map([['T', attr.type(v.dataType)]]);
        return;
      case 'Identity':
      case 'Snapshot':
        n.attrs.set('T', attr.type(v.dataType));
        dropShapeHints(n);
        resolved.set(tensorKey({ node: n.name, output: 0 }), v);
        return;
      case 'IdentityN':
        for (const h of hits) {
          setListType(n, 'T', h.index, h.v.dataType);
          resolved.set(tensorKey({ node: n.name, output: h.index }), h.v);
        }
        dropShapeHints(n);
        return;
      case 'ResourceGather': {
        if (hits.some((h) => h.index !== 0)) break;
        const batchDims = n.attrs.get('batch_dims');
        const axisValue = batchDims?.kind === 'i' ? batchDims.value : 0n;
        const axisName = uniqueName(g, `${n.name}/axis`);
        g.nodes.set(axisName, {
          name: axisName,
          op: 'Const',
          inputs: [],
          device: n.device,
          attrs: new Map([['dtype', attr.type(DataType.DT_INT32)], ['value', attr.tensor(smallTensorProto(DataType.DT_INT32, [], [Number(axisValue)]))]]),
        });
        const tindices = n.attrs.get('Tindices') ?? attr.type(DataType.DT_INT32);
        const data = n.inputs.filter((i) => !i.control);
        const control = n.inputs.filter((i) => i.control);
        n.op = 'GatherV2';
        n.inputs = [data[0]!, data[1]!, { node: axisName, output: 0, control: false }, ...control];
        n.attrs = new Map([['Tparams', attr.type(v.dataType)], ['Tindices', tindices], ['Taxis', attr.type(DataType.DT_INT32)], ['batch_dims', attr.int(axisValue)]]);
        return;
      }
      case 'ResourceGatherNd': {
        if (hits.some((h) => h.index !== 0)) break;
        const tindices = n.attrs.get('Tindices') ?? attr.type(DataType.DT_INT32);
        n.op = 'GatherNd';
        n.attrs = new Map([['Tparams', attr.type(v.dataType)], ['Tindices', tindices]]);
        return;
      }
      case 'VariableShape': {
        const outType = n.attrs.get('out_type') ?? attr.type(DataType.DT_INT32);
        n.op = 'Shape';
        n.attrs = new Map([['T', attr.type(v.dataType)], ['out_type', outType]]);
        return;
      }
      case 'VarIsInitializedOp':
        n.op = 'Const';
        n.inputs = n.inputs.filter((i) => i.control);
        n.attrs = new Map([['dtype', attr.type(DataType.DT_BOOL)], ['value', attr.tensor(smallTensorProto(DataType.DT_BOOL, [], [true]))]]);
        return;
      case 'DisableCopyOnRead':
      case 'DestroyResourceOp':
        removed.set(n.name, []);
        return;
      default:
        break;
    }
    if (IF_OPS.has(n.op) || CASE_OPS.has(n.op)) {
      if (hits.some((h) => h.index === 0)) throw unsupported(n, v, 'ERR_TFEXPORT_UNSUPPORTED_OP', 'takes as its predicate');
      const argVars = new Map<number, FrozenVariable>();
      for (const h of hits) {
        setListType(n, 'Tin', h.index - 1, h.v.dataType);
        argVars.set(h.index - 1, h.v);
      }
      const where = `${g.where}: node ${n.name}`;
      const spec = (ref: IrFunctionRef): string => ctx.specializeFunction(ref.name, argVars, new Set(), where);
      for (const a of IF_OPS.has(n.op) ? ['then_branch', 'else_branch'] : ['branches']) {
        const next = specializeAttr(n.attrs.get(a), spec);
        if (next) n.attrs.set(a, next);
      }
      dropShapeHints(n);
      return;
    }
    if (WHILE_OPS.has(n.op)) {
      const argVars = new Map<number, FrozenVariable>();
      const shapes = n.attrs.get('output_shapes');
      const nextShapes = shapes?.kind === 'list' ? shapes.value.shape.slice() : null;
      for (const h of hits) {
        setListType(n, 'T', h.index, h.v.dataType);
        argVars.set(h.index, h.v);
        if (nextShapes && h.index < nextShapes.length) nextShapes[h.index] = h.v.shape;
        resolved.set(tensorKey({ node: n.name, output: h.index }), h.v);
      }
      if (nextShapes && shapes?.kind === 'list') n.attrs.set('output_shapes', { kind: 'list', value: { ...shapes.value, shape: nextShapes } });
      const where = `${g.where}: node ${n.name}`;
      const loopVars = new Set(argVars.keys());
      const cond = specializeAttr(n.attrs.get('cond'), (ref) => ctx.specializeFunction(ref.name, argVars, new Set(), where));
      const body = specializeAttr(n.attrs.get('body'), (ref) => ctx.specializeFunction(ref.name, argVars, loopVars, where));
      if (cond) n.attrs.set('cond', cond);
      if (body) n.attrs.set('body', body);
      dropShapeHints(n);
      return;
    }
    if (isVariableMutation(n.op)) throw unsupported(n, v, 'ERR_TFEXPORT_VARIABLE_MUTATION', 'writes', '; a signature that updates variables cannot be frozen');
    throw unsupported(n, v, 'ERR_TFEXPORT_UNSUPPORTED_OP', 'uses the resource handle of', `; only reads of a variable (ReadVariableOp, ResourceGather, VariableShape, control flow) can be frozen (value dtype ${dataTypeEnumName(v.dataType)})`);
  };

  for (let changed = true; changed; ) {
    changed = false;
    for (const n of [...g.nodes.values()]) {
      if (handled.has(n.name)) continue;
      const hits: { index: number; v: FrozenVariable }[] = [];
      n.inputs.forEach((i, index) => {
        if (i.control) return;
        const v = resolved.get(tensorKey(i));
        if (v) hits.push({ index, v });
      });
      if (!hits.length) continue;
      handled.add(n.name);
      changed = true;
      rewrite(n, hits);
    }
  }
  if (removed.size) {
    rewriteControl(g, removed);
    for (const name of removed.keys()) g.nodes.delete(name);
  }
  g.outputs.forEach((t: TensorRef, j) => {
    const v = resolved.get(tensorKey(t));
    if (v?.kind === 'resource' && !resourceOutputs.has(j)) {
      throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `${g.where}: output ${j} returns the resource handle of variable ${v.label}; only variable values can be frozen`, {
        field: t.node,
        variable: v.label,
      });
    }
  });
  return resolved;
}
