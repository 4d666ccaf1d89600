// SPDX-License-Identifier: Apache-2.0
/**
 * How public kernel functions call the backend: sync calls map addon errors; async calls
 * capture the caller's stack first and graft it onto any rejection (sharp-style), so an
 * error raised on the worker pool still points at the user's call site.
 */
import { explainIsaError } from './backend.js';

/** A stack captured at a public entry point (frames above `entry` only). */
export interface CallSite {
  stack?: string;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function captureCallSite(entry: Function): CallSite {
  const site: CallSite = {};
  Error.captureStackTrace(site, entry);
  return site;
}

/** Replaces the frames of `err`'s stack with the captured caller frames. */
export function graftStack(err: unknown, site: CallSite): unknown {
  if (!(err instanceof Error) || !site.stack) return err;
  const frames = site.stack.slice(site.stack.indexOf('\n') + 1);
  err.stack = `${err.name}: ${err.message}\n${frames}`;
  return err;
}

/** Runs a synchronous kernel call; addon ISA errors are explained. */
export function callSync<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw explainIsaError(e);
  }
}

/**
 * Runs an asynchronous kernel call. Validation errors and native errors alike arrive as a
 * rejection (never a synchronous throw) whose stack starts at the caller of `entry`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function callAsync<T>(entry: Function, body: () => Promise<T>): Promise<T> {
  const site = captureCallSite(entry);
  let pending: Promise<T>;
  try {
    pending = body();
  } catch (e) {
    return Promise.reject(graftStack(explainIsaError(e), site));
  }
  return pending.then(undefined, (e: unknown) => {
    throw graftStack(explainIsaError(e), site);
  });
}
