// SPDX-License-Identifier: Apache-2.0
/**
 * Converts the shared SavedModel / frozen GraphDef fixtures with expected values to tfjs graph
 * models and runs them in @tensorflow/tfjs (cpu). Skipped, loudly, when ../shared/fixtures is
 * absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertToGraphModel } from '../../../src/formats/tfjs/graph-write.js';
import { sharedFixturesDir } from '../../helpers/paths.js';
import { loadGraphModel, runGraphModel, type Feed } from './tfjs-run.js';

const have = fs.existsSync(sharedFixturesDir);
if (!have) console.warn(`[tfjs-graph fixtures] SKIPPED: ${sharedFixturesDir} is absent`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-graph-fx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const flat = (d: unknown): number[] => (Array.isArray(d) ? d.flatMap(flat) : [Number(d)]);

interface SavedCase {
  signature: string;
  inputs: Record<string, Feed>;
  outputs: Record<string, { data: unknown; dtype?: string }>;
  atol?: number;
}

const SAVED = [
  ['tfserving_half_plus_two_cpu', 'serving_default'],
  ['tfserving_half_plus_two_cpu', 'regress_x2_to_y3'],
  ['tfserving_half_plus_two_tf2_cpu', 'serving_default'],
  ['tfjs_node_times_three_float', 'serving_default'],
  ['tfjs_node_times_two_int', 'serving_default'],
  ['tfjs_node_model_multi_output', 'serving_default'],
  ['tfjs_node_model_single_input_multi_output', 'serving_default'],
  ['tfjs_node_module_with_multiple_signatures', 'timestwo'],
  ['tf2onnx_regression', 'serving_default'],
  ['tfkeras_lso_savedmodel_tf2.2', 'serving_default'],
] as const;

describe.skipIf(!have)('tfjs graph model from SavedModel fixtures', () => {
  for (const [fixture, sigName] of SAVED) {
    it(`${fixture} [${sigName}]`, async () => {
      const dir = path.join(sharedFixturesDir, 'savedmodel', fixture);
      const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { cases: SavedCase[] };
      const c = expected.cases.find((x) => x.signature === sigName)!;
      const out = path.join(tmp, `${fixture}-${sigName}`);
      const r = await convertToGraphModel(dir, out, { signatureName: sigName });
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      expect(json.format).toBe('graph-model');
      // model.json keys: the signature key, or the tensor name when dtype+shape are ambiguous
      const nameOf = (list: { key: string; name: string; jsonKey: string }[], map: Record<string, { name: string }>, k: string) => {
        const t = list.find((x) => x.key === k)!;
        expect(map[t.jsonKey].name).toBe(t.name);
        return t.name;
      };
      const model = await loadGraphModel(out);
      const feeds: Record<string, Feed> = {};
      for (const [k, v] of Object.entries(c.inputs)) feeds[nameOf(r.signature.inputs, json.signature.inputs, k)] = { ...v, data: flat(v.data) };
      const keys = Object.keys(c.outputs);
      const fetches = keys.map((k) => nameOf(r.signature.outputs, json.signature.outputs, k));
      // Some TF 2.0-beta SavedModels declare scalar placeholders but were tested with vectors:
      // tfjs checks shapes, so run those element by element.
      const scalarIn = model.inputs.every((i) => Array.isArray(i.shape) && i.shape.length === 0);
      let got: Record<string, number[]>;
      if (scalarIn && Object.values(feeds).some((f) => f.data.length > 1)) {
        got = Object.fromEntries(fetches.map((f) => [f, [] as number[]]));
        const n = Object.values(feeds)[0].data.length;
        for (let e = 0; e < n; e++) {
          const one = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { ...f, shape: [], data: [f.data[e]] }]));
          const r = await runGraphModel(model, one, fetches);
          for (const f of fetches) got[f].push(...r[f]);
        }
      } else got = await runGraphModel(model, feeds, fetches);
      for (const [i, k] of keys.entries()) {
        const want = flat(c.outputs[k].data);
        const have = got[fetches[i]];
        expect(have.length).toBe(want.length);
        for (let j = 0; j < want.length; j++) expect(Math.abs(have[j] - want[j])).toBeLessThanOrEqual((c.atol ?? 1e-5) + 1e-4 * Math.abs(want[j]));
      }
    });
  }
});

const FROZEN = ['tract_plus3', 'tf2onnx_regression_frozen', 'tfrust_addition', 'tfrust_multiplication'];

describe.skipIf(!have)('tfjs graph model from frozen GraphDef fixtures', () => {
  for (const name of FROZEN) {
    it(name, async () => {
      const pb = path.join(sharedFixturesDir, 'graphdef', `${name}.pb`);
      const expected = JSON.parse(fs.readFileSync(path.join(sharedFixturesDir, 'graphdef', `${name}.expected.json`), 'utf8')) as {
        cases: { feeds: Record<string, Feed>; fetches: Record<string, { data: unknown }>; atol?: number }[];
      };
      const c = expected.cases[0];
      const out = path.join(tmp, `frozen-${name}`);
      const outputs = Object.keys(c.fetches).map((f) => f.replace(/:0$/, ''));
      await convertToGraphModel(pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: outputs });
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      expect(Object.keys(json.signature.outputs)).toEqual(outputs);
      const model = await loadGraphModel(out);
      const feeds: Record<string, Feed> = {};
      for (const [k, v] of Object.entries(c.feeds)) feeds[k] = { ...v, data: flat(v.data) };
      const got = await runGraphModel(model, feeds, Object.keys(c.fetches));
      for (const [k, v] of Object.entries(c.fetches)) {
        const want = flat(v.data);
        for (let j = 0; j < want.length; j++) expect(Math.abs(got[k][j] - want[j])).toBeLessThanOrEqual((c.atol ?? 1e-5) + 1e-4 * Math.abs(want[j]));
      }
    });
  }
});

describe.skipIf(!have)('tfjs graph model from the nnstreamer MNIST GraphDef', () => {
  it('classifies 9.raw as 9', async () => {
    const dir = path.join(sharedFixturesDir, 'graphdef', 'nnstreamer_mnist');
    const out = path.join(tmp, 'mnist');
    await convertToGraphModel(path.join(dir, 'mnist.pb'), out, { outputNodeNames: ['softmax'] });
    const raw = fs.readFileSync(path.join(dir, '9.raw'));
    const data = Array.from(raw, (v) => (v - 127.5) / 127.5);
    const got = await runGraphModel(await loadGraphModel(out), { input: { dtype: 'float32', shape: [1, 784], data } }, ['softmax']);
    const p = got.softmax;
    expect(p.indexOf(Math.max(...p))).toBe(9);
  });
});
