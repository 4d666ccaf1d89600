// SPDX-License-Identifier: Apache-2.0
/**
 * Conformance of the layers-model converters against the real implementations:
 * - a zoo of Keras 3.15 models (built, trained and saved as .h5 and .keras by real Keras in
 *   one Python process) → our tfjs_layers_model → tf.loadLayersModel (tfjs 4.22) predicts
 *   what Keras predicted;
 * - the same models → our .h5 / .keras → keras.models.load_model predicts the same;
 * - tfjs-layers models built and trained in Node → our .h5 / .keras → Keras predicts what
 *   tfjs predicts; tfjs and Keras fixtures from ../shared/fixtures likewise.
 * Every Keras check runs in ONE further Python process. Without the oracle Python
 * (TFEXPORT_ORACLE_PYTHON or .venv/bin/python) the whole file is skipped with a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel, exportModel, readLayersModel } from '../../../src/index.js';
import { UnsupportedOpError } from '../../../src/errors.js';
import { fileLoader, maxAbsDiff, oraclePython, predictAll, quietTfjs, readRaw, runOracle, sharedFixturesDir } from '../../formats/keras/helpers.js';
import { buildTfjsZoo } from './tfjs-zoo.js';

const python = oraclePython();
if (!python) {
  console.warn(
    '\n!!! SKIPPED test/conformance/keras: no Keras oracle. Set TFEXPORT_ORACLE_PYTHON to a Python with ' +
      'TensorFlow 2.21 + Keras 3.15 + h5py, or create <repo>/.venv (see shared/docs/validators.md §0). !!!\n',
  );
}
quietTfjs();

const ZOO = ['seq_mlp', 'conv2d', 'conv1d_rnn', 'bidi_td', 'embedding', 'multi_io', 'nested'] as const;
const TFJS_ZOO = ['seq', 'conv', 'rnn', 'multi', 'nested', 'emb'] as const;
const KERAS_FORMATS = ['keras', 'keras_keras'] as const;
const TOL = 1e-5;

interface ArraySpec { file: string; shape: number[]; dtype: string }
interface ZooEntry { inputs: ArraySpec[]; outputs: ArraySpec[]; files: Record<string, string> }
interface Job { id: string; path: string; inputs: ArraySpec[]; out_dir: string }
interface CheckResult { ok: boolean; outputs?: ArraySpec[]; error?: string }

let work = '';
let zooDir = '';
let manifest: {
  keras_version: string;
  models: Record<string, ZooEntry>;
  unsupported: { keras: string; keras_keras: string; expect: string[] };
  bf16: { keras_keras: string; kernel: ArraySpec };
};
const jobs: Job[] = [];
const expected = new Map<string, Float32Array[]>();
const conversionErrors = new Map<string, unknown>();
let checks: Record<string, CheckResult> = {};
const report: string[] = [];

function tensorsOf(dir: string, specs: ArraySpec[]): tf.Tensor[] {
  return specs.map((s) => tf.tensor(readRaw(path.join(dir, s.file), s.dtype), s.shape, s.dtype === 'int32' ? 'int32' : 'float32'));
}

function writeInputs(prefix: string, inputs: tf.Tensor[]): ArraySpec[] {
  return inputs.map((x, i) => {
    const file = `${prefix}.in${i}.bin`;
    const data = x.dataSync();
    writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return { file, shape: x.shape as number[], dtype: x.dtype };
  });
}

async function queue(id: string, build: () => Promise<void>, file: string, inputs: ArraySpec[], want: Float32Array[]): Promise<void> {
  try {
    await build();
    jobs.push({ id, path: file, inputs, out_dir: work });
    expected.set(id, want);
  } catch (e) {
    conversionErrors.set(id, e);
  }
}

function kerasResult(id: string): Float32Array[] {
  if (conversionErrors.has(id)) throw conversionErrors.get(id);
  const r = checks[id];
  expect(r, `no oracle result for ${id}`).toBeDefined();
  expect(r.error ?? '', `Keras failed to load/predict ${id}`).toBe('');
  expect(r.ok).toBe(true);
  return r.outputs!.map((o) => readRaw(path.join(work, o.file), 'float32') as Float32Array);
}

describe.skipIf(!python)('Keras 3.15 oracle conformance (layers models)', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'tfexport-keras-conf-'));
    zooDir = path.join(work, 'zoo');
    await runOracle(python!, ['make', zooDir]);
    manifest = JSON.parse(readFileSync(path.join(zooDir, 'manifest.json'), 'utf8'));

    // Keras zoo -> our .h5 / .keras (every source format to every Keras format).
    for (const name of ZOO) {
      const e = manifest.models[name];
      const want = e.outputs.map((o) => readRaw(path.join(zooDir, o.file), 'float32') as Float32Array);
      const inputs = e.inputs.map((s) => ({ ...s, file: path.join(zooDir, s.file) }));
      for (const src of KERAS_FORMATS) {
        for (const dst of KERAS_FORMATS) {
          const file = path.join(work, `${name}.from-${src}.${dst === 'keras' ? 'h5' : 'keras'}`);
          await queue(`zoo:${name}:${src}->${dst}`, async () => {
            await convertLayersModel(path.join(zooDir, e.files[src]), file, { format: dst });
          }, file, inputs, want);
        }
      }
    }

    // tfjs models trained in Node -> exportModel -> .h5 / .keras.
    const zoo = await buildTfjsZoo();
    for (const name of TFJS_ZOO) {
      const { model, inputs } = zoo[name];
      const want = predictAll(model, inputs).map((a) => a.slice());
      const specs = writeInputs(path.join(work, `tfjs-${name}`), inputs);
      for (const dst of KERAS_FORMATS) {
        const file = path.join(work, `tfjs-${name}.${dst === 'keras' ? 'h5' : 'keras'}`);
        await queue(`tfjs:${name}->${dst}`, () => exportModel(model, file, { format: dst }), file, specs, want);
      }
    }

    // Fixtures: tfjs layers models from ../shared/fixtures -> .keras / .h5; the Keras GRU fixture's expected.json.
    if (existsSync(sharedFixturesDir)) {
      const tfjsFixtures: [string, string, number[]][] = [
        ['tfjs_examples_abalone_tfjs_node', 'model.json', [4, 8]],
        ['tensorspace_mnist_saved_by_tfjs_0.8.3', 'mnist.json', [2, 28, 28, 1]],
        ['tfjs_rn_dense_layers_model', 'bundle_model_test.json', [2, 10]],
      ];
      for (const [dir, json, shape] of tfjsFixtures) {
        const src = path.join(sharedFixturesDir, 'tfjs-layers', dir, json);
        const m = await tf.loadLayersModel(fileLoader(src));
        const x = tf.randomUniform(shape, -1, 1, 'float32', 7);
        const want = predictAll(m, [x]).map((a) => a.slice());
        const specs = writeInputs(path.join(work, `fx-${dir}`), [x]);
        for (const dst of KERAS_FORMATS) {
          const file = path.join(work, `fx-${dir}.${dst === 'keras' ? 'h5' : 'keras'}`);
          await queue(`fixture:${dir}->${dst}`, () => convertLayersModel(src, file, { format: dst }).then(() => undefined), file, specs, want);
        }
      }
      const gruDir = path.join(sharedFixturesDir, 'keras-h5');
      const exp = JSON.parse(readFileSync(path.join(gruDir, 'frugally_deep_gru_stateless_no_optimizer.expected.json'), 'utf8'));
      const c = exp.cases[0];
      const ins = Object.values(c.inputs as Record<string, { shape: number[]; data: unknown }>).map((v) => tf.tensor((v.data as number[]).flat(3) as number[], v.shape));
      const specs = writeInputs(path.join(work, 'fx-gru'), ins);
      const want = [Float32Array.from((c.outputs.gru.data as number[][][]).flat(3))];
      for (const dst of KERAS_FORMATS) {
        const file = path.join(work, `fx-gru.${dst === 'keras' ? 'h5' : 'keras'}`);
        await queue(`fixture:frugally_gru->${dst}`, () => convertLayersModel(path.join(gruDir, 'frugally_deep_gru_stateless_no_optimizer.h5'), file, { format: dst }).then(() => undefined), file, specs, want);
      }
    }

    const jobsFile = path.join(work, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify(jobs));
    const out = await runOracle(python!, ['check', jobsFile]);
    checks = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  }, 600_000);

  afterAll(() => {
    if (report.length) console.log(`Keras oracle max |diff| per case:\n  ${report.join('\n  ')}`);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('Keras zoo -> tfjs_layers_model -> tf.loadLayersModel', () => {
    it.each(ZOO.flatMap((n) => KERAS_FORMATS.map((f) => [n, f] as const)))('%s from %s', async (name, src) => {
      const e = manifest.models[name];
      const out = path.join(work, `tfjs-out-${name}-${src}`);
      await convertLayersModel(path.join(zooDir, e.files[src]), out, { format: 'tfjs_layers_model' });
      const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
      const got = predictAll(model, tensorsOf(zooDir, e.inputs));
      expect(got.length).toBe(e.outputs.length);
      let worst = 0;
      e.outputs.forEach((o, i) => {
        const d = maxAbsDiff(got[i], readRaw(path.join(zooDir, o.file), 'float32'));
        worst = Math.max(worst, d);
      });
      report.push(`keras ${name} (${src}) -> tfjs: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(TOL);
      // Weight names as tensorflowjs_converter writes them for Keras models.
      const mj = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
      const names: string[] = mj.weightsManifest.flatMap((g: { weights: { name: string }[] }) => g.weights.map((w) => w.name));
      expect(names.every((n) => !n.includes(':0') && !/\/vars\/\d+$/.test(n))).toBe(true);
      if (name === 'conv1d_rnn') expect(names).toContain('lstm/lstm_cell/kernel');
      if (name === 'bidi_td') expect(names.some((n) => /^bidirectional\/forward_lstm(_\d+)?\/lstm_cell\/recurrent_kernel$/.test(n))).toBe(true);
      if (name === 'seq_mlp') expect(names).toEqual(expect.arrayContaining(['batch_normalization/gamma', 'batch_normalization/moving_variance']));
    });

    it('quantized (uint8, uint16, float16), sharded and split-by-layer outputs load and predict within the quantization error', async () => {
      const e = manifest.models.conv2d;
      const x = tensorsOf(zooDir, e.inputs);
      const want = readRaw(path.join(zooDir, e.outputs[0].file), 'float32');
      const cases: [string, Parameters<typeof convertLayersModel>[2], number][] = [
        ['f16', { format: 'tfjs_layers_model', quantize: { float16: true } }, 5e-2],
        ['u16', { format: 'tfjs_layers_model', quantize: { uint16: true } }, 5e-3],
        ['u8-mixed', { format: 'tfjs_layers_model', quantize: { uint8: ['conv2d*'], float16: true } }, 2e-1],
        ['split', { format: 'tfjs_layers_model', splitWeightsByLayer: true, weightShardSizeBytes: 64 }, TOL],
      ];
      for (const [tag, opts, tol] of cases) {
        const out = path.join(work, `q-${tag}`);
        await convertLayersModel(path.join(zooDir, e.files.keras), out, opts);
        const mj = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
        const model = await tf.loadLayersModel(fileLoader(path.join(out, 'model.json')));
        const d = maxAbsDiff(predictAll(model, x)[0], want);
        report.push(`keras conv2d -> tfjs ${tag}: ${d.toExponential(2)}`);
        expect(d).toBeLessThanOrEqual(tol);
        if (tag === 'split') {
          expect(mj.weightsManifest.length).toBeGreaterThan(5); // one group per layer with weights
          expect(readdirSync(out).filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(mj.weightsManifest.length);
        } else {
          const q = mj.weightsManifest[0].weights.map((w: { name: string; quantization?: { dtype: string } }) => [w.name, w.quantization?.dtype]);
          if (tag === 'u8-mixed') {
            expect(q.filter(([n]: string[]) => n.startsWith('conv2d')).every(([, d]: string[]) => d === 'uint8')).toBe(true);
            expect(q.filter(([n]: string[]) => !n.startsWith('conv2d')).every(([, d]: string[]) => d === 'float16')).toBe(true);
          }
        }
      }
    });

    it('bfloat16 variables of a .keras file read as the float32 values Keras holds', async () => {
      const m = await readLayersModel(path.join(zooDir, manifest.bf16.keras_keras));
      const kernel = m.weights.find((w) => w.name.endsWith('/kernel'))!;
      expect(kernel.dtype).toBe('float32');
      expect(maxAbsDiff(await kernel.read(), readRaw(path.join(zooDir, manifest.bf16.kernel.file), 'float32'))).toBe(0);
      await m.close();
    });

    it('a model tfjs-layers cannot represent is refused with ONE error listing every problem, and nothing is written', async () => {
      for (const src of KERAS_FORMATS) {
        const out = path.join(work, `unsupported-${src}`);
        const err = await convertLayersModel(path.join(zooDir, manifest.unsupported[src]), out, { format: 'tfjs_layers_model' }).catch((e) => e);
        expect(err).toBeInstanceOf(UnsupportedOpError);
        expect(err.code).toBe('ERR_TFEXPORT_UNSUPPORTED_LAYERS');
        for (const word of manifest.unsupported.expect) expect(err.message).toContain(word);
        expect(existsSync(out)).toBe(false);
        expect(readdirSync(work).filter((f) => f.startsWith(`.unsupported-${src}`))).toEqual([]);
      }
    });
  });

  describe('-> our .h5 / .keras -> keras.models.load_model predicts the same', () => {
    const cases = [
      ...ZOO.flatMap((n) => KERAS_FORMATS.flatMap((s) => KERAS_FORMATS.map((d) => `zoo:${n}:${s}->${d}`))),
      ...TFJS_ZOO.flatMap((n) => KERAS_FORMATS.map((d) => `tfjs:${n}->${d}`)),
    ];
    it.each(cases)('%s', (id) => {
      const got = kerasResult(id);
      const want = expected.get(id)!;
      expect(got.length).toBe(want.length);
      const d = Math.max(...want.map((w, i) => maxAbsDiff(got[i], w)));
      report.push(`${id}: ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(TOL);
    });

    const fixtureCases = [
      'fixture:tfjs_examples_abalone_tfjs_node->keras', 'fixture:tfjs_examples_abalone_tfjs_node->keras_keras',
      'fixture:tensorspace_mnist_saved_by_tfjs_0.8.3->keras', 'fixture:tensorspace_mnist_saved_by_tfjs_0.8.3->keras_keras',
      'fixture:tfjs_rn_dense_layers_model->keras', 'fixture:tfjs_rn_dense_layers_model->keras_keras',
      'fixture:frugally_gru->keras', 'fixture:frugally_gru->keras_keras',
    ];
    it.each(fixtureCases)('%s', (id) => {
      if (!existsSync(sharedFixturesDir)) {
        console.warn(`skipping ${id}: ${sharedFixturesDir} is absent`);
        return;
      }
      const got = kerasResult(id);
      const want = expected.get(id)!;
      const d = Math.max(...want.map((w, i) => maxAbsDiff(got[i], w)));
      report.push(`${id}: ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(TOL);
    });
  });
});
