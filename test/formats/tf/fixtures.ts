// SPDX-License-Identifier: Apache-2.0
/** Locates ../shared/fixtures (relative to the repository root) for the TF format tests. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Absolute path of ../shared/fixtures, or null when it is absent (a message is printed once). */
export const fixturesDir: string | null = (() => {
  const dir = path.resolve(repoRoot, '../shared/fixtures');
  if (fs.existsSync(path.join(dir, 'MANIFEST.md'))) return dir;
  console.warn(`TF fixture tests skipped: ${dir} not found (clone shared/ beside the repository)`);
  return null;
})();

/** Path of a file under the fixtures directory (only call when fixturesDir is not null). */
export function fixture(...parts: string[]): string {
  return path.join(fixturesDir!, ...parts);
}

/** Every SavedModel directory under fixtures/savedmodel (including TF-Serving version subdirs). */
export function savedModelDirs(): string[] {
  if (!fixturesDir) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (fs.existsSync(path.join(dir, 'saved_model.pb'))) {
      out.push(dir);
      return;
    }
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  walk(path.join(fixturesDir, 'savedmodel'));
  return out.sort();
}

/** Reads and parses a JSON fixture file. */
export function readJson<T = unknown>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Copies a fixture file or directory and makes the copy writable (fixtures are read-only). */
export function copyWritable(src: string, dest: string): void {
  fs.cpSync(src, dest, { recursive: true });
  const fix = (p: string): void => {
    const st = fs.statSync(p);
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) fix(path.join(p, e));
  };
  fix(dest);
}
