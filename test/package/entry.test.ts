// SPDX-License-Identifier: Apache-2.0
/**
 * The package's entry points (package.json "exports" and "bin": the esbuild bundle of
 * scripts/build-ts.mjs) against the tsc output module by module: the same API, the same
 * version, the same bytes out of a conversion.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, distEntry, packageBin, packageEntry, repoRoot } from '../helpers/paths.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-entry-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs an ES module snippet in a fresh Node process; returns its stdout. */
function node(code: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

describe('package entry points (bundle)', () => {
  beforeAll(() => {
    const failed = buildPackage();
    if (failed) throw new Error(failed);
  }, 180_000);

  it('are the bundle under dist/bundle/, not the tsc modules', () => {
    expect(path.relative(repoRoot, packageEntry)).toBe(path.join('dist', 'bundle', 'index.js'));
    expect(path.relative(repoRoot, packageBin)).toBe(path.join('dist', 'bundle', 'cli.js'));
    // dependencies stay external: no node_modules code in the bundle
    for (const f of fs.readdirSync(path.dirname(packageEntry)).filter((x) => x.endsWith('.js'))) {
      expect(fs.readFileSync(path.join(path.dirname(packageEntry), f), 'utf8')).not.toMatch(/^\/\/ node_modules\//m);
    }
  });

  it('exports exactly the API of dist/index.js, with the same version', () => {
    const out = node(`
      const a = await import(${JSON.stringify(pathToFileURL(packageEntry).href)});
      const b = await import(${JSON.stringify(pathToFileURL(distEntry).href)});
      const shape = (m) => Object.keys(m).sort().map((k) => k + ':' + typeof m[k]);
      console.log(JSON.stringify({ a: shape(a), b: shape(b), va: a.version, vb: b.version }));`);
    const { a, b, va, vb } = JSON.parse(out) as { a: string[]; b: string[]; va: string; vb: string };
    expect(a.length).toBeGreaterThan(50);
    expect(a).toEqual(b);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(va).toBe(pkg.version);
    expect(vb).toBe(pkg.version);
  });

  it('converts the example SavedModel to the same bytes as the tsc modules', () => {
    const src = path.join(repoRoot, 'examples', 'mlp_savedmodel');
    const convert = (entry: string, out: string) =>
      `await (await import(${JSON.stringify(pathToFileURL(entry).href)})).convertToGraphModel(${JSON.stringify(src)}, ${JSON.stringify(out)}, { quantize: { uint8: true } });`;
    const a = path.join(work, 'bundle-out');
    const b = path.join(work, 'dist-out');
    node(convert(packageEntry, a) + convert(distEntry, b));
    const files = fs.readdirSync(a).sort();
    expect(files).toContain('model.json');
    expect(files).toEqual(fs.readdirSync(b).sort());
    for (const f of files) expect(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f).toBe(true);
  });

  it('runs as the bin (shebang, executable)', () => {
    expect(fs.readFileSync(packageBin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(packageBin).mode & 0o111).not.toBe(0);
    const r = spawnSync(packageBin, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^tfexport \d+\.\d+\.\d+/);
  });
});
