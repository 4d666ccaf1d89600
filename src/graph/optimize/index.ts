// SPDX-License-Identifier: Apache-2.0
/**
 * The graph optimizations run before writing a tfjs graph model, in tensorflowjs_converter's
 * order (formats.md b1.4): debug-op stripping, identity removal, constant folding, pruning, batch-norm folding,
 * PReLU detection, fusion, pruning; then a topological sort.
 */
import { sortTopologically } from '../work-graph.js';
import { foldConstants } from './constant-fold.js';
import { foldBatchNorms } from './fold-batchnorm.js';
import { fuseOps } from './fuse.js';
import type { OptGraph } from './graph.js';
import { fusePrelu } from './prelu.js';
import { pruneUnused } from './prune.js';
import { removeIdentities } from './remove-identity.js';
import { stripDebug } from './strip-debug.js';

export type { OptGraph } from './graph.js';
export { stripDebug, removeIdentities, foldConstants, pruneUnused, foldBatchNorms, fusePrelu, fuseOps };

/** Options of {@link optimizeGraph}. */
export interface OptimizeOptions {
  /** Remove Assert / CheckNumerics / Print and other debug ops (default true). */
  stripDebugOps?: boolean;
}

/** What each pass did. */
export interface OptimizeStats {
  debugOpsStripped: number;
  identitiesRemoved: number;
  constantsFolded: number;
  nodesPruned: number;
  batchNormsFolded: number;
  preluMade: number;
  fusedNodes: number;
}

/**
 * Runs every pass on `g` (in place).
 * @returns per-pass counts
 */
export async function optimizeGraph(g: OptGraph, options: OptimizeOptions = {}): Promise<OptimizeStats> {
  const debugOpsStripped = options.stripDebugOps === false ? 0 : stripDebug(g);
  const identitiesRemoved = removeIdentities(g);
  const constantsFolded = await foldConstants(g);
  let nodesPruned = pruneUnused(g);
  const batchNormsFolded = await foldBatchNorms(g);
  nodesPruned += pruneUnused(g);
  const preluMade = await fusePrelu(g);
  nodesPruned += pruneUnused(g);
  const fusedNodes = fuseOps(g);
  nodesPruned += pruneUnused(g);
  sortTopologically(g);
  return { debugOpsStripped, identitiesRemoved, constantsFolded, nodesPruned, batchNormsFolded, preluMade, fusedNodes };
}
