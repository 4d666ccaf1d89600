// SPDX-License-Identifier: Apache-2.0
/** Removes nodes (and their weights) no graph output or kept node depends on. */
import { reachableFrom } from '../work-graph.js';
import type { OptGraph } from './graph.js';

/**
 * Runs the pass.
 * @returns the number of nodes removed
 */
export function pruneUnused(g: OptGraph): number {
  const live = reachableFrom(g, [...g.outputs.map((t) => t.node), ...g.keep]);
  let removed = 0;
  for (const name of [...g.nodes.keys()]) {
    if (!live.has(name)) {
      g.nodes.delete(name);
      g.weights.delete(name);
      removed++;
    }
  }
  return removed;
}
