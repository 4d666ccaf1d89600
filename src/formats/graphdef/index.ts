// SPDX-License-Identifier: Apache-2.0
/** Frozen GraphDef reading and graph facts shared with the SavedModel reader. */
export { readGraphDef, decodeGraphDef, readProtoFile, MAX_PROTO_FILE_BYTES } from './read.js';
export type { FrozenGraph } from './read.js';
export * from './graph.js';
