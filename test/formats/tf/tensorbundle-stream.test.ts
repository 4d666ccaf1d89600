// SPDX-License-Identifier: Apache-2.0
/**
 * Chunked TensorBundle reads (`TensorBundle.openStream`): the chunks concatenate to what
 * `readBytes` returns, the CRC32C is computed across chunks (a corrupt byte in a later chunk is
 * still caught, naming the data file and the tensor), a truncated data file and reads past the
 * tensor are typed errors, and string / partitioned tensors are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, TfexportError, ValidationError } from '../../../src/errors.js';
import { openTensorBundle } from '../../../src/formats/tensorbundle/index.js';
import { bundleWeight } from '../../../src/ir/weights.js';
import { DataType } from '../../../src/proto/index.js';
import { bytesOf, encodeStringTensor, writeBundle } from './helpers/bundle-writer.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-bundle-stream-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;

/** A bundle with a small tensor `a`, a 100 000-float tensor `big` and a string tensor `s`. */
function makeBundle(): { prefix: string; data: string; big: Uint8Array; bigOffset: number } {
  const dir = path.join(tmpRoot, String(n++));
  fs.mkdirSync(dir);
  const prefix = path.join(dir, 'variables');
  const a = bytesOf(Float32Array.from([1, 2, 3]));
  const big = bytesOf(Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i) * 1000));
  const s = encodeStringTensor([new TextEncoder().encode('hi')]);
  writeBundle(prefix, [
    { key: 'a', dtype: DataType.DT_FLOAT, shape: [3], bytes: a },
    { key: 'big', dtype: DataType.DT_FLOAT, shape: [250, 400], bytes: big },
    { key: 's', dtype: DataType.DT_STRING, shape: [1], bytes: s.bytes, crc32c: s.crc32c },
  ]);
  // keys are written sorted: a, big, s
  return { prefix, data: `${prefix}.data-00000-of-00001`, big, bigOffset: a.length };
}

async function caught(p: Promise<unknown>): Promise<TfexportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TfexportError);
    return e as TfexportError;
  }
  throw new Error('expected a rejection');
}

/** Byte equality (vitest's toEqual walks big typed arrays slowly). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Reads a stream in chunks of `size` bytes. */
async function readAll(stream: { byteLength: number; read(d: Uint8Array): Promise<void> }, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(stream.byteLength);
  for (let at = 0; at < out.length; at += size) await stream.read(out.subarray(at, Math.min(out.length, at + size)));
  return out;
}

describe('TensorBundle chunked reads', () => {
  it('chunks of any size concatenate to readBytes, CRC verified at the end', async () => {
    const { prefix, big } = makeBundle();
    const b = await openTensorBundle(prefix);
    try {
      expect(same(await b.readBytes('big'), big)).toBe(true);
      for (const size of [333, 4093, 65536, 1 << 20]) {
        const s = await b.openStream('big');
        expect(s.byteLength).toBe(big.length);
        expect(same(await readAll(s, size), big)).toBe(true);
        expect(s.position).toBe(big.length);
      }
      const w = bundleWeight('w', b, 'big');
      expect(w.openStream).toBeTypeOf('function');
      expect(same(await readAll(await w.openStream!(), 300_001), await w.read())).toBe(true);
      expect(bundleWeight('str', b, 's').openStream).toBeUndefined();
    } finally {
      await b.close();
    }
  });

  it('a corrupt byte in a later chunk fails the last read with ERR_TFEXPORT_BUNDLE_CRC naming file and tensor', async () => {
    const { prefix, data, big, bigOffset } = makeBundle();
    const bytes = fs.readFileSync(data);
    bytes[bigOffset + big.length - 10] ^= 0x40; // in the last chunk
    fs.writeFileSync(data, bytes);
    const b = await openTensorBundle(prefix);
    try {
      const s = await b.openStream('big');
      const buf = new Uint8Array(100_000);
      await s.read(buf.subarray(0, 65536)); // earlier chunks read fine: the CRC needs every byte
      await s.read(buf.subarray(0, 65536));
      await s.read(buf.subarray(0, 65536));
      await s.read(buf.subarray(0, 65536));
      await s.read(buf.subarray(0, 65536));
      await s.read(buf.subarray(0, 65536));
      const e = await caught(s.read(buf.subarray(0, big.length - 6 * 65536)));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.code).toBe('ERR_TFEXPORT_BUNDLE_CRC');
      expect(e.message).toContain(data);
      expect(e.message).toContain('"big"');
      expect(e.context).toMatchObject({ file: data, field: 'big' });
      // readBytes agrees
      expect((await caught(b.readBytes('big'))).code).toBe('ERR_TFEXPORT_BUNDLE_CRC');
    } finally {
      await b.close();
    }
  });

  it('a data file truncated before the open or during the reads is a typed error', async () => {
    const { prefix, data, bigOffset } = makeBundle();
    fs.truncateSync(data, bigOffset + 1000);
    let b = await openTensorBundle(prefix);
    try {
      const e = await caught(b.openStream('big'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.code).toBe('ERR_TFEXPORT_BUNDLE_ENTRY');
      expect(e.message).toContain(data);
      expect(e.message).toContain('"big"');
    } finally {
      await b.close();
    }
    const fresh = makeBundle();
    b = await openTensorBundle(fresh.prefix);
    try {
      const s = await b.openStream('big'); // the data file's size is checked here ...
      fs.truncateSync(fresh.data, fresh.bigOffset + 5000); // ... and shrinks afterwards
      const buf = new Uint8Array(4096);
      await s.read(buf);
      const e = await caught(s.read(buf));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.code).toBe('ERR_TFEXPORT_TRUNCATED');
      expect(e.context).toMatchObject({ file: fresh.data, field: 'big' });
    } finally {
      await b.close();
    }
  });

  it('refuses reads past the tensor, string tensors, unknown keys and a closed bundle', async () => {
    const { prefix } = makeBundle();
    const b = await openTensorBundle(prefix);
    const s = await b.openStream('a');
    const e1 = await caught(s.read(new Uint8Array(13)));
    expect(e1).toBeInstanceOf(ValidationError);
    expect(e1.message).toContain('runs past');
    await s.read(new Uint8Array(12));
    const e2 = await caught(b.openStream('s'));
    expect(e2).toBeInstanceOf(ValidationError);
    expect(e2.message).toContain('cannot be read in chunks');
    expect((await caught(b.openStream('nope'))).code).toBe('ERR_TFEXPORT_KEY_NOT_FOUND');
    const s2 = await b.openStream('big');
    await b.close();
    expect((await caught(s2.read(new Uint8Array(4)))).message).toContain('closed');
  });
});
