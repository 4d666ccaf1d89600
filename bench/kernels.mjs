#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Thin wrapper: `node bench/kernels.mjs [--json] [--size N] [--runs R] ...` is
// `tfexport bench kernels ...` (the implementation is src/bench/kernels.ts, built to dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = path.join(root, 'dist', 'cli', 'run.js');
if (!existsSync(run)) {
  process.stderr.write(`bench/kernels.mjs: ${run} is missing; build first: npx tsc -p . (and npx cmake-js compile --out build)\n`);
  process.exit(1);
}
const { runCli } = await import(pathToFileURL(run).href);
process.exitCode = await runCli(['bench', 'kernels', ...process.argv.slice(2)], {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
