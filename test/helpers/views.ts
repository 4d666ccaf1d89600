// SPDX-License-Identifier: Apache-2.0
/** Typed-array views at chosen byte offsets, and exact byte comparison with a useful message. */
import { expect } from 'vitest';

type Ctor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/**
 * A `length`-element view at `byteOffset` inside a larger buffer whose other bytes are 0xA5
 * (so a kernel that writes out of bounds, or reads from byte 0, is caught).
 */
export function viewAt<T extends ArrayBufferView>(ctor: Ctor<T>, length: number, byteOffset: number): T {
  const bytes = byteOffset + length * ctor.BYTES_PER_ELEMENT + 16;
  const buf = new ArrayBuffer(bytes);
  new Uint8Array(buf).fill(0xa5);
  const v = new ctor(buf, byteOffset, length);
  new Uint8Array(buf, byteOffset, length * ctor.BYTES_PER_ELEMENT).fill(0);
  return v;
}

/** A copy of `src` placed at `byteOffset` of a larger buffer. */
export function copyAt<T extends ArrayBufferView & { length: number; set(a: ArrayLike<number>): void }>(
  ctor: Ctor<T>,
  src: ArrayBufferView,
  byteOffset: number,
): T {
  const n = src.byteLength / ctor.BYTES_PER_ELEMENT;
  const v = viewAt(ctor, n, byteOffset);
  new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(bytesOf(src));
  return v;
}

/** The bytes of a view. */
export function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** True when the bytes around the view (in its buffer) are all still 0xA5. */
export function guardBytesIntact(v: ArrayBufferView): boolean {
  const all = new Uint8Array(v.buffer);
  for (let i = 0; i < v.byteOffset; ++i) if (all[i] !== 0xa5) return false;
  for (let i = v.byteOffset + v.byteLength; i < all.length; ++i) if (all[i] !== 0xa5) return false;
  return true;
}

/** Asserts equal bytes; on failure names the first differing element and both values. */
export function expectSameBytes(actual: ArrayBufferView, expected: ArrayBufferView, label: string): void {
  const a = bytesOf(actual);
  const e = bytesOf(expected);
  if (a.length === e.length && Buffer.compare(a, e) === 0) return;
  const size = (actual as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  let first = 0;
  while (first < Math.min(a.length, e.length) && a[first] === e[first]) ++first;
  const elem = Math.floor(first / size);
  const hex = (b: Uint8Array) =>
    Buffer.from(b.subarray(elem * size, elem * size + size)).toString('hex');
  expect.fail(
    `${label}: byte lengths ${a.length} vs ${e.length}; first difference at element ${elem}: ` +
      `actual ${hex(a)} expected ${hex(e)} (little-endian bytes)`,
  );
}
