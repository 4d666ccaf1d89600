// SPDX-License-Identifier: Apache-2.0
/**
 * Byte compatibility with graph models written by tensorflowjs_converter: the shared tfjs-graph
 * fixtures have no TF source next to them, so their source is rebuilt (the model.json topology
 * read back with `protoFromJson`, Const values filled from the shards) as a frozen GraphDef;
 * tfexport converts that, and the weights manifest entries and shard bytes must equal the
 * converter's. Skipped when ../shared/fixtures is absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { protoFromJson, type JsonValue } from '../../../src/formats/tfjs/graph-json.js';
import { convertToGraphModel } from '../../../src/formats/tfjs/graph-write.js';
import { messageCodec } from '../../../src/proto/index.js';
import type { GraphDef } from '../../../src/proto/types.generated.js';
import { sharedFixturesDir } from '../../helpers/paths.js';

const root = path.join(sharedFixturesDir, 'tfjs-graph');
const have = fs.existsSync(root);
if (!have) console.warn(`[tfjs-graph byte-compat] SKIPPED: ${root} is absent`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-graph-bc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Entry {
  name: string;
  shape: number[];
  dtype: string;
}

/** Rebuilds a frozen GraphDef (Const values inline) from a float32/int32 graph model. */
function rebuildFrozen(dir: string, jsonName: string): { pb: string; manifest: Entry[]; bytes: Buffer } {
  const json = JSON.parse(fs.readFileSync(path.join(dir, jsonName), 'utf8'));
  const group = json.weightsManifest[0] as { paths: string[]; weights: Entry[] };
  const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const g = protoFromJson<GraphDef>('tensorflow.GraphDef', json.modelTopology as { [k: string]: JsonValue });
  let off = 0;
  for (const w of group.weights) {
    const n = 4 * w.shape.reduce((a, b) => a * b, 1);
    const node = g.node.find((x) => x.name === w.name)!;
    node.attr.get('value')!.tensor!.tensorContent = new Uint8Array(bytes.subarray(off, off + n));
    off += n;
  }
  const pb = path.join(tmp, `${path.basename(dir)}-${jsonName}.pb`);
  fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(g));
  return { pb, manifest: group.weights, bytes };
}

describe.skipIf(!have)('weights written like tensorflowjs_converter', () => {
  for (const [fixture, jsonName, outputs] of [
    ['tfjs_rn_dense_graph_model', 'model.json', ['Identity']],
    ['tfjs_e2e_matmul', 'model_new.json', ['MatMul']],
  ] as const) {
    for (const optimize of [false, true]) {
      it(`${fixture}${optimize ? ' (optimized)' : ''}: manifest entries and shard bytes`, async () => {
        const src = rebuildFrozen(path.join(root, fixture), jsonName);
        const out = path.join(tmp, `${fixture}-${optimize}`);
        await convertToGraphModel(src.pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: [...outputs], optimize });
        const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
        const entries = json.weightsManifest[0].weights.map((w: Entry) => ({ name: w.name, shape: w.shape, dtype: w.dtype }));
        expect(entries).toEqual(src.manifest.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })));
        expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
        expect(Buffer.compare(fs.readFileSync(path.join(out, 'group1-shard1of1.bin')), src.bytes)).toBe(0);
        const ops = json.modelTopology.node.map((n: { op: string }) => n.op);
        if (optimize && fixture === 'tfjs_rn_dense_graph_model') expect(ops).toContain('_FusedMatMul');
      });
    }
  }
});
