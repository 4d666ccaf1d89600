// SPDX-License-Identifier: Apache-2.0
/** `tfexport convert ... --output-format tfjs_graph_model` through the compiled CLI. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, packageBin as bin, sharedFixturesDir } from '../../helpers/paths.js';

const have = fs.existsSync(sharedFixturesDir);
if (!have) console.warn(`[tfjs-graph cli] SKIPPED: ${sharedFixturesDir} is absent`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-graph-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TFEXPORT_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!have)('tfexport convert to tfjs_graph_model', () => {
  beforeAll(() => {
    const failed = buildPackage();
    if (failed) throw new Error(failed);
  }, 180_000);

  it('converts a SavedModel signature with tensorflowjs_converter flags', () => {
    fs.writeFileSync(path.join(work, 'labels.json'), '["y"]');
    const src = path.join(sharedFixturesDir, 'savedmodel', 'tfserving_half_plus_two_cpu');
    const r = run(['convert', src, 'web', '--input_format=tf_saved_model', '--output_format=tfjs_graph_model', '--signature_name', 'regress_x2_to_y3', '--quantize_float16', '--weight_shard_size_bytes=4', '--metadata', 'labels:labels.json', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const done = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(done).toMatchObject({ event: 'done', outputFormat: 'tfjs_graph_model', inputFormat: 'tf_saved_model' });
    const json = JSON.parse(fs.readFileSync(path.join(work, 'web', 'model.json'), 'utf8'));
    expect(Object.keys(json.signature.inputs)).toEqual(['inputs']);
    expect(json.userDefinedMetadata).toEqual({ labels: ['y'] });
    const w = json.weightsManifest[0];
    expect(w.weights.every((e: { quantization?: { dtype: string } }) => e.quantization?.dtype === 'float16')).toBe(true);
    expect(w.paths.length).toBe(1); // 2 float16 scalars = 4 bytes
  });

  it('converts a frozen GraphDef (output format inferred) and refuses unsupported ops atomically', () => {
    const pb = path.join(sharedFixturesDir, 'graphdef', 'tract_plus3.pb');
    const r = run(['convert', pb, 'plus3', '--input-format=tf_frozen_model', '--output-node-names=output']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(work, 'plus3')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const speech = path.join(sharedFixturesDir, 'graphdef', 'nnstreamer_conv_actions', 'conv_actions_frozen.pb');
    if (!fs.existsSync(speech)) return;
    const bad = run(['convert', speech, 'speech', '--input-format=tf_frozen_model', '--output-node-names=labels_softmax']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('ERR_TFEXPORT_UNSUPPORTED_OP');
    expect(bad.stderr).toContain('DecodeWav');
    expect(fs.existsSync(path.join(work, 'speech'))).toBe(false);
    expect(run(['convert', speech, 'speech', '--input-format=tf_frozen_model', '--output-node-names=labels_softmax', '--skip-op-check']).code).toBe(0);
  });
});
