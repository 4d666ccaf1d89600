// SPDX-License-Identifier: Apache-2.0
/** The package's own package.json (name, version), found from this module's location. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of package.json tfexport reads about itself. */
export interface PackageInfo {
  name: string;
  version: string;
  /** Directory holding package.json. */
  root: string;
}

let cached: PackageInfo | undefined;

/**
 * Reads tfexport's package.json, walking up from this module (works from src/ under a TS
 * loader and from dist/ once compiled).
 * @returns name, version and root directory
 * @throws {Error} when no package.json named tfexport is found above this module
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Partial<PackageInfo>;
      if (json.name === 'tfexport' && typeof json.version === 'string') {
        cached = { name: json.name, version: json.version, root: dir };
        return cached;
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('tfexport: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
