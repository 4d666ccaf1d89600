// SPDX-License-Identifier: Apache-2.0
/**
 * `--strip-debug-ops`: removes `Assert`/`PrintV2`/summaries and bypasses `CheckNumerics`/`Print`
 * (the freeze's {@link stripDebugOps}, applied here too because frozen GraphDef inputs do not go
 * through the freeze). Nodes producing graph outputs stay, so output names keep resolving.
 */
import { stripDebugOps } from '../passes/strip.js';
import { protectedNodes, type OptGraph } from './graph.js';

/**
 * Runs the pass.
 * @returns the number of nodes removed or bypassed
 */
export function stripDebug(g: OptGraph): number {
  const view = { nodes: g.nodes, outputs: g.outputs.slice(), keep: protectedNodes(g), where: g.where };
  return stripDebugOps(view);
}
