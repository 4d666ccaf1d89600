// SPDX-License-Identifier: Apache-2.0
// x86-64 variants of scale_f32_per_channel: float32 -> float64 (exact), one float64 multiply
// (IEEE, the same as the reference's), float64 -> float32 with the MXCSR default
// round-to-nearest-even (cvtpd2ps, the same as static_cast<float>), then NaN lanes replaced
// by the canonical quiet NaN as the reference does. So every lane equals the reference bit
// for bit.
#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)

namespace tfx {

namespace {

inline float scalar_mul(float x, double s) noexcept {
  const float r = static_cast<float>(static_cast<double>(x) * s);
  return r != r ? canonical_nan_f32() : r;
}

// float32(double(x) * f) for 4 lanes, NaN lanes canonical.
TFX_TARGET_AVX2 inline __m128 mul4_avx2(const float* x, __m256d f) noexcept {
  const __m128 r = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), f));
  return _mm_blendv_ps(r, _mm_castsi128_ps(_mm_set1_epi32(0x7fc00000)), _mm_cmpunord_ps(r, r));
}

// float32(double(x) * f) for the lanes of `m` (others zero), NaN lanes canonical.
TFX_TARGET_AVX512 inline __m256 mul8_avx512(__mmask8 m, const float* x, __m512d f) noexcept {
  const __m256 r = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, x)), f));
  return _mm256_mask_blend_ps(_mm256_cmp_ps_mask(r, r, _CMP_UNORD_Q), r,
                              _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)));
}

// dst[i] = float(double(src[i]) * s[i]) for i in [0, n): per-element factors.
TFX_TARGET_AVX2 void mul_row_avx2(const float* src, const double* s, size_t n,
                                  float* dst) noexcept {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_ps(dst + i, mul4_avx2(src + i, _mm256_loadu_pd(s + i)));
    _mm_storeu_ps(dst + i + 4, mul4_avx2(src + i + 4, _mm256_loadu_pd(s + i + 4)));
  }
  for (; i < n; ++i) dst[i] = scalar_mul(src[i], s[i]);
}

// dst[i] = float(double(src[i]) * s) for i in [0, n): one factor.
TFX_TARGET_AVX2 void mul_const_avx2(const float* src, double s, size_t n, float* dst) noexcept {
  const __m256d f = _mm256_set1_pd(s);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_ps(dst + i, mul4_avx2(src + i, f));
    _mm_storeu_ps(dst + i + 4, mul4_avx2(src + i + 4, f));
  }
  for (; i < n; ++i) dst[i] = scalar_mul(src[i], s);
}

TFX_TARGET_AVX512 void mul_row_avx512(const float* src, const double* s, size_t n,
                                      float* dst) noexcept {
  for (size_t i = 0; i < n; i += 8) {
    const size_t left = n - i < 8 ? n - i : 8;
    const __mmask8 m = static_cast<__mmask8>((1u << left) - 1u);
    _mm256_mask_storeu_ps(dst + i, m, mul8_avx512(m, src + i, _mm512_maskz_loadu_pd(m, s + i)));
  }
}

TFX_TARGET_AVX512 void mul_const_avx512(const float* src, double s, size_t n,
                                        float* dst) noexcept {
  const __m512d f = _mm512_set1_pd(s);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(dst + i, mul8_avx512(0xff, src + i, f));
    _mm256_storeu_ps(dst + i + 8, mul8_avx512(0xff, src + i + 8, f));
  }
  for (; i < n; i += 8) {
    const size_t left = n - i < 8 ? n - i : 8;
    const __mmask8 m = static_cast<__mmask8>((1u << left) - 1u);
    _mm256_mask_storeu_ps(dst + i, m, mul8_avx512(m, src + i, f));
  }
}

}  // namespace

TFX_TARGET_AVX2 void scale_f32_per_channel_avx2(const float* src, size_t outer, size_t channels,
                                                size_t inner, const double* scale,
                                                float* dst) noexcept {
  const size_t row = channels * inner;
  for (size_t o = 0; o < outer; ++o) {
    const float* s = src + o * row;
    float* d = dst + o * row;
    if (inner == 1) {
      mul_row_avx2(s, scale, channels, d);
    } else {
      for (size_t c = 0; c < channels; ++c) mul_const_avx2(s + c * inner, scale[c], inner, d + c * inner);
    }
  }
}

TFX_TARGET_AVX512 void scale_f32_per_channel_avx512(const float* src, size_t outer,
                                                    size_t channels, size_t inner,
                                                    const double* scale, float* dst) noexcept {
  const size_t row = channels * inner;
  for (size_t o = 0; o < outer; ++o) {
    const float* s = src + o * row;
    float* d = dst + o * row;
    if (inner == 1) {
      mul_row_avx512(s, scale, channels, d);
    } else {
      for (size_t c = 0; c < channels; ++c) {
        mul_const_avx512(s + c * inner, scale[c], inner, d + c * inner);
      }
    }
  }
}

}  // namespace tfx

#endif
