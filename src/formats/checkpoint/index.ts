// SPDX-License-Identifier: Apache-2.0
/** TensorFlow checkpoints: state file, TF1 name-based and TF2 object-based V2 checkpoints. */
export { openCheckpoint, resolveCheckpoint, readObjectGraph, OBJECT_GRAPH_KEY, VARIABLE_VALUE_SUFFIX } from './checkpoint.js';
export type { Checkpoint, CheckpointVariable, ResolvedCheckpoint } from './checkpoint.js';
export { parseCheckpointState, readCheckpointState } from './state.js';
