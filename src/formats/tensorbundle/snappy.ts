// SPDX-License-Identifier: Apache-2.0
/**
 * A bounds-checked decompressor for the raw Snappy format (the block format LevelDB / TF tables
 * use for compression type 1; not the framing format). Every length and copy offset is checked,
 * the declared size is bounded before anything is allocated, and each element consumes input,
 * so corrupt or hostile input ends in a {@link FormatError}, never a RangeError or a hang.
 *
 * Two implementations with the same checks in the same order: the native decoder
 * (native/wire/snappy.cc, used when the addon loads) and the TypeScript one below (the
 * fallback). Both accept exactly the same streams, produce the same bytes and fail with
 * `ERR_TFEXPORT_SNAPPY` and the same message (test/formats/tf/sstable-native.test.ts).
 */
import { FormatError, NativeError, TfexportError } from '../../errors.js';
import { loadSSTableBinding, type SSTableBinding } from '../../kernels/sstable-binding.js';

/** Which implementation a table/snappy call uses: native when the addon loads ('auto'), or forced. */
export type SSTableBackend = 'auto' | 'native' | 'ts';

/** The largest block/output size the native reader accepts (its kMaxBlockLimit). */
const NATIVE_MAX_OUTPUT = 2 ** 30;

/**
 * The binding for the native table/snappy reader, or null for the TS path.
 * @internal
 * @throws NativeError when `backend` is 'native' and the addon (or its SSTable reader) is missing
 */
export function sstableBinding(backend: SSTableBackend = 'auto'): SSTableBinding | null {
  if (backend === 'ts') return null;
  const { binding, error } = loadSSTableBinding();
  const ok = binding !== null && typeof binding.sstableParseBlockSync === 'function';
  if (ok) return binding;
  if (backend === 'native') {
    throw error ?? new NativeError('ERR_TFEXPORT_NATIVE_LOAD', 'the native addon has no SSTable reader (rebuild it)');
  }
  return null;
}

/** Codes the native table reader raises (everything else is rethrown unchanged). */
const NATIVE_FORMAT_CODES = new Set([
  'ERR_TFEXPORT_SSTABLE_CORRUPT',
  'ERR_TFEXPORT_SSTABLE_CRC',
  'ERR_TFEXPORT_SSTABLE_MAGIC',
  'ERR_TFEXPORT_SSTABLE_UNSUPPORTED',
  'ERR_TFEXPORT_SNAPPY',
]);

/**
 * Turns a native table-reader error into the FormatError the TS reader throws: same code,
 * the native sentence (which names the byte offset) wrapped by `format`, which adds the file
 * and block names. Other errors pass through.
 * @internal
 */
export function fromNativeError(e: unknown, file: string, field: string, format: (what: string) => string): unknown {
  if (!(e instanceof TfexportError) || !NATIVE_FORMAT_CODES.has(e.code)) return e;
  const prefix = `${e.code}: `;
  const what = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  return new FormatError(e.code, format(what), { file, field });
}

function snappyNative(b: SSTableBinding, src: Uint8Array, ctx: SnappyContext, maxOutput: number): Uint8Array {
  try {
    const out = new Uint8Array(b.snappyUncompressedLengthSync(src, maxOutput));
    b.sstableDecompressBlockSync(src, maxOutput, out);
    return out;
  } catch (e) {
    throw fromNativeError(e, ctx.file, ctx.field, (what) => `${ctx.file}: corrupt snappy-compressed ${ctx.field}: ${what}`);
  }
}

/**
 * The largest output a valid Snappy stream of `compressedLength` bytes can produce: the densest
 * element is a 3-byte copy of 64 bytes.
 */
function maxExpansion(compressedLength: number): number {
  return Math.ceil((compressedLength * 64) / 3) + 64;
}

/** Where the bytes come from, for error messages. */
export interface SnappyContext {
  file: string;
  /** what was being decompressed, e.g. `data block at offset 1234` */
  field: string;
}

/**
 * Decompresses one raw Snappy block.
 * @param src the compressed bytes
 * @param ctx file and block named in errors
 * @param maxOutput refuse streams declaring more than this many bytes (default 1 GiB)
 * @returns the uncompressed bytes
 * @throws FormatError `ERR_TFEXPORT_SNAPPY` when the stream is malformed
 */
export function snappyDecompress(src: Uint8Array, ctx: SnappyContext, maxOutput = 1 << 30): Uint8Array {
  return snappyDecompressWith(src, ctx, maxOutput, 'auto');
}

/**
 * {@link snappyDecompress} with an explicit implementation (tests compare the two).
 * 'auto' and 'native' use the native decoder only for integral limits up to 1 GiB (its bound).
 * @internal
 */
export function snappyDecompressWith(src: Uint8Array, ctx: SnappyContext, maxOutput: number, backend: SSTableBackend): Uint8Array {
  const b = sstableBinding(backend);
  if (b && Number.isSafeInteger(maxOutput) && maxOutput >= 0 && maxOutput <= NATIVE_MAX_OUTPUT) {
    return snappyNative(b, src, ctx, maxOutput);
  }
  return snappyDecompressTs(src, ctx, maxOutput);
}

/** The TypeScript decoder (the fallback; the specification native/wire/snappy.cc mirrors). */
function snappyDecompressTs(src: Uint8Array, ctx: SnappyContext, maxOutput: number): Uint8Array {
  const fail = (what: string, at: number): FormatError =>
    new FormatError('ERR_TFEXPORT_SNAPPY', `${ctx.file}: corrupt snappy-compressed ${ctx.field}: ${what} (compressed byte ${at})`, {
      file: ctx.file,
      field: ctx.field,
    });
  // Preamble: uncompressed length as a varint32.
  let pos = 0;
  let declared = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length) throw fail('truncated length preamble', pos);
    if (shift > 28) throw fail('length preamble longer than 5 bytes', pos);
    const b = src[pos++]!;
    declared += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (declared > 0xffffffff) throw fail(`declared length ${declared} exceeds 32 bits`, 0);
  if (declared > maxOutput) throw fail(`declared length ${declared} exceeds the limit of ${maxOutput} bytes`, 0);
  if (declared > maxExpansion(src.length)) {
    throw fail(`declared length ${declared} is more than ${src.length} compressed bytes can hold`, 0);
  }
  const out = new Uint8Array(declared);
  let op = 0;
  while (pos < src.length) {
    const tagAt = pos;
    const tag = src[pos++]!;
    const type = tag & 3;
    if (type === 0) {
      // literal
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (pos + extra > src.length) throw fail('truncated literal length', tagAt);
        len = 0;
        for (let i = 0; i < extra; i++) len += src[pos + i]! * 2 ** (8 * i);
        pos += extra;
      }
      len += 1;
      if (len > src.length - pos) throw fail(`literal of ${len} bytes runs past the input`, tagAt);
      if (len > declared - op) throw fail(`literal of ${len} bytes runs past the declared length ${declared}`, tagAt);
      out.set(src.subarray(pos, pos + len), op);
      pos += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (pos + 1 > src.length) throw fail('truncated copy', tagAt);
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[pos]!;
      pos += 1;
    } else if (type === 2) {
      if (pos + 2 > src.length) throw fail('truncated copy', tagAt);
      len = 1 + (tag >>> 2);
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw fail('truncated copy', tagAt);
      len = 1 + (tag >>> 2);
      offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0 || offset > op) throw fail(`copy offset ${offset} outside the ${op} bytes written`, tagAt);
    if (len > declared - op) throw fail(`copy of ${len} bytes runs past the declared length ${declared}`, tagAt);
    const from = op - offset;
    if (offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // overlapping copy repeats the last `offset` bytes
      for (let i = 0; i < len; i++) out[op + i] = out[from + i]!;
      op += len;
    }
  }
  if (op !== declared) throw fail(`produced ${op} bytes, the preamble declared ${declared}`, pos);
  return out;
}
