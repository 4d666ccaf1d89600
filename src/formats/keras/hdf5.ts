// SPDX-License-Identifier: Apache-2.0
/**
 * HDF5 access through h5wasm (the HDF5 C library compiled to WebAssembly): open files on
 * disk or in memory, read attributes and datasets, create groups, attributes and datasets.
 *
 * Two h5wasm builds are used, each loaded lazily on first use:
 * - `h5wasm/node` (Emscripten NODERAWFS) for files on disk: HDF5 reads and writes the host
 *   file directly, so opening a file costs no copy of it.
 * - `h5wasm` (Emscripten MEMFS) for HDF5 bytes already in memory (the `model.weights.h5`
 *   entry of a `.keras` zip): the bytes are handed to MEMFS without a copy (`canOwn`), so
 *   the cost is the one buffer the caller already holds.
 *
 * Memory. Reading a dataset allocates its bytes in the WebAssembly heap, then copies them
 * into one JS typed array that is returned as is (no further copy). Datasets above
 * {@link SLICE_BYTES} are read in row slices so that the WebAssembly heap stays small.
 * Writing a dataset copies it once into the WebAssembly heap. The heap is limited to
 * 2 GiB (h5wasm's MAXIMUM_MEMORY) and never shrinks: one dataset written must fit in it.
 *
 * HDF5's error stack is turned into exceptions (h5wasm's throwing error handler), and every
 * failure surfaces as a {@link FormatError} naming the file and the object.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as H5 from 'h5wasm';
import { FormatError, IoError, TfexportError } from '../../errors.js';

/** Datasets larger than this are read in slices along their first axis (bytes). */
export const SLICE_BYTES = 64 * 1024 * 1024;

type H5Lib = typeof H5;
interface Loaded {
  lib: H5Lib;
  module: Awaited<H5Lib['ready']>;
  /** Set when HDF5 called abort(): the instance is not trusted for new files. */
  poisoned: boolean;
}

let diskLib: Promise<Loaded> | undefined;
let memLib: Promise<Loaded> | undefined;
let generation = 0;

async function load(kind: 'disk' | 'mem'): Promise<Loaded> {
  const spec = kind === 'disk' ? 'h5wasm/node' : 'h5wasm';
  // A fresh URL gives a fresh WebAssembly instance (after an abort in the previous one).
  const fresh = generation > 0 ? h5wasmEntryFile(kind) : undefined;
  const lib = (fresh ? await import(`${pathToFileURL(fresh).href}?instance=${generation}`) : await import(spec)) as unknown as H5Lib;
  const module = await lib.ready;
  // Errors become exceptions carrying HDF5's error stack, instead of text on stderr.
  module.activate_throwing_error_handler();
  return { lib, module, poisoned: false };
}

/** The file `import('h5wasm/node')` / `import('h5wasm')` loads, found through Node's module paths. */
function h5wasmEntryFile(kind: 'disk' | 'mem'): string | undefined {
  const rel = kind === 'disk' ? ['dist', 'node', 'hdf5_hl.js'] : ['dist', 'esm', 'hdf5_hl.js'];
  for (const dir of createRequire(import.meta.url).resolve.paths('h5wasm') ?? []) {
    const f = path.join(dir, 'h5wasm', ...rel);
    if (existsSync(f)) return f;
  }
  return undefined;
}

async function diskH5(): Promise<Loaded> {
  if (diskLib && (await diskLib).poisoned) {
    generation++;
    diskLib = undefined;
  }
  diskLib ??= load('disk');
  return diskLib;
}

async function memH5(): Promise<Loaded> {
  if (memLib && (await memLib).poisoned) {
    generation++;
    memLib = undefined;
  }
  memLib ??= load('mem');
  return memLib;
}

function isAbort(e: unknown): boolean {
  return /Aborted\(/.test(e instanceof Error ? e.message : String(e));
}

/** The last meaningful line of an HDF5 error stack ("truncated file: eof = …"). */
export function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  if (isAbort(e)) return 'the HDF5 library aborted on it (corrupt or unsupported file structure)';
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // Stack lines look like "#006: …/H5Fsuper.c line 577 in H5F__super_read(): truncated file: …".
  const frames = lines.filter((l) => /^#\d+:/.test(l)).map((l) => l.replace(/^#\d+:.*?\(\):\s*/, ''));
  if (frames.length) return frames[frames.length - 1];
  return lines[lines.length - 1] ?? 'unknown HDF5 error';
}

/** Dtype of a numeric HDF5 dataset, as read. */
export type H5NumericDType =
  | 'float16' | 'float32' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  /** 2-byte opaque elements (how h5py stores numpy's bfloat16), read as Uint16Array bits. */
  | 'opaque16';

/** A dataset's raw values: little-endian bytes interpreted by `dtype`. */
export interface H5Array {
  dtype: H5NumericDType;
  shape: number[];
  /** Float32Array, Float64Array, Int*Array, Uint*Array, BigInt64Array…; float16 as Uint16Array bits. */
  data: ArrayBufferView;
}

/** The 8-byte HDF5 signature. */
export const HDF5_MAGIC = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when `head` starts with the HDF5 signature (at offset 0; user blocks are not searched). */
export function isHdf5Signature(head: Uint8Array): boolean {
  if (head.byteLength < 8) return false;
  for (let i = 0; i < 8; i++) if (head[i] !== HDF5_MAGIC[i]) return false;
  return true;
}

/**
 * Checks the superblock's end-of-file address against the real size, so that a truncated
 * file gets a clear message before HDF5 reports it in its own words. Handles superblock
 * versions 0-3 with 8-byte offsets (what h5py, Keras and h5wasm write); anything else is
 * left to HDF5.
 */
function truncationCheck(head: Uint8Array, size: number, file: string): void {
  if (head.byteLength < 48) return;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head[8];
  let eofAt = -1;
  if (version === 0 || version === 1) {
    const sizeOfOffsets = head[13];
    if (sizeOfOffsets !== 8) return;
    // v0: 24 bytes of fixed fields, then base, free-space, EOF, driver addresses (v1: +4).
    eofAt = (version === 0 ? 24 : 28) + 16;
  } else if (version === 2 || version === 3) {
    if (head[9] !== 8) return;
    eofAt = 12 + 16; // base address, superblock extension address, then EOF
  } else {
    return;
  }
  if (eofAt + 8 > head.byteLength) return;
  const eof = Number(dv.getBigUint64(eofAt, true));
  if (Number.isSafeInteger(eof) && eof > size) {
    throw new FormatError(
      'ERR_TFEXPORT_KERAS_TRUNCATED',
      `HDF5 file ${file} is truncated: it holds ${size} bytes but its superblock says ${eof}`,
      { file, size, expected: eof },
    );
  }
}

/** An open HDF5 file and the helpers that read and write it. */
export class H5File {
  private closed = false;

  private constructor(
    /** The file (path on disk, or a label for in-memory bytes), for messages. */
    readonly label: string,
    private readonly h5: Loaded,
    readonly file: H5.File,
    private readonly cleanup: () => void,
  ) {}

  /**
   * Opens an HDF5 file on disk for reading (`'r'`) or creates one (`'w'`, truncating).
   * @throws {FormatError} `ERR_TFEXPORT_KERAS_NOT_HDF5` (no HDF5 signature),
   *   `ERR_TFEXPORT_KERAS_TRUNCATED`, `ERR_TFEXPORT_KERAS_H5` (HDF5 refused it)
   * @throws {IoError} when the file cannot be read
   */
  static async open(file: string, mode: 'r' | 'w' = 'r'): Promise<H5File> {
    if (mode === 'r') {
      let fh;
      try {
        fh = await fsp.open(file, 'r');
        const st = await fh.stat();
        if (st.isDirectory()) {
          throw new FormatError('ERR_TFEXPORT_KERAS_NOT_HDF5', `${file} is a directory, not an HDF5 file`, { file });
        }
        const { size } = st;
        const head = new Uint8Array(Math.min(size, 96));
        await fh.read(head, 0, head.byteLength, 0);
        if (!isHdf5Signature(head)) {
          throw new FormatError('ERR_TFEXPORT_KERAS_NOT_HDF5', `${file} is not an HDF5 file (no \\x89HDF signature at byte 0)`, { file });
        }
        truncationCheck(head, size, file);
      } catch (e) {
        if (e instanceof TfexportError) throw e;
        throw new IoError('ERR_TFEXPORT_IO', `could not read ${file}: ${(e as Error).message}`, { file });
      } finally {
        await fh?.close().catch(() => undefined);
      }
    }
    const h5 = await diskH5();
    let f: H5.File;
    try {
      f = new h5.lib.File(file, mode);
    } catch (e) {
      if (isAbort(e)) h5.poisoned = true;
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `HDF5 could not ${mode === 'r' ? 'open' : 'create'} ${file}: ${hdf5Reason(e)}`, { file });
    }
    return new H5File(file, h5, f, () => undefined);
  }

  /**
   * Opens HDF5 bytes held in memory (read-only). The bytes are given to the in-memory file
   * system without a copy and must not be modified until {@link close}.
   * @param bytes the file's bytes
   * @param label a name for messages, e.g. `model.keras!model.weights.h5`
   */
  static async fromBytes(bytes: Uint8Array, label: string): Promise<H5File> {
    if (!isHdf5Signature(bytes)) {
      throw new FormatError('ERR_TFEXPORT_KERAS_NOT_HDF5', `${label} is not an HDF5 file (no \\x89HDF signature at byte 0)`, { file: label });
    }
    truncationCheck(bytes.subarray(0, 96), bytes.byteLength, label);
    const h5 = await memH5();
    const fs = h5.lib.FS as unknown as {
      writeFile(p: string, d: Uint8Array, o?: { canOwn?: boolean }): void;
      unlink(p: string): void;
    };
    const memPath = `/tfexport-${process.pid}-${Math.random().toString(36).slice(2)}.h5`;
    // MEMFS keeps a reference to `bytes` instead of copying when canOwn is set.
    fs.writeFile(memPath, bytes, { canOwn: true });
    let f: H5.File;
    try {
      f = new h5.lib.File(memPath, 'r');
    } catch (e) {
      fs.unlink(memPath);
      if (isAbort(e)) h5.poisoned = true;
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `HDF5 could not open ${label}: ${hdf5Reason(e)}`, { file: label });
    }
    return new H5File(label, h5, f, () => fs.unlink(memPath));
  }

  /** Closes the file (idempotent); in-memory files are removed from MEMFS. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } finally {
      this.cleanup();
    }
  }

  private fail(what: string, e: unknown, path: string): FormatError {
    if (e instanceof TfexportError) return e as FormatError;
    if (isAbort(e)) this.h5.poisoned = true;
    return new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: could not ${what} ${path}: ${hdf5Reason(e)}`, { file: this.label, field: path });
  }

  /** 'group', 'dataset', or null when nothing is at `path`. */
  kind(path: string): 'group' | 'dataset' | 'other' | null {
    if (path === '/' || path === '') return 'group';
    try {
      const o = this.file.get(path);
      if (o == null) return null;
      if (o instanceof this.h5.lib.Group) return 'group';
      if (o instanceof this.h5.lib.Dataset) return 'dataset';
      return 'other';
    } catch {
      return null;
    }
  }

  /** Child names of a group, in HDF5 link order (alphabetical unless created with track_order). */
  keys(path: string): string[] {
    const g = this.group(path);
    try {
      return g.keys();
    } catch (e) {
      throw this.fail('list', e, path);
    }
  }

  private group(path: string): H5.Group {
    let o;
    try {
      o = path === '/' || path === '' ? this.file : this.file.get(path);
    } catch (e) {
      throw this.fail('open group', e, path);
    }
    if (!(o instanceof this.h5.lib.Group)) {
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: expected an HDF5 group at ${path}`, { file: this.label, field: path });
    }
    return o;
  }

  private dataset(path: string): H5.Dataset {
    let o;
    try {
      o = this.file.get(path);
    } catch (e) {
      throw this.fail('open dataset', e, path);
    }
    if (!(o instanceof this.h5.lib.Dataset)) {
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: expected an HDF5 dataset at ${path}`, { file: this.label, field: path });
    }
    return o;
  }

  private object(path: string): H5.Group | H5.Dataset {
    return this.kind(path) === 'dataset' ? this.dataset(path) : this.group(path);
  }

  /** Attribute names of a group or dataset. */
  attrNames(path: string): string[] {
    try {
      return Object.keys(this.object(path).attrs);
    } catch (e) {
      throw this.fail('list attributes of', e, path);
    }
  }

  /** An attribute's value as h5wasm decodes it, or undefined when absent. */
  attr(path: string, name: string): unknown {
    const o = this.object(path);
    let names: string[];
    try {
      names = Object.keys(o.attrs);
    } catch (e) {
      throw this.fail('list attributes of', e, path);
    }
    if (!names.includes(name)) return undefined;
    try {
      return o.get_attribute(name, false);
    } catch (e) {
      throw this.fail(`read attribute ${JSON.stringify(name)} of`, e, path);
    }
  }

  /** A string attribute (fixed-length bytes or variable-length UTF-8), or undefined. */
  attrString(path: string, name: string): string | undefined {
    const v = this.attr(path, name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8').replace(/\0+$/, '');
    throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: attribute ${JSON.stringify(name)} of ${path} is not a string`, { file: this.label, field: `${path}@${name}` });
  }

  /**
   * A list-of-strings attribute such as `layer_names` / `weight_names`, reassembling
   * Keras's chunked form (`name0`, `name1`, … when the list exceeded HDF5's 64 KiB
   * object-header limit). An empty numeric array reads as []. Undefined when absent.
   */
  attrStringList(path: string, name: string): string[] | undefined {
    const direct = this.attr(path, name);
    const toList = (v: unknown, attrName: string): string[] => {
      if (typeof v === 'string') return [v];
      if (Array.isArray(v)) return v.map((x) => String(x));
      if (ArrayBuffer.isView(v) && (v as unknown as { length: number }).length === 0) return [];
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: attribute ${JSON.stringify(attrName)} of ${path} is not a list of strings`, { file: this.label, field: `${path}@${attrName}` });
    };
    if (direct !== undefined) return toList(direct, name);
    const out: string[] = [];
    for (let i = 0; ; i++) {
      const chunk = this.attr(path, `${name}${i}`);
      if (chunk === undefined) break;
      out.push(...toList(chunk, `${name}${i}`));
    }
    return out.length || this.attr(path, `${name}0`) !== undefined ? out : undefined;
  }

  /** Shape and dtype of a dataset without reading it. */
  datasetInfo(path: string): { dtype: H5NumericDType | 'other'; shape: number[]; byteLength: number } {
    const ds = this.dataset(path);
    let m;
    try {
      m = ds.metadata;
    } catch (e) {
      throw this.fail('read metadata of', e, path);
    }
    const shape = (m.shape ?? []).map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    return { dtype: numericDType(m), shape, byteLength: count * m.size };
  }

  /**
   * Reads a numeric dataset whole: little-endian values in a typed array of its dtype
   * (float16 as Uint16Array bits). Large datasets are read in slices of their first axis.
   * @throws {FormatError} `ERR_TFEXPORT_KERAS_H5` for a non-numeric dataset or a read failure
   */
  readDataset(path: string): H5Array {
    const ds = this.dataset(path);
    let m;
    try {
      m = ds.metadata;
    } catch (e) {
      throw this.fail('read metadata of', e, path);
    }
    const dtype = numericDType(m);
    if (dtype === 'other') {
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: dataset ${path} is not numeric (HDF5 type class ${m.type}, ${m.size} bytes)`, { file: this.label, field: path });
    }
    const shape = (m.shape ?? []).map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    const itemSize = m.size;
    const total = count * itemSize;
    const out = new Uint8Array(new ArrayBuffer(total));
    const mod = this.h5.module as unknown as {
      _malloc(n: number): number;
      _free(p: number): void;
      HEAPU8: Uint8Array;
      get_dataset_data(fid: bigint, p: string, c: bigint[] | null, o: bigint[] | null, s: bigint[] | null, ptr: bigint): number;
    };
    const fileId = (ds as unknown as { file_id: bigint }).file_id;
    const dsPath = (ds as unknown as { path: string }).path;
    const rowBytes = shape.length ? (count / Math.max(shape[0], 1)) * itemSize : total;
    const rowsPerSlice = shape.length && total > SLICE_BYTES && rowBytes > 0 ? Math.max(1, Math.floor(SLICE_BYTES / rowBytes)) : 0;
    const readInto = (count_: bigint[] | null, offset: bigint[] | null, nbytes: number, at: number) => {
      if (nbytes === 0) return;
      const ptr = mod._malloc(nbytes);
      if (!ptr) throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: out of WebAssembly memory reading ${path} (${nbytes} bytes)`, { file: this.label, field: path });
      try {
        mod.get_dataset_data(fileId, dsPath, count_, offset, count_ ? count_.map(() => 1n) : null, BigInt(ptr));
        out.set(mod.HEAPU8.subarray(ptr, ptr + nbytes), at);
      } catch (e) {
        throw this.fail('read dataset', e, path);
      } finally {
        mod._free(ptr);
      }
    };
    if (!rowsPerSlice) {
      readInto(null, null, total, 0);
    } else {
      for (let r = 0; r < shape[0]; r += rowsPerSlice) {
        const rows = Math.min(rowsPerSlice, shape[0] - r);
        const c = [BigInt(rows), ...shape.slice(1).map(BigInt)];
        const o = [BigInt(r), ...shape.slice(1).map(() => 0n)];
        readInto(c, o, rows * rowBytes, r * rowBytes);
      }
    }
    return { dtype, shape, data: typedArrayOf(dtype, out.buffer) };
  }

  // ---- writing ------------------------------------------------------------------------

  /** Creates a group (parents must exist). */
  createGroup(path: string): void {
    const slash = path.lastIndexOf('/');
    const parent = slash <= 0 ? '/' : path.slice(0, slash);
    try {
      this.group(parent).create_group(path.slice(slash + 1));
    } catch (e) {
      throw this.fail('create group', e, path);
    }
  }

  /** Creates the groups of `path` that do not exist yet. */
  ensureGroup(path: string): void {
    const parts = path.split('/').filter(Boolean);
    let at = '';
    for (const p of parts) {
      at += `/${p}`;
      const k = this.kind(at);
      if (k === null) this.createGroup(at);
      else if (k !== 'group') throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${this.label}: ${at} exists and is not a group`, { file: this.label, field: at });
    }
  }

  /** Writes a variable-length UTF-8 string attribute (what h5py writes for a Python str). */
  setStringAttr(path: string, name: string, value: string): void {
    try {
      this.object(path).create_attribute(name, value);
    } catch (e) {
      throw this.fail(`write attribute ${JSON.stringify(name)} of`, e, path);
    }
  }

  /**
   * Writes a list-of-strings attribute as fixed-length byte strings (what Keras writes for
   * `layer_names` / `weight_names`); an empty list is written as an empty float64 array,
   * as h5py does for `np.asarray([])`. Lists over 64 000 bytes are chunked into
   * `name0`, `name1`, … as Keras does.
   */
  setStringListAttr(path: string, name: string, values: readonly string[]): void {
    const o = this.object(path);
    try {
      if (values.length === 0) {
        o.create_attribute(name, new Float64Array(0), [0], '<d');
        return;
      }
      const width = Math.max(1, ...values.map((v) => Buffer.byteLength(v, 'utf8')));
      const limit = 64_000;
      if (width * values.length <= limit) {
        o.create_attribute(name, [...values], [values.length], `S${width}`);
        return;
      }
      const perChunk = Math.max(1, Math.floor(limit / width));
      for (let i = 0, c = 0; i < values.length; i += perChunk, c++) {
        const part = values.slice(i, i + perChunk);
        const w = Math.max(1, ...part.map((v) => Buffer.byteLength(v, 'utf8')));
        o.create_attribute(`${name}${c}`, [...part], [part.length], `S${w}`);
      }
    } catch (e) {
      throw this.fail(`write attribute ${JSON.stringify(name)} of`, e, path);
    }
  }

  /**
   * Writes a dataset of float32, int32 or uint8 (bool) values at `path` (parent groups must
   * exist). The values are copied once into the WebAssembly heap.
   */
  writeDataset(path: string, shape: readonly number[], data: Float32Array | Int32Array | Uint8Array): void {
    const dtype = data instanceof Float32Array ? '<f' : data instanceof Int32Array ? '<i' : '|b1';
    const mod = this.h5.module as unknown as {
      _malloc(n: number): number;
      _free(p: number): void;
      HEAPU8: Uint8Array;
      create_dataset(fid: bigint, p: string, ptr: bigint, m: object): number;
    };
    const slash = path.lastIndexOf('/');
    const parent = slash <= 0 ? '/' : path.slice(0, slash);
    const g = this.group(parent);
    try {
      if (dtype === '|b1') {
        g.create_dataset({ name: path.slice(slash + 1), data: Uint8Array.from(data), shape: [...shape], dtype: '|u1' });
        return;
      }
      const meta = this.h5.lib.dtype_to_metadata(dtype);
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const ptr = bytes.byteLength ? mod._malloc(bytes.byteLength) : 0;
      if (bytes.byteLength && !ptr) throw new Error(`out of WebAssembly memory (${bytes.byteLength} bytes)`);
      try {
        if (bytes.byteLength) mod.HEAPU8.set(bytes, ptr);
        const gPath = (g as unknown as { path: string }).path;
        mod.create_dataset(this.file.file_id, `${gPath === '/' ? '' : gPath}/${path.slice(slash + 1)}`, BigInt(ptr), {
          ...meta,
          shape: shape.map(BigInt),
          maxshape: shape.map(BigInt),
          chunks: null,
          compression: 0,
          compression_opts: [],
          track_order: false,
        });
      } finally {
        if (ptr) mod._free(ptr);
      }
    } catch (e) {
      throw this.fail('write dataset', e, path);
    }
  }

  /** Flushes pending writes to the file. */
  flush(): void {
    try {
      this.file.flush();
    } catch (e) {
      throw this.fail('flush', e, '/');
    }
  }
}

function numericDType(m: { type: number; size: number; signed: boolean }): H5NumericDType | 'other' {
  if (m.type === 1) {
    if (m.size === 2) return 'float16';
    if (m.size === 4) return 'float32';
    if (m.size === 8) return 'float64';
    return 'other';
  }
  if (m.type === 0) {
    const bits = m.size * 8;
    if (![8, 16, 32, 64].includes(bits)) return 'other';
    return `${m.signed ? 'int' : 'uint'}${bits}` as H5NumericDType;
  }
  // Enumerations (h5py's bool) are integers underneath; treated as uint8 when 1 byte.
  if (m.type === 8 && m.size === 1) return 'uint8';
  if (m.type === 5 && m.size === 2) return 'opaque16';
  return 'other';
}

function typedArrayOf(dtype: H5NumericDType, buf: ArrayBuffer): ArrayBufferView {
  switch (dtype) {
    case 'float16': return new Uint16Array(buf);
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': return new Uint8Array(buf);
    case 'uint16': case 'opaque16': return new Uint16Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'uint64': return new BigUint64Array(buf);
  }
}
