// SPDX-License-Identifier: Apache-2.0
/** Hash-table passes: the static-table check and the tfjs lookup reshape. */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { attr } from '../../src/ir/attrs.js';
import { DataType } from '../../src/proto/index.js';
import { checkFrozenGraph } from '../../src/graph/passes/checks.js';
import { stripDebugOps } from '../../src/graph/passes/strip.js';
import { reshapeTableLookups } from '../../src/graph/passes/tables.js';
import { graph, inputsOf, node } from './helpers.js';

const tableGraph = () =>
  graph(
    [
      node('t', 'Placeholder'),
      node('k', 'Placeholder'),
      node('d', 'Const'),
      node('find', 'LookupTableFindV2', ['t', 'k', 'd'], { Tin: attr.type(DataType.DT_STRING), Tout: attr.type(DataType.DT_INT64) }),
      node('size', 'LookupTableSizeV2', ['t', '^find']),
      node('out', 'Identity', ['find']),
    ],
    ['out:0', 'find:0', 'size:0'],
  );

describe('hash tables', () => {
  it('checkFrozenGraph: allowStaticTables lets HashTableV2 / Find / Size stay, still refuses mutable tables and imports', () => {
    const g = graph([node('t', 'HashTableV2'), node('k', 'Placeholder'), node('d', 'Const'), node('find', 'LookupTableFindV2', ['t', 'k', 'd'])], ['find:0']);
    expect(() => checkFrozenGraph(g, { allowStaticTables: true })).not.toThrow();
    expect(() => checkFrozenGraph(g)).toThrow(/lookup tables/);
    const m = graph([node('m', 'MutableHashTableV2'), node('k', 'Placeholder'), node('d', 'Const'), node('find', 'LookupTableFindV2', ['m', 'k', 'd'])], ['find:0']);
    let err: unknown;
    try {
      checkFrozenGraph(m, { allowStaticTables: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/static hash tables.*"m \(MutableHashTableV2\)"/);
    const imp = graph([node('t', 'HashTableV2'), node('k', 'Const'), node('v', 'Const'), node('i', 'LookupTableImportV2', ['t', 'k', 'v'])], [], ['i']);
    expect(() => checkFrozenGraph(imp, { allowStaticTables: true })).toThrow(/"i \(LookupTableImportV2\)"/);
    expect(() => checkFrozenGraph(imp, { allowStaticTables: true, allowTableInitializers: true })).not.toThrow();
  });

  it('reshapeTableLookups: Reshape(find, Shape(keys)) takes over the find node\'s name', () => {
    const g = tableGraph();
    expect(reshapeTableLookups(g)).toBe(1);
    expect(g.nodes.get('find')!.op).toBe('Reshape');
    expect(inputsOf(g, 'find')).toEqual(['find/lookup', 'find/keys_shape']);
    expect(g.nodes.get('find/lookup')!.op).toBe('LookupTableFindV2');
    expect(inputsOf(g, 'find/lookup')).toEqual(['t', 'k', 'd']);
    expect(g.nodes.get('find/keys_shape')!.attrs.get('T')).toEqual(attr.type(DataType.DT_STRING));
    expect(g.nodes.get('find')!.attrs.get('T')).toEqual(attr.type(DataType.DT_INT64));
    expect(inputsOf(g, 'out')).toEqual(['find']);
    expect(inputsOf(g, 'size')).toEqual(['t', '^find']);
    expect(reshapeTableLookups(g)).toBe(0); // idempotent
  });

  it('stripDebugOps with debug: false keeps Assert / CheckNumerics but still drops checkpoint ops', () => {
    const g = graph(
      [node('x', 'Placeholder'), node('c', 'CheckNumerics', ['x']), node('a', 'Assert', ['x']), node('y', 'Identity', ['c', '^a']), node('s', 'SaveV2', ['x'])],
      ['y:0'],
    );
    expect(stripDebugOps(g, { debug: false })).toBe(1);
    expect([...g.nodes.keys()]).toEqual(['x', 'c', 'a', 'y']);
    expect(stripDebugOps(g)).toBe(2);
    expect(inputsOf(g, 'y')).toEqual(['x']);
  });
});
