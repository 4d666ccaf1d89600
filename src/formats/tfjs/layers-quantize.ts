// SPDX-License-Identifier: Apache-2.0
/**
 * Weight quantization choices for tfjs outputs, with tensorflowjs_converter's semantics
 * (formats.md b1.3): per dtype a list of fnmatch patterns or `true` (every weight no other
 * dtype's patterns match); at most one `true`; a weight matched by the patterns of two
 * dtypes is an error; only float32 weights are quantized. Plus the encode/decode helpers.
 */
import { ValidationError } from '../../errors.js';
import { dequantizeAffineSync, f16ToF32Sync, f32ToF16Sync, quantizeAffineSync } from '../../kernels/index.js';
import type { TfjsQuantization, TfjsQuantizationDType, TfjsWeightData } from './shards.js';
import { typedView } from './shards.js';

/** Per quantization dtype: fnmatch patterns, or `true` for every weight not matched elsewhere. */
export type QuantizeSpec = Partial<Record<TfjsQuantizationDType, true | readonly string[]>>;

/**
 * Python's `fnmatch.fnmatchcase` as a RegExp: `*` any run (slashes included), `?` one
 * character, `[seq]` / `[!seq]` character sets; everything else literal.
 */
export function fnmatchToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^');
      re += `[${negate ? '^' : ''}${body}]`;
      i = end;
    } else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * Resolves which dtype (if any) each weight is stored as.
 * @param names the weight names, in manifest order
 * @param dtypes each weight's dtype (only float32 weights are quantized)
 * @returns name → quantization dtype, for the weights to quantize
 * @throws {ValidationError} `ERR_TFEXPORT_BAD_ARGUMENT` for two fallthrough dtypes, an
 *   empty pattern, or a weight matched by the patterns of two dtypes
 */
export function resolveQuantization(spec: QuantizeSpec, names: readonly string[], dtypes: readonly string[]): Map<string, TfjsQuantizationDType> {
  const out = new Map<string, TfjsQuantizationDType>();
  const entries = Object.entries(spec).filter(([, v]) => v !== undefined) as [TfjsQuantizationDType, true | readonly string[]][];
  const fallthrough = entries.filter(([, v]) => v === true).map(([d]) => d);
  if (fallthrough.length > 1) {
    throw new ValidationError(
      'ERR_TFEXPORT_BAD_ARGUMENT',
      `only one quantization dtype may select every remaining weight, but ${fallthrough.join(' and ')} both do (give patterns to all but one)`,
      { field: `quantize.${fallthrough[1]}` },
    );
  }
  const matchers = entries
    .filter(([, v]) => v !== true)
    .map(([d, pats]) => {
      for (const p of pats as readonly string[]) {
        if (typeof p !== 'string' || p === '') throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `quantize.${d} patterns must be non-empty strings`, { field: `quantize.${d}` });
      }
      return { dtype: d, res: (pats as readonly string[]).map(fnmatchToRegExp), pats: pats as readonly string[] };
    });
  names.forEach((name, i) => {
    const hits = matchers.filter((m) => m.res.some((r) => r.test(name)));
    if (hits.length > 1) {
      throw new ValidationError(
        'ERR_TFEXPORT_BAD_ARGUMENT',
        `weight ${JSON.stringify(name)} is matched by the patterns of both ${hits[0].dtype} and ${hits[1].dtype}; a weight can be quantized one way only`,
        { field: `quantize.${hits[1].dtype}` },
      );
    }
    const dtype = hits.length ? hits[0].dtype : fallthrough[0];
    if (dtype && dtypes[i] === 'float32') out.set(name, dtype);
  });
  return out;
}

/** Quantizes float32 values; returns the stored codes and the manifest's quantization entry. */
export function quantizeValues(values: Float32Array, dtype: TfjsQuantizationDType): { data: Uint8Array | Uint16Array; quantization: TfjsQuantization } {
  if (dtype === 'float16') return { data: f32ToF16Sync(values), quantization: { dtype: 'float16' } };
  const q = quantizeAffineSync(values, dtype);
  return { data: q.data, quantization: { dtype, min: q.min, scale: q.scale } };
}

/**
 * Decodes a stored tfjs weight to its values, dequantizing as tfjs-core does on load
 * (affine codes `q * scale + min` in float32, float16 widened, int32 originals rounded).
 */
export function decodeTfjsWeight(w: TfjsWeightData): Float32Array | Int32Array | Uint8Array {
  const q = w.quantization;
  const view = typedView(w);
  if (!q) {
    if (w.dtype === 'float32') return view as Float32Array;
    if (w.dtype === 'int32') return view as Int32Array;
    if (w.dtype === 'bool') return view as Uint8Array;
    throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weights of dtype ${w.dtype} cannot be part of a layers model`, { field: 'dtype' });
  }
  const f = q.dtype === 'float16'
    ? f16ToF32Sync(view as Uint16Array)
    : dequantizeAffineSync(view as Uint8Array | Uint16Array, { min: Number(q.min), scale: Number(q.scale) });
  if (w.dtype === 'int32') return Int32Array.from(f, (x) => Math.round(x));
  return f;
}
