// SPDX-License-Identifier: Apache-2.0
/**
 * Typed errors with stable codes. Every error thrown by tfexport is a {@link TfexportError}
 * whose `code` starts with `ERR_TFEXPORT_` and whose message reads `CODE: what happened`,
 * naming the file, field, key or op it concerns where there is one.
 */

/** Context that locates an error: the file, the field/key/op, anything else useful. */
export interface ErrorContext {
  file?: string;
  field?: string;
  [key: string]: unknown;
}

/** Base class of every tfexport error. */
export class TfexportError extends Error {
  /** Stable machine-readable code, e.g. `ERR_TFEXPORT_BAD_ARGUMENT`. */
  readonly code: string;
  /** Where the error happened (file, field, key, op…), when known. */
  readonly context: ErrorContext;

  constructor(code: string, message: string, context: ErrorContext = {}) {
    super(message.startsWith(code) ? message : `${code}: ${message}`);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** A function argument or CLI flag is invalid. */
export class ValidationError extends TfexportError {}
/** A native kernel refused its input or the addon failed. */
export class NativeError extends TfexportError {}
/** A file is malformed, truncated or inconsistent. */
export class FormatError extends TfexportError {}
/** A model uses ops the target format cannot express. */
export class UnsupportedOpError extends TfexportError {}
/** Reading or writing a file failed. */
export class IoError extends TfexportError {}

/**
 * Builds the standard "Expected … for … but received …" validation error.
 * @param name the parameter or flag name
 * @param expected what would have been valid
 * @param value what was received
 */
export function invalidParameter(name: string, expected: string, value: unknown): ValidationError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : ArrayBuffer.isView(value)
      ? `${value.constructor.name}(${(value as unknown as { length?: number }).length ?? value.byteLength})`
      : String(value);
  } catch {
    shown = '[unprintable]';
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new ValidationError(
    'ERR_TFEXPORT_BAD_ARGUMENT',
    `Expected ${expected} for ${name} but received ${shown} of type ${type}`,
    { field: name },
  );
}

/** Maps a native status code to our error class (the factory injected into the addon). */
export function nativeErrorFactory(code: string, message: string): Error {
  if (code === 'ERR_TFEXPORT_BAD_ARGUMENT') return new ValidationError(code, message);
  return new NativeError(code, message);
}
