// SPDX-License-Identifier: Apache-2.0
/**
 * Removes pass-through nodes: `Identity`, `Snapshot`, `StopGradient`, `IdentityN` and `NoOp`
 * (grappler's dependency optimizer, as tensorflowjs_converter runs it). Consumers read the
 * input instead; control edges from a removed node move to its own inputs. Nodes that produce
 * a graph output or are kept (signature inputs) stay so that output names resolve, and
 * identities next to TF1 control flow (Switch/Merge/Enter/...) stay because they anchor
 * frames and branches.
 */
import type { TensorRef } from '../../ir/types.js';
import { rewriteControl, rewriteTensors, tensorKey } from '../work-graph.js';
import { protectedNodes, type OptGraph } from './graph.js';

const PASS_THROUGH = new Set(['Identity', 'Snapshot', 'StopGradient', 'IdentityN', 'NoOp']);
/** TF1 control-flow ops around which identities are kept. */
export const V1_CONTROL_FLOW = new Set(['Switch', 'RefSwitch', 'Merge', 'RefMerge', 'Enter', 'RefEnter', 'Exit', 'RefExit', 'NextIteration', 'RefNextIteration', 'LoopCond']);

/**
 * Runs the pass.
 * @returns the number of nodes removed
 */
export function removeIdentities(g: OptGraph): number {
  const keep = protectedNodes(g);
  const cfConsumers = new Set<string>();
  for (const n of g.nodes.values()) if (V1_CONTROL_FLOW.has(n.op)) for (const i of n.inputs) cfConsumers.add(i.node);
  const tensorMap = new Map<string, TensorRef>();
  const controlMap = new Map<string, string[]>();
  const removed: string[] = [];
  for (const n of g.nodes.values()) {
    if (!PASS_THROUGH.has(n.op) || keep.has(n.name) || cfConsumers.has(n.name)) continue;
    const data = n.inputs.filter((i) => !i.control);
    const control = n.inputs.filter((i) => i.control);
    if (n.op === 'NoOp') {
      if (data.length) continue;
    } else {
      if (n.op !== 'IdentityN' && data.length !== 1) continue;
      // Data consumers would lose the control dependencies; keep such identities.
      if (control.length) continue;
      if (data.some((d) => V1_CONTROL_FLOW.has(g.nodes.get(d.node)?.op ?? ''))) continue;
      data.forEach((d, k) => tensorMap.set(tensorKey({ node: n.name, output: k }), { node: d.node, output: d.output }));
    }
    controlMap.set(n.name, [...new Set([...data.map((d) => d.node), ...control.map((c) => c.node)])]);
    removed.push(n.name);
  }
  const outputs = g.outputs;
  rewriteTensors(g, tensorMap);
  g.outputs = outputs;
  rewriteControl(g, controlMap);
  for (const name of removed) g.nodes.delete(name);
  // A node may now list the same control input twice or a control input it also reads.
  for (const n of g.nodes.values()) {
    const dataNodes = new Set(n.inputs.filter((i) => !i.control).map((i) => i.node));
    const seen = new Set<string>();
    n.inputs = n.inputs.filter((i) => {
      if (!i.control) return true;
      if (dataNodes.has(i.node) || seen.has(i.node) || i.node === n.name) return false;
      seen.add(i.node);
      return true;
    });
  }
  return removed.length;
}
