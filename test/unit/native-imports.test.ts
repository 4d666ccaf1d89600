// SPDX-License-Identifier: Apache-2.0
/**
 * Style rule 14: src/native.ts types the raw binding, and nothing outside src/kernels/
 * imports it. Other modules reach the addon through src/kernels/ (the public kernel API, or
 * the narrowed *-binding.ts modules). This scans every src/**\/*.ts for static imports,
 * re-exports and dynamic import()s that resolve to src/native.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');
const nativeModule = path.join(src, 'native.ts');
const kernelsDir = path.join(src, 'kernels') + path.sep;

/** `from '…'` (import / export … from), bare `import '…'`, and `import('…')`. */
const SPECIFIER = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

/** Relative specifiers of `file` that resolve to src/native.ts (`.js` → `.ts`, as NodeNext does). */
function nativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const hits: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    const resolved = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    if (resolved === nativeModule || resolved === nativeModule.replace(/\.ts$/, '')) hits.push(spec);
  }
  return hits;
}

const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');

describe('style rule 14: only src/kernels/ imports src/native.ts', () => {
  const files = sourceFiles(src);
  const importers = files.filter((f) => nativeImports(f).length > 0);

  it('finds the binding importers (the scan is not vacuous)', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(importers.map(rel)).toContain('src/kernels/backend.ts');
  });

  it('has no importer outside src/kernels/', () => {
    const offenders = importers
      .filter((f) => !f.startsWith(kernelsDir) && f !== nativeModule)
      .map((f) => `${rel(f)} (${nativeImports(f).join(', ')})`);
    expect(offenders, `these modules import src/native.ts; go through src/kernels/ instead:\n${offenders.join('\n')}`).toEqual([]);
  });

  it('keeps the package root from re-exporting the binding modules', () => {
    const index = fs.readFileSync(path.join(src, 'index.ts'), 'utf8');
    const specs = [...index.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]!);
    expect(specs.filter((s) => /(^|\/)native\.js$|-binding\.js$/.test(s))).toEqual([]);
    const kernelsIndex = fs.readFileSync(path.join(src, 'kernels', 'index.ts'), 'utf8');
    const kernelSpecs = [...kernelsIndex.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]!);
    expect(kernelSpecs.filter((s) => /(^|\/)native\.js$|-binding\.js$/.test(s))).toEqual([]);
  });

  it('detects a violation in a sample', () => {
    const sample = [
      "import { loadNative } from '../native.js';",
      "export type { NativeBinding } from '../native.js';",
      "const m = await import('../native.js');",
    ].join('\n');
    const specs = [...sample.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]!);
    expect(specs).toEqual(['../native.js', '../native.js', '../native.js']);
  });
});
