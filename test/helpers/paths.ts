// SPDX-License-Identifier: Apache-2.0
/** Paths tests need, resolved from this file (not the working directory). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The committed numpy vectors. */
export const vectorsDir = path.join(repoRoot, 'test', 'vectors', 'numpy');
/** Shared model fixtures (a sibling of the repository; may be absent). */
export const sharedFixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures');
/** The built package entry (run `npx tsc -p .` first). */
export const distEntry = path.join(repoRoot, 'dist', 'index.js');
