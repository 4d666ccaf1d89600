// SPDX-License-Identifier: Apache-2.0
/**
 * Every keras-h5, keras-v3 and tfjs-layers fixture in ../shared/fixtures reads, and those
 * with expected results reproduce them (no Python needed; the Keras-side reproductions are
 * in test/conformance/keras).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel, readLayersModel, UnsupportedOpError } from '../../../src/index.js';
import { detectLayersInputFormat } from '../../../src/formats/keras/detect.js';
import { fileLoader, maxAbsDiff, predictAll, quietTfjs, sharedFixturesDir } from './helpers.js';

const haveFixtures = existsSync(sharedFixturesDir);
if (!haveFixtures) console.warn(`\n!!! SKIPPED test/formats/keras/fixtures: ${sharedFixturesDir} is absent !!!\n`);
quietTfjs();

const F = (...p: string[]) => path.join(sharedFixturesDir, ...p);
const list = (dir: string, re: RegExp) => (haveFixtures ? readdirSync(F(dir)).filter((f) => re.test(f)).map((f) => F(dir, f)) : []);
const KERAS_H5 = [...list('keras-h5', /\.(h5|keras)$/), ...(haveFixtures ? [F('keras-h5', 'tensorspace_weights_only', 'weights.h5')] : [])];
const KERAS_V3 = list('keras-v3', /\.keras$/);
const TFJS = haveFixtures
  ? readdirSync(F('tfjs-layers')).map((d) => {
      const files = readdirSync(F('tfjs-layers', d));
      return F('tfjs-layers', d, files.includes('model.json') ? 'model.json' : files.find((f) => f.endsWith('.json') && f !== 'expected.json')!);
    })
  : [];

let work = '';
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tfexport-keras-fx-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!haveFixtures)('layers-model fixtures read', () => {
  it.each([...KERAS_H5, ...KERAS_V3, ...TFJS].map((f) => [path.relative(sharedFixturesDir, f), f]))('%s', async (_rel, file) => {
    const m = await readLayersModel(file);
    try {
      expect(m.weights.length).toBeGreaterThan(0);
      for (const w of m.weights) {
        const v = await w.read();
        expect(v.length).toBe(w.shape.reduce((a, b) => a * b, 1));
        if (v instanceof Float32Array) expect(v.every(Number.isFinite)).toBe(true);
      }
      const names = m.weights.map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names.every((n) => !n.endsWith(':0'))).toBe(true);
    } finally {
      await m.close();
    }
  });

  it('detects formats by content, not extension (an HDF5 file named .keras is keras)', async () => {
    expect(await detectLayersInputFormat(F('keras-h5', 'hls4ml_mlp_streaming_hdf5_named.keras'))).toBe('keras');
    expect(await detectLayersInputFormat(F('keras-v3', 'keras_pre_pr22362_nested_container.keras'))).toBe('keras_keras');
    expect(await detectLayersInputFormat(F('tfjs-layers', 'tfjs_e2e_embedding_gru'))).toBe('tfjs_layers_model');
    expect(await detectLayersInputFormat(F('tfjs-layers', 'tensorspace_mnist_saved_by_tfjs_0.8.3', 'mnist.json'))).toBe('tfjs_layers_model');
    expect(await detectLayersInputFormat(F('tfjs-graph', 'tfjs_e2e_matmul', 'model.json'))).toBe(null);
  });
});

describe.skipIf(!haveFixtures)('fixtures with expected results reproduce them', () => {
  it('frugally_deep GRU .h5: weights equal expected.json', async () => {
    const exp = JSON.parse(readFileSync(F('keras-h5', 'frugally_deep_gru_stateless_no_optimizer.expected.json'), 'utf8'));
    const m = await readLayersModel(F('keras-h5', 'frugally_deep_gru_stateless_no_optimizer.h5'));
    const byName = new Map(m.weights.map((w) => [w.name, w]));
    for (const [k, v] of Object.entries(exp.weights as Record<string, { shape: number[]; data: number[][] }>)) {
      const name = k.replace(/^gru\//, 'gru/gru_cell/').replace(/:0$/, '');
      const w = byName.get(name);
      expect(w, name).toBeDefined();
      expect(w!.shape).toEqual(v.shape);
      expect(maxAbsDiff(await w!.read(), v.data.flat())).toBeLessThanOrEqual(1e-7);
    }
    // reset_after=True has no tfjs-layers equivalent: refused with a typed error.
    const err = await convertLayersModel(F('keras-h5', 'frugally_deep_gru_stateless_no_optimizer.h5'), path.join(work, 'gru'), { format: 'tfjs_layers_model' }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect(err.message).toContain('reset_after');
    await m.close();
  });

  it('keras-v3 subclassed nested container: weights as documented, and its output recomputed from them', async () => {
    const exp = JSON.parse(readFileSync(F('keras-v3', 'keras_pre_pr22362_nested_container.expected.json'), 'utf8'));
    const m = await readLayersModel(F('keras-v3', 'keras_pre_pr22362_nested_container.keras'));
    const w = new Map(await Promise.all(m.weights.map(async (x) => [x.name, { shape: x.shape, v: await x.read() as Float32Array }] as const)));
    const kernels = ['layers/dense/vars/0', 'layers/dense_1/vars/0', 'layers/dense_2/vars/0', 'layers/dense_3/vars/0'];
    [0.1, 0.2, 0.3, 0.5].forEach((fill, i) => expect(w.get(kernels[i])!.v.every((x) => Math.abs(x - fill) < 1e-7)).toBe(true));
    // y = x @ K0 @ K1 @ K2 @ K3 + b (no activations).
    let x = Float32Array.from(exp.cases[0].inputs.data.flat() as number[]);
    for (const k of kernels) {
      const { shape, v } = w.get(k)!;
      const y = new Float32Array(shape[1]);
      for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) y[j] += x[i] * v[i * shape[1] + j];
      x = y;
    }
    const b = w.get('layers/dense_3/vars/1')!.v;
    const got = x.map((v, i) => v + b[i]);
    expect(maxAbsDiff(got, exp.cases[0].outputs.data.flat())).toBeLessThanOrEqual(exp.atol);
    // A subclassed model has no layer graph: every target refuses it with one typed error.
    for (const format of ['tfjs_layers_model', 'keras', 'keras_keras'] as const) {
      const err = await convertLayersModel(F('keras-v3', 'keras_pre_pr22362_nested_container.keras'), path.join(work, `sub-${format}`), { format }).catch((e) => e);
      expect(err).toBeInstanceOf(UnsupportedOpError);
      expect(err.message).toContain('NestedDenseModel');
    }
    await m.close();
  });

  it.each([
    ['tfjs_e2e_embedding_gru', 'model.json'],
    ['tfjs_rn_dense_layers_model', 'bundle_model_test.json'],
  ])('%s: our rewrite as tfjs_layers_model predicts expected.json', async (dir, json) => {
    const exp = JSON.parse(readFileSync(F('tfjs-layers', dir, 'expected.json'), 'utf8'));
    const out = path.join(work, `rewrite-${dir}`);
    await convertLayersModel(F('tfjs-layers', dir, json), out, { format: 'tfjs_layers_model' });
    const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
    const c = exp.cases[0];
    const got = predictAll(model, [tf.tensor(c.inputs.data.flat(), c.inputs.shape)])[0];
    expect(maxAbsDiff(got, c.outputs.data.flat())).toBeLessThanOrEqual(exp.atol);
    if (exp.weights) {
      const m = await readLayersModel(F('tfjs-layers', dir, json));
      for (const w of m.weights) {
        const short = w.name.split('/').pop()!;
        expect(maxAbsDiff(await w.read(), (exp.weights[short].data as number[][]).flat())).toBeLessThanOrEqual(1e-7);
      }
    }
  });

  it.each(TFJS.map((f) => [path.relative(sharedFixturesDir, f), f]))('%s: our tfjs rewrite predicts what the original predicts', async (_rel, file) => {
    const orig = await tf.loadLayersModel(fileLoader(file));
    const out = path.join(work, `same-${path.basename(path.dirname(file))}`);
    await convertLayersModel(file, out, { format: 'tfjs_layers_model', quantize: {} });
    const ours = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
    const inputs = orig.inputs.map((i, k) => {
      const shape = (i.shape as (number | null)[]).map((d) => d ?? 1);
      shape[0] = 1;
      return i.dtype === 'int32' ? tf.randomUniform(shape, 0, 10, 'int32', k) : tf.randomUniform(shape, -1, 1, 'float32', k);
    });
    const a = predictAll(orig, inputs);
    const b = predictAll(ours, inputs);
    expect(b.length).toBe(a.length);
    a.forEach((x, i) => expect(maxAbsDiff(b[i], x)).toBe(0));
  });

  it('keras-h5 tensorspace Keras 2.1.6: our conversion equals tensorflowjs_converter\'s weights, by name', async () => {
    const out = path.join(work, 'tensorspace');
    await convertLayersModel(F('keras-h5', 'tensorspace_mnist_keras2.1.6_with_optimizer.h5'), out, { format: 'tfjs_layers_model' });
    const ours = await readLayersModel(out);
    const theirs = await readLayersModel(F('tfjs-layers', 'tensorspace_from_keras2.1.6_h5', 'model.json'));
    const t = new Map(theirs.weights.map((w) => [w.name, w]));
    expect(ours.weights.map((w) => w.name).sort()).toEqual([...t.keys()].sort());
    for (const w of ours.weights) expect(maxAbsDiff(await w.read(), await t.get(w.name)!.read())).toBe(0);
    // And the model loads and runs in tfjs.
    const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
    const y = predictAll(model, [tf.randomUniform([2, 28, 28], 0, 1, 'float32', 3)])[0];
    expect(y.every(Number.isFinite)).toBe(true);
  });

  it('weights-only HDF5 + its topology.json converts to a tfjs model that loads', async () => {
    const out = path.join(work, 'weights-only');
    const topology = readFileSync(F('keras-h5', 'tensorspace_weights_only', 'topology.json'), 'utf8');
    await convertLayersModel(F('keras-h5', 'tensorspace_weights_only', 'weights.h5'), out, { format: 'tfjs_layers_model', topology });
    const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
    expect(model.layers.length).toBeGreaterThan(3);
    // Without a topology the weights still convert (a manifest-only model.json, as the Python converter writes).
    const out2 = path.join(work, 'weights-only-bare');
    await convertLayersModel(F('keras-h5', 'tensorspace_weights_only', 'weights.h5'), out2, { format: 'tfjs_layers_model' });
    const mj = JSON.parse(readFileSync(path.join(out2, 'model.json'), 'utf8'));
    expect(mj.modelTopology).toBe(null);
    expect(mj.weightsManifest[0].weights.length).toBe(10);
  });

  it.each(KERAS_H5.filter((f) => !f.includes('weights_only') && !f.includes('frugally_deep_gru')).map((f) => [path.basename(f), f]))(
    '%s -> tfjs_layers_model loads in tfjs and predicts finite values',
    async (_n, file) => {
      const out = path.join(work, `h5-${path.basename(file)}`);
      await convertLayersModel(file, out, { format: 'tfjs_layers_model' });
      const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
      const inputs = model.inputs.map((i, k) => tf.randomUniform((i.shape as (number | null)[]).map((d, j) => (j === 0 ? 1 : d ?? 3)), -1, 1, 'float32', k));
      for (const y of predictAll(model, inputs)) expect(y.every(Number.isFinite)).toBe(true);
      expect(statSync(path.join(out, 'model.json')).size).toBeGreaterThan(100);
    },
  );
});
