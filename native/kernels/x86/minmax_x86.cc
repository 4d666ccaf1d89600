// SPDX-License-Identifier: Apache-2.0
// min/max with NaN count on x86-64 (SSE4.1, AVX2, AVX-512).
//
// Invariants that make the vector result equal the reference:
//  - minps/maxps return their SECOND operand when either is NaN, so min(x, acc) and
//    max(x, acc) (element first, accumulator second) skip NaN elements and the
//    accumulators never hold a NaN.
//  - min and max of a set are order-independent except for the sign of a zero extreme,
//    which both the reference and these variants normalise to +0.0 at the end.
//  - NaN lanes are counted only in blocks that contain one (a single unordered compare of
//    two vectors finds out), so NaN-free data pays one compare per two vectors.
#include <limits>

#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)

namespace tfx {

namespace {
inline MinMax finish(float mn, float mx, uint64_t nans, const float* tail, size_t tail_n) noexcept {
  const MinMax t = minmax_f32_ref(tail, tail_n);
  MinMax r;
  r.min = t.min < mn ? t.min : mn;
  r.max = t.max > mx ? t.max : mx;
  r.nan_count = nans + t.nan_count;
  r.min = r.min + 0.0f;  // signed-zero policy, as minmax_f32_ref
  r.max = r.max + 0.0f;
  return r;
}
}  // namespace

TFX_TARGET_SSE41 MinMax minmax_f32_sse41(const float* src, size_t n) noexcept {
  const __m128 pinf = _mm_set1_ps(std::numeric_limits<float>::infinity());
  __m128 mn0 = pinf, mn1 = pinf, mx0 = _mm_sub_ps(_mm_setzero_ps(), pinf), mx1 = mx0;
  uint64_t nans = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128 a = _mm_loadu_ps(src + i);
    const __m128 b = _mm_loadu_ps(src + i + 4);
    const __m128 c = _mm_loadu_ps(src + i + 8);
    const __m128 d = _mm_loadu_ps(src + i + 12);
    const __m128 u = _mm_or_ps(_mm_cmpunord_ps(a, b), _mm_cmpunord_ps(c, d));
    if (__builtin_expect(_mm_movemask_ps(u) != 0, 0)) {
      nans += static_cast<uint64_t>(__builtin_popcount(_mm_movemask_ps(_mm_cmpunord_ps(a, a))) +
                                    __builtin_popcount(_mm_movemask_ps(_mm_cmpunord_ps(b, b))) +
                                    __builtin_popcount(_mm_movemask_ps(_mm_cmpunord_ps(c, c))) +
                                    __builtin_popcount(_mm_movemask_ps(_mm_cmpunord_ps(d, d))));
    }
    mn0 = _mm_min_ps(a, mn0);
    mx0 = _mm_max_ps(a, mx0);
    mn1 = _mm_min_ps(b, mn1);
    mx1 = _mm_max_ps(b, mx1);
    mn0 = _mm_min_ps(c, mn0);
    mx0 = _mm_max_ps(c, mx0);
    mn1 = _mm_min_ps(d, mn1);
    mx1 = _mm_max_ps(d, mx1);
  }
  __m128 mn = _mm_min_ps(mn0, mn1), mx = _mm_max_ps(mx0, mx1);
  mn = _mm_min_ps(mn, _mm_movehl_ps(mn, mn));
  mx = _mm_max_ps(mx, _mm_movehl_ps(mx, mx));
  mn = _mm_min_ss(mn, _mm_shuffle_ps(mn, mn, 1));
  mx = _mm_max_ss(mx, _mm_shuffle_ps(mx, mx, 1));
  return finish(_mm_cvtss_f32(mn), _mm_cvtss_f32(mx), nans, src + i, n - i);
}

namespace {
TFX_TARGET_AVX2 inline int nan_lanes_avx2(__m256 v) noexcept {
  return __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))));
}
TFX_TARGET_AVX2 inline float hmin_avx2(__m256 v) noexcept {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
TFX_TARGET_AVX2 inline float hmax_avx2(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
}  // namespace

TFX_TARGET_AVX2 MinMax minmax_f32_avx2(const float* src, size_t n) noexcept {
  const __m256 pinf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
  uint64_t nans = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(src + i);
    const __m256 b = _mm256_loadu_ps(src + i + 8);
    const __m256 c = _mm256_loadu_ps(src + i + 16);
    const __m256 d = _mm256_loadu_ps(src + i + 24);
    const __m256 u = _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q));
    if (__builtin_expect(!_mm256_testz_ps(u, u), 0)) {
      nans += static_cast<uint64_t>(nan_lanes_avx2(a) + nan_lanes_avx2(b) + nan_lanes_avx2(c) +
                                    nan_lanes_avx2(d));
    }
    mn0 = _mm256_min_ps(a, mn0);
    mx0 = _mm256_max_ps(a, mx0);
    mn1 = _mm256_min_ps(b, mn1);
    mx1 = _mm256_max_ps(b, mx1);
    mn0 = _mm256_min_ps(c, mn0);
    mx0 = _mm256_max_ps(c, mx0);
    mn1 = _mm256_min_ps(d, mn1);
    mx1 = _mm256_max_ps(d, mx1);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_loadu_ps(src + i);
    nans += static_cast<uint64_t>(nan_lanes_avx2(a));
    mn0 = _mm256_min_ps(a, mn0);
    mx0 = _mm256_max_ps(a, mx0);
  }
  return finish(hmin_avx2(_mm256_min_ps(mn0, mn1)), hmax_avx2(_mm256_max_ps(mx0, mx1)), nans,
                src + i, n - i);
}

TFX_TARGET_AVX512 MinMax minmax_f32_avx512(const float* src, size_t n) noexcept {
  const __m512 pinf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
  uint64_t nans = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a = _mm512_loadu_ps(src + i);
    const __m512 b = _mm512_loadu_ps(src + i + 16);
    const __m512 c = _mm512_loadu_ps(src + i + 32);
    const __m512 d = _mm512_loadu_ps(src + i + 48);
    const __mmask16 u = static_cast<__mmask16>(_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) |
                                               _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q));
    if (__builtin_expect(u != 0, 0)) {
      nans += static_cast<uint64_t>(__builtin_popcount(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q)) +
                                    __builtin_popcount(_mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q)) +
                                    __builtin_popcount(_mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q)) +
                                    __builtin_popcount(_mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q)));
    }
    mn0 = _mm512_min_ps(a, mn0);
    mx0 = _mm512_max_ps(a, mx0);
    mn1 = _mm512_min_ps(b, mn1);
    mx1 = _mm512_max_ps(b, mx1);
    mn0 = _mm512_min_ps(c, mn0);
    mx0 = _mm512_max_ps(c, mx0);
    mn1 = _mm512_min_ps(d, mn1);
    mx1 = _mm512_max_ps(d, mx1);
  }
  // Tail: masked 16-lane steps; lanes outside the mask keep the accumulator.
  while (i < n) {
    const size_t m = n - i < 16 ? n - i : 16;
    const __mmask16 k = static_cast<__mmask16>((1u << m) - 1u);
    const __m512 a = _mm512_maskz_loadu_ps(k, src + i);
    nans += static_cast<uint64_t>(__builtin_popcount(_mm512_mask_cmp_ps_mask(k, a, a, _CMP_UNORD_Q)));
    mn0 = _mm512_mask_min_ps(mn0, k, a, mn0);
    mx0 = _mm512_mask_max_ps(mx0, k, a, mx0);
    i += m;
  }
  return finish(_mm512_reduce_min_ps(_mm512_min_ps(mn0, mn1)),
                _mm512_reduce_max_ps(_mm512_max_ps(mx0, mx1)), nans, src + n, 0);
}

}  // namespace tfx
#endif
