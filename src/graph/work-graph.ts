// SPDX-License-Identifier: Apache-2.0
/**
 * The mutable graph the passes work on: nodes plus the tensors the graph must keep producing
 * (signature outputs, or a function's return values) and nodes it must keep (signature inputs,
 * function arguments). Graph helpers: tensor keys, batched edge rewrites, reachability, names and
 * topological order.
 */
import { FormatError } from '../errors.js';
import type { IrInput, IrNode, TensorRef } from '../ir/types.js';

/** A graph being rewritten by the passes. */
export interface WorkGraph {
  nodes: Map<string, IrNode>;
  /** tensors the graph must produce (signature outputs / function returns); passes rewire them */
  outputs: TensorRef[];
  /** nodes kept even when no output needs them (signature inputs, function args, control returns) */
  keep: Set<string>;
  /** what the graph is, for error messages (`file` or `function NAME`) */
  where: string;
}

/** `node:output` as a map key. */
export function tensorKey(t: TensorRef): string {
  return `${t.node}:${t.output}`;
}

/** Data inputs of a node. */
export function dataInputs(n: IrNode): IrInput[] {
  return n.inputs.filter((i) => !i.control);
}

/** Control inputs of a node. */
export function controlInputs(n: IrNode): IrInput[] {
  return n.inputs.filter((i) => i.control);
}

/** A control edge from `node`. */
export function controlEdge(node: string): IrInput {
  return { node, output: -1, control: true };
}

/** A data edge from `t`. */
export function dataEdge(t: TensorRef): IrInput {
  return { node: t.node, output: t.output, control: false };
}

/** Puts data inputs first and removes duplicate control inputs (and self-loops through control). */
export function normalizeInputs(n: IrNode): void {
  const data = n.inputs.filter((i) => !i.control);
  const seen = new Set<string>();
  const control: IrInput[] = [];
  for (const i of n.inputs) {
    if (!i.control || seen.has(i.node) || i.node === n.name) continue;
    seen.add(i.node);
    control.push(i);
  }
  n.inputs = [...data, ...control];
}

/**
 * Applies data-edge rewrites `from -> to` to every node input and to the graph outputs, resolving
 * chains (`a -> b`, `b -> c` gives `a -> c`).
 * @throws FormatError `ERR_TFEXPORT_GRAPH_CYCLE` for a rewrite cycle
 */
export function rewriteTensors(g: WorkGraph, map: ReadonlyMap<string, TensorRef>): void {
  if (map.size === 0) return;
  const resolve = (t: TensorRef): TensorRef => {
    let cur = t;
    for (let hops = 0; ; hops++) {
      const next = map.get(tensorKey(cur));
      if (!next) return cur;
      if (hops > map.size) throw new FormatError('ERR_TFEXPORT_GRAPH_CYCLE', `${g.where}: tensor rewrites form a cycle through ${tensorKey(t)}`, { field: tensorKey(t) });
      cur = next;
    }
  };
  for (const n of g.nodes.values()) {
    const inputs = n.inputs;
    for (let k = 0; k < inputs.length; k++) {
      const i = inputs[k]!;
      if (i.control) continue;
      const r = resolve(i);
      if (r !== i) inputs[k] = dataEdge(r);
    }
  }
  g.outputs = g.outputs.map(resolve);
}

/**
 * Applies control-edge rewrites: a control input `^from` becomes control inputs on each node of
 * `map.get(from)` (resolved transitively; an empty list drops the edge). Also rewrites `keep`.
 */
export function rewriteControl(g: WorkGraph, map: ReadonlyMap<string, readonly string[]>): void {
  if (map.size === 0) return;
  const memo = new Map<string, string[]>();
  const resolve = (name: string, stack: Set<string>): string[] => {
    const direct = map.get(name);
    if (!direct) return [name];
    const cached = memo.get(name);
    if (cached) return cached;
    if (stack.has(name)) return [];
    stack.add(name);
    const out = new Set<string>();
    for (const d of direct) for (const r of resolve(d, stack)) out.add(r);
    stack.delete(name);
    const list = [...out];
    memo.set(name, list);
    return list;
  };
  for (const n of g.nodes.values()) {
    if (!n.inputs.some((i) => i.control && map.has(i.node))) continue;
    const next: IrInput[] = [];
    for (const i of n.inputs) {
      if (i.control && map.has(i.node)) for (const r of resolve(i.node, new Set())) next.push(controlEdge(r));
      else next.push(i);
    }
    n.inputs = next;
    normalizeInputs(n);
  }
}

/** Data consumers of every node's outputs: producer name -> [{node, input index}]. */
export function dataConsumers(g: WorkGraph): Map<string, { node: IrNode; index: number }[]> {
  const out = new Map<string, { node: IrNode; index: number }[]>();
  for (const n of g.nodes.values()) {
    n.inputs.forEach((i, index) => {
      if (i.control) return;
      let list = out.get(i.node);
      if (!list) out.set(i.node, (list = []));
      list.push({ node: n, index });
    });
  }
  return out;
}

/** Nodes reachable backwards (data and control edges) from `roots`. */
export function reachableFrom(g: WorkGraph, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots].filter((r) => g.nodes.has(r));
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const i of g.nodes.get(name)!.inputs) if (!seen.has(i.node) && g.nodes.has(i.node)) stack.push(i.node);
  }
  return seen;
}

/** A node name based on `base` that is not used in `g` nor in `taken`. */
export function uniqueName(g: WorkGraph, base: string, taken?: ReadonlySet<string>): string {
  if (!g.nodes.has(base) && !taken?.has(base)) return base;
  for (let k = 1; ; k++) {
    const name = `${base}_${k}`;
    if (!g.nodes.has(name) && !taken?.has(name)) return name;
  }
}

/**
 * Reorders `g.nodes` topologically (producers before consumers), keeping the current order
 * among independent nodes. Back edges of TF1 loops (`NextIteration`) are ignored; if the graph
 * still has a cycle the order is left unchanged.
 */
export function sortTopologically(g: WorkGraph): void {
  // Integer ids (positions in the current order) throughout: no per-edge strings or maps.
  const nodes = [...g.nodes.values()];
  const count = nodes.length;
  const position = new Map<string, number>();
  for (let k = 0; k < count; k++) position.set(nodes[k]!.name, k);
  const indegree = new Int32Array(count);
  // consumers of node p: edges[start[p] .. start[p + 1]) once filled (CSR built in two passes)
  const producersOf: number[][] = new Array(count);
  const outDegree = new Int32Array(count + 1);
  for (let k = 0; k < count; k++) {
    const prods: number[] = [];
    for (const i of nodes[k]!.inputs) {
      const p = position.get(i.node);
      if (p === undefined) continue;
      const op = nodes[p]!.op;
      if (op === 'NextIteration' || op === 'RefNextIteration' || prods.includes(p)) continue;
      prods.push(p);
      outDegree[p]!++;
    }
    producersOf[k] = prods;
    indegree[k] = prods.length;
  }
  const start = new Int32Array(count + 1);
  for (let p = 0; p < count; p++) start[p + 1] = start[p]! + outDegree[p]!;
  const fill = start.slice(0, count);
  const edges = new Int32Array(start[count]!);
  for (let k = 0; k < count; k++) for (const p of producersOf[k]!) edges[fill[p]!++] = k;
  // a binary heap on original positions keeps the result stable
  const heap = new Int32Array(count);
  let size = 0;
  const push = (v: number): void => {
    let c = size++;
    heap[c] = v;
    while (c > 0) {
      const p = (c - 1) >> 1;
      const hp = heap[p]!;
      if (hp <= v) break;
      heap[c] = hp;
      c = p;
    }
    heap[c] = v;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && heap[r]! < heap[l]! ? r : l;
      if (heap[m]! >= last) break;
      heap[p] = heap[m]!;
      p = m;
    }
    if (size > 0) heap[p] = last;
    return top;
  };
  for (let k = 0; k < count; k++) if (indegree[k] === 0) push(k);
  const sorted: number[] = [];
  while (size > 0) {
    const k = pop();
    sorted.push(k);
    for (let e = start[k]!; e < start[k + 1]!; e++) {
      const c = edges[e]!;
      if (--indegree[c]! === 0) push(c);
    }
  }
  if (sorted.length !== count) return;
  const next = new Map<string, IrNode>();
  for (const k of sorted) next.set(nodes[k]!.name, nodes[k]!);
  g.nodes = next;
}

/** Inserts nodes (throws on a name clash). */
export function addNodes(g: WorkGraph, nodes: Iterable<IrNode>): void {
  for (const n of nodes) {
    if (g.nodes.has(n.name)) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${g.where}: duplicate node name ${JSON.stringify(n.name)}`, { field: n.name });
    g.nodes.set(n.name, n);
  }
}

/**
 * Consumers of every node, built once per pass in one scan so that lookups cost the number of
 * consumers, not the number of nodes. The index keeps, per producer, the names of nodes that
 * read it (a superset: lookups re-check each candidate's current inputs, so removed or
 * rewired nodes drop out by themselves). A pass that adds a node or gives a node new inputs
 * calls {@link ConsumerIndex.touch} on it.
 */
export class ConsumerIndex {
  private readonly users = new Map<string, Set<string>>();

  constructor(private readonly g: WorkGraph) {
    for (const n of g.nodes.values()) this.touch(n);
  }

  /** Records the inputs of `n` (a new node, or one whose inputs changed). */
  touch(n: IrNode): void {
    for (const i of n.inputs) {
      let s = this.users.get(i.node);
      if (!s) this.users.set(i.node, (s = new Set()));
      s.add(n.name);
    }
  }

  /** Data consumers of output `output` of `name` (all outputs when undefined). */
  data(name: string, output?: number): { node: IrNode; index: number }[] {
    const out: { node: IrNode; index: number }[] = [];
    const s = this.users.get(name);
    if (!s) return out;
    for (const user of s) {
      const n = this.g.nodes.get(user);
      if (!n) continue;
      n.inputs.forEach((i, index) => {
        if (!i.control && i.node === name && (output === undefined || i.output === output)) out.push({ node: n, index });
      });
    }
    return out;
  }

  /** Nodes that read `name` now, through a data or a control edge. */
  all(name: string): IrNode[] {
    const out: IrNode[] = [];
    for (const user of this.users.get(name) ?? []) {
      const n = this.g.nodes.get(user);
      if (n && n.inputs.some((i) => i.node === name)) out.push(n);
    }
    return out;
  }

  /** True when any node has a control edge from `name`. */
  hasControl(name: string): boolean {
    const s = this.users.get(name);
    if (!s) return false;
    for (const user of s) {
      const n = this.g.nodes.get(user);
      if (n && n.inputs.some((i) => i.control && i.node === name)) return true;
    }
    return false;
  }
}
