// SPDX-License-Identifier: Apache-2.0
/**
 * Passes: remove debug and training-only ops, and control dependencies that only order state.
 *
 * {@link stripDebugOps}: `Assert`, `PrintV2` and other debug sinks are removed (with the control
 * edges to them); pass-through debug ops (`CheckNumerics`, `Print`, `DebugIdentity`...) are
 * replaced by their first input; checkpoint ops (`SaveV2`, `RestoreV2`, `MergeV2Checkpoints`...)
 * are removed when nothing reads their data.
 *
 * {@link simplifyControlDependencies}: `NoOp` nodes (control hubs) are removed, each control edge
 * to one replaced by edges to its own control inputs; then control edges from constant-like
 * nodes (Const, Placeholder, function args, and Identity chains over them — e.g. former
 * `ReadVariableOp`s of frozen variables) are dropped: they only ordered reads of state that no
 * longer exists. Control edges from other nodes (e.g. the pivots that place TF1 loop constants in
 * their frame) are kept.
 */
import type { IrNode, TensorRef } from '../../ir/types.js';
import { dataInputs, rewriteControl, rewriteTensors, tensorKey, normalizeInputs, type WorkGraph } from '../work-graph.js';

/** Debug ops without outputs anyone reads: removed. */
export const DEBUG_SINK_OPS: ReadonlySet<string> = new Set(['Assert', 'PrintV2', 'DebugNanCount', 'DebugNumericSummary', 'DebugNumericSummaryV2', 'HistogramSummary', 'ScalarSummary', 'TensorSummary', 'TensorSummaryV2', 'ImageSummary', 'AudioSummary', 'AudioSummaryV2', 'MergeSummary', 'WriteScalarSummary', 'WriteHistogramSummary', 'WriteSummary', 'WriteImageSummary', 'WriteAudioSummary', 'WriteRawProtoSummary', 'WriteGraphSummary', 'FlushSummaryWriter']);
/** Debug ops whose output 0 is their input 0: bypassed. */
export const DEBUG_PASSTHROUGH_OPS: ReadonlySet<string> = new Set(['CheckNumerics', 'CheckNumericsV2', 'Print', 'DebugIdentity', 'DebugIdentityV2', 'DebugIdentityV3']);
/** Checkpoint / training-only ops: removed when only control edges use them. */
export const TRAINING_ONLY_OPS: ReadonlySet<string> = new Set(['SaveV2', 'Save', 'SaveSlices', 'RestoreV2', 'Restore', 'RestoreSlice', 'MergeV2Checkpoints', 'ShardedFilename', 'ShardedFilespec', 'DisableCopyOnRead']);

/**
 * Removes debug and training-only ops (see the module doc).
 * @param options `debug: false` keeps the debug ops (only checkpoint ops are removed)
 * @returns the number of nodes removed
 */
export function stripDebugOps(g: WorkGraph, options: { debug?: boolean } = {}): number {
  const debug = options.debug !== false;
  const dataUse = new Set<string>();
  for (const n of g.nodes.values()) for (const i of dataInputs(n)) dataUse.add(i.node);
  for (const t of g.outputs) dataUse.add(t.node);
  const rewrites = new Map<string, TensorRef>();
  const dropped = new Map<string, string[]>();
  for (const n of g.nodes.values()) {
    if (g.keep.has(n.name)) continue;
    if (!debug && (DEBUG_PASSTHROUGH_OPS.has(n.op) || DEBUG_SINK_OPS.has(n.op))) continue;
    if (DEBUG_PASSTHROUGH_OPS.has(n.op)) {
      const src = dataInputs(n)[0];
      if (!src) continue;
      rewrites.set(tensorKey({ node: n.name, output: 0 }), { node: src.node, output: src.output });
      dropped.set(n.name, []);
    } else if (DEBUG_SINK_OPS.has(n.op) || (TRAINING_ONLY_OPS.has(n.op) && !dataUse.has(n.name))) {
      if (DEBUG_SINK_OPS.has(n.op) && dataUse.has(n.name)) continue;
      dropped.set(n.name, []);
    }
  }
  if (dropped.size === 0) return 0;
  rewriteTensors(g, rewrites);
  rewriteControl(g, dropped);
  for (const name of dropped.keys()) g.nodes.delete(name);
  return dropped.size;
}

const CONSTANT_OPS = new Set(['Const', 'HostConst', 'Placeholder', 'PlaceholderV2', '_Arg']);
const IDENTITY_OPS = new Set(['Identity', 'Snapshot', 'StopGradient']);

/**
 * A predicate telling constant-like nodes of `g`: Const, Placeholder, `_Arg`, and
 * Identity / Snapshot / StopGradient chains over them without control inputs (memoized; take a
 * new one after rewriting the graph).
 */
export function constantLikeNodes(g: WorkGraph): (name: string) => boolean {
  const memo = new Map<string, boolean>();
  const constantLike = (name: string, depth = 0): boolean => {
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    const n: IrNode | undefined = g.nodes.get(name);
    let result = false;
    if (n && depth < 1000) {
      if (CONSTANT_OPS.has(n.op)) result = true;
      else if (IDENTITY_OPS.has(n.op) && n.inputs.length === 1 && !n.inputs[0]!.control) result = constantLike(n.inputs[0]!.node, depth + 1);
    }
    memo.set(name, result);
    return result;
  };
  return (name) => constantLike(name);
}

/**
 * Removes NoOp control hubs and control edges that only ordered state reads (see the module doc).
 * @returns the number of NoOp nodes removed
 */
export function simplifyControlDependencies(g: WorkGraph): number {
  const outputNodes = new Set(g.outputs.map((t) => t.node));
  const noops = new Map<string, string[]>();
  for (const n of g.nodes.values()) {
    if (n.op === 'NoOp' && !g.keep.has(n.name) && !outputNodes.has(n.name)) noops.set(n.name, n.inputs.filter((i) => i.control).map((i) => i.node));
  }
  rewriteControl(g, noops);
  for (const name of noops.keys()) g.nodes.delete(name);

  const constantLike = constantLikeNodes(g);
  for (const n of g.nodes.values()) {
    if (!n.inputs.some((i) => i.control)) continue;
    n.inputs = n.inputs.filter((i) => !i.control || (g.nodes.has(i.node) && !constantLike(i.node)));
    normalizeInputs(n);
  }
  return noops.size;
}
