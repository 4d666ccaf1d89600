// SPDX-License-Identifier: Apache-2.0
/**
 * Argument predicates shared by the public API. Each is a plain type guard; callers turn a
 * `false` into `invalidParameter(name, expected, value)` (src/errors.ts) so every message
 * reads "Expected <expected> for <name> but received <value> of type <type>".
 */

import type { TypedArray } from './types.js';

/** True for any TypedArray (not a DataView, not a Node Buffer subclass check). */
export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** True when `v` is a number that is not NaN or +-Infinity. */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** True for an integer-valued number (safe integer range). */
export function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** True for an integer >= 0. */
export function isNonNegativeInteger(v: unknown): v is number {
  return isInteger(v) && v >= 0;
}

/** True for an integer >= 1. */
export function isPositiveInteger(v: unknown): v is number {
  return isInteger(v) && v >= 1;
}

/** True for an integer in [lo, hi]. */
export function isIntegerInRange(v: unknown, lo: number, hi: number): v is number {
  return isInteger(v) && v >= lo && v <= hi;
}

/** True for an unsigned 32-bit integer. */
export function isUint32(v: unknown): v is number {
  return isIntegerInRange(v, 0, 0xffffffff);
}

/** True for a non-null object that is not an array (an options or parameters bag). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** True for an array of non-negative integers (a tensor shape; [] is a scalar). */
export function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => isNonNegativeInteger(d));
}

/** Product of the dims of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True for an array (or TypedArray) of finite numbers. */
export function isFiniteNumberArray(v: unknown): v is ArrayLike<number> {
  if (Array.isArray(v)) return v.every((x) => isFiniteNumber(x));
  if (!isTypedArray(v) || v instanceof BigInt64Array || v instanceof BigUint64Array) return false;
  const a = v as ArrayLike<number>;
  for (let i = 0; i < a.length; ++i) if (!Number.isFinite(a[i])) return false;
  return true;
}

/**
 * True when the view's ArrayBuffer has been detached (transferred). Detached views report
 * length 0, so only views with byteLength 0 need the (throwing) probe.
 */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0 || !(buffer instanceof ArrayBuffer)) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** True when two views share bytes of the same buffer. */
export function viewsOverlap(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
