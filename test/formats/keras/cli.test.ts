// SPDX-License-Identifier: Apache-2.0
/** `tfexport convert` for layers models, run in-process through runCli. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { runCli } from '../../../src/cli/run.js';
import { fileLoader, maxAbsDiff, predictAll, quietTfjs, sharedFixturesDir } from './helpers.js';

const haveFixtures = existsSync(sharedFixturesDir);
if (!haveFixtures) console.warn(`\n!!! SKIPPED test/formats/keras/cli: ${sharedFixturesDir} is absent !!!\n`);
quietTfjs();
const F = (...p: string[]) => path.join(sharedFixturesDir, ...p);

let work = '';
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tfexport-keras-cli-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (fn: (s: string) => void) => new Writable({ write(chunk, _e, cb) { fn(String(chunk)); cb(); } });
  const code = await runCli(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: {}, cwd: work });
  return { code, stdout, stderr };
}

describe.skipIf(!haveFixtures)('tfexport convert (layers models)', () => {
  it('keras .h5 -> tfjs_layers_model with tensorflowjs_converter flags (output format inferred, input detected)', async () => {
    const r = await cli('convert', F('keras-h5', 'mlcommons_pretrainedResnet.h5'), 'web', '--input_format=keras', '--quantize_uint8=*conv2d*', '--quantize-float16', '--weight_shard_size_bytes', '16384', '--metadata', `labels:${path.join(work, 'labels.json')}`);
    expect(r.stderr).toContain('labels.json');
    expect(r.code).toBe(1);
    writeFileSync(path.join(work, 'labels.json'), JSON.stringify(['a', 'b']));
    const ok = await cli('convert', F('keras-h5', 'mlcommons_pretrainedResnet.h5'), 'web', '--input_format=keras', '--quantize_uint8=*conv2d*', '--quantize-float16', '--weight_shard_size_bytes', '16384', '--metadata', 'labels:labels.json');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/wrote .*web \(tfjs_layers_model, 48 weights\) from keras/);
    const mj = JSON.parse(readFileSync(path.join(work, 'web', 'model.json'), 'utf8'));
    expect(mj.format).toBe('layers-model');
    expect(mj.generatedBy).toBe('keras v2.4.0');
    expect(mj.convertedBy).toMatch(/^tfexport \d/);
    expect(mj.userDefinedMetadata).toEqual({ labels: ['a', 'b'] });
    const ws = mj.weightsManifest[0].weights as { name: string; quantization?: { dtype: string } }[];
    expect(ws.filter((w) => w.name.includes('conv2d')).every((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    expect(ws.filter((w) => !w.name.includes('conv2d')).every((w) => w.quantization?.dtype === 'float16')).toBe(true);
    const shards = readdirSync(path.join(work, 'web')).filter((f) => f.endsWith('.bin'));
    expect(shards.length).toBeGreaterThan(4);
    for (const s of shards) expect(readFileSync(path.join(work, 'web', s)).length).toBeLessThanOrEqual(16384);
    const m = await tf.loadLayersModel(fileLoader(path.join(work, 'web', 'model.json')));
    expect(predictAll(m, [tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1)])[0].every(Number.isFinite)).toBe(true);
  });

  it('detects by content: an HDF5 file named .keras -> .keras (zip) -> tfjs, predicting the same as a direct conversion', async () => {
    const src = F('keras-h5', 'hls4ml_mlp_streaming_hdf5_named.keras');
    expect((await cli('convert', src, 'hls.keras', '--output-format=keras_keras')).code).toBe(0);
    expect(readFileSync(path.join(work, 'hls.keras')).subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    const j = await cli('convert', 'hls.keras', 'hls-web', '--output-format', 'tfjs_layers_model', '--json');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout.trim())).toMatchObject({ event: 'done', inputFormat: 'keras_keras', outputFormat: 'tfjs_layers_model', weights: 4 });
    expect((await cli('convert', src, 'hls-direct', '--output-format', 'tfjs_layers_model')).code).toBe(0);
    const a = await tf.loadLayersModel(fileLoader(path.join(work, 'hls-web', 'model.json')));
    const b = await tf.loadLayersModel(fileLoader(path.join(work, 'hls-direct', 'model.json')));
    const x = tf.randomUniform([3, 8], -1, 1, 'float32', 5);
    expect(maxAbsDiff(predictAll(a, [x])[0], predictAll(b, [x])[0])).toBe(0);
  });

  it('tfjs_layers_model -> keras (.h5) is inferred like tensorflowjs_converter; split by layer', async () => {
    const r = await cli('convert', F('tfjs-layers', 'tfjs_examples_abalone_tfjs_node'), 'abalone.h5', '--input-format', 'tfjs_layers_model');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(work, 'abalone.h5')).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x48, 0x44, 0x46]));
    const s = await cli('convert', 'abalone.h5', 'abalone-split', '--output-format=tfjs_layers_model', '--split_weights_by_layer');
    expect(s.code).toBe(0);
    const mj = JSON.parse(readFileSync(path.join(work, 'abalone-split', 'model.json'), 'utf8'));
    expect(mj.weightsManifest.length).toBe(3);
    expect(mj.weightsManifest.map((g: { paths: string[] }) => g.paths[0])).toEqual(['group1-shard1of1.bin', 'group2-shard1of1.bin', 'group3-shard1of1.bin']);
  });

  it('errors: unsupported layers (exit 1, one message listing them), quantize with a Keras output (exit 2), existing output', async () => {
    const u = await cli('convert', F('keras-v3', 'keras_pre_pr22362_nested_container.keras'), 'u-web', '--output-format=tfjs_layers_model');
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^tfexport: ERR_TFEXPORT_UNSUPPORTED_LAYERS: .*NestedDenseModel/s);
    expect(existsSync(path.join(work, 'u-web'))).toBe(false);
    const q = await cli('convert', F('keras-h5', 'hls4ml_mlp_streaming_hdf5_named.keras'), 'q.keras', '--output-format=keras_keras', '--quantize-uint8');
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('--quantize-* applies to --output-format tfjs_layers_model');
    writeFileSync(path.join(work, 'taken.h5'), 'x');
    const e = await cli('convert', F('tfjs-layers', 'tfjs_rn_dense_layers_model', 'bundle_model_test.json'), 'taken.h5', '--output-format=keras');
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('ERR_TFEXPORT_OUTPUT_EXISTS');
    expect(readFileSync(path.join(work, 'taken.h5'), 'utf8')).toBe('x');
  });
});
