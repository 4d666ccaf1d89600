// SPDX-License-Identifier: Apache-2.0
/**
 * Conformance of tfjs graph models against real TensorFlow 2.21: one oracle process builds a
 * small zoo (test/fixtures/generators/tfjs_graph_zoo.py: CNN with BatchNorm, MobileNetV2
 * alpha 0.35 at 96x96, ResNet50 at 64x64, Embedding+LSTM, a Transformer encoder block, a multi-input
 * multi-output Functional model, a tf.Module with tf.cond and tf.while_loop) with the
 * signature outputs TF computes; each SavedModel is converted by tfexport, loaded in
 * @tensorflow/tfjs 4.22 (cpu) and must reproduce them (1e-4 relative for float32; within
 * quantization error for float16/uint16/uint8, max abs errors are printed). The control-flow
 * models (cond_loop, lstm) are checked lowered (the default) and with `controlFlowV2`.
 * Skipped loudly when there is no oracle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToGraphModel, type GraphModelResult } from '../../src/formats/tfjs/graph-write.js';
import { loadGraphModel, runGraphModel, type Feed } from '../formats/tfjs-graph/tfjs-run.js';
import { oraclePython, repoRoot, runOracle } from './oracle.js';

const python = oraclePython();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-tfjs-graph-zoo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MODELS = ['cnn_bn', 'mobilenet_v2', 'resnet50', 'lstm', 'transformer', 'multi_io', 'cond_loop'];
/** Shared-fixture SavedModels with real trained weights, run by the oracle too (when present). */
const kws = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'savedmodel', 'mlcommons_kws_ref_model');
const FIXTURES = fs.existsSync(kws) ? [['mlcommons_kws', kws]] : [];
if (!FIXTURES.length) console.warn('[tfjs-graph conformance] shared fixture mlcommons_kws_ref_model absent: not compared');

interface Case {
  signature: string;
  inputs: Record<string, Feed>;
  outputs: Record<string, Feed>;
}

async function runConverted(dir: string, c: Case, r: GraphModelResult): Promise<Record<string, number[]>> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const model = await loadGraphModel(dir);
  const nameOf = (list: GraphModelResult['signature']['inputs'], map: Record<string, { name: string }>, k: string) => {
    const t = list.find((x) => x.key === k)!;
    expect(map[t.jsonKey].name).toBe(t.name);
    return t.name;
  };
  const feeds: Record<string, Feed> = {};
  for (const [k, v] of Object.entries(c.inputs)) feeds[nameOf(r.signature.inputs, json.signature.inputs, k)] = v;
  const keys = Object.keys(c.outputs);
  const fetches = keys.map((k) => nameOf(r.signature.outputs, json.signature.outputs, k));
  const got = await runGraphModel(model, feeds, fetches);
  return Object.fromEntries(keys.map((k, i) => [k, got[fetches[i]]]));
}

describe.skipIf(!python)('tfjs graph models vs TensorFlow 2.21', () => {
  beforeAll(async () => {
    await runOracle(path.join(repoRoot, 'test', 'fixtures', 'generators', 'tfjs_graph_zoo.py'), [tmp, ...MODELS, ...FIXTURES.map(([n, p]) => `${n}=${p}`)], 170_000);
  }, 180_000);

  it('multi_io with --use-structured-outputs-names: predict() returns the dict outputs by key', async () => {
    const d = path.join(tmp, 'multi_io');
    const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8')) as Case;
    const out = path.join(d, 'tfjs-structured');
    const r = await convertToGraphModel(path.join(d, 'saved_model'), out, { useStructuredOutputsNames: true });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.userDefinedMetadata.structuredOutputKeys).toEqual(['score', 'value']);
    const model = await loadGraphModel(out);
    const feeds: Record<string, tf.Tensor> = {};
    for (const t of r.signature.inputs) feeds[t.name] = tf.tensor(c.inputs[t.key].data, c.inputs[t.key].shape);
    const got = model.predict(feeds) as Record<string, tf.Tensor>;
    expect(Object.keys(got).sort()).toEqual(['score', 'value']);
    for (const k of ['score', 'value']) {
      const have = Array.from(got[k].dataSync());
      have.forEach((v, i) => expect(Math.abs(v - c.outputs[k].data[i])).toBeLessThanOrEqual(1e-4 * Math.abs(c.outputs[k].data[i]) + 1e-5));
    }
  });

  for (const name of ['cond_loop', 'lstm']) {
    it(`${name}: control flow lowered to Switch/Merge/Enter/Exit by default, kept as If/While with controlFlowV2; both match TF`, async () => {
      const d = path.join(tmp, name);
      const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8')) as Case;
      const V2 = ['If', 'StatelessIf', 'While', 'StatelessWhile'];
      for (const v2 of [false, true]) {
        const out = path.join(d, v2 ? 'tfjs-cf-v2' : 'tfjs-cf-lowered');
        const r = await convertToGraphModel(path.join(d, 'saved_model'), out, { controlFlowV2: v2 });
        const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
        const ops = new Set<string>(json.modelTopology.node.map((n: { op: string }) => n.op));
        if (v2) {
          expect([...ops].filter((o) => V2.includes(o)).length).toBeGreaterThan(0);
          expect(ops.has('Switch') || ops.has('Enter')).toBe(false);
          expect(json.modelTopology.library.function.length).toBeGreaterThan(0);
        } else {
          for (const o of ['Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'LoopCond']) expect(ops.has(o)).toBe(true);
          expect([...ops].filter((o) => V2.includes(o))).toEqual([]);
          expect(json.modelTopology.library).toBeUndefined();
        }
        const got = await runConverted(out, c, r);
        for (const [k, want] of Object.entries(c.outputs)) {
          got[k].forEach((v, i) => expect(Math.abs(v - want.data[i])).toBeLessThanOrEqual(1e-4 * Math.abs(want.data[i]) + 1e-5));
        }
      }
    }, 120_000);
  }

  for (const name of [...MODELS, ...FIXTURES.map(([n]) => n)]) {
    it(`${name}: float32 and quantized outputs match the SavedModel's signature`, async () => {
      const d = path.join(tmp, name);
      const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8')) as Case;
      const out = path.join(d, 'tfjs');
      const r = await convertToGraphModel(path.join(d, 'saved_model'), out);
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      const ops = new Map<string, number>();
      for (const n of json.modelTopology.node) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
      console.log(`[tfjs-graph ${name}] ${r.nodes} nodes, ${r.weights} weights; ${JSON.stringify(r.stats)}; fused: ${['_FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul'].map((o) => `${o}=${ops.get(o) ?? 0}`).join(' ')}`);
      const got = await runConverted(out, c, r);
      for (const [k, want] of Object.entries(c.outputs)) {
        const have = got[k];
        expect(have.length).toBe(want.data.length);
        let maxAbs = 0;
        for (let i = 0; i < have.length; i++) {
          const err = Math.abs(have[i] - want.data[i]);
          maxAbs = Math.max(maxAbs, err);
          expect(err).toBeLessThanOrEqual(1e-4 * Math.abs(want.data[i]) + 1e-5);
        }
        console.log(`[tfjs-graph ${name}] float32 ${k}: max abs error ${maxAbs.toExponential(2)}`);
      }
      for (const [q, tol] of [['float16', 2e-2], ['uint16', 2e-2], ['uint8', 0.5]] as const) {
        const qo = path.join(d, `tfjs-${q}`);
        const rq = await convertToGraphModel(path.join(d, 'saved_model'), qo, { quantize: { [q]: true } });
        const gq = await runConverted(qo, c, rq);
        for (const [k, want] of Object.entries(c.outputs)) {
          const scale = Math.max(1, ...want.data.map(Math.abs));
          const maxAbs = Math.max(...gq[k].map((v, i) => Math.abs(v - want.data[i])));
          console.log(`[tfjs-graph ${name}] ${q} ${k}: max abs error ${maxAbs.toExponential(2)}`);
          expect(maxAbs).toBeLessThanOrEqual(tol * scale);
        }
      }
    }, 120_000);
  }
});
