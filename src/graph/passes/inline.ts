// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: inline function calls.
 *
 * Replaces every `PartitionedCall` / `StatefulPartitionedCall` (function in attr `f`) and every
 * node whose op is a library function name by the function's body, recursively (bodies may call
 * further functions). Body nodes are renamed `<call node>/<body node>`; attr placeholders take
 * the instantiation attrs; arguments become the call's input tensors; consumers of `call:k` read
 * the k-th return value; control consumers of the call wait for the return values' producers and
 * the function's control returns; the call's own control inputs are attached to the body's
 * source nodes. Control-flow ops (`If`, `While`, `Case`...) are not calls: their functions stay in
 * the library.
 *
 * Cyclic calls (a function reachable from its own body) are refused with
 * UnsupportedOpError `ERR_TFEXPORT_FUNCTION_CYCLE` naming the cycle; no recursion is used, so deep
 * call chains cannot overflow the stack.
 */
import { FormatError, UnsupportedOpError } from '../../errors.js';
import type { FunctionDef } from '../../proto/types.generated.js';
import type { IrAttrValue, IrNode, TensorRef } from '../../ir/types.js';
import { instantiateFunction } from '../function-body.js';
import { CALL_OPS, type OpRegistry } from '../op-registry.js';
import { addNodes, controlInputs, dataInputs, rewriteControl, rewriteTensors, tensorKey, type WorkGraph } from '../work-graph.js';

/** Options of {@link inlineFunctionCalls}. */
export interface InlineOptions {
  library: ReadonlyMap<string, FunctionDef>;
  registry: OpRegistry;
  /** refuse to grow the graph beyond this many nodes (default 5,000,000) */
  maxNodes?: number;
}

/** The function a node calls and its instantiation attrs, or null when it is not a call. */
export function calledFunction(node: IrNode, library: ReadonlyMap<string, FunctionDef>): { name: string; attrs: ReadonlyMap<string, IrAttrValue> } | null {
  if (CALL_OPS.has(node.op)) {
    const f = node.attrs.get('f');
    if (f?.kind !== 'func') throw new FormatError('ERR_TFEXPORT_GRAPH_ATTR', `node ${JSON.stringify(node.name)} (${node.op}) has no function attr f`, { field: node.name });
    return { name: f.value.name, attrs: f.value.attrs };
  }
  if (library.has(node.op)) return { name: node.op, attrs: node.attrs };
  return null;
}

/**
 * Inlines every function call of `g` (see the module doc).
 * @returns the number of calls inlined
 * @throws FormatError `ERR_TFEXPORT_FUNCTION_NOT_FOUND` naming the node and function when a
 *   callee is not in the library; UnsupportedOpError `ERR_TFEXPORT_FUNCTION_CYCLE` for cyclic
 *   calls; FormatError `ERR_TFEXPORT_FUNCTION_DEF` for malformed bodies
 */
export function inlineFunctionCalls(g: WorkGraph, options: InlineOptions): number {
  const { library, registry } = options;
  const maxNodes = options.maxNodes ?? 5_000_000;
  const queue: string[] = [];
  for (const n of g.nodes.values()) if (calledFunction(n, library)) queue.push(n.name);
  // the functions each inlined node came from, innermost last (a linked list: deep chains stay linear in memory)
  interface Link { fn: string; parent: Link | null }
  const chainOf = new Map<string, Link>();
  const chainList = (l: Link | null): string[] => {
    const out: string[] = [];
    for (let c = l; c; c = c.parent) out.push(c.fn);
    return out.reverse();
  };
  const dataRewrites = new Map<string, TensorRef>();
  const controlRewrites = new Map<string, string[]>();
  let inlined = 0;
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi]!;
    const node = g.nodes.get(name);
    if (!node) continue;
    const call = calledFunction(node, library)!;
    const fdef = library.get(call.name);
    if (!fdef) {
      throw new FormatError('ERR_TFEXPORT_FUNCTION_NOT_FOUND', `${g.where}: node ${JSON.stringify(name)} (${node.op}) calls function ${JSON.stringify(call.name)}, which is not in the library`, {
        field: name,
        function: call.name,
      });
    }
    const link = chainOf.get(name) ?? null;
    let seen = false;
    for (let c = link; c && !seen; c = c.parent) seen = c.fn === call.name;
    if (seen) {
      const chain = chainList(link);
      const cycle = [...chain.slice(chain.lastIndexOf(call.name)), call.name];
      throw new UnsupportedOpError('ERR_TFEXPORT_FUNCTION_CYCLE', `${g.where}: cyclic function calls ${cycle.join(' -> ')} (node ${JSON.stringify(name)}); recursive functions cannot be inlined`, {
        field: name,
        functions: cycle,
      });
    }
    let prefix = `${name}/`;
    const bodyNames = fdef.nodeDef.map((n) => n.name);
    for (let k = 1; bodyNames.some((b) => g.nodes.has(prefix + b)); k++) prefix = `${name}/_inlined${k}/`;
    const inputs = dataInputs(node).map((i) => ({ node: i.node, output: i.output }));
    const inst = instantiateFunction(fdef, {
      registry,
      attrs: call.attrs,
      prefix,
      inputs,
      where: `${g.where}: function ${call.name} called by node ${name}`,
    });
    const rets = inst.rets.flatMap((r) => r.refs);
    const tout = node.attrs.get('Tout');
    if (tout?.kind === 'list' && tout.value.type.length !== rets.length) {
      throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${g.where}: node ${JSON.stringify(name)} expects ${tout.value.type.length} outputs from ${call.name}, which returns ${rets.length}`, {
        field: name,
        function: call.name,
      });
    }
    const ctrl = controlInputs(node);
    const nextChain: Link = { fn: call.name, parent: link };
    for (const n of inst.nodes) {
      if (ctrl.length && n.inputs.length === 0) n.inputs.push(...ctrl.map((c) => ({ ...c })));
      if (!n.device && node.device) n.device = node.device;
      chainOf.set(n.name, nextChain);
    }
    g.nodes.delete(name);
    chainOf.delete(name);
    if (g.keep.delete(name)) for (const r of rets) g.keep.add(r.node);
    addNodes(g, inst.nodes);
    rets.forEach((r, k) => dataRewrites.set(tensorKey({ node: name, output: k }), r));
    const waitFor = new Set<string>([...rets.map((r) => r.node), ...inst.controlRets.values()]);
    if (waitFor.size === 0) for (const c of ctrl) waitFor.add(c.node);
    controlRewrites.set(name, [...waitFor]);
    for (const n of inst.nodes) if (calledFunction(n, library)) queue.push(n.name);
    inlined++;
    if (g.nodes.size > maxNodes) {
      throw new UnsupportedOpError('ERR_TFEXPORT_GRAPH_TOO_LARGE', `${g.where}: inlining function calls grew the graph past ${maxNodes} nodes (at node ${JSON.stringify(name)})`, { field: name });
    }
  }
  rewriteTensors(g, dataRewrites);
  rewriteControl(g, controlRewrites);
  return inlined;
}
