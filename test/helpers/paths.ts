// SPDX-License-Identifier: Apache-2.0
/** Paths tests need, resolved from this file (not the working directory). */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The committed numpy vectors. */
export const vectorsDir = path.join(repoRoot, 'test', 'vectors', 'numpy');
/** Shared model fixtures (a sibling of the repository; may be absent). */
export const sharedFixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures');
/** The compiled library entry, module by module (run `npx tsc -p .` first). */
export const distEntry = path.join(repoRoot, 'dist', 'index.js');
/** The package's own entry points as package.json names them (the bundle of scripts/build-ts.mjs). */
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { exports: { '.': { import: string } }; bin: { tfexport: string } };
/** The library entry `import 'tfexport'` loads. */
export const packageEntry = path.join(repoRoot, pkg.exports['.'].import);
/** The `tfexport` bin. */
export const packageBin = path.join(repoRoot, pkg.bin.tfexport);

/** The newest modification time under `dir` (0 when absent). */
function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/ and the bundle (scripts/build-ts.mjs: tsc, then esbuild) for tests that run the
 * built package, unless the bundle is newer than every source file (`npm test` builds first).
 * @returns tsc/esbuild's output when the build failed (type errors still emit JS), else ''
 */
export function buildPackage(): string {
  const built = [packageEntry, packageBin].map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0));
  if (Math.min(...built) > newestMtime(path.join(repoRoot, 'src'))) return '';
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-ts.mjs')], { encoding: 'utf8' });
  return r.status === 0 ? '' : `build exited with ${r.status}:\n${r.stdout}${r.stderr}`;
}
