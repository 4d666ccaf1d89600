// SPDX-License-Identifier: Apache-2.0
/**
 * The freeze pipeline shared by a graph and the functions it keeps (control-flow bodies).
 *
 * {@link freezeGraphBody} runs, in order: {@link inlineFunctionCalls}, {@link stripDebugOps},
 * {@link convertVariableConsumers} (from the seeds: tensors that now carry variable values),
 * freezing of every function still referenced by a node attr (control-flow branches and bodies,
 * through {@link FunctionFreezer}), {@link simplifyControlDependencies}, {@link pruneGraph} and
 * {@link checkFrozenGraph}.
 *
 * Debug ops are kept with `stripDebugOps: false`; static hash-table ops (`HashTableV2`,
 * `LookupTableFindV2`...) pass the final check with `allowStaticTables` (the SavedModel freeze
 * then pairs each table with its initializer).
 *
 * {@link FunctionFreezer} produces the frozen library: each referenced function is turned into a
 * body graph (`_Arg` nodes), frozen with the same pipeline and written back. When some of its
 * resource arguments carry variable values (an `If` branch reading a captured variable), a
 * specialized copy `<name>_frozen[_k]` is made whose arguments have the value types. Results are
 * memoized per (function, frozen args); cycles (a function reachable from itself through
 * control-flow attrs) are refused with `ERR_TFEXPORT_FUNCTION_CYCLE`.
 */
import { FormatError, UnsupportedOpError } from '../errors.js';
import type { FunctionDef } from '../proto/types.generated.js';
import type { IrAttrValue, IrFunctionRef, IrNode } from '../ir/types.js';
import { attr } from '../ir/attrs.js';
import { functionsReferencedBy } from '../ir/validate.js';
import { bodyToFunctionDef, functionBody } from './function-body.js';
import type { OpRegistry } from './op-registry.js';
import { checkFrozenGraph, type FrozenGraphCheckOptions } from './passes/checks.js';
import { inlineFunctionCalls } from './passes/inline.js';
import { pruneGraph } from './passes/prune.js';
import { constantLikeNodes, simplifyControlDependencies, stripDebugOps } from './passes/strip.js';
import { convertVariableConsumers, type FrozenVariable, type VariablePassContext } from './passes/variables.js';
import { tensorKey, type WorkGraph } from './work-graph.js';

/** Statistics of a freeze, for reports. */
export interface FreezeStats {
  inlinedCalls: number;
  strippedNodes: number;
  prunedNodes: number;
  frozenFunctions: number;
}

function mapFuncRefs(v: IrAttrValue, fn: (ref: IrFunctionRef) => string): IrAttrValue {
  if (v.kind === 'func') return { kind: 'func', value: { name: fn(v.value), attrs: v.value.attrs } };
  if (v.kind === 'list' && v.value.func.length) return { kind: 'list', value: { ...v.value, func: v.value.func.map((f) => ({ name: fn(f), attrs: f.attrs })) } };
  return v;
}

/** Options of {@link FunctionFreezer} (they apply to the graph and every frozen function). */
export interface FunctionFreezerOptions extends FrozenGraphCheckOptions {
  /** remove debug ops (`Assert`, `CheckNumerics`, `Print`...; default true) */
  stripDebugOps?: boolean;
}

/** Builds the frozen function library (see the module doc). */
export class FunctionFreezer implements VariablePassContext {
  /** frozen functions by (new) name */
  readonly frozen = new Map<string, FunctionDef>();
  readonly stats: FreezeStats = { inlinedCalls: 0, strippedNodes: 0, prunedNodes: 0, frozenFunctions: 0 };
  private readonly memo = new Map<string, string>();
  private readonly stack: string[] = [];

  /**
   * @param library the original functions
   * @param registry output-arg layouts
   * @param options debug-op stripping and the lookup-table ops allowed to stay
   */
  constructor(
    readonly library: ReadonlyMap<string, FunctionDef>,
    readonly registry: OpRegistry,
    readonly options: FunctionFreezerOptions = {},
  ) {}

  private freshName(base: string): string {
    for (let k = 0; ; k++) {
      const name = k === 0 ? `${base}_frozen` : `${base}_frozen_${k}`;
      if (!this.library.has(name) && !this.frozen.has(name)) return name;
    }
  }

  /** Copies a function unchanged (generic functions with attrs), with what it references. */
  private copyUnchanged(name: string, where: string): string {
    if (this.frozen.has(name)) return name;
    const fdef = this.library.get(name);
    if (!fdef) throw new FormatError('ERR_TFEXPORT_FUNCTION_NOT_FOUND', `${where}: function ${JSON.stringify(name)} is not in the library`, { field: name, function: name });
    this.frozen.set(name, fdef);
    for (const r of functionsReferencedBy(fdef)) this.copyUnchanged(r, `function ${name}`);
    return name;
  }

  specializeFunction(name: string, argVars: ReadonlyMap<number, FrozenVariable>, resourceOutputs: ReadonlySet<number>, where: string): string {
    const key = `${name}|${[...argVars].sort((a, b) => a[0] - b[0]).map(([i, v]) => `${i}:${v.dataType}:${JSON.stringify(v.shape)}`).join(',')}|${[...resourceOutputs].sort((a, b) => a - b).join(',')}`;
    const done = this.memo.get(key);
    if (done) return done;
    if (argVars.size === 0 && this.frozen.has(name) && !this.library.has(name)) return name;
    if (this.stack.includes(name)) {
      const cycle = [...this.stack.slice(this.stack.indexOf(name)), name];
      throw new UnsupportedOpError('ERR_TFEXPORT_FUNCTION_CYCLE', `${where}: cyclic function references ${cycle.join(' -> ')}; recursive functions cannot be frozen`, {
        field: name,
        functions: cycle,
      });
    }
    const fdef = this.library.get(name);
    if (!fdef?.signature) throw new FormatError('ERR_TFEXPORT_FUNCTION_NOT_FOUND', `${where}: function ${JSON.stringify(name)} is not in the library`, { field: name, function: name });
    if (fdef.signature.attr.length > 0 && argVars.size === 0) return this.copyUnchanged(name, where);
    this.stack.push(name);
    try {
      const body = functionBody(fdef, this.registry);
      const flatArgs = body.args.flatMap((a, argIndex) => a.refs.map((r) => ({ ref: r, argIndex, isList: a.isList })));
      const seeds = new Map<string, FrozenVariable>();
      const changedArgs = new Set<number>();
      for (const [i, v] of argVars) {
        const a = flatArgs[i];
        if (!a) throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: function ${name} has no argument ${i}`, { field: name, function: name });
        if (a.isList) throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `${where}: variable ${v.label} is passed in list argument ${body.signature.inputArg[a.argIndex]!.name} of function ${name}`, { field: name });
        const node = body.nodes.get(a.ref.node)!;
        node.attrs.set('T', attr.type(v.dataType));
        const argDef = body.signature.inputArg[a.argIndex]!;
        argDef.type = v.dataType;
        argDef.typeAttr = '';
        argDef.handleData = [];
        changedArgs.add(a.argIndex);
        seeds.set(tensorKey(a.ref), v);
      }
      for (const j of resourceOutputs) {
        const v = argVars.get(j);
        const out = body.signature.outputArg[j];
        if (v && out) {
          out.type = v.dataType;
          out.typeAttr = '';
          out.handleData = [];
        }
      }
      body.where = `function ${name}`;
      // control returns of reads that became constant-like order nothing any more
      const releaseControlRets = (): void => {
        const constantLike = constantLikeNodes(body);
        for (const [k, node] of [...body.controlRets]) {
          if (!body.nodes.has(node) || constantLike(node)) {
            body.controlRets.delete(k);
            body.keep.delete(node);
          }
        }
      };
      freezeGraphBody(body, this, seeds, resourceOutputs, releaseControlRets);
      const newName = argVars.size ? this.freshName(name) : name;
      const out = bodyToFunctionDef(body, this.registry, newName);
      for (const i of changedArgs) {
        out.resourceArgUniqueId.delete(i);
        const aa = out.argAttr.get(i);
        if (aa) {
          const copy = new Map(aa.attr);
          for (const k of ['_handle_dtypes', '_handle_shapes', '_output_shapes']) copy.delete(k);
          out.argAttr.set(i, { ...aa, attr: copy });
        }
      }
      this.frozen.set(newName, out);
      this.memo.set(key, newName);
      this.stats.frozenFunctions++;
      return newName;
    } finally {
      this.stack.pop();
    }
  }

  /** Freezes every function referenced by a node attr of `g` that is not frozen yet. */
  freezeReferencedFunctions(g: WorkGraph): void {
    for (const n of g.nodes.values()) {
      // (forEach: no [key, value] array per attr; replacing a value keeps the Map's order)
      n.attrs.forEach((v, k) => {
        if (v.kind !== 'func' && !(v.kind === 'list' && v.value.func.length)) return;
        n.attrs.set(k, mapFuncRefs(v, (ref) => this.specializeFunction(ref.name, new Map(), new Set(), `${g.where}: node ${n.name} attr ${k}`)));
      });
    }
  }
}

/**
 * Runs the freeze pipeline on a graph or function body (see the module doc).
 * @param g the graph (rewritten in place)
 * @param freezer builds the frozen library
 * @param seeds tensors that now carry variable values
 * @param resourceOutputs outputs allowed to return a variable unchanged (while bodies)
 * @param beforeFinalPrune called after the rewrites, before the last prune (function bodies
 *   release control returns there)
 */
export function freezeGraphBody(
  g: WorkGraph,
  freezer: FunctionFreezer,
  seeds: ReadonlyMap<string, FrozenVariable>,
  resourceOutputs: ReadonlySet<number> = new Set(),
  beforeFinalPrune?: () => void,
): void {
  const stats = freezer.stats;
  stats.inlinedCalls += inlineFunctionCalls(g, { library: freezer.library, registry: freezer.registry });
  stats.strippedNodes += stripDebugOps(g, { debug: freezer.options.stripDebugOps !== false });
  stats.prunedNodes += pruneGraph(g);
  convertVariableConsumers(g, seeds, freezer, resourceOutputs);
  freezer.freezeReferencedFunctions(g);
  simplifyControlDependencies(g);
  beforeFinalPrune?.();
  stats.prunedNodes += pruneGraph(g);
  checkFrozenGraph(g, freezer.options);
}

/** Removes `_class` colocation attrs (they may name pruned nodes, which TensorFlow rejects on import). */
export function dropColocationAttrs(nodes: Iterable<IrNode>): void {
  for (const n of nodes) n.attrs.delete('_class');
}
