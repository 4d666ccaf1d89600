// SPDX-License-Identifier: Apache-2.0
/**
 * The zip container of Keras 3 `.keras` files: reading entries into memory (never onto
 * disk) and writing archives, with ZIP64 both ways.
 *
 * Reading parses the central directory from the end of the file, checks every entry name
 * (no absolute paths, no `..` segments, no backslashes or drive letters) and the declared
 * sizes against zip-bomb limits before anything is decompressed, then reads one entry at a
 * time with positional reads: a stored entry is the bytes read (no further copy); a
 * deflated one is inflated with fflate's streaming inflater into a buffer of the declared
 * size, and inflation stops as soon as the output would exceed it. CRC-32 is checked.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { Inflate, deflateSync } from 'fflate';
import { FormatError, TfexportError } from '../../errors.js';
import { ioError } from '../../util/atomic.js';

import { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip-limits.js';

export { DEFAULT_ZIP_LIMITS, type ZipLimits };

/** One central-directory entry. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  isDirectory: boolean;
}

/** Signature test: a local file header (`PK\x03\x04`) or an empty archive's EOCD at byte 0. */
export function isZipSignature(head: Uint8Array): boolean {
  return head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

function zipError(file: string, message: string, extra: Record<string, unknown> = {}): FormatError {
  return new FormatError('ERR_TFEXPORT_KERAS_ZIP', `${file}: ${message}`, { file, ...extra });
}

async function readAt(fh: FileHandle, file: string, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(len);
  let done = 0;
  try {
    while (done < len) {
      const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (e) {
    throw ioError(e, 'read', file);
  }
  if (done < len) throw zipError(file, `unexpected end of file reading ${len} bytes at offset ${pos} (the archive is truncated)`);
  return buf;
}

/** Checks an entry name: relative, no `..` segment, no backslash, no drive letter. */
export function checkEntryName(name: string, file: string): void {
  const bad =
    name.length === 0 ||
    name.startsWith('/') ||
    name.includes('\\') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\0') ||
    name.split('/').some((seg) => seg === '..');
  if (bad) {
    throw new FormatError(
      'ERR_TFEXPORT_KERAS_ZIP_PATH',
      `${file}: zip entry ${JSON.stringify(name)} has an absolute path or a '..' segment; refusing the archive`,
      { file, field: name },
    );
  }
}

/** An open zip archive: its entries and a reader for each. */
export class ZipReader {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    private readonly limits: ZipLimits,
  ) {}

  /**
   * Opens `file` and reads its central directory, checking names and declared sizes.
   * @throws {FormatError} `ERR_TFEXPORT_KERAS_ZIP` (malformed), `ERR_TFEXPORT_KERAS_ZIP_PATH`
   *   (unsafe entry name), `ERR_TFEXPORT_KERAS_ZIP_BOMB` (sizes over the limits)
   */
  static async open(file: string, limits: Partial<ZipLimits> = {}): Promise<ZipReader> {
    const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
    let fh: FileHandle;
    try {
      fh = await fsp.open(file, 'r');
    } catch (e) {
      throw ioError(e, 'open', file);
    }
    try {
      const { size } = await fh.stat();
      const entries = await readCentralDirectory(fh, file, size, lim);
      return new ZipReader(file, fh, entries, lim);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  /** True when the archive has an entry named `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Reads one entry into memory.
   * @throws {FormatError} `ERR_TFEXPORT_KERAS_ZIP` (missing entry, bad header, CRC mismatch),
   *   `ERR_TFEXPORT_KERAS_ZIP_BOMB` (inflates past its declared size)
   */
  async read(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) throw zipError(this.file, `the archive has no entry ${JSON.stringify(name)}`, { field: name });
    const where = `entry ${JSON.stringify(name)}`;
    const local = await readAt(this.fh, this.file, e.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== 0x04034b50) throw zipError(this.file, `${where}: no local file header at offset ${e.localHeaderOffset}`, { field: name });
    const dataAt = e.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = await readAt(this.fh, this.file, dataAt, e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw zipError(this.file, `${where}: stored entry with different compressed (${e.compressedSize}) and uncompressed (${e.uncompressedSize}) sizes`, { field: name });
      out = raw;
    } else {
      out = inflateBounded(raw, e.uncompressedSize, this.file, name);
    }
    const crc = zlib.crc32(out) >>> 0;
    if (crc !== e.crc32) throw zipError(this.file, `${where}: CRC-32 mismatch (stored ${e.crc32.toString(16)}, computed ${crc.toString(16)}); the archive is corrupt`, { field: name });
    return out;
  }

  /** The limits in force. */
  get zipLimits(): ZipLimits {
    return this.limits;
  }
}

function inflateBounded(raw: Uint8Array, declared: number, file: string, name: string): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(declared));
  let at = 0;
  let failure: TfexportError | undefined;
  const inf = new Inflate((chunk) => {
    if (failure) return;
    if (at + chunk.byteLength > declared) {
      failure = new FormatError(
        'ERR_TFEXPORT_KERAS_ZIP_BOMB',
        `${file}: entry ${JSON.stringify(name)} inflates past its declared size of ${declared} bytes; refusing the archive`,
        { file, field: name },
      );
      return;
    }
    out.set(chunk, at);
    at += chunk.byteLength;
  });
  const STEP = 1 << 20;
  try {
    for (let i = 0; i < raw.byteLength && !failure; i += STEP) {
      const end = Math.min(raw.byteLength, i + STEP);
      inf.push(raw.subarray(i, end), end === raw.byteLength);
    }
    if (raw.byteLength === 0) inf.push(new Uint8Array(0), true);
  } catch (e) {
    if (failure) throw failure;
    throw zipError(file, `entry ${JSON.stringify(name)}: invalid deflate data (${(e as Error).message})`, { field: name });
  }
  if (failure) throw failure;
  if (at !== declared) throw zipError(file, `entry ${JSON.stringify(name)}: inflated to ${at} bytes but ${declared} were declared`, { field: name });
  return out;
}

async function readCentralDirectory(fh: FileHandle, file: string, size: number, lim: ZipLimits): Promise<Map<string, ZipEntry>> {
  if (size < 22) throw zipError(file, `too short to be a zip archive (${size} bytes)`);
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, file, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw zipError(file, 'no end-of-central-directory record (not a zip archive, or truncated)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = size - tailLen + eocd - 20;
    if (locAt < 0) throw zipError(file, 'ZIP64 end-of-central-directory locator missing');
    const loc = await readAt(fh, file, locAt, 20);
    if (loc.readUInt32LE(0) !== 0x07064b50) throw zipError(file, 'ZIP64 end-of-central-directory locator missing');
    const z64At = Number(loc.readBigUInt64LE(8));
    const z64 = await readAt(fh, file, z64At, 56);
    if (z64.readUInt32LE(0) !== 0x06064b50) throw zipError(file, 'bad ZIP64 end-of-central-directory record');
    count = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (count > lim.maxEntries) {
    throw new FormatError('ERR_TFEXPORT_KERAS_ZIP_BOMB', `${file}: ${count} entries exceed the limit of ${lim.maxEntries}; refusing the archive`, { file });
  }
  if (cdOffset + cdSize > size) throw zipError(file, `central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${size} bytes); the archive is truncated`);
  const cd = await readAt(fh, file, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== 0x02014b50) throw zipError(file, `central directory entry ${i} is malformed`);
    const flags = cd.readUInt16LE(at + 8);
    const method = cd.readUInt16LE(at + 10);
    const crc = cd.readUInt32LE(at + 16);
    let comp = cd.readUInt32LE(at + 20);
    let uncomp = cd.readUInt32LE(at + 24);
    const nameLen = cd.readUInt16LE(at + 28);
    const extraLen = cd.readUInt16LE(at + 30);
    const commentLen = cd.readUInt16LE(at + 32);
    let offset = cd.readUInt32LE(at + 42);
    if (at + 46 + nameLen + extraLen + commentLen > cd.length) throw zipError(file, `central directory entry ${i} runs past the directory`);
    const nameBytes = cd.subarray(at + 46, at + 46 + nameLen);
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    const extra = cd.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen);
    for (let x = 0; x + 4 <= extra.length;) {
      const id = extra.readUInt16LE(x);
      const len = extra.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let p = x + 4;
        if (uncomp === 0xffffffff && p + 8 <= x + 4 + len) { uncomp = Number(extra.readBigUInt64LE(p)); p += 8; }
        if (comp === 0xffffffff && p + 8 <= x + 4 + len) { comp = Number(extra.readBigUInt64LE(p)); p += 8; }
        if (offset === 0xffffffff && p + 8 <= x + 4 + len) { offset = Number(extra.readBigUInt64LE(p)); p += 8; }
      }
      x += 4 + len;
    }
    at += 46 + nameLen + extraLen + commentLen;
    checkEntryName(name, file);
    if (flags & 1) throw zipError(file, `entry ${JSON.stringify(name)} is encrypted`, { field: name });
    const isDirectory = name.endsWith('/');
    if (!isDirectory && method !== 0 && method !== 8) throw zipError(file, `entry ${JSON.stringify(name)} uses compression method ${method} (only stored and deflate are supported)`, { field: name });
    total += uncomp;
    if (entries.has(name)) throw zipError(file, `entry ${JSON.stringify(name)} appears twice`, { field: name });
    entries.set(name, { name, method, crc32: crc, compressedSize: comp, uncompressedSize: uncomp, localHeaderOffset: offset, isDirectory });
  }
  // Bomb checks on the declared sizes, before anything is read or inflated.
  if (total > lim.maxTotalBytes) {
    throw new FormatError(
      'ERR_TFEXPORT_KERAS_ZIP_BOMB',
      `${file}: entries declare ${total} uncompressed bytes in total, more than ${lim.maxTotalBytes}; refusing the archive`,
      { file, declared: total },
    );
  }
  for (const e of entries.values()) {
    if (e.uncompressedSize > lim.minRatioCheckBytes && e.uncompressedSize > lim.maxRatio * Math.max(e.compressedSize, 1)) {
      throw new FormatError(
        'ERR_TFEXPORT_KERAS_ZIP_BOMB',
        `${file}: entry ${JSON.stringify(e.name)} declares ${e.uncompressedSize} bytes from ${e.compressedSize} compressed (ratio over ${lim.maxRatio}); refusing the archive`,
        { file, field: e.name },
      );
    }
    if (e.localHeaderOffset + 30 + e.compressedSize > size) {
      throw zipError(file, `entry ${JSON.stringify(e.name)} lies past the end of the file; the archive is truncated`, { field: e.name });
    }
  }
  return entries;
}

// ---- writing ----------------------------------------------------------------------------

/** An entry to write: bytes in memory, or a file on disk streamed into the archive. */
export type ZipInput =
  | { name: string; data: Uint8Array; deflate?: boolean }
  | { name: string; file: string };

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/**
 * Writes a zip archive to an open file handle: in-memory entries (optionally deflated)
 * and files streamed from disk (stored, in 8 MiB pieces). ZIP64 records are written
 * where sizes or offsets need them.
 * @param fh a file handle open for writing, positioned anywhere (positional writes from 0)
 * @param inputs the entries in archive order
 * @returns the archive's size in bytes
 */
export async function writeZip(fh: FileHandle, target: string, inputs: readonly ZipInput[]): Promise<number> {
  const { time, date } = dosDateTime(new Date());
  let pos = 0;
  const write = async (buf: Uint8Array) => {
    let done = 0;
    while (done < buf.byteLength) {
      const { bytesWritten } = await fh.write(buf, done, buf.byteLength - done, pos + done);
      done += bytesWritten;
    }
    pos += buf.byteLength;
  };
  const central: Buffer[] = [];
  for (const input of inputs) {
    checkEntryName(input.name, target);
    const nameBytes = Buffer.from(input.name, 'utf8');
    let method = 0;
    let payload: Uint8Array | undefined;
    let size: number;
    if ('data' in input) {
      payload = input.deflate ? deflateSync(input.data, { level: 6 }) : input.data;
      method = input.deflate ? 8 : 0;
      size = input.data.byteLength;
    } else {
      size = (await fsp.stat(input.file)).size;
    }
    const compSize = payload ? payload.byteLength : size;
    const zip64 = size >= 0xffffffff || compSize >= 0xffffffff || pos >= 0xffffffff;
    const localExtra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    const localAt = pos;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(0x800, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(localExtra.length, 28);
    await write(header);
    await write(nameBytes);
    await write(localExtra);
    let crc = 0;
    if (payload) {
      crc = zlib.crc32((input as { data: Uint8Array }).data) >>> 0;
      await write(payload);
    } else {
      const src = await fsp.open((input as { file: string }).file, 'r');
      try {
        const chunk = Buffer.allocUnsafeSlow(8 << 20);
        for (let off = 0; off < size;) {
          const { bytesRead } = await src.read(chunk, 0, Math.min(chunk.length, size - off), off);
          if (bytesRead === 0) throw new Error(`${(input as { file: string }).file} shrank while being archived`);
          const part = chunk.subarray(0, bytesRead);
          crc = zlib.crc32(part, crc) >>> 0;
          await write(part);
          off += bytesRead;
        }
      } finally {
        await src.close().catch(() => undefined);
      }
    }
    // Patch CRC and sizes into the local header.
    const patch = Buffer.alloc(12);
    patch.writeUInt32LE(crc, 0);
    patch.writeUInt32LE(zip64 ? 0xffffffff : compSize, 4);
    patch.writeUInt32LE(zip64 ? 0xffffffff : size, 8);
    await fh.write(patch, 0, 12, localAt + 14);
    if (zip64) {
      const x = Buffer.alloc(20);
      x.writeUInt16LE(0x0001, 0);
      x.writeUInt16LE(16, 2);
      x.writeBigUInt64LE(BigInt(size), 4);
      x.writeBigUInt64LE(BigInt(compSize), 12);
      await fh.write(x, 0, 20, localAt + 30 + nameBytes.length);
    }
    const cdExtra = zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (zip64) {
      cdExtra.writeUInt16LE(0x0001, 0);
      cdExtra.writeUInt16LE(24, 2);
      cdExtra.writeBigUInt64LE(BigInt(size), 4);
      cdExtra.writeBigUInt64LE(BigInt(compSize), 12);
      cdExtra.writeBigUInt64LE(BigInt(localAt), 20);
    }
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(zip64 ? 45 : 20, 4);
    cd.writeUInt16LE(zip64 ? 45 : 20, 6);
    cd.writeUInt16LE(0x800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(time, 12);
    cd.writeUInt16LE(date, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(zip64 ? 0xffffffff : compSize, 20);
    cd.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    cd.writeUInt16LE(nameBytes.length, 28);
    cd.writeUInt16LE(cdExtra.length, 30);
    cd.writeUInt32LE((0o100644 * 0x10000) >>> 0, 38);
    cd.writeUInt32LE(zip64 ? 0xffffffff : localAt, 42);
    central.push(cd, nameBytes, cdExtra);
  }
  const cdAt = pos;
  for (const part of central) await write(part);
  const cdSize = pos - cdAt;
  const n = inputs.length;
  if (cdAt >= 0xffffffff || n >= 0xffff) {
    const z64At = pos;
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(n), 24);
    z.writeBigUInt64LE(BigInt(n), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdAt), 48);
    await write(z);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(z64At), 8);
    loc.writeUInt32LE(1, 16);
    await write(loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(n, 0xffff), 8);
  end.writeUInt16LE(Math.min(n, 0xffff), 10);
  end.writeUInt32LE(Math.min(cdSize, 0xffffffff), 12);
  end.writeUInt32LE(cdAt >= 0xffffffff ? 0xffffffff : cdAt, 16);
  await write(end);
  return pos;
}
