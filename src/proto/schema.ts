// SPDX-License-Identifier: Apache-2.0
/**
 * The TensorFlow protobuf schema, loaded at run time with protobufjs `Root.fromJSON` from the
 * committed descriptor `descriptor.generated.ts` (generated from proto/**\/*.proto by
 * `node proto/generate.mjs`; a test checks it is up to date). No .proto parsing happens at run time.
 */
import protobuf from 'protobufjs/light.js';
import { tensorflowProtoDescriptor } from './descriptor.generated.js';
import { MessageCodec } from './codec.js';
import type { ProtoTypeMap } from './types.generated.js';

let root: protobuf.Root | undefined;
const codecs = new Map<string, MessageCodec<never>>();

/** The protobufjs reflection root holding every message and enum under proto/. */
export function tensorflowProtoRoot(): protobuf.Root {
  if (!root) {
    root = protobuf.Root.fromJSON(tensorflowProtoDescriptor);
    root.resolveAll();
  }
  return root;
}

/**
 * The codec of one message type, by full proto name (cached).
 * @param name e.g. `tensorflow.SavedModel`
 * @returns a {@link MessageCodec} producing the matching generated interface
 */
export function messageCodec<K extends keyof ProtoTypeMap>(name: K): MessageCodec<ProtoTypeMap[K]> {
  let codec = codecs.get(name);
  if (!codec) {
    codec = new MessageCodec<never>(tensorflowProtoRoot().lookupType(name));
    codecs.set(name, codec);
  }
  return codec as unknown as MessageCodec<ProtoTypeMap[K]>;
}
