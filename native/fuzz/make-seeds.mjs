#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Writes the fuzz seeds in native/fuzz/corpus/ (small, synthetic; no third-party models).
// Each seed is one threshold byte (fuzz_graphdef_wire.cc picks the split threshold from its
// low 2 bits) followed by a GraphDef encoded with protobufjs from the TF subset below
// (plus fields TF does not have, which the walker must preserve as unknown fields), or
// hand-made wire bytes for what protobufjs cannot write (groups, non-minimal varints).
//   node native/fuzz/make-seeds.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'corpus');
fs.mkdirSync(out, { recursive: true });

const root = protobuf.parse(`
syntax = "proto3";
message GraphDef { repeated NodeDef node = 1; FunctionDefLibrary library = 2; VersionDef versions = 4; bytes x99 = 99; }
message VersionDef { int32 producer = 1; }
message FunctionDefLibrary { repeated FunctionDef function = 1; uint64 x98 = 98; }
message FunctionDef { OpDef signature = 1; repeated NodeDef node_def = 3; fixed64 x97 = 97; }
message OpDef { string name = 1; }
message NodeDef { string name = 1; string op = 2; repeated string input = 3; repeated AttrEntry attr = 5; fixed32 x96 = 96; }
message AttrEntry { string key = 1; AttrValue value = 2; bytes x95 = 95; }
message AttrValue { bytes s = 2; int64 i = 3; int32 type = 6; TensorProto tensor = 8; uint32 x94 = 94; }
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
  repeated float float_val = 5; repeated int32 int_val = 7; repeated bytes string_val = 8;
  repeated int64 int64_val = 10; repeated int32 half_val = 13; bytes x93 = 93; }
message TensorShapeProto { repeated Dim dim = 2; bool unknown_rank = 3; }
message Dim { int64 size = 1; string name = 2; }
`).root;
const GraphDef = root.lookupType('GraphDef');

const bytes = (n, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const constNode = (name, tensor) => ({
  name, op: 'Const',
  attr: [{ key: 'dtype', value: { type: tensor.dtype } }, { key: 'value', value: { tensor } }],
});
const seeds = {
  'empty.bin': new Uint8Array(0),
  'const-content.bin': GraphDef.encode({
    node: [constNode('w', { dtype: 1, tensorShape: { dim: [{ size: 2 }, { size: 2 }] }, tensorContent: bytes(16) }),
      { name: 'x', op: 'Placeholder', attr: [{ key: 'dtype', value: { type: 1 } }] },
      { name: 'y', op: 'MatMul', input: ['x', 'w'] }],
    versions: { producer: 1 },
  }).finish(),
  'const-vals.bin': GraphDef.encode({
    node: [constNode('f', { dtype: 1, tensorShape: {}, floatVal: [1.5] }),
      constNode('i', { dtype: 3, tensorShape: { dim: [{ size: 3 }] }, intVal: [1, -2, 300] }),
      constNode('s', { dtype: 7, tensorShape: { dim: [{ size: 2 }] }, stringVal: [bytes(3), bytes(2)] }),
      constNode('h', { dtype: 19, tensorShape: { unknownRank: true }, halfVal: [15360] })],
  }).finish(),
  'library.bin': GraphDef.encode({
    node: [{ name: 'call', op: 'f' }],
    library: { function: [{ signature: { name: 'f' }, nodeDef: [constNode('c', { dtype: 1, tensorShape: { dim: [{ size: 40 }] }, tensorContent: bytes(160, 7) })] }] },
  }).finish(),
  'unknown-fields.bin': GraphDef.encode({
    node: [{ ...constNode('u', { dtype: 1, tensorContent: bytes(8), x93: bytes(2) }), x96: 7 }],
    library: { function: [{ signature: { name: 'g' }, x97: 5 }], x98: 3 },
    x99: bytes(4),
  }).finish(),
};
// Hand-made: GraphDef with an unknown group (field 50) holding a varint and a nested empty
// group (field 52), then a node whose name length is a non-minimal 2-byte varint.
seeds['groups.bin'] = Uint8Array.from([
  0x93, 0x03, 0x08, 0x01, 0xa3, 0x03, 0xa4, 0x03, 0x94, 0x03,  // 50:SGROUP {1: 1, 52:{}} 50:EGROUP
  0x0a, 0x05, 0x0a, 0x82, 0x00, 0x6e, 0x6e,                    // node { name: (0x82 0x00) "nn" }
]);

let i = 0;
for (const [name, body] of Object.entries(seeds)) {
  const threshold = i++ & 3;
  fs.writeFileSync(path.join(out, name), Buffer.concat([Buffer.from([threshold]), Buffer.from(body)]));
}
console.log(`wrote ${Object.keys(seeds).length} seeds to ${path.relative(process.cwd(), out)}`);
