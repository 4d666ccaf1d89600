#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Builds the JavaScript side: `tsc` compiles src/ to dist/ (modules, .d.ts, kept for the
// type declarations, the tests and deep imports), then esbuild bundles the two entry points
// (the library, dist/index.js, and the bin, dist/cli/main.js) into dist/bundle/, which is
// what package.json's "exports" and "bin" name. Dynamic imports stay separate chunks (the
// Keras/layers code, the inspector, ...), so a conversion still loads only what it uses.
//
// Why a bundle: Node resolves, reads and compiles each ESM module on its own; the ~75 modules
// a graph-model conversion imports cost ~50 ms before any work starts, the bundle ~18 ms
// (bench/README.md). Dependencies (node_modules) are not bundled.
//
//   node scripts/build-ts.mjs            tsc + bundle
//   node scripts/build-ts.mjs --bundle   bundle only (dist/ already compiled)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'bundle');

if (!process.argv.includes('--bundle')) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const { build } = await import('esbuild');
// Built into a temporary folder and swapped in, so that a failed build leaves the last good
// bundle (and never a mix of two builds' chunks).
const tmp = `${out}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    entryPoints: { index: path.join(dist, 'index.js'), cli: path.join(dist, 'cli', 'main.js') },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Swapped by two renames (a concurrent reader sees the old or the new bundle, whole).
  const old = `${out}.old-${process.pid}`;
  if (fs.existsSync(out)) fs.renameSync(out, old);
  fs.renameSync(tmp, out);
  fs.rmSync(old, { recursive: true, force: true });
} catch (e) {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.error(`bundle failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
for (const bin of [path.join(dist, 'cli', 'main.js'), path.join(out, 'cli.js')]) fs.chmodSync(bin, 0o755);
