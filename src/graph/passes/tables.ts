// SPDX-License-Identifier: Apache-2.0
/**
 * Pass for TensorFlow.js hash tables: tfjs-converter 4.22's `LookupTableFindV2` returns its
 * values stacked into a 1-D tensor (`HashTable.find` ends in `stack(values)`), whereas
 * TensorFlow returns the keys' shape (a `HashTableV2` holds scalar values). Each lookup is
 * therefore followed by `Reshape(values, Shape(keys))`: the find node is renamed
 * `<name>/lookup`, the Reshape takes over its name (so consumers, control edges and signature
 * outputs stay valid), and `<name>/keys_shape` computes the keys' shape. Exact in TensorFlow too.
 */
import { DataType } from '../../proto/types.generated.js';
import { attr } from '../../ir/attrs.js';
import type { IrNode } from '../../ir/types.js';
import { dataInputs, uniqueName, type WorkGraph } from '../work-graph.js';

const FIND_OPS = new Set(['LookupTableFind', 'LookupTableFindV2']);

/**
 * Reshapes every hash-table lookup result to its keys' shape (see the module doc).
 * @returns the number of lookups rewritten
 */
export function reshapeTableLookups(g: WorkGraph): number {
  // already rewritten: `<name>/lookup` feeding the Reshape `<name>`
  const done = (n: IrNode) => n.name.endsWith('/lookup') && g.nodes.get(n.name.slice(0, -'/lookup'.length))?.op === 'Reshape';
  const finds = [...g.nodes.values()].filter((n) => FIND_OPS.has(n.op) && !done(n));
  for (const n of finds) {
    const keys = dataInputs(n)[1];
    if (!keys) continue;
    const name = n.name;
    const lookup = uniqueName(g, `${name}/lookup`);
    const shape = uniqueName(g, `${name}/keys_shape`);
    const valueType = n.attrs.get('Tout');
    const found: IrNode = { ...n, name: lookup };
    const shapeNode: IrNode = {
      name: shape,
      op: 'Shape',
      device: n.device,
      inputs: [{ node: keys.node, output: keys.output, control: false }],
      attrs: new Map([['T', n.attrs.get('Tin') ?? attr.type(DataType.DT_STRING)], ['out_type', attr.type(DataType.DT_INT32)]]),
    };
    const reshape: IrNode = {
      name,
      op: 'Reshape',
      device: n.device,
      inputs: [
        { node: lookup, output: 0, control: false },
        { node: shape, output: 0, control: false },
      ],
      attrs: new Map([['T', valueType ?? attr.type(DataType.DT_FLOAT)], ['Tshape', attr.type(DataType.DT_INT32)]]),
    };
    g.nodes.delete(name);
    g.nodes.set(lookup, found);
    g.nodes.set(shape, shapeNode);
    g.nodes.set(name, reshape);
  }
  return finds.length;
}
