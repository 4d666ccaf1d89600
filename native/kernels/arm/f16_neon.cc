// SPDX-License-Identifier: Apache-2.0
// float32 <-> float16 with the AArch64 FCVTN/FCVTL conversions.
// As on x86 (f16_x86.cc), the hardware quiets signalling NaNs while the specification keeps
// the payload bits unchanged, so a block that contains a NaN is redone by the reference. All
// other cases (round to nearest even with the default FPCR, subnormals, overflow to Inf at
// 65520) are what the hardware does.
#include "neon_kernels.h"

#if defined(__aarch64__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <arm_neon.h>

namespace tfx {

void convert_f32_f16_neon(const float* src, size_t n, uint16_t* dst) noexcept {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t a = vld1q_f32(src + i);
    const float32x4_t b = vld1q_f32(src + i + 4);
    const float32x4_t c = vld1q_f32(src + i + 8);
    const float32x4_t d = vld1q_f32(src + i + 12);
    const uint32x4_t ordered = vandq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)),
                                         vandq_u32(vceqq_f32(c, c), vceqq_f32(d, d)));
    if (__builtin_expect(vminvq_u32(ordered) == 0, 0)) {
      convert_f32_f16_ref(src + i, 16, dst + i);
      continue;
    }
    const float16x8_t h0 = vcvt_high_f16_f32(vcvt_f16_f32(a), b);
    const float16x8_t h1 = vcvt_high_f16_f32(vcvt_f16_f32(c), d);
    vst1q_u16(dst + i, vreinterpretq_u16_f16(h0));
    vst1q_u16(dst + i + 8, vreinterpretq_u16_f16(h1));
  }
  convert_f32_f16_ref(src + i, n - i, dst + i);
}

void convert_f16_f32_neon(const uint16_t* src, size_t n, float* dst) noexcept {
  const uint16x8_t abs_mask = vdupq_n_u16(0x7fff), inf = vdupq_n_u16(0x7c00);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint16x8_t h0 = vld1q_u16(src + i);
    const uint16x8_t h1 = vld1q_u16(src + i + 8);
    const uint16x8_t nan = vorrq_u16(vcgtq_u16(vandq_u16(h0, abs_mask), inf),
                                     vcgtq_u16(vandq_u16(h1, abs_mask), inf));
    if (__builtin_expect(vmaxvq_u16(nan) != 0, 0)) {
      convert_f16_f32_ref(src + i, 16, dst + i);
      continue;
    }
    const float16x8_t f0 = vreinterpretq_f16_u16(h0);
    const float16x8_t f1 = vreinterpretq_f16_u16(h1);
    vst1q_f32(dst + i, vcvt_f32_f16(vget_low_f16(f0)));
    vst1q_f32(dst + i + 4, vcvt_high_f32_f16(f0));
    vst1q_f32(dst + i + 8, vcvt_f32_f16(vget_low_f16(f1)));
    vst1q_f32(dst + i + 12, vcvt_high_f32_f16(f1));
  }
  convert_f16_f32_ref(src + i, n - i, dst + i);
}

}  // namespace tfx
#endif
