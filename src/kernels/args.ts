// SPDX-License-Identifier: Apache-2.0
/**
 * Argument checks for the kernel API: each throws the standard
 * "Expected … for … but received …" ValidationError (code ERR_TFEXPORT_BAD_ARGUMENT)
 * before anything reaches native code, and otherwise returns the normalised value.
 */
import { invalidParameter } from '../errors.js';
import { defaultThreads } from '../native.js';
import type { Shape, TypedArray } from '../types.js';
import {
  isDetached,
  isNonNegativeInteger,
  isPlainObject,
  isPositiveInteger,
  isShape,
  isTypedArray,
  shapeSize,
  viewsOverlap,
} from '../validate.js';

/** Names of TypedArray classes as their Symbol.toStringTag reports them. */
export type TypedArrayName =
  | 'Int8Array'
  | 'Uint8Array'
  | 'Uint8ClampedArray'
  | 'Int16Array'
  | 'Uint16Array'
  | 'Int32Array'
  | 'Uint32Array'
  | 'Float32Array'
  | 'Float64Array'
  | 'BigInt64Array'
  | 'BigUint64Array';

const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)!.get as (this: unknown) => string | undefined;

/** The TypedArray class name of `v` (realm-independent), or undefined. */
export function typedArrayName(v: unknown): TypedArrayName | undefined {
  return isTypedArray(v) ? (typedArrayTag.call(v) as TypedArrayName) : undefined;
}

function article(name: string): string {
  return /^[AEIO]/.test(name) ? 'an' : 'a'; // "a Uint8Array", "an Int8Array"
}

function describe(names: readonly string[]): string {
  const parts = names.map((n) => `${article(n)} ${n}`);
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

function checkAttached(name: string, v: ArrayBufferView, expected: string): void {
  if (isDetached(v)) throw invalidParameter(name, `${expected} (its ArrayBuffer is detached)`, v);
}

/** A TypedArray of one of the given classes, whose buffer is not detached. */
export function expectTypedArray<T extends TypedArray>(name: string, v: unknown, names: readonly TypedArrayName[]): T {
  const tag = typedArrayName(v);
  const expected = describe(names);
  if (tag === undefined || !names.includes(tag)) throw invalidParameter(name, expected, v);
  checkAttached(name, v as T, expected);
  return v as T;
}

/** Any TypedArray (element size 1, 2, 4 or 8), not detached. */
export function expectAnyTypedArray(name: string, v: unknown): TypedArray {
  if (!isTypedArray(v)) throw invalidParameter(name, 'a TypedArray', v);
  checkAttached(name, v, 'a TypedArray');
  return v;
}

/** Any ArrayBufferView (TypedArray, DataView, Buffer), not detached, as a Uint8Array over its bytes. */
export function expectBytes(name: string, v: unknown): Uint8Array {
  if (!ArrayBuffer.isView(v)) throw invalidParameter(name, 'a TypedArray, Buffer or DataView', v);
  checkAttached(name, v, 'a TypedArray, Buffer or DataView');
  return typedArrayName(v) === 'Uint8Array' ? (v as Uint8Array) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The options bag: undefined or a plain object. */
export function expectOptions<O extends object>(name: string, v: unknown): Partial<O> {
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw invalidParameter(name, 'an options object or undefined', v);
  return v as Partial<O>;
}

/** `opts.threads`: a positive integer, default all cores. */
export function threadsOf(opts: { threads?: unknown }, name = 'opts.threads'): number {
  const t = opts.threads;
  if (t === undefined) return defaultThreads();
  if (!isPositiveInteger(t)) throw invalidParameter(name, 'a positive integer', t);
  return t;
}

/**
 * The caller's preallocated output (`opts.out`) when given, else a fresh array: it must be
 * of the named class, hold exactly `length` elements, and share no bytes with any input.
 */
export function outputArray<T extends TypedArray>(
  name: string,
  given: unknown,
  className: TypedArrayName,
  length: number,
  inputs: readonly ArrayBufferView[],
  make: (n: number) => T,
): T {
  if (given === undefined) return make(length);
  const expected = `${article(className)} ${className} of length ${length}`;
  if (typedArrayName(given) !== className || (given as T).length !== length) {
    throw invalidParameter(name, expected, given);
  }
  const out = given as T;
  checkAttached(name, out, expected);
  for (const input of inputs) {
    if (viewsOverlap(out, input)) throw invalidParameter(name, `${expected} that does not overlap the input`, given);
  }
  return out;
}

/** A finite number. */
export function expectFinite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParameter(name, 'a finite number', v);
  return v;
}

/** A non-negative integer (a dimension or count). */
export function expectCount(name: string, v: unknown): number {
  if (!isNonNegativeInteger(v)) throw invalidParameter(name, 'a non-negative integer', v);
  return v;
}

/** A shape whose element count equals `length`, with exactly `rank` dims when given. */
export function expectShape(name: string, v: unknown, length: number, rank?: number): Shape {
  const what = rank === undefined ? 'an array of non-negative integers' : `an array of ${rank} non-negative integers`;
  if (!isShape(v) || (rank !== undefined && v.length !== rank)) throw invalidParameter(name, what, v);
  if (shapeSize(v) !== length) throw invalidParameter(name, `${what} whose product is ${length} (the element count)`, v);
  return v;
}

/** An axis of a rank-`rank` shape; negative counts from the end. Returns it in [0, rank). */
export function expectAxis(name: string, v: unknown, rank: number): number {
  if (rank === 0) throw invalidParameter(name, 'no axis (the shape is a scalar: it has no channel axis)', v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -rank || v >= rank) {
    throw invalidParameter(name, `an integer in [${-rank}, ${rank - 1}]`, v);
  }
  return v < 0 ? v + rank : v;
}

/** [outer, channels, inner] of a shape around `axis`. */
export function splitAtAxis(shape: Shape, axis: number): [number, number, number] {
  return [shapeSize(shape.slice(0, axis)), shape[axis]!, shapeSize(shape.slice(axis + 1))];
}
