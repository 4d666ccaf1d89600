// SPDX-License-Identifier: Apache-2.0
/**
 * The TensorFlow protobuf schema, from the committed descriptor `descriptor.generated.ts`
 * (generated from proto/**\/*.proto by `node proto/generate.mjs`; a test checks it is up to
 * date). No .proto parsing happens at run time. The codecs are built from the lazy reflection
 * of `reflect.ts` (only the types a program uses); {@link tensorflowProtoRoot} loads the whole
 * schema into protobufjs (`Root.fromJSON`) for callers that want protobufjs reflection.
 */
import { createRequire } from 'node:module';
import type Protobuf from 'protobufjs/light.js';
import { tensorflowProtoDescriptor } from './descriptor.generated.js';
import { MessageCodec } from './codec.js';
import { reflectType } from './reflect.js';
import type { ProtoTypeMap } from './types.generated.js';

let root: Protobuf.Root | undefined;
const codecs = new Map<string, MessageCodec<never>>();

/** The protobufjs reflection root holding every message and enum under proto/. */
export function tensorflowProtoRoot(): Protobuf.Root {
  if (!root) {
    // protobufjs' single-file build of the same version ("light": reflection without the .proto
    // parser): one file loads in a quarter of the time of its ~30 CommonJS modules.
    const protobuf = createRequire(import.meta.url)('protobufjs/dist/light/protobuf.js') as typeof Protobuf;
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
    // the reflection has the shape of the protobufjs Type the codec reads (see reflect.ts)
    codec = new MessageCodec<never>(reflectType(name) as unknown as Protobuf.Type);
    codecs.set(name, codec);
  }
  return codec as unknown as MessageCodec<ProtoTypeMap[K]>;
}
