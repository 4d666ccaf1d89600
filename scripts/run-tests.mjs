#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `npm test`: build what is stale (TypeScript, the addon), run the native C++ kernel tests,
// then every vitest suite. Conformance tests against real TensorFlow run when a venv with
// it exists (TFEXPORT_ORACLE_PYTHON, else ./.venv/bin/python) and are skipped loudly
// otherwise. Ends with one line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const skipNative = args.includes('--no-native');
const vitestArgs = args.filter((a) => a !== '--no-native');

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r;
}
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
let skipped = 0;

console.log('== build: TypeScript and the native addon (incremental)');
if (run(process.execPath, [path.join('scripts', 'build-ts.mjs')]).status !== 0) process.exit(1);
if (run(bin('cmake-js'), ['compile', '--out', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
  console.error('native addon build failed');
  process.exit(1);
}

if (!skipNative && fs.existsSync(path.join(root, 'scripts', 'test-native.sh'))) {
  console.log('== native kernel tests (C++, every ISA this machine has)');
  const r = spawnSync('bash', ['scripts/test-native.sh'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout ?? '');
  const counts = [...(r.stdout ?? '').matchAll(/^(\d+) passed, (\d+) failed$/gm)];
  for (const m of counts) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (r.status !== 0 && counts.every((m) => Number(m[2]) === 0)) failed += 1;
}

const oracle = process.env.TFEXPORT_ORACLE_PYTHON || path.join(root, '.venv', 'bin', 'python');
if (!fs.existsSync(oracle)) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! CONFORMANCE TESTS WILL BE SKIPPED: no TensorFlow venv at ${oracle}\n` +
    '!! Create it with: python3 -m venv .venv && .venv/bin/pip install tensorflow-cpu==2.21.0\n' +
    `!! (bash .ci/run does this), or point TFEXPORT_ORACLE_PYTHON at a python with TF 2.21.\n${line}\n`);
} else {
  process.env.TFEXPORT_ORACLE_PYTHON = oracle;
}

console.log('== vitest');
const report = path.join(root, 'test', '.tmp', 'vitest-report.json');
fs.mkdirSync(path.dirname(report), { recursive: true });
fs.rmSync(report, { force: true });
const v = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs]);
if (fs.existsSync(report)) {
  const j = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed += j.numPassedTests ?? 0;
  failed += (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0);
  skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
} else {
  failed += 1;
}
if (v.status !== 0 && failed === 0) failed = 1;

console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
