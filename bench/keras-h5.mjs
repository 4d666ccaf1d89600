#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Keras HDF5 -> tfjs_layers_model conversion benchmark: wall time and peak RSS for a ~100 MB
// and a ~500 MB Keras model generated on the fly by the oracle Python (real Keras 3).
//
//   npx tsc -p . && node bench/keras-h5.mjs [--sizes 100,500] [--json] [--keep]
//
// Each conversion runs in its own Node process so that its peak RSS (getrusage maxrss) is
// its own. Models are cached in $TMPDIR/tfexport-bench-keras (removed unless --keep).
// Without TFEXPORT_ORACLE_PYTHON or .venv/bin/python nothing can be generated: the script
// says so and exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'index.js');
const args = process.argv.slice(2);

if (args[0] === '--child') {
  // Child: one conversion, then a JSON line with time and peak RSS.
  const [, input, output] = args;
  const { convertLayersModel } = await import(pathToFileURL(dist).href);
  const t0 = process.hrtime.bigint();
  const r = await convertLayersModel(input, output, { format: 'tfjs_layers_model', overwrite: true });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const outBytes = readdirSync(output).reduce((s, f) => s + statSync(path.join(output, f)).size, 0);
  process.stdout.write(`${JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, weights: r.weights, outBytes })}\n`);
  process.exit(0);
}

const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = String(flag('sizes', '100,500')).split(',').map(Number).filter((n) => n > 0);
const json = args.includes('--json');
const keep = args.includes('--keep');

if (!existsSync(dist)) {
  process.stderr.write(`bench/keras-h5.mjs: ${dist} is missing; build first: npx tsc -p .\n`);
  process.exit(1);
}
const python = process.env.TFEXPORT_ORACLE_PYTHON && existsSync(process.env.TFEXPORT_ORACLE_PYTHON)
  ? process.env.TFEXPORT_ORACLE_PYTHON
  : existsSync(path.join(root, '.venv', 'bin', 'python')) ? path.join(root, '.venv', 'bin', 'python') : undefined;
if (!python) {
  process.stdout.write('bench/keras-h5.mjs: no oracle Python (set TFEXPORT_ORACLE_PYTHON or create .venv with TensorFlow 2.21 + Keras 3.15): '
    + 'the benchmark models cannot be generated, nothing was measured.\n');
  process.exit(0);
}

const cache = path.join(os.tmpdir(), 'tfexport-bench-keras');
mkdirSync(cache, { recursive: true });
const script = path.join(root, 'test', 'fixtures', 'generators', 'keras', 'make_keras_zoo.py');
const rows = [];
for (const mb of sizes) {
  const h5 = path.join(cache, `dense_${mb}mb.h5`);
  if (!existsSync(h5)) {
    process.stderr.write(`generating ${h5} with Keras...\n`);
    const g = spawnSync(python, [script, 'big', h5, String(mb)], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    if (g.status !== 0) {
      process.stderr.write(g.stderr);
      process.exit(1);
    }
  }
  const out = path.join(cache, `dense_${mb}mb_web`);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', h5, out], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  const inBytes = statSync(h5).size;
  rows.push({ name: `keras-h5 -> tfjs_layers_model`, inputMB: +(inBytes / 1e6).toFixed(1), weights: m.weights, wallS: +(m.ms / 1000).toFixed(2), mbPerS: +((inBytes / 1e6) / (m.ms / 1000)).toFixed(1), peakRssMB: Math.round(m.maxRssMB), outputMB: +(m.outBytes / 1e6).toFixed(1) });
  rmSync(out, { recursive: true, force: true });
}
if (!keep) rmSync(cache, { recursive: true, force: true });

const meta = { name: 'meta', node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, totalMemMB: Math.round(os.totalmem() / 2 ** 20) };
if (json) {
  process.stdout.write(`${JSON.stringify(meta)}\n`);
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  process.stdout.write(`Keras .h5 -> tfjs_layers_model (node ${meta.node}, ${meta.cpus} CPUs, ${meta.cpu})\n`);
  process.stdout.write('input MB  weights  wall s   MB/s  peak RSS MB  output MB\n');
  for (const r of rows) {
    process.stdout.write(`${String(r.inputMB).padStart(8)}  ${String(r.weights).padStart(7)}  ${String(r.wallS).padStart(6)}  ${String(r.mbPerS).padStart(5)}  ${String(r.peakRssMB).padStart(11)}  ${String(r.outputMB).padStart(9)}\n`);
  }
}
