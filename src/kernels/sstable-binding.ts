// SPDX-License-Identifier: Apache-2.0
/**
 * The native LevelDB-table / Snappy reader (native/wire/sstable.cc, native/wire/snappy.cc) as
 * src/formats/tensorbundle/ sees it: the raw binding narrowed to the synchronous table calls
 * that module makes. Not part of the public API (src/index.ts does not re-export it).
 *
 * No wrapper functions: {@link loadSSTableBinding} is the loader itself and the binding is the
 * addon object, so the per-block calls (`sstableParseBlockSync`, `sstableDecompressBlockSync`,
 * …) reach native code directly, with the addon's own error codes
 * (`ERR_TFEXPORT_SSTABLE_*`, `ERR_TFEXPORT_SNAPPY`).
 * @internal
 */
import { loadNative, type NativeBinding } from '../native.js';

/**
 * The table-reader exports of the native binding: footer decoding, block CRC/type checks,
 * Snappy sizing and decompression, and record parsing (all synchronous).
 * @internal
 */
export type SSTableBinding = Pick<
  NativeBinding,
  | 'sstableFooterSync'
  | 'sstableCheckBlockSync'
  | 'sstableDecompressBlockSync'
  | 'sstableParseBlockSync'
  | 'snappyUncompressedLengthSync'
>;

/**
 * What {@link loadSSTableBinding} returns: the binding, or null with the reason it is missing.
 * @internal
 */
export interface SSTableBindingLoad {
  binding: SSTableBinding | null;
  error: Error | null;
}

/**
 * Loads the native addon (once per process; the same cached result every kernel uses) and
 * returns its table reader, or null with the load error. Does not throw. When
 * TFEXPORT_BACKEND=js the binding is null and the error is a NativeError with code
 * `ERR_TFEXPORT_NATIVE_DISABLED`; when the addon cannot load it is `ERR_TFEXPORT_NATIVE_LOAD`.
 * Callers must still check that the reader functions exist (an older addon may lack them).
 * @returns `{ binding, error }`, exactly one of them non-null
 * @example
 * ```ts
 * const { binding } = loadSSTableBinding();
 * if (binding) binding.sstableParseBlockSync(block);
 * ```
 * @internal
 */
export const loadSSTableBinding: () => SSTableBindingLoad = loadNative;
