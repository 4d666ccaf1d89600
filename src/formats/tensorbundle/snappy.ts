// SPDX-License-Identifier: Apache-2.0
/**
 * A bounds-checked decompressor for the raw Snappy format (the block format LevelDB / TF tables
 * use for compression type 1; not the framing format). Every length and copy offset is checked,
 * the declared size is bounded before anything is allocated, and each element consumes input,
 * so corrupt or hostile input ends in a {@link FormatError}, never a RangeError or a hang.
 */
import { FormatError } from '../../errors.js';

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
