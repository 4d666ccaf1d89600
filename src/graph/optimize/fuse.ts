// SPDX-License-Identifier: Apache-2.0
/**
 * Fuses `Conv2D` / `DepthwiseConv2dNative` / `MatMul` with a following bias and activation into
 * the fused ops tfjs executes (grappler's remapper plus tensorflowjs_converter's depthwise and
 * PReLU fusions): `_FusedConv2D`, `FusedDepthwiseConv2dNative`, `_FusedMatMul` with attrs
 * `fused_ops` (`[BiasAdd]` or `[BiasAdd, <act>]`), `num_args` (1, or 2 with `Prelu`'s alpha),
 * `epsilon` (0) and, for `LeakyRelu`, `leakyrelu_alpha`.
 *
 * The bias is a `BiasAdd`, or an `Add`/`AddV2` of a 1-D constant (normalized to `BiasAdd`).
 * Activations fused: Relu, Relu6, Elu, LeakyRelu, Sigmoid, Prelu: the ones tfjs' fused kernels
 * implement (`Tanh` and `Selu` stay separate ops: tfjs cannot run them fused). The fused node
 * takes the name of the last node of the chain, so its consumers and output names are kept.
 */
import type { IrNode } from '../../ir/types.js';
import { attr, emptyAttrList } from '../../ir/attrs.js';
import { DataType } from '../../proto/types.generated.js';
import { nodeType, protectedNodes, stringAttr, type OptGraph } from './graph.js';
import { ConsumerIndex } from '../work-graph.js';

const FUSED_NAME: Record<string, string> = { Conv2D: '_FusedConv2D', DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative', MatMul: '_FusedMatMul' };
/** Activations tfjs can run fused. */
export const FUSABLE_ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid', 'Prelu']);

function soleConsumer(users: ConsumerIndex, name: string, keep: Set<string>): IrNode | undefined {
  if (keep.has(name) || users.hasControl(name)) return undefined;
  const cs = users.data(name);
  return cs.length === 1 && cs[0].node.inputs[cs[0].index].output === 0 ? cs[0].node : undefined;
}

function biasInput(g: OptGraph, n: IrNode, from: string): { node: string; output: number } | undefined {
  const data = n.inputs.filter((i) => !i.control);
  if (data.length !== 2) return undefined;
  if (n.op === 'BiasAdd') {
    if (stringAttr(n, 'data_format') === 'NCHW') return undefined;
    return data[0].node === from && data[0].output === 0 ? data[1] : undefined;
  }
  if (n.op !== 'Add' && n.op !== 'AddV2') return undefined;
  const other = data[0].node === from ? data[1] : data[1].node === from ? data[0] : undefined;
  if (!other) return undefined;
  const w = g.nodes.get(other.node)?.op === 'Const' ? g.weights.get(other.node) : undefined;
  return w && w.shape.length === 1 ? other : undefined;
}

function fusedOpsAttr(ops: string[]) {
  return { kind: 'list' as const, value: { ...emptyAttrList(), s: ops.map((o) => new TextEncoder().encode(o)) } };
}

/**
 * Runs the pass.
 * @returns the number of fused nodes made
 */
export function fuseOps(g: OptGraph): number {
  const keep = protectedNodes(g);
  const users = new ConsumerIndex(g);
  let fused = 0;
  for (const base of [...g.nodes.values()]) {
    const fusedOp = FUSED_NAME[base.op];
    if (!fusedOp || !g.nodes.has(base.name)) continue;
    const T = nodeType(base);
    if (T !== DataType.DT_FLOAT || stringAttr(base, 'data_format') === 'NCHW') continue;
    const biasNode = soleConsumer(users, base.name, keep);
    if (!biasNode) continue;
    const bias = biasInput(g, biasNode, base.name);
    if (!bias) continue;
    const chain = [biasNode];
    const ops = ['BiasAdd'];
    const args = [bias];
    let last = biasNode;
    const act = soleConsumer(users, biasNode.name, keep) ?? (() => {
      // the bias node may itself be protected (a graph output): then no activation is fused
      return undefined;
    })();
    if (act && FUSABLE_ACTIVATIONS.has(act.op) && act.inputs.filter((i) => !i.control)[0]?.node === biasNode.name) {
      if (act.op === 'Prelu') {
        const alpha = act.inputs.filter((i) => !i.control)[1];
        if (alpha) {
          args.push(alpha);
          ops.push('Prelu');
          chain.push(act);
          last = act;
        }
      } else {
        ops.push(act.op);
        chain.push(act);
        last = act;
      }
    }
    const attrs = new Map(base.attrs);
    attrs.set('fused_ops', fusedOpsAttr(ops));
    attrs.set('num_args', attr.int(args.length));
    attrs.set('epsilon', attr.float(0));
    if (last.op === 'LeakyRelu') {
      const a = last.attrs.get('alpha');
      attrs.set('leakyrelu_alpha', attr.float(a?.kind === 'f' ? a.value : 0.2));
    }
    if (fusedOp !== 'FusedDepthwiseConv2dNative') attrs.set('TArgs', attr.typeList(args.map(() => T)));
    const controls = [base, ...chain].flatMap((n) => n.inputs.filter((i) => i.control));
    const node: IrNode = {
      name: last.name,
      op: fusedOp,
      inputs: [...base.inputs.filter((i) => !i.control), ...args.map((a) => ({ node: a.node, output: a.output, control: false })), ...controls],
      device: base.device,
      attrs,
    };
    g.nodes.delete(base.name);
    for (const n of chain) if (n !== last) g.nodes.delete(n.name);
    g.nodes.set(last.name, node);
    users.touch(node);
    fused++;
  }
  return fused;
}
