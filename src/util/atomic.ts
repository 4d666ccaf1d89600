// SPDX-License-Identifier: Apache-2.0
/**
 * Atomic output: a conversion either leaves its complete output in place or leaves nothing.
 *
 * - {@link writeFileAtomic} writes one file through a temporary sibling (same directory, so
 *   the final `rename(2)` cannot cross file systems), fsyncs it, renames it into place and
 *   fsyncs the directory.
 * - {@link atomicOutputDir} builds a whole output directory in a hidden sibling
 *   `.<name>.tmp-<pid>-<n>-<rand>` and renames it into place only when the build callback
 *   succeeds; on any error the temporary directory is removed.
 *
 * Temporary paths that are still pending are tracked so that a signal handler (the CLI
 * installs one) can remove them synchronously with {@link cleanupPendingSync}.
 */
import { promises as fsp, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IoError, TfexportError, invalidParameter } from '../errors.js';

/** Temporary files and directories created by this module and not yet renamed or removed. */
const pending = new Set<string>();

/** Calls of {@link tempSiblingPath} in this process (part of each name, so names never repeat). */
let tempCount = 0;

/**
 * Name of a temporary sibling of `target`: `.<basename>.<kind>-<pid>-<count>-<8 hex>` in the
 * same directory. Hidden, and unique per process and call (pid and a counter; the random
 * part only makes names hard to guess, and files are created with O_EXCL anyway). Not
 * node:crypto: loading it costs a CLI run ~4 ms.
 * @param target the final path
 * @param kind `tmp` for files being built, `old` for a replaced directory being removed
 * @returns an absolute path next to `target`
 */
export function tempSiblingPath(target: string, kind: 'tmp' | 'old' = 'tmp'): string {
  const abs = path.resolve(target);
  const rand = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${kind}-${process.pid}-${++tempCount}-${rand}`);
}

/** Wraps a Node fs error into an {@link IoError} naming the file; tfexport errors pass through. */
export function ioError(e: unknown, action: string, file: string): TfexportError {
  if (e instanceof TfexportError) return e;
  const err = e as NodeJS.ErrnoException;
  const detail = err && typeof err === 'object' && 'message' in err ? err.message : String(e);
  const wrapped = new IoError('ERR_TFEXPORT_IO', `could not ${action} ${file}: ${detail}`, {
    file,
    syscall: err?.syscall,
    errno: err?.code,
  });
  (wrapped as Error & { cause?: unknown }).cause = e;
  return wrapped;
}

/** fsync a directory so that a rename inside it is durable. Best effort: some file systems refuse. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Directories cannot be fsynced on every platform (Windows, some network FS): not fatal.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** `data` as the byte views to write in order. */
function byteParts(data: string | ArrayBufferView | readonly ArrayBufferView[]): Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  return (ArrayBuffer.isView(data) ? [data] : data).map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

/** Creates `file` (O_EXCL), writes `parts` in order, optionally fsyncs, closes; raw fs errors. */
async function createAndWrite(file: string, parts: readonly Uint8Array[], mode: number, sync: boolean): Promise<void> {
  const fh = await fsp.open(file, 'wx', mode);
  try {
    let position = 0;
    for (const part of parts) {
      for (let done = 0; done < part.byteLength;) {
        const { bytesWritten } = await fh.write(part, done, part.byteLength - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a new file in place (no temporary name), fsynced unless told otherwise: for files
 * inside a directory that is itself renamed into place ({@link atomicOutputDir}), whose fsync
 * of the directory then covers the file's creation. A partly written file is removed on failure.
 * @param file the new file (must not exist)
 * @param data a string (written as UTF-8), a byte view, or a list of byte views written in order
 * @param options durability (`fsync`, default true)
 * @throws {IoError} `ERR_TFEXPORT_IO` naming the file when writing fails
 */
export async function writeNewFile(file: string, data: string | ArrayBufferView | readonly ArrayBufferView[], options: { fsync?: boolean } = {}): Promise<void> {
  try {
    await createAndWrite(file, byteParts(data), 0o644, options.fsync ?? true);
  } catch (e) {
    // not when the file already existed (it is not ours)
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await fsp.rm(file, { force: true }).catch(() => undefined);
    throw ioError(e, 'write', file);
  }
}

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** File mode of the new file (default 0o644, minus the umask). */
  mode?: number;
  /** fsync the file and its directory (default true). */
  fsync?: boolean;
}

/**
 * Writes `data` to `file` atomically: readers see either the old file or the complete new
 * one, never a partial write. The temporary file is removed on failure.
 * @param file destination path; its directory must exist
 * @param data a string (written as UTF-8), a byte view, or a list of byte views written in order
 * @param options mode and durability
 * @throws {IoError} `ERR_TFEXPORT_IO` naming the file when writing or renaming fails
 * @example
 * await writeFileAtomic('out/model.json', JSON.stringify(modelJson));
 */
export async function writeFileAtomic(
  file: string,
  data: string | ArrayBufferView | readonly ArrayBufferView[],
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  if (typeof file !== 'string' || file.length === 0) throw invalidParameter('file', 'a non-empty path', file);
  const target = path.resolve(file);
  const tmp = tempSiblingPath(target);
  const doSync = options.fsync ?? true;
  const parts = byteParts(data);
  pending.add(tmp);
  try {
    try {
      await createAndWrite(tmp, parts, options.mode ?? 0o644, doSync);
    } catch (e) {
      throw ioError(e, 'write', target);
    }
    try {
      await fsp.rename(tmp, target);
    } catch (e) {
      throw ioError(e, 'rename into place', target);
    }
    pending.delete(tmp);
    if (doSync) await fsyncDir(path.dirname(target));
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    pending.delete(tmp);
    throw e;
  }
}

/** Options of {@link atomicOutputDir}. */
export interface AtomicOutputDirOptions {
  /**
   * Replace an existing non-empty output directory (default false: refuse with
   * `ERR_TFEXPORT_OUTPUT_EXISTS`). An existing empty directory is always replaced.
   */
  overwrite?: boolean;
  /** fsync the new directory and its parent before and after the rename (default true). */
  fsync?: boolean;
}

async function statOrNull(p: string) {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, 'stat', p);
  }
}

async function isEmptyDir(p: string): Promise<boolean> {
  try {
    const dir = await fsp.opendir(p);
    try {
      return (await dir.read()) === null;
    } finally {
      await dir.close().catch(() => undefined);
    }
  } catch (e) {
    throw ioError(e, 'read directory', p);
  }
}

/**
 * Checks that `output` may be (re)created: it is absent, an empty directory, or a non-empty
 * directory with `overwrite`. Called by {@link atomicOutputDir} before any work starts and
 * again just before the final rename.
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` or `ERR_TFEXPORT_OUTPUT_NOT_DIRECTORY`
 */
export async function checkOutputDir(output: string, overwrite = false): Promise<'absent' | 'empty' | 'full'> {
  const target = path.resolve(output);
  const st = await statOrNull(target);
  if (!st) return 'absent';
  if (!st.isDirectory()) {
    throw new IoError(
      'ERR_TFEXPORT_OUTPUT_NOT_DIRECTORY',
      `output path ${target} exists and is not a directory; remove it or choose another output path`,
      { file: target, field: 'output' },
    );
  }
  if (await isEmptyDir(target)) return 'empty';
  if (!overwrite) {
    throw new IoError(
      'ERR_TFEXPORT_OUTPUT_EXISTS',
      `output directory ${target} exists and is not empty; pass overwrite: true (CLI: --overwrite) to replace it`,
      { file: target, field: 'output' },
    );
  }
  return 'full';
}

/**
 * Builds an output directory atomically. `build` receives a fresh temporary directory (a
 * hidden sibling of `output`, so the final rename stays on one file system) and writes the
 * complete output into it; when it resolves, the temporary directory is renamed to
 * `output`. When `build` (or anything else) fails, the temporary directory is removed and
 * the error is rethrown, so a failed conversion leaves no partial output; an existing
 * output that was to be replaced is left untouched.
 *
 * Replacing a non-empty directory (with `overwrite`) moves it aside to `.<name>.old-…`,
 * renames the new one in and then deletes the old one; if the second rename fails the old
 * directory is moved back.
 *
 * @param output final directory path; missing parent directories are created
 * @param build writes the output into the directory it receives; its result is returned
 * @param options overwrite policy and durability
 * @returns what `build` returned
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` when `output` is a non-empty directory
 *   and `overwrite` is not set; `ERR_TFEXPORT_OUTPUT_NOT_DIRECTORY` when it is a file;
 *   `ERR_TFEXPORT_IO` for file-system failures. Errors thrown by `build` are rethrown as is.
 * @example
 * await atomicOutputDir('out/model', async (dir) => {
 *   await writeWeightGroup(dir, tensors);
 *   await writeFileAtomic(path.join(dir, 'model.json'), json);
 * });
 */
export async function atomicOutputDir<T>(
  output: string,
  build: (tmpDir: string) => Promise<T> | T,
  options: AtomicOutputDirOptions = {},
): Promise<T> {
  if (typeof output !== 'string' || output.length === 0) throw invalidParameter('output', 'a non-empty path', output);
  if (typeof build !== 'function') throw invalidParameter('build', 'a function', build);
  const overwrite = options.overwrite ?? false;
  const doSync = options.fsync ?? true;
  const target = path.resolve(output);
  const parent = path.dirname(target);

  await checkOutputDir(target, overwrite);
  try {
    await fsp.mkdir(parent, { recursive: true });
  } catch (e) {
    throw ioError(e, 'create directory', parent);
  }

  const tmp = tempSiblingPath(target, 'tmp');
  pending.add(tmp);
  try {
    try {
      await fsp.mkdir(tmp, { mode: 0o755 });
    } catch (e) {
      throw ioError(e, 'create directory', tmp);
    }
    const result = await build(tmp);
    if (doSync) await fsyncDir(tmp);

    // The output may have appeared while we were building: check again.
    const state = await checkOutputDir(target, overwrite);
    if (state === 'full') {
      const old = tempSiblingPath(target, 'old');
      pending.add(old);
      try {
        await fsp.rename(target, old);
      } catch (e) {
        pending.delete(old);
        throw ioError(e, 'move aside the existing output', target);
      }
      try {
        await fsp.rename(tmp, target);
      } catch (e) {
        await fsp.rename(old, target).catch(() => undefined);
        pending.delete(old);
        throw ioError(e, 'rename into place', target);
      }
      pending.delete(tmp);
      await fsp.rm(old, { recursive: true, force: true }).catch(() => undefined);
      pending.delete(old);
    } else {
      try {
        // rename(2) replaces an empty directory atomically on POSIX; elsewhere remove it first.
        await fsp.rename(tmp, target);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (state === 'empty' && (code === 'EPERM' || code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EACCES')) {
          try {
            await fsp.rmdir(target);
            await fsp.rename(tmp, target);
          } catch (e2) {
            throw ioError(e2, 'rename into place', target);
          }
        } else {
          throw ioError(e, 'rename into place', target);
        }
      }
      pending.delete(tmp);
    }
    if (doSync) await fsyncDir(parent);
    return result;
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    pending.delete(tmp);
    throw e;
  }
}

/**
 * Synchronously removes every temporary file or directory this process created and has
 * not yet renamed into place. For signal handlers and `process.on('exit')`: an interrupted
 * conversion then leaves nothing behind.
 * @returns the paths that were removed
 */
export function cleanupPendingSync(): string[] {
  const removed: string[] = [];
  for (const p of pending) {
    // A directory moved aside for replacement (".old-") is the user's previous output:
    // leave it for the user to recover rather than delete it half-way through a swap.
    if (/\.old-\d+-[0-9a-f]+$/.test(p)) continue;
    try {
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // Nothing more can be done while exiting.
    }
    pending.delete(p);
  }
  return removed;
}

/** The temporary paths currently pending (for tests and diagnostics). */
export function pendingTempPaths(): string[] {
  return [...pending];
}

/** Registers a temporary path created elsewhere (e.g. shard temp files) for signal cleanup. */
export function trackTempPath(p: string): void {
  pending.add(p);
}

/** Forgets a temporary path once it has been renamed into place or removed. */
export function untrackTempPath(p: string): void {
  pending.delete(p);
}
