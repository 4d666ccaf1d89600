// SPDX-License-Identifier: Apache-2.0
// Test helpers: a protobufjs schema for the TensorFlow GraphDef subset the wire walker knows
// (same field numbers as tensorflow/core/framework/*.proto), widened with `x_*` fields
// numbered >= 1000 at every level. Those extra fields are unknown to the native walker,
// which must carry them through byte for byte; this schema decodes them, so a decode-equal
// check also proves that unknown fields survived. Maps are written as repeated entry
// messages (the same wire format), so entries can carry extra fields too. Repeated scalars
// are packed (proto3) except int_val, written unpacked so both encodings are exercised.
import protobuf from 'protobufjs';

export const schema = protobuf.parse(`
syntax = "proto3";
package tt;
message GraphDef {
  repeated NodeDef node = 1; FunctionDefLibrary library = 2; int32 version = 3;
  VersionDef versions = 4; bytes x_graph = 1000;
}
message VersionDef { int32 producer = 1; int32 min_consumer = 2; repeated int32 bad_consumers = 3; }
message FunctionDefLibrary {
  repeated FunctionDef function = 1; repeated GradientDef gradient = 2; uint64 x_library = 1001;
}
message GradientDef { string function_name = 1; string gradient_func = 2; }
message FunctionDef {
  OpDef signature = 1; repeated AttrEntry attr = 5; repeated NodeDef node_def = 3;
  repeated StrEntry ret = 4; repeated StrEntry control_ret = 6; fixed64 x_function = 1002;
}
message StrEntry { string key = 1; string value = 2; }
message OpDef {
  string name = 1; repeated ArgDef input_arg = 2; repeated ArgDef output_arg = 3;
  repeated string control_output = 20; bool is_stateful = 17; sfixed32 x_opdef = 1009;
}
message ArgDef { string name = 1; string description = 2; int32 type = 3; string type_attr = 4; }
message NodeDef {
  string name = 1; string op = 2; repeated string input = 3; string device = 4;
  repeated AttrEntry attr = 5; fixed32 x_node = 1003;
}
message AttrEntry { string key = 1; AttrValue value = 2; bytes x_entry = 1004; }
message AttrValue {
  oneof value {
    ListValue list = 1; bytes s = 2; int64 i = 3; float f = 4; bool b = 5; int32 type = 6;
    TensorShapeProto shape = 7; TensorProto tensor = 8; string placeholder = 9; NameAttrList func = 10;
  }
  sint64 x_value = 1005;
}
message ListValue {
  repeated bytes s = 2; repeated int64 i = 3; repeated float f = 4; repeated bool b = 5;
  repeated int32 type = 6; repeated TensorShapeProto shape = 7; repeated TensorProto tensor = 8;
  repeated NameAttrList func = 9;
}
message NameAttrList { string name = 1; repeated AttrEntry attr = 2; }
message TensorProto {
  int32 dtype = 1; TensorShapeProto tensor_shape = 2; int32 version_number = 3;
  bytes tensor_content = 4; repeated int32 half_val = 13; repeated float float_val = 5;
  repeated double double_val = 6; repeated int32 int_val = 7 [packed = false]; repeated bytes string_val = 8;
  repeated float scomplex_val = 9; repeated int64 int64_val = 10; repeated bool bool_val = 11;
  repeated double dcomplex_val = 12; repeated uint32 uint32_val = 16; repeated uint64 uint64_val = 17;
  bytes x_tensor = 1006;
}
message TensorShapeProto { repeated Dim dim = 2; bool unknown_rank = 3; int32 x_shape = 1007; }
message Dim { int64 size = 1; string name = 2; int64 x_dim = 1008; }
`).root.resolveAll();  // resolveAll: proto3 packed defaults apply only once resolved

export const GraphDef = schema.lookupType('tt.GraphDef');

/** A decoded GraphDef as a plain object (int64 as strings, bytes as base64). */
export type Plain = Record<string, unknown>;

/** Decodes with protobufjs into a plain object suitable for deep equality. */
export function decodePlain(bytes: Uint8Array): Plain {
  return GraphDef.toObject(GraphDef.decode(bytes), { longs: String, bytes: String, enums: Number }) as Plain;
}

/** Encodes a plain object (camelCase field names; int64 as strings, bytes as base64). */
export function encode(obj: Plain): Uint8Array {
  return GraphDef.encode(GraphDef.fromObject(obj)).finish();
}

/**
 * Deletes `tensorContent` from every TensorProto where `remove(base64Length)` says so
 * (walks nodes and library functions; mutates and returns obj).
 */
export function stripContent(obj: Plain, remove: (byteLength: number) => boolean): Plain {
  const nodes = (o: Plain): Plain[] => [
    ...((o.node as Plain[] | undefined) ?? []),
    ...(((o.library as Plain | undefined)?.function as Plain[] | undefined) ?? []).flatMap(
      (f) => (f.nodeDef as Plain[] | undefined) ?? [],
    ),
  ];
  for (const n of nodes(obj)) {
    for (const e of (n.attr as Plain[] | undefined) ?? []) {
      const t = (e.value as Plain | undefined)?.tensor as Plain | undefined;
      if (t && typeof t.tensorContent === 'string' && remove(Buffer.from(t.tensorContent, 'base64').length)) {
        delete t.tensorContent;
      }
    }
  }
  return obj;
}

/** Deterministic bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** A Const NodeDef (tensor given as a plain TensorProto object). */
export function constNode(name: string, tensor: Plain, extra: Plain = {}): Plain {
  return {
    name,
    op: 'Const',
    attr: [
      { key: 'dtype', value: { type: tensor.dtype } },
      { key: 'value', value: { tensor } },
    ],
    ...extra,
  };
}

export const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

/** Byte sizes used below: 16 (1-byte length), 300 (2-byte), 2^21 + 5 (4-byte varint). */
export const BIG = (1 << 21) + 5;

/**
 * The main synthetic GraphDef: Const nodes with tensor_content (small, > 128 bytes, > 2^21
 * bytes), with float_val/int_val/string_val/half_val, a Placeholder and a MatMul, library
 * functions holding Const nodes, and `x_*` (unknown to the walker) fields at every level.
 */
export function sampleGraphDef(): Plain {
  return {
    node: [
      constNode('small', { dtype: 1, tensorShape: { dim: [{ size: '2' }, { size: '2' }] }, tensorContent: b64(pattern(16, 1)) }),
      constNode('medium', {
        dtype: 1,
        tensorShape: { dim: [{ size: '75', name: 'rows', xDim: '9' }], xShape: 3 },
        tensorContent: b64(pattern(300, 2)),
        xTensor: b64(pattern(5, 3)),
      }, { xNode: 77, device: '/device:CPU:0' }),
      constNode('big', { dtype: 4, tensorShape: { dim: [{ size: String(BIG) }] }, tensorContent: b64(pattern(BIG, 4)) }),
      constNode('scalar_f', { dtype: 1, tensorShape: {}, floatVal: [1.5] }),
      constNode('ints', { dtype: 3, tensorShape: { dim: [{ size: '4' }] }, intVal: [1, -2, 300, 70000] }),
      constNode('strs', { dtype: 7, tensorShape: { dim: [{ size: '2' }] }, stringVal: [b64(pattern(3, 5)), b64(pattern(200, 6))] }),
      constNode('halves', { dtype: 19, tensorShape: { unknownRank: true }, halfVal: [15360, 16384] }),
      { name: 'x', op: 'Placeholder', attr: [{ key: 'dtype', value: { type: 1 }, xEntry: b64(pattern(2, 7)) }] },
      { name: 'y', op: 'MatMul', input: ['x', 'medium'], attr: [{ key: 'T', value: { type: 1, xValue: '-5' } }] },
    ],
    library: {
      function: [
        {
          signature: { name: 'fn_a', inputArg: [{ name: 'a', type: 1 }], xOpdef: -4 },
          nodeDef: [
            constNode('fa_const', { dtype: 1, tensorShape: { dim: [{ size: '64' }] }, tensorContent: b64(pattern(256, 8)) }),
            { name: 'fa_add', op: 'AddV2', input: ['a', 'fa_const:output:0'] },
          ],
          ret: [{ key: 'out', value: 'fa_add:z:0' }],
          xFunction: '123456789',
        },
        {
          signature: { name: 'fn_b' },
          nodeDef: [
            constNode('fb_small', { dtype: 3, tensorShape: {}, intVal: [7] }),
            constNode('fb_content', { dtype: 6, tensorShape: { dim: [{ size: '3' }] }, tensorContent: b64(pattern(3, 9)) }),
          ],
        },
      ],
      gradient: [{ functionName: 'fn_a', gradientFunc: 'fn_b' }],
      xLibrary: '42',
    },
    versions: { producer: 1882, minConsumer: 12 },
    xGraph: b64(pattern(11, 10)),
  };
}
