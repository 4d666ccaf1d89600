// SPDX-License-Identifier: Apache-2.0
/**
 * tfexport: the package root. Re-exports the public API; each area adds its own block.
 */
import { createRequire } from 'node:module';

/** The package version (from package.json). */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

// Errors
export {
  TfexportError,
  ValidationError,
  NativeError,
  FormatError,
  UnsupportedOpError,
  IoError,
  type ErrorContext,
} from './errors.js';

// Types
export type * from './types.js';

// Kernels
export * from './kernels/index.js';
