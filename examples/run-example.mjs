#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The README's main job on the bundled example: convert examples/mlp_savedmodel (written by real
// TF 2.21, see make_examples.py) to a tfjs graph model with the tfexport CLI, load the result with
// @tensorflow/tfjs through a file IOHandler, run it on the inputs recorded in
// mlp_savedmodel.expected.json and compare with TensorFlow's outputs recorded there.
//
//   npm run example [-- <output dir>]      (default: examples/out/mlp_web, git-ignored)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const out = path.resolve(process.argv[2] ?? path.join(here, 'out', 'mlp_web'));
const expected = JSON.parse(fs.readFileSync(path.join(here, 'mlp_savedmodel.expected.json'), 'utf8'));

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.dirname(out), { recursive: true });
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const cli = [path.join(root, pkg.bin.tfexport), 'convert', path.join(here, 'mlp_savedmodel'), out, '--output-format=tfjs_graph_model'];
console.log(`$ tfexport ${cli.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' ')}`);
const r = spawnSync(process.execPath, cli, { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`wrote ${fs.readdirSync(out).join(', ')}`);

const toAB = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
const loader = {
  async load() {
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs = [];
      const bufs = [];
      for (const g of manifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(toAB(fs.readFileSync(path.join(out, p))));
      }
      return [specs, tf.io.concatenateArrayBuffers(bufs)];
    });
  },
};
await tf.setBackend('cpu');
const model = await tf.loadGraphModel(loader);
const x = tf.tensor2d(expected.inputs.x);
const y = model.predict(x);
const got = await (Array.isArray(y) ? y[0] : y instanceof tf.Tensor ? y : Object.values(y)[0]).array();
const want = expected.outputs.probs;
let maxAbs = 0;
for (let i = 0; i < want.length; i += 1) for (let j = 0; j < want[i].length; j += 1) maxAbs = Math.max(maxAbs, Math.abs(got[i][j] - want[i][j]));
console.log('tfjs probs:', JSON.stringify(got.map((row) => row.map((v) => Number(v.toFixed(6))))));
console.log(`max abs difference vs TensorFlow ${expected.tensorflow}: ${maxAbs.toExponential(2)}`);
if (!(maxAbs <= 1e-5)) {
  console.error('example: the tfjs outputs differ from TensorFlow by more than 1e-5');
  process.exit(1);
}
