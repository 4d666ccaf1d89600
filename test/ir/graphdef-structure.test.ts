// SPDX-License-Identifier: Apache-2.0
/**
 * `graphDefStructure` builds the GraphDef message of an IR directly; the tfjs graph writer's
 * model.json depends on it matching, in proto3 JSON, what `toGraphDef({ inlineWeights: false })`
 * encodes and the codec decodes again (the path it replaces). Checked on a graph with a
 * function library and on every SavedModel and frozen GraphDef fixture.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freezeSavedModel } from '../../src/formats/savedmodel/freeze.js';
import { protoToJson } from '../../src/formats/tfjs/graph-json.js';
import { fromGraphDef, graphDefStructure, toGraphDef } from '../../src/ir/graphdef.js';
import type { GraphIR } from '../../src/ir/types.js';
import { messageCodec } from '../../src/proto/index.js';
import { attr } from '../../src/ir/attrs.js';
import { fixture, fixturesDir, savedModelDirs } from '../formats/tf/fixtures.js';
import { constNode, F32, fdef, library, node } from '../graph/helpers.js';

async function expectSameJson(ir: GraphIR, what: string): Promise<void> {
  const viaBytes = messageCodec('tensorflow.GraphDef').decode(await toGraphDef(ir, { inlineWeights: false }));
  expect(JSON.stringify(protoToJson('tensorflow.GraphDef', graphDefStructure(ir))), what).toBe(JSON.stringify(protoToJson('tensorflow.GraphDef', viaBytes)));
}

describe('graphDefStructure', () => {
  it('gives the proto3 JSON of the encoded and decoded GraphDef (library, Const weights, float and list attrs)', async () => {
    const body = fdef('body', {
      inputs: [['x', F32]],
      outputs: [['y', F32]],
      nodes: [
        { name: 'c', op: 'Const', attr: { dtype: attr.type(F32), value: attr.tensor(messageCodec('tensorflow.TensorProto').create({ dtype: F32, floatVal: [0.1, -0] })) } },
        { name: 'm', op: 'Mul', input: ['x', 'c:output:0'], attr: { T: attr.type(F32) } },
      ],
      ret: { y: 'm:z:0' },
    });
    const nodes = [
      node('x', 'Placeholder', [], { dtype: attr.type(F32), shape: attr.shape([-1, 3]) }),
      constNode('w'),
      node('f', 'PartitionedCall', ['x', '^w'], { f: attr.func('body'), Tin: attr.typeList([F32]), Tout: attr.typeList([F32]), eps: attr.float(1e-3), k: attr.intList([1, -2]), s: attr.string('SAME'), b: attr.bool(false) }),
    ];
    const weights = new Map([['w', { name: 'w', dtype: 'float32', dataType: F32, shape: [], byteLength: 4, source: { kind: 'memory' }, read: () => Promise.resolve(new Uint8Array(4)) }]]);
    const ir = { nodes: new Map(nodes.map((n) => [n.name, n])), functions: library(body), gradients: [], signatures: new Map(), versions: { producer: 7, minConsumer: 0, badConsumers: [3] }, weights, close: () => Promise.resolve() } as unknown as GraphIR;
    await expectSameJson(ir, 'library graph');
    expect(protoToJson('tensorflow.GraphDef', graphDefStructure(ir)).library).toBeDefined();
  });
});

describe.skipIf(!fixturesDir)('graphDefStructure on fixtures', () => {
  it('gives the proto3 JSON of the encoded and decoded GraphDef (SavedModel fixtures, control flow kept and lowered)', async () => {
    let checked = 0;
    for (const dir of savedModelDirs()) {
      for (const controlFlow of ['keep', 'lower'] as const) {
        let ir;
        try {
          ir = await freezeSavedModel(dir, { controlFlow });
        } catch {
          continue; // no serving_default, unsupported ops...: other tests cover those
        }
        try {
          await expectSameJson(ir, `${dir} (${controlFlow})`);
          checked++;
        } finally {
          await ir.close();
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
  }, 60_000);

  it('gives the proto3 JSON of the encoded and decoded GraphDef (frozen GraphDef fixtures)', async () => {
    const dir = fixture('graphdef');
    let checked = 0;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.pb')).sort()) {
      let ir;
      try {
        ir = fromGraphDef(fs.readFileSync(`${dir}/${f}`), { file: f });
      } catch {
        continue;
      }
      await expectSameJson(ir, f);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  }, 60_000);
});
