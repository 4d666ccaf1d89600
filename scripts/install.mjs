#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `npm install` hook. Nothing is downloaded: the addon comes from a prebuild shipped in the
// package, or is compiled from source here.
//  - In a development checkout (cmake-js installed as a devDependency and cmake on PATH):
//    incremental cmake-js build into build/Release.
//  - Otherwise (installed from the registry): node-gyp-build, which loads a matching
//    prebuild from prebuilds/ or compiles binding.gyp with node-gyp.
// TFEXPORT_SKIP_BUILD=1 skips everything (the pure-TS kernels are then used, with a warning).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function resolveOrNull(id) {
  try {
    return require.resolve(id, { paths: [root] });
  } catch {
    return null;
  }
}

if (process.env.TFEXPORT_SKIP_BUILD === '1') {
  console.log('tfexport: TFEXPORT_SKIP_BUILD=1, not building the native addon');
  process.exit(0);
}

const cmakeJs = resolveOrNull('cmake-js/bin/cmake-js');
const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
if (cmakeJs && hasCmake && process.env.TFEXPORT_BUILD_WITH !== 'node-gyp') {
  console.log('tfexport: building the native addon with cmake-js (build/Release/tfexport.node)');
  process.exit(run(process.execPath, [cmakeJs, 'compile', '--out', 'build']));
}

const gypBuild = resolveOrNull('node-gyp-build/bin.js');
if (!gypBuild) {
  console.error('tfexport: node-gyp-build is missing; reinstall the package');
  process.exit(1);
}
console.log('tfexport: loading a prebuild or compiling binding.gyp with node-gyp');
process.exit(run(process.execPath, [gypBuild]));
