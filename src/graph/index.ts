// SPDX-License-Identifier: Apache-2.0
/** Graph helpers and passes over the graph IR (inlining, pruning, stripping, freezing). */
export { OpRegistry, BUILTIN_OUTPUT_ARGS, CALL_OPS, type ArgCount, type OutputArgSpec, type OutputArgLayout } from './op-registry.js';
export {
  type WorkGraph,
  tensorKey,
  dataInputs,
  controlInputs,
  rewriteTensors,
  rewriteControl,
  reachableFrom,
  sortTopologically,
  uniqueName,
} from './work-graph.js';
export { instantiateFunction, functionBody, bodyToFunctionDef, substitutePlaceholders, ARG_OP, type FunctionBody, type InstantiatedFunction } from './function-body.js';
export { inlineFunctionCalls, calledFunction, type InlineOptions } from './passes/inline.js';
export { pruneGraph } from './passes/prune.js';
export { stripDebugOps, simplifyControlDependencies, DEBUG_SINK_OPS, DEBUG_PASSTHROUGH_OPS, TRAINING_ONLY_OPS } from './passes/strip.js';
export { convertVariableConsumers, isVariableMutation, type FrozenVariable, type VariablePassContext } from './passes/variables.js';
export { liftConstants } from './passes/constants.js';
export {
  lowerControlFlow,
  lowerControlFlowIR,
  LOWERED_CONTROL_FLOW_OPS,
  type LowerControlFlowOptions,
  type LowerControlFlowIROptions,
  type LowerControlFlowStats,
} from './passes/lower-control-flow.js';
export {
  checkFrozenGraph,
  refuseControlFlowV2,
  isLookupTableOp,
  CONTROL_FLOW_V2_OPS,
  VARIABLE_OPS,
  STATIC_TABLE_OPS,
  STATIC_TABLE_CREATE_OPS,
  STATIC_TABLE_INIT_OPS,
  type FrozenGraphCheckOptions,
} from './passes/checks.js';
export { reshapeTableLookups } from './passes/tables.js';
export { FunctionFreezer, freezeGraphBody, dropColocationAttrs, type FreezeStats, type FunctionFreezerOptions } from './freeze.js';
