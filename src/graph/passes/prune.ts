// SPDX-License-Identifier: Apache-2.0
/**
 * Pass: prune to the outputs. Keeps the nodes the graph outputs (signature outputs / function
 * returns) and the kept nodes (signature inputs, function arguments) depend on through data or
 * control edges; removes everything else (saver and initializer subgraphs, other signatures,
 * training ops).
 */
import { FormatError } from '../../errors.js';
import { reachableFrom, type WorkGraph } from '../work-graph.js';

/**
 * Removes nodes no output or kept node depends on.
 * @returns the number of nodes removed
 * @throws FormatError `ERR_TFEXPORT_TENSOR_NOT_FOUND` when an output names a missing node
 */
export function pruneGraph(g: WorkGraph): number {
  for (const t of g.outputs) {
    if (!g.nodes.has(t.node)) throw new FormatError('ERR_TFEXPORT_TENSOR_NOT_FOUND', `${g.where}: output tensor ${t.node}:${t.output} names a missing node`, { field: t.node });
  }
  const live = reachableFrom(g, [...g.outputs.map((t) => t.node), ...g.keep]);
  let removed = 0;
  for (const name of [...g.nodes.keys()]) {
    if (!live.has(name)) {
      g.nodes.delete(name);
      removed++;
    }
  }
  return removed;
}
