#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Fails when CMakeLists.txt and binding.gyp do not compile the same sources with the same
// addon defines, or when a .cc file under native/ (outside tests/ and fuzz/) is in neither.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cmake = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
const gypText = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8');
const gyp = JSON.parse(gypText.replace(/^\s*#.*$/gm, ''));

function cmakeList(name) {
  const m = cmake.match(new RegExp(`set\\(${name}\\s+([^)]*)\\)`));
  if (!m) throw new Error(`CMakeLists.txt: set(${name} ...) not found`);
  return m[1].split(/\s+/).filter(Boolean);
}

const cmakeSources = [...cmakeList('TFEXPORT_KERNEL_SOURCES'), ...cmakeList('TFEXPORT_BINDING_SOURCES')].sort();
const target = gyp.targets.find((t) => t.target_name === 'tfexport');
const gypSources = [...target.sources].sort();
const problems = [];
const only = (a, b) => a.filter((x) => !b.includes(x));
for (const s of only(cmakeSources, gypSources)) problems.push(`${s} is in CMakeLists.txt but not in binding.gyp`);
for (const s of only(gypSources, cmakeSources)) problems.push(`${s} is in binding.gyp but not in CMakeLists.txt`);

const cmakeDefines = (cmake.match(/target_compile_definitions\(\$\{PROJECT_NAME\} PRIVATE\s+([^)]*)\)/) ?? [])[1]
  ?.split(/\s+/).filter(Boolean).sort() ?? [];
const gypDefines = [...target.defines].sort();
if (JSON.stringify(cmakeDefines) !== JSON.stringify(gypDefines)) {
  problems.push(`addon defines differ: CMake ${cmakeDefines.join(' ')} vs gyp ${gypDefines.join(' ')}`);
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}
for (const f of walk(path.join(root, 'native'))) {
  const rel = path.relative(root, f).split(path.sep).join('/');
  if (!rel.endsWith('.cc') || rel.startsWith('native/tests/') || rel.startsWith('native/fuzz/')) continue;
  if (!cmakeSources.includes(rel)) problems.push(`${rel} is compiled by neither build file`);
}

if (problems.length) {
  console.error('native source lists differ:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log(`native sources: CMakeLists.txt and binding.gyp agree (${cmakeSources.length} files, ${gypDefines.length} defines)`);
