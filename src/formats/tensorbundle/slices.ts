// SPDX-License-Identifier: Apache-2.0
/**
 * Partitioned ("sliced") TensorBundle tensors.
 *
 * A tensor saved in slices (TF1 partitioned variables, or TF 2.x `MaxShardSizePolicy` splitting a
 * tensor larger than a shard) has a full-tensor record under its own key whose
 * `BundleEntryProto.slices` lists the slices, and no data of its own. Each slice is stored as a
 * separate record whose key is TensorFlow's `EncodeTensorNameSlice(name, slice)`, written with
 * the OrderedCode encoding (`tensorflow/core/lib/strings/ordered_code.cc`):
 *
 * ```
 * NumIncreasing(0)                   -- every slice key starts with byte 0x00
 * String(name)                       -- 0x00 -> 00 ff, 0xff -> ff 00, then terminator 00 01
 * NumIncreasing(rank)                -- length byte + big-endian bytes
 * rank x (SignedNumIncreasing(start), SignedNumIncreasing(length))   -- length -1 = whole dim
 * ```
 *
 * This module encodes and decodes those keys and copies slices (hyper-rectangles of a row-major
 * tensor) into / out of a full tensor buffer.
 */
import { FormatError } from '../../errors.js';
import type { TensorSliceProto } from '../../proto/types.generated.js';

/** One dimension of a slice: `length` -1 means the whole dimension (TF's kFullExtent). */
export interface SliceExtent {
  start: number;
  length: number;
}

/** A decoded slice key: the full tensor's name and the slice's extents. */
export interface SliceKey {
  name: string;
  extents: SliceExtent[];
}

// --- OrderedCode ------------------------------------------------------------------------------

/** OrderedCode `WriteNumIncreasing`: a length byte then the value's big-endian bytes (0 -> `00`). */
export function writeNumIncreasing(out: number[], value: bigint): void {
  if (value < 0n) throw new RangeError('NumIncreasing values are unsigned');
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  out.push(bytes.length, ...bytes);
}

/** OrderedCode `WriteString`: escapes 0x00 / 0xff and appends the `00 01` terminator. */
export function writeOrderedString(out: number[], s: Uint8Array): void {
  for (const b of s) {
    if (b === 0x00) out.push(0x00, 0xff);
    else if (b === 0xff) out.push(0xff, 0x00);
    else out.push(b);
  }
  out.push(0x00, 0x01);
}

/** Header bits of the first two bytes for each encoding length of SignedNumIncreasing. */
const LENGTH_TO_HEADER: readonly (readonly [number, number])[] = [
  [0, 0], [0x80, 0], [0xc0, 0], [0xe0, 0], [0xf0, 0], [0xf8, 0], [0xfc, 0], [0xfe, 0], [0xff, 0], [0xff, 0x80], [0xff, 0xc0],
];
/** Header bits overlapping the payload, removed when reading (kLengthToMask). */
const LENGTH_TO_MASK: readonly bigint[] = [
  0n, 0x80n, 0xc000n, 0xe00000n, 0xf0000000n, 0xf800000000n, 0xfc0000000000n, 0xfe000000000000n, 0xff00000000000000n, 0x8000000000000000n, 0n,
];

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** OrderedCode `WriteSignedNumIncreasing` (1 to 10 bytes, order-preserving for int64). */
export function writeSignedNumIncreasing(out: number[], value: bigint): void {
  const v = BigInt.asIntN(64, value);
  const x = v < 0n ? ~v : v;
  if (x < 64n) {
    out.push((LENGTH_TO_HEADER[1]![0] ^ Number(BigInt.asUintN(8, v))) & 0xff);
    return;
  }
  const len = Math.floor(bitLength(x) / 7) + 1; // kBitsToLength
  // value sign-extended to 10 bytes, big-endian; keep the last `len`
  const wide = BigInt.asUintN(80, v);
  const bytes: number[] = [];
  for (let i = len - 1; i >= 0; i--) bytes.push(Number((wide >> BigInt(8 * i)) & 0xffn));
  bytes[0]! ^= LENGTH_TO_HEADER[len]![0];
  bytes[1]! ^= LENGTH_TO_HEADER[len]![1];
  out.push(...bytes);
}

/** A cursor over an OrderedCode-encoded key; every read throws {@link FormatError} on bad bytes. */
export class OrderedCodeReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly fail: (what: string) => FormatError,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** OrderedCode `ReadNumIncreasing`. */
  numIncreasing(): bigint {
    const n = this.buf[this.pos];
    if (n === undefined || n > 8) throw this.fail(`bad NumIncreasing length byte at ${this.pos}`);
    if (this.pos + 1 + n > this.buf.length) throw this.fail(`NumIncreasing at ${this.pos} runs past the key`);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.buf[this.pos + 1 + i]!);
    this.pos += 1 + n;
    return v;
  }

  /** OrderedCode `ReadString` (undoes the 0x00 / 0xff escapes, consumes the terminator). */
  string(): Uint8Array {
    const out: number[] = [];
    for (;;) {
      if (this.pos >= this.buf.length) throw this.fail('unterminated string');
      const b = this.buf[this.pos++]!;
      if (b !== 0x00 && b !== 0xff) {
        out.push(b);
        continue;
      }
      const next = this.buf[this.pos++];
      if (b === 0x00 && next === 0x01) return Uint8Array.from(out);
      if (b === 0x00 && next === 0xff) out.push(0x00);
      else if (b === 0xff && next === 0x00) out.push(0xff);
      else throw this.fail(`bad string escape at ${this.pos - 2}`);
    }
  }

  /** OrderedCode `ReadSignedNumIncreasing`. */
  signedNumIncreasing(): bigint {
    const buf = this.buf;
    const p = this.pos;
    if (p >= buf.length) throw this.fail('missing SignedNumIncreasing');
    const xorMask = buf[p]! & 0x80 ? 0 : 0xff;
    const first = buf[p]! ^ xorMask;
    let len: number;
    let x: bigint;
    if (first !== 0xff) {
      len = 7 - (31 - Math.clz32(first ^ 0xff));
      if (p + len > buf.length) throw this.fail(`SignedNumIncreasing at ${p} runs past the key`);
      x = xorMask ? 0xffffffffffffffffn : 0n;
      for (let i = 0; i < len; i++) x = BigInt.asUintN(64, (x << 8n) | BigInt(buf[p + i]!));
    } else {
      len = 8;
      if (p + 2 >= buf.length) throw this.fail(`SignedNumIncreasing at ${p} runs past the key`);
      const second = buf[p + 1]! ^ xorMask;
      if (second >= 0x80) {
        if (second < 0xc0) len = 9;
        else if (second === 0xc0 && (buf[p + 2]! ^ xorMask) < 0x80) len = 10;
        else throw this.fail(`SignedNumIncreasing at ${p} is longer than 64 bits`);
      }
      if (p + len > buf.length) throw this.fail(`SignedNumIncreasing at ${p} runs past the key`);
      x = 0n;
      for (let i = len - 8; i < len; i++) x = (x << 8n) | BigInt(buf[p + i]!);
    }
    x ^= LENGTH_TO_MASK[len]!;
    this.pos += len;
    return BigInt.asIntN(64, x);
  }
}

// --- slice keys -------------------------------------------------------------------------------

/**
 * TF's `checkpoint::EncodeTensorNameSlice`: the bundle key of one slice of tensor `name`.
 * @param name the full tensor's key
 * @param extents the slice (length -1 = whole dimension)
 */
export function encodeSliceKey(name: string, extents: readonly SliceExtent[]): Uint8Array {
  const out: number[] = [];
  writeNumIncreasing(out, 0n);
  writeOrderedString(out, new TextEncoder().encode(name));
  writeNumIncreasing(out, BigInt(extents.length));
  for (const e of extents) {
    writeSignedNumIncreasing(out, BigInt(e.start));
    writeSignedNumIncreasing(out, BigInt(e.length));
  }
  return Uint8Array.from(out);
}

/**
 * Parses a slice key (`DecodeTensorNameSlice`).
 * @param key the raw key bytes
 * @param file named in errors
 * @throws FormatError `ERR_TFEXPORT_BUNDLE_SLICE` when the key is not a valid slice key
 */
export function decodeSliceKey(key: Uint8Array, file = '<bundle>'): SliceKey {
  const fail = (what: string): FormatError =>
    new FormatError('ERR_TFEXPORT_BUNDLE_SLICE', `${file}: slice key ${Buffer.from(key).toString('hex')}: ${what}`, { file, field: 'slice key' });
  const r = new OrderedCodeReader(key, fail);
  if (r.numIncreasing() !== 0n) throw fail('does not start with 0');
  const name = new TextDecoder().decode(r.string());
  const rank = r.numIncreasing();
  if (rank > 64n) throw fail(`rank ${rank}`);
  const extents: SliceExtent[] = [];
  for (let d = 0; d < Number(rank); d++) {
    const start = r.signedNumIncreasing();
    const length = r.signedNumIncreasing();
    if (start < 0n || length < -1n || start > BigInt(Number.MAX_SAFE_INTEGER) || length > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw fail(`dimension ${d}: start ${start}, length ${length}`);
    }
    extents.push({ start: Number(start), length: Number(length) });
  }
  if (!r.done) throw fail(`${key.length - r.pos} trailing bytes`);
  return { name, extents };
}

/**
 * The extents of a TensorSliceProto (an extent without `length` is the whole dimension; a slice
 * with no extents covers the whole tensor).
 */
export function sliceExtentsFromProto(slice: TensorSliceProto, rank: number): SliceExtent[] {
  if (slice.extent.length === 0) return Array.from({ length: rank }, () => ({ start: 0, length: -1 }));
  return slice.extent.map((e) => ({ start: Number(e.start), length: e.length === undefined ? -1 : Number(e.length) }));
}

/** The concrete extents of a slice within `shape` (whole dimensions resolved); throws when out of range. */
export function resolveExtents(extents: readonly SliceExtent[], shape: readonly number[], fail: (what: string) => Error): SliceExtent[] {
  if (extents.length !== shape.length) throw fail(`slice has rank ${extents.length}, the tensor ${shape.length}`);
  return extents.map((e, d) => {
    const dim = shape[d]!;
    const length = e.length === -1 ? dim - e.start : e.length;
    if (e.start < 0 || length < 0 || e.start + length > dim) throw fail(`slice [${e.start}, +${e.length}) is outside dimension ${d} of size ${dim}`);
    return { start: e.start, length };
  });
}

/** The shape of a slice (resolved extents' lengths). */
export function sliceShape(extents: readonly SliceExtent[]): number[] {
  return extents.map((e) => e.length);
}

/**
 * Visits the contiguous runs a slice occupies in a row-major tensor of `shape`: calls
 * `run(fullOffset, sliceOffset, bytes)` (byte offsets) for each run, in order.
 */
function forEachRun(shape: readonly number[], extents: readonly SliceExtent[], width: number, run: (full: number, slice: number, bytes: number) => void): void {
  const rank = shape.length;
  if (rank === 0) {
    run(0, 0, width);
    return;
  }
  if (extents.some((e) => e.length === 0)) return;
  // the innermost dimensions the slice covers entirely form one contiguous run with the first
  // partial one outside them
  let inner = rank - 1;
  let runElems = extents[inner]!.length;
  while (inner > 0 && extents[inner]!.start === 0 && extents[inner]!.length === shape[inner]) {
    inner--;
    runElems *= extents[inner]!.length;
  }
  // strides of the full tensor (elements)
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  const runBytes = runElems * width;
  const outer = extents.slice(0, inner);
  const idx = new Array<number>(inner).fill(0);
  let sliceOffset = 0;
  for (;;) {
    let full = extents[inner]!.start * strides[inner]!;
    for (let d = 0; d < inner; d++) full += (outer[d]!.start + idx[d]!) * strides[d]!;
    run(full * width, sliceOffset, runBytes);
    sliceOffset += runBytes;
    let d = inner - 1;
    while (d >= 0) {
      if (++idx[d]! < outer[d]!.length) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/**
 * Copies a slice's row-major bytes into a full tensor's buffer.
 * @param full the full tensor's bytes (row-major, `shape`)
 * @param shape the full tensor's shape
 * @param extents the slice's resolved extents (see {@link resolveExtents})
 * @param slice the slice's bytes (row-major, shape = extents' lengths)
 * @param width bytes per element
 */
export function copySliceInto(full: Uint8Array, shape: readonly number[], extents: readonly SliceExtent[], slice: Uint8Array, width: number): void {
  forEachRun(shape, extents, width, (f, s, n) => full.set(slice.subarray(s, s + n), f));
}

/**
 * Extracts a slice (hyper-rectangle) from a full row-major tensor.
 * @returns a new buffer of the slice's bytes
 */
export function extractSlice(full: Uint8Array, shape: readonly number[], extents: readonly SliceExtent[], width: number): Uint8Array {
  const out = new Uint8Array(extents.reduce((a, e) => a * e.length, 1) * width);
  forEachRun(shape, extents, width, (f, s, n) => out.set(full.subarray(f, f + n), s));
  return out;
}

/** Formats extents for messages: `[0:100, 0:256]` (start:end, `:` alone for whole dims). */
export function formatExtents(extents: readonly SliceExtent[]): string {
  return `[${extents.map((e) => (e.length === -1 ? ':' : `${e.start}:${e.start + e.length}`)).join(', ')}]`;
}
