// SPDX-License-Identifier: Apache-2.0
/**
 * The native GraphDef wire-level walker (native/wire/graphdef_wire.h) as src/wire/ sees it:
 * the raw binding narrowed to the scan / split / join calls, sync and async. Not part of the
 * public API (src/index.ts does not re-export it).
 *
 * No wrapper functions: {@link requireWireBinding} is the loader itself and the binding is
 * the addon object, so calls reach native code directly, with the addon's own errors.
 * @internal
 */
import { requireNative, type NativeBinding } from '../native.js';

/** What `scanGraphDef` returns (the addon's scan table; src/wire/ decodes it). */
export type { NativeGraphDefScan } from '../native.js';

/**
 * The GraphDef wire exports of the native binding. Async variants run on the libuv pool.
 * @internal
 */
export type WireBinding = Pick<
  NativeBinding,
  | 'scanGraphDefSync'
  | 'scanGraphDef'
  | 'splitGraphDefPlanSync'
  | 'splitGraphDefPlan'
  | 'splitGraphDefSync'
  | 'splitGraphDef'
  | 'joinGraphDefPlanSync'
  | 'joinGraphDefPlan'
  | 'joinGraphDefSync'
  | 'joinGraphDef'
>;

/**
 * The native GraphDef walker (the addon is loaded once per process). There is no pure-TS
 * fallback for these calls.
 * @returns the binding
 * @throws NativeError `ERR_TFEXPORT_NATIVE_LOAD` (with the platform and the ways to fix it)
 *   when the addon cannot load, or `ERR_TFEXPORT_NATIVE_DISABLED` when TFEXPORT_BACKEND=js
 * @example
 * ```ts
 * const scan = requireWireBinding().scanGraphDefSync(bytes);
 * ```
 * @internal
 */
export const requireWireBinding: () => WireBinding = requireNative;
