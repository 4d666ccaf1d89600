// SPDX-License-Identifier: Apache-2.0
/** Zip-bomb limits of the `.keras` reader (a module of its own: no fflate to load for them). */

/** Limits applied to an archive before and while it is decompressed. */
export interface ZipLimits {
  /** Largest total uncompressed size of all entries (default 4 GiB). */
  maxTotalBytes: number;
  /** Largest compression ratio of an entry whose uncompressed size is over {@link minRatioCheckBytes} (default 1000). */
  maxRatio: number;
  /** Entries smaller than this are not ratio-checked (default 1 MiB). */
  minRatioCheckBytes: number;
  /** Most entries in one archive (default 100 000). */
  maxEntries: number;
}

/** Default {@link ZipLimits}: 4 GiB total, ratio 1000 above 1 MiB, 100 000 entries. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxRatio: 1000,
  minRatioCheckBytes: 1024 ** 2,
  maxEntries: 100_000,
};
