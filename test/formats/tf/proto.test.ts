// SPDX-License-Identifier: Apache-2.0
/**
 * src/proto: the generated descriptor is up to date, decode -> encode of real TensorFlow files is
 * byte-identical, unknown fields survive re-encoding, int64 is exact, malformed input gives a
 * FormatError naming the file and field.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { MessageCodec, messageCodec, tensorflowProtoDescriptor } from '../../../src/proto/index.js';
import type { SavedModel, TensorProto } from '../../../src/proto/index.js';
import { fixture, fixturesDir, repoRoot, savedModelDirs } from './fixtures.js';

function expectFormatError(fn: () => unknown, ...fragments: string[]): FormatError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  const fe = err as FormatError;
  for (const f of fragments) expect(fe.message).toContain(f);
  return fe;
}

describe('generated schema files', () => {
  it('src/proto/*.generated.ts match proto/**/*.proto (node proto/generate.mjs --check)', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'proto/generate.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toBe('');
  });

  it('every .proto file carries the SPDX header', () => {
    const dir = path.join(repoRoot, 'proto');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.proto'));
    expect(files.length).toBeGreaterThanOrEqual(23);
    for (const f of files) expect(fs.readFileSync(path.join(dir, f), 'utf8').startsWith('// SPDX-License-Identifier: Apache-2.0')).toBe(true);
  });
});

describe.skipIf(!fixturesDir)('decode -> encode of real files', () => {
  const savedModel = messageCodec('tensorflow.SavedModel');

  it.each(savedModelDirs().map((d) => [path.relative(fixturesDir ?? '', d), d]))('saved_model.pb of %s is byte-identical', (_name, dir) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'saved_model.pb')));
    const decoded = savedModel.decode(bytes, { file: 'saved_model.pb' });
    expect(decoded.metaGraphs.length).toBeGreaterThan(0);
    expect(Buffer.from(savedModel.encode(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('GraphDefs, fingerprints and MetaGraphDefs are byte-identical', () => {
    const cases: [string, MessageCodec<never>][] = [];
    const graph = messageCodec('tensorflow.GraphDef') as unknown as MessageCodec<never>;
    for (const f of fs.readdirSync(fixture('graphdef'), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.pb')) cases.push([fixture('graphdef', f), graph]);
    }
    const fp = messageCodec('tensorflow.FingerprintDef') as unknown as MessageCodec<never>;
    for (const d of savedModelDirs()) if (fs.existsSync(path.join(d, 'fingerprint.pb'))) cases.push([path.join(d, 'fingerprint.pb'), fp]);
    const meta = messageCodec('tensorflow.MetaGraphDef') as unknown as MessageCodec<never>;
    cases.push([fixture('checkpoint/tf2onnx_regression_tf1_saver/model.meta'), meta]);
    cases.push([fixture('checkpoint/tfserving_bad_half_plus_two_legacy_v1/export.meta'), meta]);
    expect(cases.length).toBeGreaterThanOrEqual(14);
    for (const [file, codec] of cases) {
      const bytes = new Uint8Array(fs.readFileSync(file));
      const out = codec.encode(codec.decode(bytes, { file }));
      expect(Buffer.from(out).equals(Buffer.from(bytes)), file).toBe(true);
    }
  });

  it('keeps the writer field order when it is not ascending (TF 2.14 writes object_graph_def first)', () => {
    const file = fixture('savedmodel/tfserving_half_plus_two_tf2_cpu/saved_model.pb');
    const sm = savedModel.decode(new Uint8Array(fs.readFileSync(file)), { file });
    expect(sm.metaGraphs[0]!.$order?.[0]).toBe(7);
  });

  it('preserves fields unknown to the schema: a schema without MetaGraphDef.object_graph_def re-encodes byte-identically', () => {
    const root = protobuf.Root.fromJSON(tensorflowProtoDescriptor);
    const meta = root.lookupType('tensorflow.MetaGraphDef');
    meta.remove(meta.fields['object_graph_def']!);
    root.resolveAll();
    const oldSchema = new MessageCodec<SavedModel>(root.lookupType('tensorflow.SavedModel'));
    for (const dir of savedModelDirs()) {
      const file = path.join(dir, 'saved_model.pb');
      const bytes = new Uint8Array(fs.readFileSync(file));
      const decoded = oldSchema.decode(bytes, { file });
      const mg = decoded.metaGraphs[0]!;
      expect(mg.objectGraphDef).toBeUndefined();
      const full = savedModel.decode(bytes, { file });
      if (full.metaGraphs[0]!.objectGraphDef) {
        // field 7, wire type 2: tag byte 0x3a
        expect(mg.$unknown?.some((raw) => raw[0] === 0x3a)).toBe(true);
      }
      const reencoded = oldSchema.encode(decoded);
      expect(Buffer.from(reencoded).equals(Buffer.from(bytes)), file).toBe(true);
      // and the full schema still reads the re-encoded bytes
      const back = savedModel.decode(reencoded, { file });
      expect(back.metaGraphs[0]!.objectGraphDef?.nodes.length ?? 0).toBe(full.metaGraphs[0]!.objectGraphDef?.nodes.length ?? 0);
    }
  });
});

describe('unknown fields and int64', () => {
  const node = messageCodec('tensorflow.NodeDef');
  const tensor = messageCodec('tensorflow.TensorProto');

  it('keeps unknown fields of every wire type and writes them back in field-number order', () => {
    const n = node.create({ name: 'x', op: 'Const' });
    // field 9 varint 150, field 10 fixed64, field 11 bytes "hi", field 12 fixed32, field 13 group {field 1 varint 1}
    const raw = [
      Uint8Array.from([(9 << 3) | 0, 0x96, 0x01]),
      Uint8Array.from([(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]),
      Uint8Array.from([(11 << 3) | 2, 2, 0x68, 0x69]),
      Uint8Array.from([(12 << 3) | 5, 9, 9, 9, 9]),
      Uint8Array.from([(13 << 3) | 3, (1 << 3) | 0, 1, (13 << 3) | 4]),
    ];
    n.$unknown = raw;
    const bytes = node.encode(n);
    const back = node.decode(bytes);
    expect(back.name).toBe('x');
    expect(back.$unknown?.map((u) => Buffer.from(u).toString('hex'))).toEqual(raw.map((u) => Buffer.from(u).toString('hex')));
    expect(Buffer.from(node.encode(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('decodes 64-bit integers exactly as bigint and re-encodes them', () => {
    const t: TensorProto = tensor.create({
      dtype: 9,
      int64Val: [9223372036854775807n, -9223372036854775808n, -1n, 0n, 2n ** 53n + 1n],
      uint64Val: [18446744073709551615n, 2n ** 63n],
      halfVal: [-1, 65535],
      intVal: [-2147483648, 2147483647],
    });
    const back = tensor.decode(tensor.encode(t));
    expect(back.int64Val).toEqual([9223372036854775807n, -9223372036854775808n, -1n, 0n, 9007199254740993n]);
    expect(back.uint64Val).toEqual([18446744073709551615n, 9223372036854775808n]);
    expect(back.halfVal).toEqual([-1, 65535]);
    expect(back.intVal).toEqual([-2147483648, 2147483647]);
    const sv = messageCodec('tensorflow.StructuredValue');
    expect(sv.decode(sv.encode(sv.create({ int64Value: -9223372036854775808n }))).int64Value).toBe(-9223372036854775808n);
    const fp = messageCodec('tensorflow.FingerprintDef');
    expect(fp.decode(fp.encode(fp.create({ savedModelChecksum: 18446744073709551615n }))).savedModelChecksum).toBe(18446744073709551615n);
  });

  it('reads unpacked encodings of packed fields and keeps oneof presence for default values', () => {
    // TensorProto.float_val (5) written unpacked: two fixed32 records
    const bytes = Uint8Array.from([(5 << 3) | 5, 0, 0, 0x80, 0x3f, (5 << 3) | 5, 0, 0, 0, 0x40]);
    expect(tensor.decode(bytes).floatVal).toEqual([1, 2]);
    const attr = messageCodec('tensorflow.AttrValue');
    const zero = attr.decode(attr.encode(attr.create({ i: 0n })));
    expect(zero.i).toBe(0n);
    expect('s' in zero).toBe(false);
    expect(attr.encode(attr.create({ b: false }))).toEqual(Uint8Array.from([(5 << 3) | 0, 0]));
  });
});

describe('malformed input', () => {
  const savedModel = messageCodec('tensorflow.SavedModel');

  it('refuses a declared length beyond the buffer, naming the file and field path', () => {
    // SavedModel.meta_graphs (2) of declared length 100 with 1 byte present
    const e = expectFormatError(() => savedModel.decode(Uint8Array.from([0x12, 100, 0]), { file: 'x/saved_model.pb' }), 'x/saved_model.pb', 'meta_graphs', 'exceeds');
    expect(e.code).toBe('ERR_TFEXPORT_PROTO_DECODE');
    expect(e.context.file).toBe('x/saved_model.pb');
    // nested: meta_graphs[0].graph_def.node[0] with an overlong name
    const node = Uint8Array.from([0x0a, 0x05, 0x41]); // NodeDef.name len 5, 1 byte
    const graph = Uint8Array.from([0x0a, node.length, ...node]);
    const meta = Uint8Array.from([0x12, graph.length, ...graph]);
    const sm = Uint8Array.from([0x12, meta.length, ...meta]);
    expectFormatError(() => savedModel.decode(sm, { file: 'f.pb' }), 'meta_graphs[0].graph_def.node[0].name');
  });

  it('refuses truncated varints, 11-byte varints, field number 0, bad wire types, unbalanced groups, bad UTF-8', () => {
    expectFormatError(() => savedModel.decode(Uint8Array.from([0x08, 0x80])), 'truncated varint');
    expectFormatError(() => savedModel.decode(Uint8Array.from([0x08, ...new Array(10).fill(0xff), 0x01])), 'longer than 10 bytes');
    expectFormatError(() => savedModel.decode(Uint8Array.from([0x00, 0x01])), 'field number 0');
    expectFormatError(() => savedModel.decode(Uint8Array.from([(14 << 3) | 7])), 'invalid wire type 7');
    expectFormatError(() => savedModel.decode(Uint8Array.from([(14 << 3) | 3, (15 << 3) | 4])), 'closed by end-group');
    expectFormatError(() => savedModel.decode(Uint8Array.from([(14 << 3) | 4])), 'end-group');
    const node = messageCodec('tensorflow.NodeDef');
    expectFormatError(() => node.decode(Uint8Array.from([0x0a, 2, 0xc3, 0x28]), { file: 'g.pb' }), 'g.pb', 'name', 'UTF-8');
    const tensor = messageCodec('tensorflow.TensorProto');
    expectFormatError(() => tensor.decode(Uint8Array.from([(5 << 3) | 2, 3, 0, 0, 0])), 'not a multiple of 4');
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    // StructuredValue.list_value (51) -> ListValue.values (1) -> StructuredValue ... 150 levels
    let inner = new Uint8Array(0);
    for (let i = 0; i < 150; i++) {
      const lv = Uint8Array.from([0x0a, ...lenBytes(inner.length), ...inner]);
      inner = Uint8Array.from([0x9a, 0x03, ...lenBytes(lv.length), ...lv]);
    }
    expectFormatError(() => messageCodec('tensorflow.StructuredValue').decode(inner, { file: 'deep.pb' }), 'deep.pb', 'nesting deeper than 100');
  });

  it.skipIf(!fixturesDir)('never throws anything but FormatError on truncated or bit-flipped real files', () => {
    const bytes = new Uint8Array(fs.readFileSync(fixture('savedmodel/tfjs_node_times_three_float/saved_model.pb')));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const m = bytes.slice(0, i % 3 === 0 ? rand(bytes.length) : bytes.length);
      if (i % 3 !== 0) for (let k = 0; k < 1 + (i % 4); k++) m[rand(m.length)] ^= 1 << rand(8);
      try {
        savedModel.decode(m, { file: 'fuzz.pb' });
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(50);
  });
});

function lenBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
