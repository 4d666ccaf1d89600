// SPDX-License-Identifier: Apache-2.0
/**
 * Atomic single-file output for the Keras writers: the file is built at a hidden temporary
 * sibling (tracked for signal cleanup), fsynced, and renamed into place only when complete;
 * on any failure the temporary file is removed and an existing output is left untouched.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IoError } from '../../errors.js';
import { fsyncDir, ioError, tempSiblingPath, trackTempPath, untrackTempPath } from '../../util/atomic.js';

/** Options of {@link atomicOutputFile}. */
export interface AtomicOutputFileOptions {
  /** Replace an existing file (default false: refuse with `ERR_TFEXPORT_OUTPUT_EXISTS`). */
  overwrite?: boolean;
  /** fsync the file and its directory (default true). */
  fsync?: boolean;
}

/**
 * Builds `output` through a temporary sibling path that `build` writes.
 * @param output the final file path (its directory is created when missing)
 * @param build writes the complete file at the path it receives
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` when `output` exists and `overwrite` is not
 *   set, `ERR_TFEXPORT_OUTPUT_NOT_FILE` when it is a directory; errors of `build` as thrown
 */
export async function atomicOutputFile<T>(output: string, build: (tmpPath: string) => Promise<T>, options: AtomicOutputFileOptions = {}): Promise<T> {
  const target = path.resolve(output);
  const check = async () => {
    let st;
    try {
      st = await fsp.stat(target);
    } catch {
      return;
    }
    if (st.isDirectory()) throw new IoError('ERR_TFEXPORT_OUTPUT_NOT_FILE', `output path ${target} is a directory; a single file is written here`, { file: target, field: 'output' });
    if (!options.overwrite) throw new IoError('ERR_TFEXPORT_OUTPUT_EXISTS', `output file ${target} exists; pass overwrite: true (CLI: --overwrite) to replace it`, { file: target, field: 'output' });
  };
  await check();
  try {
    await fsp.mkdir(path.dirname(target), { recursive: true });
  } catch (e) {
    throw ioError(e, 'create directory', path.dirname(target));
  }
  const tmp = tempSiblingPath(target);
  trackTempPath(tmp);
  try {
    const result = await build(tmp);
    if (options.fsync ?? true) {
      const fh = await fsp.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await check();
    try {
      await fsp.rename(tmp, target);
    } catch (e) {
      throw ioError(e, 'rename into place', target);
    }
    untrackTempPath(tmp);
    if (options.fsync ?? true) await fsyncDir(path.dirname(target));
    return result;
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    untrackTempPath(tmp);
    throw e;
  }
}

/** A hidden scratch file beside `output`, tracked for signal cleanup; removed by `release`. */
export function scratchFileBeside(output: string, kind: string): { path: string; release: () => Promise<void> } {
  const p = tempSiblingPath(path.resolve(path.dirname(output), `${path.basename(output)}.${kind}`));
  trackTempPath(p);
  return {
    path: p,
    release: async () => {
      await fsp.rm(p, { force: true }).catch(() => undefined);
      untrackTempPath(p);
    },
  };
}
