// SPDX-License-Identifier: Apache-2.0
// GraphDef wire rewriting: scan/split/join against protobufjs decodes of synthetic GraphDefs
// (unknown fields at every level, multi-byte and shrinking length varints), the real
// fixtures in ../shared/fixtures/graphdef, and corrupt inputs that must give typed errors.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/native.js';
import { FormatError, TfexportError, ValidationError } from '../../src/errors.js';
import {
  joinGraphDef,
  joinGraphDefSync,
  scanGraphDef,
  scanGraphDefSync,
  splitGraphDef,
  splitGraphDefSync,
  type GraphDefTensor,
} from '../../src/wire/graphdef-wire.js';
import {
  BIG,
  b64,
  constNode,
  decodePlain,
  encode,
  pattern,
  sampleGraphDef,
  stripContent,
  type Plain,
} from './graphdef-proto.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtureDir = path.resolve(root, '../shared/fixtures/graphdef');
const { binding, error } = loadNative();
if (!binding) console.warn(`test/wire: native addon unavailable, skipping (${error?.message.split('\n')[0]})`);

const WIRE = 'ERR_TFEXPORT_BAD_WIRE_FORMAT';

/** Every NodeDef of a decoded GraphDef with its function index (-1: top level). */
function decodedNodes(g: Plain): { fn: number; fnName?: string; index: number; node: Plain }[] {
  const out: { fn: number; fnName?: string; index: number; node: Plain }[] = [];
  ((g.node as Plain[] | undefined) ?? []).forEach((node, index) => out.push({ fn: -1, index, node }));
  (((g.library as Plain | undefined)?.function as Plain[] | undefined) ?? []).forEach((f, fn) => {
    const fnName = (f.signature as Plain | undefined)?.name as string | undefined;
    ((f.nodeDef as Plain[] | undefined) ?? []).forEach((node, index) => out.push({ fn, fnName, index, node }));
  });
  return out;
}

/** The tensors protobufjs sees, in the order the walker numbers them (wire order). */
function decodedTensors(g: Plain) {
  // protobufjs encodes GraphDef.node (1) before library (2), so wire order is this order.
  return decodedNodes(g).flatMap(({ fn, fnName, index, node }) =>
    ((node.attr as Plain[] | undefined) ?? [])
      .filter((e) => (e.value as Plain | undefined)?.tensor !== undefined)
      .map((e) => ({ fn, fnName, index, node, key: e.key as string, tensor: (e.value as Plain).tensor as Plain })));
}

function bytesOf(b: Uint8Array, r: { offset: number; length: number }): Uint8Array {
  return b.subarray(r.offset, r.offset + r.length);
}

function expectWireError(fn: () => unknown, pattern?: RegExp): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).code).toBe(WIRE);
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return e as FormatError;
  }
  throw new Error('expected a wire-format error');
}

describe.skipIf(!binding)('GraphDef wire: synthetic GraphDefs', () => {
  const plain = sampleGraphDef();
  const bytes = encode(plain);
  const decoded = decodePlain(bytes);

  it('the sample exercises multi-byte and 4-byte length varints', () => {
    expect(bytes.length).toBeGreaterThan(BIG);
    // GraphDef.node[2] ("big") has a 4-byte length varint.
    const { tensors } = scanGraphDefSync(bytes);
    const big = tensors.find((t) => t.nodeName === 'big')!;
    const node = big.enclosing[0]!;
    expect(node.field).toBe(1);
    expect(node.payloadOffset - node.recordOffset).toBe(1 + 4);
    expect(node.payloadLength).toBeGreaterThan(2 ** 21);
  });

  it('scan reports what protobufjs decodes', () => {
    const { tensors } = scanGraphDefSync(bytes);
    const want = decodedTensors(decoded);
    expect(tensors.map((t) => t.id)).toEqual(want.map((_, i) => i));
    expect(tensors.length).toBe(want.length);
    tensors.forEach((t, i) => {
      const w = want[i]!;
      expect(t.nodeName).toBe(w.node.name);
      expect(t.op).toBe(w.node.op);
      expect(t.attr).toBe(w.key);
      expect(t.functionIndex).toBe(w.fn);
      expect(t.functionName).toBe(w.fnName);
      expect(t.nodeIndex).toBe(w.index);
      expect(t.dtype).toBe(w.tensor.dtype ?? 0);
      const shape = w.tensor.tensorShape as Plain | undefined;
      if (shape?.unknownRank) expect(t.shape).toBeNull();
      else expect(t.shape).toEqual(((shape?.dim as Plain[] | undefined) ?? []).map((d) => Number(d.size ?? 0)));
      if (w.tensor.tensorContent !== undefined) {
        expect(t.content).not.toBeNull();
        expect(b64(bytesOf(bytes, t.content!))).toBe(w.tensor.tensorContent);
        expect(t.contentRecords).toBe(1);
      } else {
        expect(t.content).toBeNull();
      }
      const valueFields: [string, number][] = [['floatVal', 5], ['intVal', 7], ['stringVal', 8], ['halfVal', 13]];
      const vals = valueFields.find(([k]) => w.tensor[k] !== undefined);
      if (vals) {
        const list = w.tensor[vals[0]] as unknown[];
        expect(t.values).toMatchObject({ field: vals[1], count: list.length });
        expect(t.values!.packed).toBe(vals[1] !== 7 && vals[1] !== 8);
        expect(t.values!.records).toBe(t.values!.packed ? 1 : list.length);
      } else {
        expect(t.values).toBeNull();
      }
      // The enclosing chain nests and ends at the TensorProto itself.
      expect(t.enclosing.length).toBe(t.functionIndex < 0 ? 4 : 6);
      for (let k = 1; k < t.enclosing.length; k++) {
        const outer = t.enclosing[k - 1]!;
        const inner = t.enclosing[k]!;
        expect(inner.recordOffset).toBeGreaterThanOrEqual(outer.payloadOffset);
        expect(inner.payloadOffset + inner.payloadLength).toBeLessThanOrEqual(outer.payloadOffset + outer.payloadLength);
      }
      const last = t.enclosing[t.enclosing.length - 1]!;
      expect(last.field).toBe(8);
      expect({ offset: last.payloadOffset, length: last.payloadLength }).toEqual(t.tensor);
      expect(t.enclosing.map((e) => e.field)).toEqual(t.functionIndex < 0 ? [1, 5, 2, 8] : [2, 1, 3, 5, 2, 8]);
    });
  });

  it('split removes every tensor_content; the structure decodes to the rest; weights are views', () => {
    const { structure, weights } = splitGraphDefSync(bytes);
    const withContent = decodedTensors(decoded).filter((w) => w.tensor.tensorContent !== undefined);
    expect(weights.map((w) => w.nodeName)).toEqual(withContent.map((w) => w.node.name));
    weights.forEach((w, i) => {
      expect(w.data.buffer).toBe(bytes.buffer);  // zero-copy
      expect(w.data.byteOffset).toBeGreaterThanOrEqual(bytes.byteOffset);
      expect(b64(w.data)).toBe(withContent[i]!.tensor.tensorContent);
      expect(w.attr).toBe('value');
    });
    expect(weights.find((w) => w.nodeName === 'fa_const')).toMatchObject({ functionName: 'fn_a', dtype: 1, shape: [64] });
    expect(weights.find((w) => w.nodeName === 'big')).toMatchObject({ dtype: 4, shape: [BIG] });

    const expected = stripContent(decodePlain(bytes), () => true);
    expect(decodePlain(structure)).toEqual(expected);
    // The input was canonical, so the structure is exactly what protobufjs writes for the
    // stripped message: every enclosing length re-encoded minimally (4-byte varint shrunk).
    expect(Buffer.from(structure).equals(Buffer.from(encode(expected)))).toBe(true);
    expect(structure.length).toBeLessThan(10_000);
  });

  it('join(split(x)) is byte-identical to canonical x, sync and async', async () => {
    const split = splitGraphDefSync(bytes);
    const joined = joinGraphDefSync(split.structure, split.weights);
    expect(Buffer.from(joined).equals(Buffer.from(bytes))).toBe(true);
    const asyncSplit = await splitGraphDef(bytes);
    expect(Buffer.from(asyncSplit.structure).equals(Buffer.from(split.structure))).toBe(true);
    asyncSplit.weights.forEach((w) => expect(w.data.buffer).toBe(bytes.buffer));
    const asyncJoined = await joinGraphDef(asyncSplit.structure, [...asyncSplit.weights].reverse());
    expect(Buffer.from(asyncJoined).equals(Buffer.from(bytes))).toBe(true);
    expect((await scanGraphDef(bytes)).tensors).toEqual(scanGraphDefSync(bytes).tensors);
  });

  it('minBytes keeps small tensor_content inline', () => {
    const { structure, weights } = splitGraphDefSync(bytes, { minBytes: 256 });
    expect(weights.map((w) => w.nodeName)).toEqual(['medium', 'big', 'fa_const']);
    const expected = stripContent(decodePlain(bytes), (n) => n >= 256);
    expect(decodePlain(structure)).toEqual(expected);
    const inline = scanGraphDefSync(structure).tensors.filter((t) => t.content);
    expect(inline.map((t) => t.nodeName)).toEqual(['small', 'fb_content']);
    expect(Buffer.from(joinGraphDefSync(structure, weights)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('works on a GraphDef inside a larger buffer (offsets relative to the view)', () => {
    const host = new Uint8Array(bytes.length + 13);
    host.set(bytes, 7);
    const view = host.subarray(7, 7 + bytes.length);
    const { structure, weights } = splitGraphDefSync(view);
    for (const w of weights) {
      expect(w.data.buffer).toBe(host.buffer);
      expect(w.data.byteOffset).toBeGreaterThanOrEqual(7);
    }
    expect(Buffer.from(joinGraphDefSync(structure, weights)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('join accepts other views and replacement weights, and places content canonically', () => {
    const { structure, weights } = splitGraphDefSync(bytes);
    const small = weights.find((w) => w.nodeName === 'small')!;
    const replacement = new Float32Array([1, 2, 3, 4]);
    const joined = joinGraphDefSync(structure, [{ tensorId: small.tensorId, data: replacement }]);
    const t = scanGraphDefSync(joined).tensors[small.tensorId]!;
    expect(Buffer.from(bytesOf(joined, t.content!)).equals(Buffer.from(replacement.buffer))).toBe(true);
    const want = stripContent(decodePlain(bytes), () => true);
    ((want.node as Plain[])[0]!.attr as Plain[])[1]!.value = {
      tensor: { ...(((want.node as Plain[])[0]!.attr as Plain[])[1]!.value as Plain).tensor as Plain, tensorContent: b64(new Uint8Array(replacement.buffer)) },
    };
    expect(decodePlain(joined)).toEqual(want);
  });

  it('a non-canonical TensorProto still round-trips to the same message', () => {
    // tensor_content written after float_val and an unknown field: join puts it back before
    // them (decode-equal, not byte-identical).
    const tensor = Buffer.concat([
      Buffer.from([0x2a, 0x04, 0, 0, 0x80, 0x3f]),           // float_val (packed) [1]
      Buffer.from([0x22, 0x03, 1, 2, 3]),                     // tensor_content
      Buffer.from([0xd8, 0x3e, 0x05]),                        // field 1003 varint (unknown)
      Buffer.from([0x08, 0x01]),                              // dtype
    ]);
    const attrValue = Buffer.concat([Buffer.from([0x42, tensor.length]), tensor]);
    const entry = Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from('value'), Buffer.from([0x12, attrValue.length]), attrValue]);
    const node = Buffer.concat([Buffer.from([0x0a, 0x01, 0x63, 0x2a, entry.length]), entry]);
    const g = new Uint8Array(Buffer.concat([Buffer.from([0x0a, node.length]), node]));
    const { structure, weights } = splitGraphDefSync(g);
    expect(weights).toHaveLength(1);
    const joined = joinGraphDefSync(structure, weights);
    expect(decodePlain(joined)).toEqual(decodePlain(g));
    expect(Buffer.from(joined).equals(Buffer.from(g))).toBe(false);
  });

  it('preserves unknown groups and non-minimal varints in untouched messages', () => {
    const g = new Uint8Array([
      0x93, 0x03, 0x08, 0x01, 0xa3, 0x03, 0xa4, 0x03, 0x94, 0x03, // field 50 group { 1: 1, 52 {} }
      0x0a, 0x05, 0x0a, 0x82, 0x00, 0x6e, 0x6e,                   // node { name: (len 0x82 0x00) "nn" }
    ]);
    const { structure, weights, tensors } = splitGraphDefSync(g);
    expect(tensors).toHaveLength(0);
    expect(weights).toHaveLength(0);
    expect(Buffer.from(structure).equals(Buffer.from(g))).toBe(true);
  });

  it('rejects bad join requests with typed errors', () => {
    const { structure, weights } = splitGraphDefSync(bytes, { minBytes: 256 });
    const small = scanGraphDefSync(structure).tensors.find((t) => t.nodeName === 'small')!;
    expect(() => joinGraphDefSync(structure, [{ tensorId: small.id, data: new Uint8Array(1) }]))
      .toThrow(/already has tensor_content/);
    expect(() => joinGraphDefSync(structure, [{ tensorId: 999, data: new Uint8Array(1) }]))
      .toThrow(/tensor id 999 does not exist: the structure has 10 tensors/);
    try {
      joinGraphDefSync(structure, [weights[0]!, weights[0]!]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).code).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    }
    expect(() => joinGraphDefSync(structure, [{ tensorId: -1, data: new Uint8Array(1) }])).toThrow(ValidationError);
    expect(() => joinGraphDefSync(structure, [{ tensorId: 0, data: 'x' as unknown as Uint8Array }]))
      .toThrow(/Expected an ArrayBufferView for weights\[0\]\.data but received "x" of type string/);
    expect(() => splitGraphDefSync(bytes, { minBytes: -1 })).toThrow(ValidationError);
    expect(() => scanGraphDefSync([1, 2] as unknown as Uint8Array)).toThrow(/Expected a Uint8Array for bytes/);
  });
});

describe.skipIf(!binding)('GraphDef wire: corrupt inputs give typed errors, never a crash', () => {
  const small = encode({
    node: [
      constNode('c', { dtype: 1, tensorShape: { dim: [{ size: '2' }] }, tensorContent: b64(pattern(8, 3)), xTensor: b64(pattern(2, 1)) }, { xNode: 5 }),
      { name: 'p', op: 'Placeholder', input: ['c'] },
    ],
    library: { function: [{ signature: { name: 'f' }, nodeDef: [constNode('k', { dtype: 3, intVal: [1, 2] })] }] },
    versions: { producer: 3 },
  });

  it('truncation at every offset', () => {
    let rejected = 0;
    for (let n = 0; n < small.length; n++) {
      const cut = small.slice(0, n);
      let ours: 'ok' | 'err';
      try {
        const { structure, weights } = splitGraphDefSync(cut);
        joinGraphDefSync(structure, weights);
        ours = 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).code).toBe(WIRE);
        expect((e as Error).message).toMatch(/at offset \d+/);
        ours = 'err';
        rejected++;
      }
      // protobufjs (with the full test schema) agrees on which prefixes are valid.
      let theirs: 'ok' | 'err' = 'ok';
      try {
        decodePlain(cut);
      } catch {
        theirs = 'err';
      }
      expect(`${n}:${ours}`).toBe(`${n}:${theirs}`);
    }
    expect(rejected).toBeGreaterThan(small.length / 2);
  });

  it('random byte flips', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
    let ok = 0;
    let bad = 0;
    for (let i = 0; i < 2000; i++) {
      const x = small.slice();
      for (let k = 1 + (rand() % 3); k > 0; k--) x[rand() % x.length] = rand() & 255;
      try {
        const s = splitGraphDefSync(x, { minBytes: rand() % 8 });
        const y = joinGraphDefSync(s.structure, s.weights);
        // Accepted: the rewrite must keep every tensor (same scan, content bytes included).
        const a = scanGraphDefSync(x).tensors.map((t) => [t.nodeName, t.dtype, t.shape, t.content && b64(bytesOf(x, t.content))]);
        const b = scanGraphDefSync(y).tensors.map((t) => [t.nodeName, t.dtype, t.shape, t.content && b64(bytesOf(y, t.content))]);
        expect(b).toEqual(a);
        ok++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e.code).toBe(WIRE);
        bad++;
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(bad).toBeGreaterThan(0);
  });

  it('a length past the end names the field path and offsets', () => {
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x0a, 0x7f, 0x0a, 0x01, 0x61])),
      /GraphDef\.node: length 127 at offset 2 exceeds the enclosing message \(ends at 5\)/);
    // tensor_content claims 9 bytes inside a TensorProto that has 2 left.
    const tensor = [0x08, 0x01, 0x22, 0x09, 1, 2];
    const value = [0x42, tensor.length, ...tensor];
    const entry = [0x0a, 0x05, ...Buffer.from('value'), 0x12, value.length, ...value];
    const node = [0x0a, 0x01, 0x63, 0x2a, entry.length, ...entry];
    const g = new Uint8Array([0x0a, node.length, ...node]);
    const e = expectWireError(() => splitGraphDefSync(g, { source: 'model.pb' }),
      /^ERR_TFEXPORT_BAD_WIRE_FORMAT: model\.pb: .*GraphDef\.node\[0\]\.attr\['value'\]\.tensor\.tensor_content: length 9 at offset 22 exceeds the enclosing message \(ends at 24\)/);
    expect(e.context).toMatchObject({ file: 'model.pb', field: "GraphDef.node[0].attr['value'].tensor.tensor_content" });
  });

  it('malformed varints, field 0, bad wire types, stray end-groups', () => {
    expectWireError(() => scanGraphDefSync(new Uint8Array([...Array(10).fill(0x80), 0x01])), /malformed varint at offset 0/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x08, ...Array(9).fill(0xff), 0x02])), /malformed varint at offset 1/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x02, 0x00])), /field number 0/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x0e, 0x00])), /invalid wire type 6/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x0c])), /end-group tag for field 1 at offset 0 closes no open group/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x08, 0x01])), /GraphDef\.node: wire type 0 at offset 0, expected wire type 2/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10, 0x00])), /beyond 32 bits/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x09, 1, 2, 3])), /value \(wire type 1\) at offset 1 runs past/);
    expectWireError(() => scanGraphDefSync(new Uint8Array([0x0a])), /value \(wire type 2\) at offset 1 runs past/);
  });

  it('deep nesting is refused, shallow groups are kept', () => {
    const nest = (depth: number) => new Uint8Array([
      ...Array.from({ length: depth }, () => [0x93, 0x03]).flat(),   // field 50 start-group
      ...Array.from({ length: depth }, () => [0x94, 0x03]).flat(),   // field 50 end-group
    ]);
    expect(Buffer.from(splitGraphDefSync(nest(10)).structure).equals(Buffer.from(nest(10)))).toBe(true);
    expectWireError(() => scanGraphDefSync(nest(100)), /nesting deeper than 64 levels/);
    expectWireError(() => scanGraphDefSync(nest(100).subarray(0, 150)), /nesting deeper than 64 levels/);
    expectWireError(() => scanGraphDefSync(nest(3).subarray(0, 8)), /group started at offset \d+ is not closed/);
  });

  it('async calls reject with the error and the caller\'s stack', async () => {
    const err = await scanGraphDef(new Uint8Array([0x0a, 0x7f])).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).stack).toContain('graphdef-wire.test.ts');
    const err2 = await splitGraphDef('x' as unknown as Uint8Array).then(() => null, (e: unknown) => e);
    expect(err2).toBeInstanceOf(ValidationError);
  });
});

const fixtures = fs.existsSync(fixtureDir)
  ? fs.readdirSync(fixtureDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.pb')).sort()
  : [];
if (fixtures.length === 0) console.warn(`test/wire: no GraphDef fixtures under ${fixtureDir}; skipping the fixture round-trips`);

describe.skipIf(!binding || fixtures.length === 0)('GraphDef wire: real fixtures round-trip', () => {
  it.each(fixtures)('%s', (name) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtureDir, name)));
    const decoded = decodePlain(bytes);
    const { structure, weights, tensors } = splitGraphDefSync(bytes, { source: name });
    expect(tensors.length).toBe(decodedTensors(decoded).length);
    for (const w of weights) expect(w.data.buffer).toBe(bytes.buffer);
    expect(decodePlain(structure)).toEqual(stripContent(decodePlain(bytes), () => true));
    expect(scanGraphDefSync(structure).tensors.every((t: GraphDefTensor) => t.content === null)).toBe(true);
    const joined = joinGraphDefSync(structure, weights);
    expect(decodePlain(joined)).toEqual(decoded);
    // TF serializes canonically, so the round trip is byte-identical.
    expect(Buffer.from(joined).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe.skipIf(!binding)('GraphDef wire: error class surface', () => {
  it('wire errors are TfexportErrors with stable codes', () => {
    const e = expectWireError(() => scanGraphDefSync(new Uint8Array([0x0a, 0x02, 0x0a])));
    expect(e).toBeInstanceOf(TfexportError);
    expect(e.message.startsWith(`${WIRE}: `)).toBe(true);
    expect(e.message).not.toMatch(/status \d|undefined/);
  });
});
