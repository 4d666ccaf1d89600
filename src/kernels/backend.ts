// SPDX-License-Identifier: Apache-2.0
/**
 * Picks the kernel backend once: the native addon, or the pure-TS kernels when
 * TFEXPORT_BACKEND=js (silently) or when the addon cannot load (with one warning).
 * TFEXPORT_BACKEND=native makes a load failure an error instead of a fallback.
 */
import { NativeError, TfexportError, invalidParameter } from '../errors.js';
import { loadNative } from '../native.js';
import { jsBackend, NATIVE_ISA_NAMES, type KernelBinding } from './js-backend.js';

/** Which implementation serves kernel calls. */
export type BackendKind = 'native' | 'js';

interface Selected {
  kind: BackendKind;
  binding: KernelBinding;
}

let selected: Selected | undefined;

/** Code of the warning emitted (once) when falling back to the pure-TS kernels. */
export const FALLBACK_WARNING_CODE = 'TFEXPORT_NATIVE_FALLBACK';

function select(): Selected {
  const mode = process.env.TFEXPORT_BACKEND;
  if (mode !== undefined && mode !== '' && mode !== 'js' && mode !== 'native') {
    throw invalidParameter('TFEXPORT_BACKEND', "'js', 'native' or nothing", mode);
  }
  if (mode === 'js') return { kind: 'js', binding: jsBackend };
  const { binding, error } = loadNative();
  if (binding) return { kind: 'native', binding };
  const reason = error ?? new NativeError('ERR_TFEXPORT_NATIVE_LOAD', 'native addon unavailable');
  if (mode === 'native') throw reason;
  process.emitWarning(
    `${reason.message}\nFalling back to the pure-TypeScript kernels (same results, slower). ` +
      'Set TFEXPORT_BACKEND=js to choose them explicitly and silence this warning.',
    { type: 'TfexportWarning', code: FALLBACK_WARNING_CODE },
  );
  return { kind: 'js', binding: jsBackend };
}

/** The backend in use (chosen on first call). */
export function backend(): KernelBinding {
  if (!selected) selected = select();
  return selected.binding;
}

/** 'native' or 'js'. */
export function backendKind(): BackendKind {
  if (!selected) selected = select();
  return selected.kind;
}

/**
 * Rewrites the addon's error for an invalid TFEXPORT_FORCE_ISA (raised by every kernel call
 * until setIsa() picks a valid ISA) into one that names the value and the valid choices.
 * Any other error is returned unchanged.
 */
export function explainIsaError(e: unknown): unknown {
  if (!(e instanceof TfexportError)) return e;
  if (e.code !== 'ERR_TFEXPORT_UNKNOWN_ISA' && e.code !== 'ERR_TFEXPORT_UNAVAILABLE_ISA') return e;
  const forced = process.env.TFEXPORT_FORCE_ISA;
  if (forced === undefined || forced === '') return e;
  let available = '';
  try {
    available = backend().availableIsas().join(', ');
  } catch {
    available = 'unknown';
  }
  const what =
    e.code === 'ERR_TFEXPORT_UNKNOWN_ISA'
      ? `is not an ISA name (valid names: ${NATIVE_ISA_NAMES.join(', ')})`
      : 'names an ISA that this machine or build does not support';
  const err = new NativeError(
    e.code,
    `TFEXPORT_FORCE_ISA=${JSON.stringify(forced)} ${what}; available here: ${available}. ` +
      'Unset TFEXPORT_FORCE_ISA or set it to an available ISA, or call setIsa() with one.',
    { field: 'TFEXPORT_FORCE_ISA' },
  );
  return err;
}
