// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow protobuf messages: schema (protobufjs reflection), an exact codec (bigint int64,
 * unknown fields kept, bounds-checked) and the TS types of decoded messages.
 */
export { messageCodec, tensorflowProtoRoot } from './schema.js';
export { MessageCodec, jsFieldName, DEFAULT_MAX_DEPTH } from './codec.js';
export type { DecodeOptions } from './codec.js';
export * from './types.generated.js';
export * from './dtypes.js';
export { tensorflowProtoDescriptor } from './descriptor.generated.js';
