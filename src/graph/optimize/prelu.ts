// SPDX-License-Identifier: Apache-2.0
/**
 * Rewrites the PReLU pattern `Relu(x) + c * Relu(Neg(x))` (c a constant, the folded `-alpha`)
 * into tfjs' `Prelu(x, alpha)` with a new Const `<add>/alpha` = `-c` (tensorflowjs_converter's
 * `fuse_prelu`). The Add node keeps its name.
 */
import type { IrNode } from '../../ir/types.js';
import { attr } from '../../ir/attrs.js';
import { DataType } from '../../proto/types.generated.js';
import { freshName, protectedNodes, readConst, setConst, type OptGraph } from './graph.js';

function data(n: IrNode) {
  return n.inputs.filter((i) => !i.control);
}

/**
 * Runs the pass.
 * @returns the number of Prelu nodes made
 */
export async function fusePrelu(g: OptGraph): Promise<number> {
  const keep = protectedNodes(g);
  let made = 0;
  for (const add of [...g.nodes.values()]) {
    if ((add.op !== 'Add' && add.op !== 'AddV2') || !g.nodes.has(add.name)) continue;
    const [a, b] = data(add);
    if (!a || !b || a.output !== 0 || b.output !== 0) continue;
    for (const [posRef, negRef] of [[a, b], [b, a]]) {
      const pos = g.nodes.get(posRef.node);
      const mul = g.nodes.get(negRef.node);
      if (pos?.op !== 'Relu' || mul?.op !== 'Mul' || keep.has(pos.name) || keep.has(mul.name)) continue;
      const [m0, m1] = data(mul);
      const cRef = g.nodes.get(m0?.node)?.op === 'Const' ? m0 : m1;
      const rRef = cRef === m0 ? m1 : m0;
      const relu2 = rRef ? g.nodes.get(rRef.node) : undefined;
      const neg = relu2?.op === 'Relu' ? g.nodes.get(data(relu2)[0]?.node) : undefined;
      const x = data(pos)[0];
      if (!neg || neg.op !== 'Neg' || !x || data(neg)[0]?.node !== x.node || data(neg)[0]?.output !== x.output) continue;
      const c = cRef ? await readConst(g, cRef.node) : undefined;
      if (!c || c.dataType !== DataType.DT_FLOAT) continue;
      const alphaName = freshName(g, `${add.name}/alpha`);
      setConst(g, alphaName, DataType.DT_FLOAT, c.shape, Float32Array.from(c.values, (v) => -v));
      g.nodes.set(add.name, {
        name: add.name,
        op: 'Prelu',
        inputs: [{ ...x, control: false }, { node: alphaName, output: 0, control: false }, ...add.inputs.filter((i) => i.control)],
        device: add.device,
        attrs: new Map([['T', attr.type(DataType.DT_FLOAT)]]),
      });
      made++;
      break;
    }
  }
  return made;
}
