#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proves that binding.gyp is a complete build and that `npm run prebuild` (prebuildify,
# through node-gyp) makes a prebuild node-gyp-build loads: builds it in a scratch copy of the
# tracked sources (so build/ here is untouched), removes every other build, loads it through
# the package loader and runs a few kernels against known answers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$work/" 2>/dev/null || true
ln -s "$root/node_modules" "$work/node_modules"
cp -r "$root/dist" "$work/dist"
cd "$work"
npx prebuildify --napi --strip >prebuild.log 2>&1 || { cat prebuild.log; exit 1; }
rm -rf build
ls prebuilds/*/
node --input-type=module -e "
import * as t from './dist/bundle/index.js'; // the package entry (package.json exports)
const crc = t.crc32c(new TextEncoder().encode('123456789'));
if ((await crc) !== 0xe3069283) throw new Error('crc32c mismatch from the prebuild');
const q = t.quantizeAffineSync ? t.quantizeAffineSync(new Float32Array([0, -0.1, 1.2]), 'uint8') : null;
if (q && Array.from(q.data).join() !== '20,0,255') throw new Error('uint8 codes mismatch from the prebuild');
console.log('prebuild loads: isa', t.isa(), 'available', t.availableIsas().join(','));
"
