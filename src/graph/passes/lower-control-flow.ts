// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: lower control flow v2 (functional `If` / `While` / `Case` and their `Stateless*`
 * variants) into TF1 control flow v1 (`Switch` / `Merge` / `Enter` / `Exit` / `NextIteration` /
 * `LoopCond`), the way TensorFlow's own `LowerFunctionalOpsPass` does (`lower_if_op.cc`,
 * `lower_while_op.cc`, `lower_case_op.cc`); the code here is our own.
 *
 * - **If** `(cond, inputs...)`: `switch_pred = Switch(cond, cond)` with identities `pivot_t` /
 *   `pivot_f` on its outputs; one `Switch(input, cond)` per input; `then_branch` is inlined on
 *   the true outputs, `else_branch` on the false outputs; output k becomes
 *   `Merge(then_k, else_k):0`. Body nodes without inputs (constants) get a control edge from the
 *   branch's pivot so that they live in the branch (and in the enclosing loop frame). Control
 *   consumers of the If wait for `branch_executed = Merge(pivot_t, pivot_f)` (which also waits
 *   for the branches' control returns).
 * - **While** `(vars...)`: per loop var `Enter` (frame `<node>/while_context`, `is_constant`
 *   false, `parallel_iterations` from the attr) -> `Merge(enter, next_iteration)`; `cond` is
 *   inlined on the Merge outputs -> `LoopCond`; `Switch(merge, loop_cond)` per var; `Exit` on the
 *   false outputs (the While's outputs); `body` is inlined on `Identity(switch:1)` and its
 *   results feed `NextIteration` back into the Merges. Loop-invariant captures stay ordinary
 *   loop vars (as in TensorFlow). Control consumers of the While wait for the Exit nodes.
 * - **Case** `(branch_index, inputs...)`: a chain of conds (what nested Ifs lower to):
 *   `branch_index == 0 ? branches[0] : (branch_index == 1 ? branches[1] : ... branches[N-1])`,
 *   so an out-of-range index runs the last branch, as Case does.
 *
 * With `keepOutputNames`, a lowered node that a graph output names is replaced by an `IdentityN`
 * of the same name over its lowered outputs (as TensorFlow's lowering does), so output tensor
 * names survive; otherwise the outputs are rewired to the lowered tensors.
 *
 * Function calls left inside inlined bodies are inlined too; control flow inside them (a cond in
 * a loop body, nested loops) is lowered in turn until none is left. New node names are derived
 * from the lowered node's name (`<node>/switch_0`, `<node>/then/<body node>`...), made unique,
 * and deterministic. Constants of inlined bodies keep their `value` attr: lift them with
 * `liftConstants` afterwards (done by {@link lowerControlFlowIR}).
 */
import { FormatError, UnsupportedOpError } from '../../errors.js';
import { DataType, type FunctionDef } from '../../proto/types.generated.js';
import { dataTypeEnumName } from '../../proto/dtypes.js';
import { attr, attrs as getAttrs } from '../../ir/attrs.js';
import { parseTensorName, tensorName } from '../../ir/graphdef.js';
import type { GraphIR, IrFunctionRef, IrInput, IrNode, TensorRef } from '../../ir/types.js';
import { functionsReferencedBy, functionsReferencedByAttrs } from '../../ir/validate.js';
import { smallTensorProto } from '../../ir/weights.js';
import { instantiateFunction } from '../function-body.js';
import { OpRegistry } from '../op-registry.js';
import { addNodes, controlEdge, controlInputs, dataEdge, dataInputs, rewriteControl, rewriteTensors, sortTopologically, tensorKey, uniqueName, ConsumerIndex, type WorkGraph } from '../work-graph.js';
import { liftConstants } from './constants.js';
import { inlineFunctionCalls } from './inline.js';

/** Ops lowered by {@link lowerControlFlow}. */
export const LOWERED_CONTROL_FLOW_OPS: ReadonlySet<string> = new Set(['If', 'StatelessIf', 'While', 'StatelessWhile', 'Case', 'StatelessCase']);

/** Options of {@link lowerControlFlow}. */
export interface LowerControlFlowOptions {
  /** the function library holding the branch / cond / body functions */
  library: ReadonlyMap<string, FunctionDef>;
  registry: OpRegistry;
  /** refuse to grow the graph beyond this many nodes (default 5,000,000) */
  maxNodes?: number;
  /** graph outputs keep their tensor names (an `IdentityN` takes the lowered node's name) */
  keepOutputNames?: boolean;
}

/** What {@link lowerControlFlow} lowered. */
export interface LowerControlFlowStats {
  ifs: number;
  whiles: number;
  cases: number;
  /** nodes added (inlined bodies and control-flow v1 nodes) */
  addedNodes: number;
}

/** A function body inlined into the graph. */
interface Inlined {
  outputs: TensorRef[];
  /** DataType of each output */
  types: number[];
  /** (renamed) nodes of the function's control returns */
  controlRets: string[];
}

/** The functions an inlined node came from, innermost first (a linked list). */
interface Link {
  fn: string;
  parent: Link | null;
}

class Lowerer {
  readonly stats: LowerControlFlowStats = { ifs: 0, whiles: 0, cases: 0, addedNodes: 0 };
  /** control-flow nodes found in inlined bodies, still to lower */
  readonly pending: string[] = [];
  /** for control-flow nodes of inlined bodies: the functions they came from (cycle detection) */
  private readonly chainOf = new Map<string, Link>();

  constructor(
    private readonly g: WorkGraph,
    private readonly options: LowerControlFlowOptions,
  ) {}

  /** Consumers of every node (data or control), built on first use and kept up to date by {@link add} and {@link replace}. */
  private users: ConsumerIndex | null = null;

  private consumers(name: string): IrNode[] {
    this.users ??= new ConsumerIndex(this.g);
    return this.users.all(name);
  }

  private add(n: IrNode): IrNode {
    addNodes(this.g, [n]);
    this.users?.touch(n);
    this.stats.addedNodes++;
    return n;
  }

  /** Adds a node named after `base` (made unique); returns it. */
  private make(base: string, op: string, inputs: IrInput[], device: string, attrs: [string, ReturnType<typeof attr.type>][] = []): IrNode {
    return this.add({ name: uniqueName(this.g, base), op, inputs, device, attrs: new Map(attrs) });
  }

  private error(node: IrNode, what: string, fn?: string): FormatError {
    return new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${this.g.where}: node ${JSON.stringify(node.name)} (${node.op}): ${what}`, { field: node.name, ...(fn ? { function: fn } : {}) });
  }

  private funcAttr(node: IrNode, name: string): IrFunctionRef {
    const f = getAttrs.getFunc(node, name);
    if (!f) throw new FormatError('ERR_TFEXPORT_GRAPH_ATTR', `${this.g.where}: node ${JSON.stringify(node.name)} (${node.op}) has no function attr ${name}`, { field: node.name });
    return f;
  }

  private typeList(node: IrNode, name: string, count: number): number[] {
    const types = getAttrs.getTypeList(node, name);
    if (types.length !== count) throw this.error(node, `attr ${name} lists ${types.length} types for ${count} tensors`);
    return types;
  }

  /**
   * Inlines `fn` on `inputs` under `prefix`; body nodes without inputs get a control edge from
   * `pivot` (so that they run in the right branch / loop frame).
   */
  private inline(owner: IrNode, fn: IrFunctionRef, inputs: TensorRef[], prefix: string, pivot: string, role: string): Inlined {
    const fdef = this.options.library.get(fn.name);
    if (!fdef) {
      throw new FormatError('ERR_TFEXPORT_FUNCTION_NOT_FOUND', `${this.g.where}: node ${JSON.stringify(owner.name)} (${owner.op}) ${role} function ${JSON.stringify(fn.name)} is not in the library`, {
        field: owner.name,
        function: fn.name,
      });
    }
    const link = this.chainOf.get(owner.name) ?? null;
    for (let c = link; c; c = c.parent) {
      if (c.fn !== fn.name) continue;
      const chain: string[] = [];
      for (let d = link; d; d = d.parent) chain.unshift(d.fn);
      const cycle = [...chain.slice(chain.lastIndexOf(fn.name)), fn.name];
      throw new UnsupportedOpError('ERR_TFEXPORT_FUNCTION_CYCLE', `${this.g.where}: node ${JSON.stringify(owner.name)} (${owner.op}): recursive control flow ${cycle.join(' -> ')} cannot be lowered`, {
        field: owner.name,
        functions: cycle,
      });
    }
    const next: Link = { fn: fn.name, parent: link };
    let p = prefix;
    for (let k = 1; fdef.nodeDef.some((n) => this.g.nodes.has(p + n.name)); k++) p = `${prefix.replace(/\/$/, '')}_${k}/`;
    const where = `${this.g.where}: ${role} function ${fn.name} of node ${owner.name}`;
    const inst = instantiateFunction(fdef, { registry: this.options.registry, attrs: fn.attrs, prefix: p, inputs, where });
    const body: WorkGraph = {
      nodes: new Map(inst.nodes.map((n) => [n.name, n])),
      outputs: inst.rets.flatMap((r) => r.refs),
      keep: new Set(inst.controlRets.values()),
      where,
    };
    inlineFunctionCalls(body, { library: this.options.library, registry: this.options.registry, ...(this.options.maxNodes ? { maxNodes: this.options.maxNodes } : {}) });
    for (const n of body.nodes.values()) {
      if (n.inputs.length === 0) n.inputs.push(controlEdge(pivot));
      if (!n.device && owner.device) n.device = owner.device;
      if (this.g.nodes.has(n.name)) throw this.error(owner, `inlining ${role} function ${fn.name} would duplicate node name ${JSON.stringify(n.name)}`, fn.name);
    }
    for (const n of body.nodes.values()) {
      this.add(n);
      if (LOWERED_CONTROL_FLOW_OPS.has(n.op)) {
        this.pending.push(n.name);
        this.chainOf.set(n.name, next);
      }
    }
    return {
      outputs: body.outputs,
      types: inst.rets.flatMap((r) => r.types),
      controlRets: [...inst.controlRets.values()].filter((c) => body.nodes.has(c)),
    };
  }

  /** Whether some node waits on `name` through a control edge (or the graph keeps it). */
  private hasControlConsumers(name: string): boolean {
    if (this.g.keep.has(name)) return true;
    return this.consumers(name).some((n) => n.inputs.some((i) => i.control && i.node === name));
  }

  /**
   * Replaces `node` by `outputs` (data) and `done` (control); removes it. Only the node's
   * consumers are visited (the rewrites of `rewriteTensors` / `rewriteControl`, restricted).
   */
  private replace(node: IrNode, outputs: TensorRef[], done: string[]): void {
    const g = this.g;
    const consumers = this.consumers(node.name);
    g.nodes.delete(node.name);
    const data = new Map<string, TensorRef>();
    outputs.forEach((t, k) => data.set(tensorKey({ node: node.name, output: k }), t));
    for (const n of consumers) {
      for (const i of n.inputs) {
        if (!i.control && i.node === node.name && !data.has(tensorKey(i))) throw this.error(node, `consumer ${JSON.stringify(n.name)} reads output ${i.output}, which does not exist`);
      }
    }
    // graph outputs naming the node keep their names: an IdentityN takes over the node's name (as TF's lowering does)
    const named = g.outputs.map((t) => (this.options.keepOutputNames && t.node === node.name ? t.output : -1));
    const view: WorkGraph = { nodes: new Map(consumers.map((n) => [n.name, n])), outputs: g.outputs, keep: g.keep, where: g.where };
    rewriteTensors(view, data);
    rewriteControl(view, new Map([[node.name, done]]));
    g.outputs = view.outputs;
    for (const n of consumers) this.users!.touch(n);
    if (g.keep.delete(node.name)) for (const d of done) g.keep.add(d);
    if (named.some((k) => k >= 0) && outputs.length) {
      const types = getAttrs.getTypeList(node, node.op.endsWith('While') ? 'T' : 'Tout');
      this.add({ name: node.name, op: 'IdentityN', inputs: outputs.map(dataEdge), device: node.device, attrs: new Map([['T', attr.typeList(types)]]) });
      named.forEach((k, i) => {
        if (k >= 0) g.outputs[i] = { node: node.name, output: k };
      });
    }
  }

  private checkBool(node: IrNode, type: number | undefined, what: string): void {
    if (type !== undefined && type !== DataType.DT_BOOL) {
      throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `${this.g.where}: node ${JSON.stringify(node.name)} (${node.op}): ${what} is ${dataTypeEnumName(type)}, not bool; only boolean predicates can be lowered`, {
        op: node.op,
        field: node.name,
      });
    }
  }

  /**
   * A cond: switches `inputs` on `pred`, runs `thenFn` on the true side and `elseFn` on the
   * false side (each given the switched tensors and its pivot), merges their outputs.
   * @returns the merged outputs and the `branch_executed` node when `withDone`
   */
  private cond(
    owner: IrNode,
    base: string,
    pred: TensorRef,
    inputs: TensorRef[],
    types: number[],
    outTypes: number[],
    ctrl: IrInput[],
    thenFn: (ins: TensorRef[], pivot: string) => Inlined,
    elseFn: (ins: TensorRef[], pivot: string) => Inlined,
    withDone: boolean,
  ): { outputs: TensorRef[]; done: string | null } {
    const dev = owner.device;
    const T = (t: number): [string, ReturnType<typeof attr.type>] => ['T', attr.type(t)];
    const sp = this.make(`${base}/switch_pred`, 'Switch', [dataEdge(pred), dataEdge(pred), ...ctrl.map((c) => ({ ...c }))], dev, [T(DataType.DT_BOOL)]);
    const pt = this.make(`${base}/pivot_t`, 'Identity', [{ node: sp.name, output: 1, control: false }], dev, [T(DataType.DT_BOOL)]);
    const pf = this.make(`${base}/pivot_f`, 'Identity', [{ node: sp.name, output: 0, control: false }], dev, [T(DataType.DT_BOOL)]);
    const switches = inputs.map((t, k) => this.make(`${base}/switch_${k}`, 'Switch', [dataEdge(t), dataEdge(pred), ...ctrl.map((c) => ({ ...c }))], dev, [T(types[k]!)]));
    const th = thenFn(switches.map((s) => ({ node: s.name, output: 1 })), pt.name);
    const el = elseFn(switches.map((s) => ({ node: s.name, output: 0 })), pf.name);
    if (th.outputs.length !== outTypes.length || el.outputs.length !== outTypes.length) {
      throw this.error(owner, `branches return ${th.outputs.length} and ${el.outputs.length} tensors, the node has ${outTypes.length} outputs`);
    }
    const outputs = outTypes.map((t, k) => {
      const m = this.make(`${base}/merge_${k}`, 'Merge', [dataEdge(th.outputs[k]!), dataEdge(el.outputs[k]!)], dev, [T(t), ['N', attr.int(2)]]);
      return { node: m.name, output: 0 };
    });
    let done: string | null = null;
    if (withDone) {
      const waits = [...th.controlRets, ...el.controlRets].map(controlEdge);
      done = this.make(`${base}/branch_executed`, 'Merge', [dataEdge({ node: pt.name, output: 0 }), dataEdge({ node: pf.name, output: 0 }), ...waits], dev, [T(DataType.DT_BOOL), ['N', attr.int(2)]]).name;
    }
    return { outputs, done };
  }

  lowerIf(node: IrNode): void {
    const ins = dataInputs(node);
    if (ins.length < 1) throw this.error(node, 'has no predicate input');
    this.checkBool(node, getAttrs.getType(node, 'Tcond'), 'the predicate (attr Tcond)');
    const args = ins.slice(1);
    const tin = this.typeList(node, 'Tin', args.length);
    const tout = getAttrs.getTypeList(node, 'Tout');
    const thenRef = this.funcAttr(node, 'then_branch');
    const elseRef = this.funcAttr(node, 'else_branch');
    const base = node.name;
    const { outputs, done } = this.cond(
      node,
      base,
      ins[0]!,
      args,
      tin,
      tout,
      controlInputs(node),
      (x, pivot) => this.inline(node, thenRef, x, `${base}/then/`, pivot, 'then_branch'),
      (x, pivot) => this.inline(node, elseRef, x, `${base}/else/`, pivot, 'else_branch'),
      this.hasControlConsumers(node.name),
    );
    this.replace(node, outputs, done ? [done] : []);
    this.stats.ifs++;
  }

  lowerCase(node: IrNode): void {
    const ins = dataInputs(node);
    if (ins.length < 1) throw this.error(node, 'has no branch_index input');
    const args = ins.slice(1);
    const tin = this.typeList(node, 'Tin', args.length);
    const tout = getAttrs.getTypeList(node, 'Tout');
    const branches = getAttrs.getList(node, 'branches')?.func ?? [];
    if (branches.length === 0) throw this.error(node, 'has no branches');
    const base = node.name;
    const dev = node.device;
    const I32 = DataType.DT_INT32;
    const level = (j: number, index: TensorRef, x: TensorRef[], ctrl: IrInput[], withDone: boolean): { outputs: TensorRef[]; done: string | null; rets: string[] } => {
      // an Identity of the index: the pivot of this level (a control edge from a Switch would not carry deadness)
      const idx = this.make(`${base}/index_${j}`, 'Identity', [dataEdge(index), ...ctrl.map((c) => ({ ...c }))], dev, [['T', attr.type(I32)]]);
      if (j === branches.length - 1) {
        const r = this.inline(node, branches[j]!, x, `${base}/branch_${j}/`, idx.name, `branches[${j}]`);
        if (r.outputs.length !== tout.length) throw this.error(node, `branches[${j}] returns ${r.outputs.length} tensors, the node has ${tout.length} outputs`, branches[j]!.name);
        return { outputs: r.outputs, done: withDone ? idx.name : null, rets: r.controlRets };
      }
      const value = this.make(`${base}/index_${j}/value`, 'Const', [controlEdge(idx.name)], dev, [['dtype', attr.type(I32)], ['value', attr.tensor(smallTensorProto(I32, [], [j]))]]);
      const pred = this.make(`${base}/is_branch_${j}`, 'Equal', [dataEdge({ node: idx.name, output: 0 }), dataEdge({ node: value.name, output: 0 })], dev, [
        ['T', attr.type(I32)],
        ['incompatible_shape_error', attr.bool(true)],
      ]);
      let restRets: string[] = [];
      const r = this.cond(
        node,
        `${base}/case_${j}`,
        { node: pred.name, output: 0 },
        [...x, { node: idx.name, output: 0 }],
        [...tin, I32],
        tout,
        [],
        (s, pivot) => this.inline(node, branches[j]!, s.slice(0, -1), `${base}/branch_${j}/`, pivot, `branches[${j}]`),
        (s) => {
          const rest = level(j + 1, s[s.length - 1]!, s.slice(0, -1), [], false);
          restRets = rest.rets;
          return { outputs: rest.outputs, types: tout, controlRets: rest.rets };
        },
        withDone,
      );
      return { outputs: r.outputs, done: r.done, rets: restRets };
    };
    const { outputs, done } = level(0, ins[0]!, args, controlInputs(node), this.hasControlConsumers(node.name));
    this.replace(node, outputs, done ? [done] : []);
    this.stats.cases++;
  }

  lowerWhile(node: IrNode): void {
    const ins = dataInputs(node);
    if (ins.length === 0) throw this.error(node, 'has no loop variables; a loop without loop variables cannot be lowered');
    const types = this.typeList(node, 'T', ins.length);
    const condRef = this.funcAttr(node, 'cond');
    const bodyRef = this.funcAttr(node, 'body');
    const parallel = getAttrs.getInt(node, 'parallel_iterations') ?? 10n;
    const base = node.name;
    const dev = node.device;
    const ctrl = controlInputs(node);
    const frame = `${base}/while_context`;
    const T = (t: number): [string, ReturnType<typeof attr.type>] => ['T', attr.type(t)];
    const enters = ins.map((t, k) =>
      this.make(`${base}/enter_${k}`, 'Enter', [dataEdge(t), ...ctrl.map((c) => ({ ...c }))], dev, [
        T(types[k]!),
        ['frame_name', attr.string(frame)],
        ['is_constant', attr.bool(false)],
        ['parallel_iterations', attr.int(parallel)],
      ]),
    );
    // names of the NextIteration nodes are reserved now: the Merges read them (back edges)
    const nextNames: string[] = [];
    const reserved = new Set<string>();
    for (let k = 0; k < ins.length; k++) {
      const name = uniqueName(this.g, `${base}/next_iteration_${k}`, reserved);
      reserved.add(name);
      nextNames.push(name);
    }
    const merges = enters.map((e, k) =>
      this.make(`${base}/merge_${k}`, 'Merge', [dataEdge({ node: e.name, output: 0 }), dataEdge({ node: nextNames[k]!, output: 0 })], dev, [T(types[k]!), ['N', attr.int(2)]]),
    );
    const c = this.inline(node, condRef, merges.map((m) => ({ node: m.name, output: 0 })), `${base}/cond/`, merges[0]!.name, 'cond');
    if (c.outputs.length !== 1) throw this.error(node, `cond function ${condRef.name} returns ${c.outputs.length} tensors, not 1`, condRef.name);
    this.checkBool(node, c.types[0], `the result of cond function ${condRef.name}`);
    const loopCond = this.make(`${base}/loop_cond`, 'LoopCond', [dataEdge(c.outputs[0]!), ...c.controlRets.map(controlEdge)], dev);
    const switches = merges.map((m, k) => this.make(`${base}/switch_${k}`, 'Switch', [dataEdge({ node: m.name, output: 0 }), dataEdge({ node: loopCond.name, output: 0 })], dev, [T(types[k]!)]));
    const exits = switches.map((s, k) => this.make(`${base}/exit_${k}`, 'Exit', [dataEdge({ node: s.name, output: 0 })], dev, [T(types[k]!)]));
    const idents = switches.map((s, k) => this.make(`${base}/body_input_${k}`, 'Identity', [dataEdge({ node: s.name, output: 1 })], dev, [T(types[k]!)]));
    for (const r of reserved) if (this.g.nodes.has(r)) throw this.error(node, `node name ${JSON.stringify(r)} is taken`);
    const b = this.inline(node, bodyRef, idents.map((i) => ({ node: i.name, output: 0 })), `${base}/body/`, idents[0]!.name, 'body');
    if (b.outputs.length !== ins.length) throw this.error(node, `body function ${bodyRef.name} returns ${b.outputs.length} tensors for ${ins.length} loop variables`, bodyRef.name);
    b.outputs.forEach((t, k) => {
      if (this.g.nodes.has(nextNames[k]!)) throw this.error(node, `node name ${JSON.stringify(nextNames[k])} is taken`);
      this.add({ name: nextNames[k]!, op: 'NextIteration', inputs: [dataEdge(t), ...b.controlRets.map(controlEdge)], device: dev, attrs: new Map([T(types[k]!)]) });
    });
    this.replace(
      node,
      exits.map((e) => ({ node: e.name, output: 0 })),
      exits.map((e) => e.name),
    );
    this.stats.whiles++;
  }

  lower(name: string): void {
    const node = this.g.nodes.get(name);
    if (!node) return;
    if (node.op === 'If' || node.op === 'StatelessIf') this.lowerIf(node);
    else if (node.op === 'While' || node.op === 'StatelessWhile') this.lowerWhile(node);
    else if (node.op === 'Case' || node.op === 'StatelessCase') this.lowerCase(node);
    const max = this.options.maxNodes ?? 5_000_000;
    if (this.g.nodes.size > max) {
      throw new UnsupportedOpError('ERR_TFEXPORT_GRAPH_TOO_LARGE', `${this.g.where}: lowering control flow grew the graph past ${max} nodes (at node ${JSON.stringify(name)})`, { field: name });
    }
  }
}

/**
 * Lowers every `If` / `While` / `Case` (and `Stateless*`) node of `g` into control flow v1 (see
 * the module doc), including control flow inside the inlined bodies. Rewrites consumers and
 * `g.outputs`; functions stay in the library (drop the unreferenced ones afterwards).
 * @returns what was lowered
 * @throws FormatError `ERR_TFEXPORT_FUNCTION_NOT_FOUND` naming the node and function when a
 *   branch / cond / body is not in the library, `ERR_TFEXPORT_FUNCTION_DEF` /
 *   `ERR_TFEXPORT_GRAPH_ATTR` for malformed nodes or bodies; UnsupportedOpError
 *   `ERR_TFEXPORT_UNSUPPORTED_OP` for non-boolean predicates, `ERR_TFEXPORT_FUNCTION_CYCLE`
 *   for recursive functions, `ERR_TFEXPORT_GRAPH_TOO_LARGE`
 */
export function lowerControlFlow(g: WorkGraph, options: LowerControlFlowOptions): LowerControlFlowStats {
  const l = new Lowerer(g, options);
  const queue = [...g.nodes.values()].filter((n) => LOWERED_CONTROL_FLOW_OPS.has(n.op)).map((n) => n.name);
  for (let qi = 0; qi < queue.length; qi++) {
    l.lower(queue[qi]!);
    queue.push(...l.pending.splice(0));
  }
  return l.stats;
}

/** Options of {@link lowerControlFlowIR}. */
export interface LowerControlFlowIROptions {
  /** op output layouts (default: built-ins plus the IR's library) */
  registry?: OpRegistry;
  /** names the graph in errors and in the lifted constants' source (default `graph`) */
  where?: string;
  /** signature outputs keep their tensor names (see {@link LowerControlFlowOptions.keepOutputNames}) */
  keepOutputNames?: boolean;
}

/**
 * Lowers control flow v2 in a {@link GraphIR} in place: {@link lowerControlFlow}, then lifts the
 * inlined constants into weights, rewrites the signatures' output tensor names, orders the
 * nodes topologically and drops the library functions no node references any more.
 * @returns what was lowered
 */
export function lowerControlFlowIR(ir: GraphIR, options: LowerControlFlowIROptions = {}): LowerControlFlowStats {
  const where = options.where ?? 'graph';
  const sigs = [...ir.signatures.values()];
  const outputs = sigs.flatMap((s) => s.outputs.map((o) => parseTensorName(o.name, `${where}: signature ${s.key} output ${o.key}`)));
  const keep = new Set(sigs.flatMap((s) => s.inputs.map((i) => parseTensorName(i.name, `${where}: signature ${s.key} input ${i.key}`).node)));
  const g: WorkGraph = { nodes: ir.nodes, outputs, keep, where };
  const stats = lowerControlFlow(g, { library: ir.functions, registry: options.registry ?? new OpRegistry([], ir.functions), keepOutputNames: options.keepOutputNames });
  liftConstants(g, ir.weights, where);
  sortTopologically(g);
  ir.nodes = g.nodes;
  let k = 0;
  for (const s of sigs) for (const o of s.outputs) o.name = tensorName(g.outputs[k++]!);
  const used = new Set<string>();
  const queue = functionsReferencedByAttrs([...ir.nodes.values()].map((n) => n.attrs));
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi]!;
    if (used.has(name)) continue;
    used.add(name);
    const f = ir.functions.get(name);
    if (f) queue.push(...functionsReferencedBy(f));
  }
  for (const name of [...ir.functions.keys()]) if (!used.has(name)) ir.functions.delete(name);
  return stats;
}
