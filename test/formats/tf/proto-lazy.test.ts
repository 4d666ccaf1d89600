// SPDX-License-Identifier: Apache-2.0
/**
 * Lazy decoding (DecodeOptions.lazy, openSavedModel's lazyFunctions): the lazily decoded
 * message equals the eager one field for field, re-encodes to the same bytes, decodes a
 * function body only when it is read, and reports malformed deferred bytes on that read (and
 * every later one) with the same FormatError as an eager decode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { openSavedModel } from '../../../src/formats/savedmodel/index.js';
import { messageCodec } from '../../../src/proto/index.js';
import { savedModelDirs } from './fixtures.js';

const LAZY = ['tensorflow.FunctionDef'];

/** A GraphDef whose library holds one FunctionDef with the given extra (raw) fields. */
function graphDefWithFunction(extra: number[] = []): Uint8Array {
  const fn = messageCodec('tensorflow.FunctionDef');
  const body = fn.encode(
    fn.create({
      signature: messageCodec('tensorflow.OpDef').create({ name: 'f' }),
      nodeDef: [messageCodec('tensorflow.NodeDef').create({ name: 'c', op: 'Const' })],
      ret: new Map([['out', 'c:output:0']]),
    }),
  );
  const fdef = Uint8Array.from([...body, ...extra]);
  const lib = Uint8Array.from([0x0a, fdef.length, ...fdef]); // FunctionDefLibrary.function
  return Uint8Array.from([0x12, lib.length, ...lib]); // GraphDef.library
}

describe('lazy FunctionDef decoding', () => {
  const graph = messageCodec('tensorflow.GraphDef');

  it('decodes the signature at once and the body on first read', () => {
    const bytes = graphDefWithFunction();
    const g = graph.decode(bytes, { lazy: LAZY });
    const f = g.library!.function[0]!;
    expect(f.signature?.name).toBe('f');
    expect(Object.getOwnPropertyDescriptor(f, 'nodeDef')?.get).toBeTypeOf('function');
    expect(f.nodeDef.map((n) => n.name)).toEqual(['c']);
    expect(Object.getOwnPropertyDescriptor(f, 'nodeDef')?.get).toBeUndefined();
    expect(f.ret.get('out')).toBe('c:output:0');
    expect(g).toEqual(graph.decode(bytes));
    expect(graph.encode(g)).toEqual(bytes);
  });

  it('lazy GraphDef.node: name and op now, inputs (repeated strings) and attrs on first read, in wire order', () => {
    const nd = messageCodec('tensorflow.NodeDef');
    const g0 = graph.create({
      node: [
        nd.create({ name: 'a', op: 'Placeholder' }),
        nd.create({ name: 'b', op: 'AddV2', input: ['a', 'a:0', '^c', 'caf\u00e9'], device: '/cpu:0', attr: new Map([['T', messageCodec('tensorflow.AttrValue').create({ type: 1 })]]) }),
      ],
    });
    const bytes = graph.encode(g0);
    const g = graph.decode(bytes, { lazy: ['tensorflow.GraphDef.node'] });
    const b = g.node[1]!;
    expect([b.name, b.op, b.device]).toEqual(['b', 'AddV2', '/cpu:0']);
    expect(Object.getOwnPropertyDescriptor(b, 'input')?.get).toBeTypeOf('function');
    expect(b.input).toEqual(['a', 'a:0', '^c', 'caf\u00e9']);
    expect(Object.getOwnPropertyDescriptor(b, 'input')?.get).toBeUndefined();
    expect(b.attr.get('T')?.type).toBe(1);
    expect(g.node[0]!.input).toEqual([]);
    expect(g).toEqual(graph.decode(bytes));
    expect(graph.encode(graph.decode(bytes, { lazy: ['tensorflow.GraphDef.node'] }))).toEqual(bytes);
  });

  it('an assignment before any read replaces the deferred field', () => {
    const g = graph.decode(graphDefWithFunction(), { lazy: LAZY });
    const f = g.library!.function[0]!;
    f.nodeDef = [];
    expect(f.nodeDef).toEqual([]);
    expect(f.ret.get('out')).toBe('c:output:0');
  });

  it('malformed body bytes throw when the body is read, every time, naming the field path', () => {
    // An extra node_def (field 3) whose name declares 5 bytes where none are left.
    const bytes = graphDefWithFunction([0x1a, 0x02, 0x0a, 0x05]);
    expect(() => graph.decode(bytes)).toThrow(FormatError);
    const g = graph.decode(bytes, { lazy: LAZY, file: 'x.pb' });
    const f = g.library!.function[0]!;
    expect(f.signature?.name).toBe('f');
    for (let k = 0; k < 2; k++) {
      let err: unknown;
      try {
        void f.nodeDef;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('ERR_TFEXPORT_PROTO_DECODE');
      expect((err as FormatError).message).toContain('x.pb');
      expect((err as FormatError).message).toContain('library.function[0].node_def[1]');
    }
  });

  it.each(savedModelDirs().map((d) => [path.basename(d), d]))('saved_model.pb of %s: lazy equals eager and re-encodes byte for byte', (_n, dir) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'saved_model.pb')));
    const codec = messageCodec('tensorflow.SavedModel');
    const lazy = codec.decode(bytes, { lazy: LAZY });
    expect(codec.encode(lazy)).toEqual(bytes);
    expect(lazy).toEqual(codec.decode(bytes));
  });

  it.each(savedModelDirs().slice(0, 3).map((d) => [path.basename(d), d]))('openSavedModel(%s) gives the same proto with lazyFunctions true and false', async (_n, dir) => {
    const a = await openSavedModel(dir);
    const b = await openSavedModel(dir, { lazyFunctions: false });
    try {
      expect(a.proto).toEqual(b.proto);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
