// SPDX-License-Identifier: Apache-2.0
/** float32 edge cases as bit patterns (so NaN payloads survive) and builders around them. */

/** Bit patterns: +-0, +-Inf, quiet and signalling NaNs with payloads, f32 and f16 subnormals,
 * f16 rounding ties, the 65504/65520 overflow boundary, large values. */
export const EDGE_F32_BITS: readonly number[] = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000,
  0x7fc00000, 0xffc00000, 0x7fc00001, 0x7fffffff, 0xffffffff,
  0x7f800001, 0xff800001, 0x7fbfffff, 0x7f802000, 0x7f801fff, 0x7fa00000, 0x7f804000, 0xffbfe000,
  0x00000001, 0x80000001, 0x007fffff, 0x00400000, 0x807fffff,
  0x33000000, 0x33000001, 0x32ffffff, 0xb3000000, 0x33800000, 0x33c00000, 0x34200000, 0x34400000,
  0x387fc000, 0x387fe000, 0x387fdfff, 0x387fe001, 0x38800000, 0xb87fe000,
  0x3f801000, 0x3f803000, 0x3f801001, 0x3f800fff, 0xbf801000, 0x3f800000, 0xbf800000,
  0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0xc77ff000, 0x47800000,
  0x7f7fffff, 0xff7fffff, 0x4b800000, 0x501502f9,
];

/** NaN bit patterns among {@link EDGE_F32_BITS}. */
export const NAN_F32_BITS: readonly number[] = EDGE_F32_BITS.filter(
  (b) => (b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0,
);

/** A Float32Array holding the given bit patterns. */
export function f32FromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Only the finite edge values (for kernels that refuse NaN/Inf). */
export function finiteEdgeValues(): Float32Array {
  return f32FromBits(EDGE_F32_BITS.filter((b) => (b & 0x7f800000) !== 0x7f800000));
}

/** Values that are exact .5 ties after scaling by 1 (round half even vs half away differ). */
export const HALF_TIES: readonly number[] = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5, 126.5, -126.5, 127.5, -127.5, 254.5];
