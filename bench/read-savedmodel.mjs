#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Memory benchmark of reading + freezing a large SavedModel:
//
//   node bench/read-savedmodel.mjs [--size-mb 1024] [--vars 4] [--dir DIR] [--keep] [--json]
//
// 1. Generates (with the oracle Python: TFEXPORT_ORACLE_PYTHON or <repo>/.venv/bin/python with
//    TensorFlow) a SavedModel of `--vars` float32 variables totalling `--size-mb` MiB (default
//    4 x 256 MiB) in a temp dir (or `--dir`, reused when it already holds a saved_model.pb).
// 2. In a fresh Node process: freezeSavedModel(dir), then pulls every weight once (read() + drop),
//    and reports wall times and the peak RSS (max of process.resourceUsage().maxRSS and
//    /proc/self/status VmHWM). Target: peak RSS < 1.3 GB for the 1 GiB model.
//
// Needs dist/ (npx tsc -p .). The native addon is optional (CRC checks fall back to pure JS).
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const has = (name) => args.includes(name);
const TARGET_BYTES = 1.3e9;

function peakRss() {
  let hwm = 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) hwm = Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Math.max(hwm, process.resourceUsage().maxRSS * 1024);
}

// ---- child: read + freeze + pull every weight, in a fresh process --------------------------
if (has('--child')) {
  const dir = flag('--child');
  const { freezeSavedModel } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
  const rssStart = peakRss();
  const t0 = performance.now();
  const ir = await freezeSavedModel(dir);
  const t1 = performance.now();
  let bytes = 0;
  let largest = 0;
  let touch = 0;
  for (const w of ir.weights.values()) {
    const b = await w.read(); // read, checked (CRC), then dropped
    bytes += b.length;
    largest = Math.max(largest, b.length);
    touch ^= b[b.length >> 1] ?? 0;
  }
  const t2 = performance.now();
  await ir.close();
  process.stdout.write(
    JSON.stringify({
      weights: ir.weights.size,
      nodes: ir.nodes.size,
      bytes,
      largestWeight: largest,
      freezeMs: t1 - t0,
      readMs: t2 - t1,
      totalMs: t2 - t0,
      peakRssBytes: peakRss(),
      baselineRssBytes: rssStart,
      touch,
    }) + '\n',
  );
  process.exit(0);
}

// ---- parent ------------------------------------------------------------------------------------
const sizeMb = Number(flag('--size-mb', '1024'));
const vars = Number(flag('--vars', '4'));
const json = has('--json');
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
  process.stderr.write('bench/read-savedmodel.mjs: dist/ is missing; build first: npx tsc -p .\n');
  process.exit(1);
}

let dir = flag('--dir');
const ownDir = !dir;
if (!dir) dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-bench-sm-'));
const modelDir = path.join(dir, 'model');

if (!fs.existsSync(path.join(modelDir, 'saved_model.pb'))) {
  const envPython = process.env.TFEXPORT_ORACLE_PYTHON;
  const venvPython = path.join(root, '.venv', 'bin', 'python');
  const python = envPython ?? (fs.existsSync(venvPython) ? venvPython : null);
  if (!python) {
    process.stderr.write(
      'bench/read-savedmodel.mjs: generating the benchmark SavedModel needs Python with TensorFlow 2.21;\n' +
        'set TFEXPORT_ORACLE_PYTHON or create the venv: python3 -m venv .venv && .venv/bin/pip install tensorflow-cpu==2.21.0\n' +
        '(or pass --dir DIR pointing at a directory whose model/ subdirectory holds a SavedModel)\n',
    );
    process.exit(2);
  }
  const rows = Math.floor((sizeMb * 1024 * 1024) / vars / 4 / 1024);
  const script = `
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf
rows, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
class Big(tf.Module):
    def __init__(self):
        super().__init__()
        self.vs = [tf.Variable(tf.random.stateless_uniform([rows, 1024], seed=[i, 7]), name=f"v{i}") for i in range(n)]
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="idx")])
    def __call__(self, idx):
        return {"y": tf.add_n([tf.reduce_sum(tf.gather(v, idx), axis=0) for v in self.vs])}
m = Big()
tf.saved_model.save(m, out, signatures={"serving_default": m.__call__})
print(sum(v.shape.num_elements() * 4 for v in m.vs))
`;
  const t = performance.now();
  process.stderr.write(`generating a ${vars} x ${rows}x1024 float32 SavedModel (${((vars * rows * 1024 * 4) / 2 ** 20).toFixed(0)} MiB) in ${modelDir} ...\n`);
  const r = spawnSync(python, ['-c', script, String(rows), String(vars), modelDir], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', CUDA_VISIBLE_DEVICES: '', TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '2' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    process.stderr.write(`generation failed:\n${(r.stderr ?? '').slice(-3000)}\n`);
    process.exit(1);
  }
  process.stderr.write(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

const dataBytes = fs
  .readdirSync(path.join(modelDir, 'variables'))
  .filter((f) => f.includes('.data-'))
  .reduce((a, f) => a + fs.statSync(path.join(modelDir, 'variables', f)).size, 0);
const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', modelDir], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
const code = await new Promise((resolve) => child.on('exit', resolve));
if (ownDir && !has('--keep')) fs.rmSync(dir, { recursive: true, force: true });
if (code !== 0) {
  process.stderr.write(`the measuring process failed (exit ${code})\n`);
  process.exit(1);
}
const r = JSON.parse(out);
const result = {
  bench: 'read-savedmodel',
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  variablesBytes: dataBytes,
  ...r,
  targetPeakRssBytes: TARGET_BYTES,
  pass: r.peakRssBytes < TARGET_BYTES,
};
delete result.touch;
if (json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  process.stdout.write(
    [
      `read + freeze + pull every weight of a ${mb(dataBytes)} SavedModel (${r.weights} weights, largest ${mb(r.largestWeight)}, ${r.nodes} frozen nodes)`,
      `  freeze  ${(r.freezeMs / 1000).toFixed(2)} s`,
      `  weights ${(r.readMs / 1000).toFixed(2)} s (${mb(r.bytes)} read, ${((r.bytes / 2 ** 20) / (r.readMs / 1000)).toFixed(0)} MiB/s incl. CRC)`,
      `  total   ${(r.totalMs / 1000).toFixed(2)} s`,
      `  peak RSS ${mb(r.peakRssBytes)} (process start ${mb(r.baselineRssBytes)}); target < ${(TARGET_BYTES / 1e9).toFixed(1)} GB: ${result.pass ? 'PASS' : 'FAIL'}`,
    ].join('\n') + '\n',
  );
}
process.exitCode = result.pass ? 0 : 3;
