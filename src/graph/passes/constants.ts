// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: lift Const values into lazy weights (graph invariant 2 of the IR): every graph Const
 * whose dtype has a byte layout loses its `value` attr and gets a weight of the same name.
 */
import type { IrWeight } from '../../ir/types.js';
import { hasWeightLayout, tensorProtoWeight } from '../../ir/weights.js';
import { attr } from '../../ir/attrs.js';
import type { WorkGraph } from '../work-graph.js';

/**
 * Moves Const values into `weights` (lazy views of the TensorProtos).
 * @param file named in the weights' source and in errors
 * @returns the number of weights added
 */
export function liftConstants(g: WorkGraph, weights: Map<string, IrWeight>, file: string): number {
  let lifted = 0;
  for (const n of g.nodes.values()) {
    if (n.op !== 'Const') continue;
    const v = n.attrs.get('value');
    if (v?.kind !== 'tensor' || !hasWeightLayout(v.value.dtype)) continue;
    weights.set(n.name, tensorProtoWeight(n.name, v.value, { file, node: n.name }));
    n.attrs.delete('value');
    n.attrs.set('dtype', attr.type(v.value.dtype));
    lifted++;
  }
  return lifted;
}
