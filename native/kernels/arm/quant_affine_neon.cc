// SPDX-License-Identifier: Apache-2.0
// tfjs affine uint8/uint16 quantize and dequantize on AArch64 NEON (float64x2 arithmetic).
// Same method and proof as quant_affine_x86.cc: t' = d * RN(1/scale) is within 2^-35 of the
// specification's RN(d / scale) for codes below 2^16, so a group is recomputed with the true
// division only when some lane lies within kAffineTieMargin of k + 0.5.
// NaN: FCVTL turns any NaN into a quiet NaN and FMAXNM(qNaN, lo) returns lo, as the
// reference's `!(x >= lo)` does (code 0). Codes are narrowed with truncating moves, exactly
// as the reference's static_cast. Dequantize multiplies and adds separately
// (-ffp-contract=off keeps FMLA out) and narrows with FCVTN (round to nearest even).
#include <cstring>

#include "neon_kernels.h"

#if defined(__aarch64__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <arm_neon.h>

namespace tfx {

namespace {

struct AffineNeon {
  float64x2_t lo, hi, rinv, scale, thr;
};

inline AffineNeon affine_neon(const AffineParams* p) noexcept {
  AffineNeon c;
  c.lo = vdupq_n_f64(p->min);
  c.hi = vdupq_n_f64(p->max);
  c.rinv = vdupq_n_f64(1.0 / p->scale);
  c.scale = vdupq_n_f64(p->scale);
  c.thr = vdupq_n_f64(0.5 - kAffineTieMargin);
  return c;
}

template <bool kExact>
inline uint32x2_t q2(float64x2_t x, const AffineNeon& c, uint64x2_t* flag) noexcept {
  x = vminq_f64(vmaxnmq_f64(x, c.lo), c.hi);
  const float64x2_t d = vsubq_f64(x, c.lo);
  const float64x2_t t = kExact ? vdivq_f64(d, c.scale) : vmulq_f64(d, c.rinv);
  const float64x2_t r = vrndnq_f64(t);  // FRINTN: ties to even, whatever FPCR says
  if (!kExact) *flag = vorrq_u64(*flag, vcgeq_f64(vabdq_f64(t, r), c.thr));
  return vmovn_u64(vcvtq_u64_f64(r));
}

template <bool kExact>
inline uint16x8_t q8(const float* s, const AffineNeon& c, uint64x2_t* flag) noexcept {
  const float32x4_t a = vld1q_f32(s);
  const float32x4_t b = vld1q_f32(s + 4);
  const uint32x4_t qa = vcombine_u32(q2<kExact>(vcvt_f64_f32(vget_low_f32(a)), c, flag),
                                     q2<kExact>(vcvt_high_f64_f32(a), c, flag));
  const uint32x4_t qb = vcombine_u32(q2<kExact>(vcvt_f64_f32(vget_low_f32(b)), c, flag),
                                     q2<kExact>(vcvt_high_f64_f32(b), c, flag));
  return vcombine_u16(vmovn_u32(qa), vmovn_u32(qb));
}

inline bool any(uint64x2_t m) noexcept {
  return vmaxvq_u32(vreinterpretq_u32_u64(m)) != 0;
}

}  // namespace

void quantize_f32_u8_affine_neon(const float* src, size_t n, const AffineParams* p,
                                 uint8_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n);
    return;
  }
  const AffineNeon c = affine_neon(p);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64x2_t flag = vdupq_n_u64(0);
    uint16x8_t w0 = q8<false>(src + i, c, &flag);
    uint16x8_t w1 = q8<false>(src + i + 8, c, &flag);
    if (__builtin_expect(any(flag), 0)) {
      w0 = q8<true>(src + i, c, &flag);
      w1 = q8<true>(src + i + 8, c, &flag);
    }
    vst1q_u8(dst + i, vcombine_u8(vmovn_u16(w0), vmovn_u16(w1)));
  }
  quantize_f32_u8_affine_ref(src + i, n - i, p, dst + i);
}

void quantize_f32_u16_affine_neon(const float* src, size_t n, const AffineParams* p,
                                  uint16_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n * sizeof(uint16_t));
    return;
  }
  const AffineNeon c = affine_neon(p);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64x2_t flag = vdupq_n_u64(0);
    uint16x8_t w0 = q8<false>(src + i, c, &flag);
    uint16x8_t w1 = q8<false>(src + i + 8, c, &flag);
    if (__builtin_expect(any(flag), 0)) {
      w0 = q8<true>(src + i, c, &flag);
      w1 = q8<true>(src + i + 8, c, &flag);
    }
    vst1q_u16(dst + i, w0);
    vst1q_u16(dst + i + 8, w1);
  }
  quantize_f32_u16_affine_ref(src + i, n - i, p, dst + i);
}

namespace {
// Four uint32 codes -> four floats: float(double(q) * scale + min).
inline float32x4_t dq4(uint32x4_t q, float64x2_t scale, float64x2_t min) noexcept {
  const float64x2_t a = vaddq_f64(vmulq_f64(vcvtq_f64_u64(vmovl_u32(vget_low_u32(q))), scale), min);
  const float64x2_t b = vaddq_f64(vmulq_f64(vcvtq_f64_u64(vmovl_high_u32(q)), scale), min);
  return vcvt_high_f32_f64(vcvt_f32_f64(a), b);
}
}  // namespace

void dequantize_u8_f32_affine_neon(const uint8_t* src, size_t n, double scale, double min,
                                   float* dst) noexcept {
  const float64x2_t vs = vdupq_n_f64(scale), vm = vdupq_n_f64(min);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint16x8_t w = vmovl_u8(vld1_u8(src + i));
    vst1q_f32(dst + i, dq4(vmovl_u16(vget_low_u16(w)), vs, vm));
    vst1q_f32(dst + i + 4, dq4(vmovl_high_u16(w), vs, vm));
  }
  dequantize_u8_f32_affine_ref(src + i, n - i, scale, min, dst + i);
}

void dequantize_u16_f32_affine_neon(const uint16_t* src, size_t n, double scale, double min,
                                    float* dst) noexcept {
  const float64x2_t vs = vdupq_n_f64(scale), vm = vdupq_n_f64(min);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint16x8_t w = vld1q_u16(src + i);
    vst1q_f32(dst + i, dq4(vmovl_u16(vget_low_u16(w)), vs, vm));
    vst1q_f32(dst + i + 4, dq4(vmovl_high_u16(w), vs, vm));
  }
  dequantize_u16_f32_affine_ref(src + i, n - i, scale, min, dst + i);
}

}  // namespace tfx
#endif
