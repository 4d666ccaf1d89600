// SPDX-License-Identifier: Apache-2.0
// TFLite int8 kernels on x86-64 (SSE4.1, AVX2, AVX-512): per-channel absmax, symmetric and
// asymmetric quantize, dequantize.
//
// Layout [outer, channels, inner]. Two shapes dominate and get their own loops:
//  - inner == 1 (channel axis last, e.g. HWIO): rows of `channels` elements; the vectors run
//    across channels, with per-lane scales loaded from the scale array.
//  - otherwise each (o, c) is a contiguous run of `inner` elements with one scale
//    (outer == 1 is the axis-first case). Runs shorter than a vector use the reference.
//
// Exactness:
//  - absmax: max(|x|, acc) with the element first returns the accumulator for a NaN element
//    (maxps returns its second operand on NaN), as the reference's `a > m` skips it. The max
//    of a set of non-negative non-NaN values does not depend on order.
//  - round half away from zero of |v| <= 512: trunc(v + copysign(0.49999997f, v)). For v with
//    fraction f < 1/2 the sum stays below the next integer after rounding (it is at most
//    floor(v) + 1 - ulp(v) - 2^-25, nearest to floor(v) + 1 - ulp); for f >= 1/2 it rounds to at
//    least floor(v) + 1 (a distance of 2^-25 is at most half an ulp there, and the tie goes
//    to the even 1.0). kernel_tests --exhaustive checks it on every float with |v| <= 130
//    through the kernels (and it was checked once on every float with |v| <= 512).
//  - NaN products/quotients become 0 through an unordered-compare mask (max(NaN, -127)
//    returns -127, which the mask then clears).
//  - Codes are packed with signed saturation, equal to the reference's clamp.
#include <cmath>
#include <cstring>

#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)

namespace tfx {

namespace {

constexpr int kHalfDownBits = 0x3effffff;  // 0.49999997f, the largest float below 0.5
static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "lanes are 32-bit floats and ints");

inline float absmax_scalar(const float* p, size_t n, float m) noexcept {
  for (size_t i = 0; i < n; ++i) {
    const float a = std::fabs(p[i]);
    if (a > m) m = a;
  }
  return m;
}

// Reference kernels restricted to one run (one channel, one scale) or one row.
inline void quant_sym_run_ref(const float* src, size_t n, const float* s, int8_t* dst) noexcept {
  quantize_f32_i8_symmetric_ref(src, 1, 1, n, s, dst);
}
inline void dequant_run_ref(const int8_t* src, size_t n, const float* s, const int32_t* zp,
                            float* dst) noexcept {
  dequantize_i8_f32_ref(src, 1, 1, n, s, zp, dst);
}

// ==== SSE4.1 =============================================================================

TFX_TARGET_SSE41 inline __m128 abs_sse(__m128 v) noexcept {
  return _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
}

// Round half away, clamp to [lo, hi] first, NaN -> 0; returns int32 lanes.
TFX_TARGET_SSE41 inline __m128i round_clamp_sse(__m128 v, __m128 lo, __m128 hi) noexcept {
  const __m128 nan = _mm_cmpunord_ps(v, v);
  const __m128 c = _mm_min_ps(_mm_max_ps(v, lo), hi);
  const __m128 h = _mm_or_ps(_mm_and_ps(c, _mm_castsi128_ps(_mm_set1_epi32(static_cast<int>(0x80000000u)))),
                             _mm_castsi128_ps(_mm_set1_epi32(kHalfDownBits)));
  return _mm_andnot_si128(_mm_castps_si128(nan), _mm_cvttps_epi32(_mm_add_ps(c, h)));
}

TFX_TARGET_SSE41 inline float absmax_run_sse41(const float* p, size_t n) noexcept {
  __m128 m0 = _mm_setzero_ps(), m1 = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    m0 = _mm_max_ps(abs_sse(_mm_loadu_ps(p + i)), m0);
    m1 = _mm_max_ps(abs_sse(_mm_loadu_ps(p + i + 4)), m1);
  }
  __m128 m = _mm_max_ps(m0, m1);
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return absmax_scalar(p + i, n - i, _mm_cvtss_f32(m));
}

}  // namespace

TFX_TARGET_SSE41 void absmax_f32_per_channel_sse41(const float* src, size_t outer, size_t channels,
                                                   size_t inner, float* absmax) noexcept {
  for (size_t c = 0; c < channels; ++c) absmax[c] = 0.0f;
  if (inner == 1) {
    // Row by row, so that the tensor is read as one sequential stream (see
    // absmax_rows_one_block); the accumulators go through `absmax` (in L1) once per row.
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      size_t c = 0;
      for (; c + 16 <= channels; c += 16) {
        _mm_storeu_ps(absmax + c, _mm_max_ps(abs_sse(_mm_loadu_ps(row + c)), _mm_loadu_ps(absmax + c)));
        _mm_storeu_ps(absmax + c + 4, _mm_max_ps(abs_sse(_mm_loadu_ps(row + c + 4)), _mm_loadu_ps(absmax + c + 4)));
        _mm_storeu_ps(absmax + c + 8, _mm_max_ps(abs_sse(_mm_loadu_ps(row + c + 8)), _mm_loadu_ps(absmax + c + 8)));
        _mm_storeu_ps(absmax + c + 12, _mm_max_ps(abs_sse(_mm_loadu_ps(row + c + 12)), _mm_loadu_ps(absmax + c + 12)));
      }
      for (; c + 4 <= channels; c += 4) {
        _mm_storeu_ps(absmax + c, _mm_max_ps(abs_sse(_mm_loadu_ps(row + c)), _mm_loadu_ps(absmax + c)));
      }
      for (; c < channels; ++c) absmax[c] = absmax_scalar(row + c, 1, absmax[c]);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const float m = absmax_run_sse41(src + (o * channels + c) * inner, inner);
      if (m > absmax[c]) absmax[c] = m;
    }
  }
}

namespace {
TFX_TARGET_SSE41 inline void store_i8x4(int8_t* d, __m128i r) noexcept {
  const __m128i b = _mm_packs_epi16(_mm_packs_epi32(r, r), r);
  const int v = _mm_cvtsi128_si32(b);
  std::memcpy(d, &v, 4);
}
TFX_TARGET_SSE41 inline void store_i8x16(int8_t* d, __m128i a, __m128i b, __m128i c, __m128i e) noexcept {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, e)));
}
}  // namespace

TFX_TARGET_SSE41 void quantize_f32_i8_symmetric_sse41(const float* src, size_t outer,
                                                      size_t channels, size_t inner,
                                                      const float* scale_inv, int8_t* dst) noexcept {
  const __m128 lo = _mm_set1_ps(-127.0f), hi = _mm_set1_ps(127.0f);
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      int8_t* out = dst + o * channels;
      size_t c = 0;
      for (; c + 4 <= channels; c += 4) {
        const __m128 prod = _mm_mul_ps(_mm_loadu_ps(row + c), _mm_loadu_ps(scale_inv + c));
        store_i8x4(out + c, round_clamp_sse(prod, lo, hi));
      }
      quantize_f32_i8_symmetric_ref(row + c, 1, channels - c, 1, scale_inv + c, out + c);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const float* p = src + base;
      int8_t* out = dst + base;
      const __m128 s = _mm_set1_ps(scale_inv[c]);
      size_t i = 0;
      for (; i + 16 <= inner; i += 16) {
        store_i8x16(out + i, round_clamp_sse(_mm_mul_ps(_mm_loadu_ps(p + i), s), lo, hi),
                    round_clamp_sse(_mm_mul_ps(_mm_loadu_ps(p + i + 4), s), lo, hi),
                    round_clamp_sse(_mm_mul_ps(_mm_loadu_ps(p + i + 8), s), lo, hi),
                    round_clamp_sse(_mm_mul_ps(_mm_loadu_ps(p + i + 12), s), lo, hi));
      }
      for (; i + 4 <= inner; i += 4) {
        store_i8x4(out + i, round_clamp_sse(_mm_mul_ps(_mm_loadu_ps(p + i), s), lo, hi));
      }
      quant_sym_run_ref(p + i, inner - i, scale_inv + c, out + i);
    }
  }
}

TFX_TARGET_SSE41 void quantize_f32_i8_asymmetric_sse41(const float* src, size_t n, float scale,
                                                       int32_t zero_point, int8_t* dst) noexcept {
  const __m128 lo = _mm_set1_ps(-512.0f), hi = _mm_set1_ps(512.0f), s = _mm_set1_ps(scale);
  const __m128i zp = _mm_set1_epi32(zero_point);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    store_i8x16(dst + i,
                _mm_add_epi32(round_clamp_sse(_mm_div_ps(_mm_loadu_ps(src + i), s), lo, hi), zp),
                _mm_add_epi32(round_clamp_sse(_mm_div_ps(_mm_loadu_ps(src + i + 4), s), lo, hi), zp),
                _mm_add_epi32(round_clamp_sse(_mm_div_ps(_mm_loadu_ps(src + i + 8), s), lo, hi), zp),
                _mm_add_epi32(round_clamp_sse(_mm_div_ps(_mm_loadu_ps(src + i + 12), s), lo, hi), zp));
  }
  quantize_f32_i8_asymmetric_ref(src + i, n - i, scale, zero_point, dst + i);
}

TFX_TARGET_SSE41 void dequantize_i8_f32_sse41(const int8_t* src, size_t outer, size_t channels,
                                              size_t inner, const float* scales,
                                              const int32_t* zero_points, float* dst) noexcept {
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const int8_t* row = src + o * channels;
      float* out = dst + o * channels;
      size_t c = 0;
      for (; c + 4 <= channels; c += 4) {
        int v;
        std::memcpy(&v, row + c, 4);
        __m128i q = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(v));
        if (zero_points) q = _mm_sub_epi32(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(zero_points + c)));
        _mm_storeu_ps(out + c, _mm_mul_ps(_mm_cvtepi32_ps(q), _mm_loadu_ps(scales + c)));
      }
      dequantize_i8_f32_ref(row + c, 1, channels - c, 1, scales + c, zero_points ? zero_points + c : nullptr,
                            out + c);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const __m128 s = _mm_set1_ps(scales[c]);
      const __m128i zp = _mm_set1_epi32(zero_points ? zero_points[c] : 0);
      size_t i = 0;
      for (; i + 16 <= inner; i += 16) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + base + i));
        _mm_storeu_ps(dst + base + i, _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_cvtepi8_epi32(q), zp)), s));
        _mm_storeu_ps(dst + base + i + 4,
                      _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_cvtepi8_epi32(_mm_srli_si128(q, 4)), zp)), s));
        _mm_storeu_ps(dst + base + i + 8,
                      _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_cvtepi8_epi32(_mm_srli_si128(q, 8)), zp)), s));
        _mm_storeu_ps(dst + base + i + 12,
                      _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_cvtepi8_epi32(_mm_srli_si128(q, 12)), zp)), s));
      }
      dequant_run_ref(src + base + i, inner - i, scales + c, zero_points ? zero_points + c : nullptr,
                      dst + base + i);
    }
  }
}

// ==== AVX2 ===============================================================================

namespace {

TFX_TARGET_AVX2 inline __m256 abs_avx2(__m256 v) noexcept {
  return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

TFX_TARGET_AVX2 inline __m256i round_clamp_avx2(__m256 v, __m256 lo, __m256 hi) noexcept {
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  const __m256 c = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  const __m256 h = _mm256_or_ps(_mm256_and_ps(c, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)))),
                                _mm256_castsi256_ps(_mm256_set1_epi32(kHalfDownBits)));
  return _mm256_andnot_si256(_mm256_castps_si256(nan), _mm256_cvttps_epi32(_mm256_add_ps(c, h)));
}

// 4 x 8 int32 -> 32 int8 in order (saturating).
TFX_TARGET_AVX2 inline __m256i pack32_i8_avx2(__m256i a, __m256i b, __m256i c, __m256i d) noexcept {
  const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// 8 int32 -> 8 int8 stored at d.
TFX_TARGET_AVX2 inline void store_i8x8_avx2(int8_t* d, __m256i r) noexcept {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(d), _mm_packs_epi16(w, w));
}

TFX_TARGET_AVX2 inline float hmax_avx2(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

TFX_TARGET_AVX2 inline float absmax_run_avx2(const float* p, size_t n) noexcept {
  __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + i)), m0);
    m1 = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + i + 8)), m1);
    m2 = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + i + 16)), m2);
    m3 = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + i + 24)), m3);
  }
  for (; i + 8 <= n; i += 8) m0 = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + i)), m0);
  const float m = hmax_avx2(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
  return absmax_scalar(p + i, n - i, m);
}

}  // namespace

namespace {

// As absmax_block_avx512: 8 * (NB - 1) < width <= 8 * NB channels, NB accumulators in ymm
// registers (12 of the 16, leaving room for the loads); the last vector is a masked load.
template <int NB>
TFX_TARGET_AVX2 void absmax_block_avx2(const float* src, size_t rows, size_t stride, size_t width,
                                       float* absmax) noexcept {
  const int rem = static_cast<int>(width - 8 * (NB - 1));  // 1..8
  const __m256i kl = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 m[NB];
#pragma GCC unroll 16
  for (int j = 0; j < NB - 1; ++j) m[j] = _mm256_loadu_ps(absmax + 8 * j);
  // vmaskmovps loads 0 in masked-off lanes (and does not touch their memory).
  m[NB - 1] = _mm256_maskload_ps(absmax + 8 * (NB - 1), kl);
  for (size_t o = 0; o < rows; ++o) {
    const float* p = src + o * stride;
#pragma GCC unroll 16
    for (int j = 0; j < NB - 1; ++j) m[j] = _mm256_max_ps(abs_avx2(_mm256_loadu_ps(p + 8 * j)), m[j]);
    m[NB - 1] = _mm256_max_ps(abs_avx2(_mm256_maskload_ps(p + 8 * (NB - 1), kl)), m[NB - 1]);
  }
#pragma GCC unroll 16
  for (int j = 0; j < NB - 1; ++j) _mm256_storeu_ps(absmax + 8 * j, m[j]);
  _mm256_maskstore_ps(absmax + 8 * (NB - 1), kl, m[NB - 1]);
}

using AbsmaxBlockFn = void (*)(const float*, size_t, size_t, size_t, float*) noexcept;
constexpr int kBlockVectors256 = 12;  // 96 channels
constexpr AbsmaxBlockFn kAbsmaxBlocks256[kBlockVectors256] = {
    absmax_block_avx2<1>, absmax_block_avx2<2>, absmax_block_avx2<3>,  absmax_block_avx2<4>,
    absmax_block_avx2<5>, absmax_block_avx2<6>, absmax_block_avx2<7>,  absmax_block_avx2<8>,
    absmax_block_avx2<9>, absmax_block_avx2<10>, absmax_block_avx2<11>, absmax_block_avx2<12>};

// inner == 1 with all the channels in one block: a single sequential stream, accumulators in
// registers throughout. (Wider rows go row by row with the accumulators in `absmax`: any
// blocking across rows measured 1.5-2x slower from DRAM.)
inline void absmax_rows_one_block(const float* src, size_t outer, size_t channels, float* absmax,
                                  size_t lanes, const AbsmaxBlockFn* fns) noexcept {
  fns[(channels + lanes - 1) / lanes - 1](src, outer, channels, channels, absmax);
}

}  // namespace

TFX_TARGET_AVX2 void absmax_f32_per_channel_avx2(const float* src, size_t outer, size_t channels,
                                                 size_t inner, float* absmax) noexcept {
  for (size_t c = 0; c < channels; ++c) absmax[c] = 0.0f;
  if (inner == 1) {
    if (channels == 0) return;
    if (channels <= 8 * kBlockVectors256) {
      absmax_rows_one_block(src, outer, channels, absmax, 8, kAbsmaxBlocks256);
      return;
    }
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      size_t c = 0;
      for (; c + 32 <= channels; c += 32) {
        _mm256_storeu_ps(absmax + c, _mm256_max_ps(abs_avx2(_mm256_loadu_ps(row + c)), _mm256_loadu_ps(absmax + c)));
        _mm256_storeu_ps(absmax + c + 8, _mm256_max_ps(abs_avx2(_mm256_loadu_ps(row + c + 8)), _mm256_loadu_ps(absmax + c + 8)));
        _mm256_storeu_ps(absmax + c + 16, _mm256_max_ps(abs_avx2(_mm256_loadu_ps(row + c + 16)), _mm256_loadu_ps(absmax + c + 16)));
        _mm256_storeu_ps(absmax + c + 24, _mm256_max_ps(abs_avx2(_mm256_loadu_ps(row + c + 24)), _mm256_loadu_ps(absmax + c + 24)));
      }
      for (; c + 8 <= channels; c += 8) {
        _mm256_storeu_ps(absmax + c, _mm256_max_ps(abs_avx2(_mm256_loadu_ps(row + c)), _mm256_loadu_ps(absmax + c)));
      }
      for (; c < channels; ++c) absmax[c] = absmax_scalar(row + c, 1, absmax[c]);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const float m = absmax_run_avx2(src + (o * channels + c) * inner, inner);
      if (m > absmax[c]) absmax[c] = m;
    }
  }
}

TFX_TARGET_AVX2 void quantize_f32_i8_symmetric_avx2(const float* src, size_t outer, size_t channels,
                                                    size_t inner, const float* scale_inv,
                                                    int8_t* dst) noexcept {
  const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      int8_t* out = dst + o * channels;
      size_t c = 0;
      for (; c + 32 <= channels; c += 32) {
        const __m256i q = pack32_i8_avx2(
            round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(scale_inv + c)), lo, hi),
            round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(row + c + 8), _mm256_loadu_ps(scale_inv + c + 8)), lo, hi),
            round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(row + c + 16), _mm256_loadu_ps(scale_inv + c + 16)), lo, hi),
            round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(row + c + 24), _mm256_loadu_ps(scale_inv + c + 24)), lo, hi));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), q);
      }
      for (; c + 8 <= channels; c += 8) {
        store_i8x8_avx2(out + c, round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(scale_inv + c)), lo, hi));
      }
      quantize_f32_i8_symmetric_ref(row + c, 1, channels - c, 1, scale_inv + c, out + c);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const float* p = src + base;
      int8_t* out = dst + base;
      const __m256 s = _mm256_set1_ps(scale_inv[c]);
      size_t i = 0;
      for (; i + 32 <= inner; i += 32) {
        const __m256i q = pack32_i8_avx2(round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(p + i), s), lo, hi),
                                         round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(p + i + 8), s), lo, hi),
                                         round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(p + i + 16), s), lo, hi),
                                         round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(p + i + 24), s), lo, hi));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), q);
      }
      for (; i + 8 <= inner; i += 8) {
        store_i8x8_avx2(out + i, round_clamp_avx2(_mm256_mul_ps(_mm256_loadu_ps(p + i), s), lo, hi));
      }
      quant_sym_run_ref(p + i, inner - i, scale_inv + c, out + i);
    }
  }
}

TFX_TARGET_AVX2 void quantize_f32_i8_asymmetric_avx2(const float* src, size_t n, float scale,
                                                     int32_t zero_point, int8_t* dst) noexcept {
  const __m256 lo = _mm256_set1_ps(-512.0f), hi = _mm256_set1_ps(512.0f), s = _mm256_set1_ps(scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i q = pack32_i8_avx2(
        _mm256_add_epi32(round_clamp_avx2(_mm256_div_ps(_mm256_loadu_ps(src + i), s), lo, hi), zp),
        _mm256_add_epi32(round_clamp_avx2(_mm256_div_ps(_mm256_loadu_ps(src + i + 8), s), lo, hi), zp),
        _mm256_add_epi32(round_clamp_avx2(_mm256_div_ps(_mm256_loadu_ps(src + i + 16), s), lo, hi), zp),
        _mm256_add_epi32(round_clamp_avx2(_mm256_div_ps(_mm256_loadu_ps(src + i + 24), s), lo, hi), zp));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), q);
  }
  quantize_f32_i8_asymmetric_ref(src + i, n - i, scale, zero_point, dst + i);
}

TFX_TARGET_AVX2 void dequantize_i8_f32_avx2(const int8_t* src, size_t outer, size_t channels,
                                            size_t inner, const float* scales,
                                            const int32_t* zero_points, float* dst) noexcept {
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const int8_t* row = src + o * channels;
      float* out = dst + o * channels;
      size_t c = 0;
      for (; c + 8 <= channels; c += 8) {
        __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + c)));
        if (zero_points) q = _mm256_sub_epi32(q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(zero_points + c)));
        _mm256_storeu_ps(out + c, _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_loadu_ps(scales + c)));
      }
      dequantize_i8_f32_ref(row + c, 1, channels - c, 1, scales + c, zero_points ? zero_points + c : nullptr,
                            out + c);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const __m256 s = _mm256_set1_ps(scales[c]);
      const __m256i zp = _mm256_set1_epi32(zero_points ? zero_points[c] : 0);
      size_t i = 0;
      for (; i + 16 <= inner; i += 16) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + base + i));
        _mm256_storeu_ps(dst + base + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(q), zp)), s));
        _mm256_storeu_ps(dst + base + i + 8,
                         _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q, q)), zp)), s));
      }
      dequant_run_ref(src + base + i, inner - i, scales + c, zero_points ? zero_points + c : nullptr,
                      dst + base + i);
    }
  }
}

// ==== AVX-512 ============================================================================

namespace {

TFX_TARGET_AVX512 inline __m512 abs_avx512(__m512 v) noexcept {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff)));
}

TFX_TARGET_AVX512 inline __m512i round_clamp_avx512(__m512 v, __m512 lo, __m512 hi) noexcept {
  const __mmask16 ord = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
  const __m512 c = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  const __m512i h = _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(c), _mm512_set1_epi32(static_cast<int>(0x80000000u))),
                                    _mm512_set1_epi32(kHalfDownBits));
  return _mm512_maskz_cvttps_epi32(ord, _mm512_add_ps(c, _mm512_castsi512_ps(h)));
}

TFX_TARGET_AVX512 inline __mmask16 tail_mask16(size_t m) noexcept {
  return static_cast<__mmask16>((1u << m) - 1u);
}

TFX_TARGET_AVX512 inline float absmax_run_avx512(const float* p, size_t n) noexcept {
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_ps(abs_avx512(_mm512_loadu_ps(p + i)), m0);
    m1 = _mm512_max_ps(abs_avx512(_mm512_loadu_ps(p + i + 16)), m1);
    m2 = _mm512_max_ps(abs_avx512(_mm512_loadu_ps(p + i + 32)), m2);
    m3 = _mm512_max_ps(abs_avx512(_mm512_loadu_ps(p + i + 48)), m3);
  }
  for (; i < n; i += 16) {
    const size_t m = n - i < 16 ? n - i : 16;
    // Masked-off lanes load 0, which cannot raise a non-negative maximum.
    m0 = _mm512_max_ps(abs_avx512(_mm512_maskz_loadu_ps(tail_mask16(m), p + i)), m0);
  }
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

}  // namespace

namespace {

// absmax over `rows` rows (stride `stride` floats) of a block of `width` channels, with
// 16 * (NB - 1) < width <= 16 * NB, keeping the NB accumulators in registers. With all the
// channels in one block (channels <= 256) the tensor is read as one sequential stream.
template <int NB>
TFX_TARGET_AVX512 void absmax_block_avx512(const float* src, size_t rows, size_t stride, size_t width,
                                           float* absmax) noexcept {
  // Masked-off lanes load 0, which cannot raise a non-negative maximum.
  const __mmask16 kl = tail_mask16(width - 16 * (NB - 1));
  __m512 m[NB];
#pragma GCC unroll 16
  for (int j = 0; j < NB - 1; ++j) m[j] = _mm512_loadu_ps(absmax + 16 * j);
  m[NB - 1] = _mm512_maskz_loadu_ps(kl, absmax + 16 * (NB - 1));
  for (size_t o = 0; o < rows; ++o) {
    const float* p = src + o * stride;
#pragma GCC unroll 16
    for (int j = 0; j < NB - 1; ++j) m[j] = _mm512_max_ps(abs_avx512(_mm512_loadu_ps(p + 16 * j)), m[j]);
    m[NB - 1] = _mm512_max_ps(abs_avx512(_mm512_maskz_loadu_ps(kl, p + 16 * (NB - 1))), m[NB - 1]);
  }
#pragma GCC unroll 16
  for (int j = 0; j < NB - 1; ++j) _mm512_storeu_ps(absmax + 16 * j, m[j]);
  _mm512_mask_storeu_ps(absmax + 16 * (NB - 1), kl, m[NB - 1]);
}

constexpr int kBlockVectors512 = 16;  // 256 channels; 16 of the 32 zmm registers
constexpr AbsmaxBlockFn kAbsmaxBlocks512[kBlockVectors512] = {
    absmax_block_avx512<1>,  absmax_block_avx512<2>,  absmax_block_avx512<3>,  absmax_block_avx512<4>,
    absmax_block_avx512<5>,  absmax_block_avx512<6>,  absmax_block_avx512<7>,  absmax_block_avx512<8>,
    absmax_block_avx512<9>,  absmax_block_avx512<10>, absmax_block_avx512<11>, absmax_block_avx512<12>,
    absmax_block_avx512<13>, absmax_block_avx512<14>, absmax_block_avx512<15>, absmax_block_avx512<16>};

}  // namespace

TFX_TARGET_AVX512 void absmax_f32_per_channel_avx512(const float* src, size_t outer,
                                                     size_t channels, size_t inner,
                                                     float* absmax) noexcept {
  for (size_t c = 0; c < channels; ++c) absmax[c] = 0.0f;
  if (inner == 1) {
    if (channels == 0) return;
    if (channels <= 16 * kBlockVectors512) {
      absmax_rows_one_block(src, outer, channels, absmax, 16, kAbsmaxBlocks512);
      return;
    }
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      size_t c = 0;
      for (; c + 64 <= channels; c += 64) {
        _mm512_storeu_ps(absmax + c, _mm512_max_ps(abs_avx512(_mm512_loadu_ps(row + c)), _mm512_loadu_ps(absmax + c)));
        _mm512_storeu_ps(absmax + c + 16, _mm512_max_ps(abs_avx512(_mm512_loadu_ps(row + c + 16)), _mm512_loadu_ps(absmax + c + 16)));
        _mm512_storeu_ps(absmax + c + 32, _mm512_max_ps(abs_avx512(_mm512_loadu_ps(row + c + 32)), _mm512_loadu_ps(absmax + c + 32)));
        _mm512_storeu_ps(absmax + c + 48, _mm512_max_ps(abs_avx512(_mm512_loadu_ps(row + c + 48)), _mm512_loadu_ps(absmax + c + 48)));
      }
      for (; c < channels; c += 16) {
        // Masked-off lanes load 0, which cannot raise a non-negative maximum.
        const __mmask16 k = tail_mask16(channels - c < 16 ? channels - c : 16);
        const __m512 m = _mm512_max_ps(abs_avx512(_mm512_maskz_loadu_ps(k, row + c)), _mm512_maskz_loadu_ps(k, absmax + c));
        _mm512_mask_storeu_ps(absmax + c, k, m);
      }
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const float m = absmax_run_avx512(src + (o * channels + c) * inner, inner);
      if (m > absmax[c]) absmax[c] = m;
    }
  }
}

TFX_TARGET_AVX512 void quantize_f32_i8_symmetric_avx512(const float* src, size_t outer,
                                                        size_t channels, size_t inner,
                                                        const float* scale_inv,
                                                        int8_t* dst) noexcept {
  const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const float* row = src + o * channels;
      int8_t* out = dst + o * channels;
      for (size_t c = 0; c < channels; c += 16) {
        const __mmask16 k = tail_mask16(channels - c < 16 ? channels - c : 16);
        const __m512 prod = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + c), _mm512_maskz_loadu_ps(k, scale_inv + c));
        _mm_mask_storeu_epi8(out + c, k, _mm512_cvtsepi32_epi8(round_clamp_avx512(prod, lo, hi)));
      }
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const float* p = src + base;
      int8_t* out = dst + base;
      const __m512 s = _mm512_set1_ps(scale_inv[c]);
      size_t i = 0;
      for (; i + 64 <= inner; i += 64) {
        const __m128i q0 = _mm512_cvtsepi32_epi8(round_clamp_avx512(_mm512_mul_ps(_mm512_loadu_ps(p + i), s), lo, hi));
        const __m128i q1 = _mm512_cvtsepi32_epi8(round_clamp_avx512(_mm512_mul_ps(_mm512_loadu_ps(p + i + 16), s), lo, hi));
        const __m128i q2 = _mm512_cvtsepi32_epi8(round_clamp_avx512(_mm512_mul_ps(_mm512_loadu_ps(p + i + 32), s), lo, hi));
        const __m128i q3 = _mm512_cvtsepi32_epi8(round_clamp_avx512(_mm512_mul_ps(_mm512_loadu_ps(p + i + 48), s), lo, hi));
        const __m256i a = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
        const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(q2), q3, 1);
        _mm512_storeu_si512(out + i, _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1));
      }
      for (; i < inner; i += 16) {
        const __mmask16 k = tail_mask16(inner - i < 16 ? inner - i : 16);
        const __m512 prod = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), s);
        _mm_mask_storeu_epi8(out + i, k, _mm512_cvtsepi32_epi8(round_clamp_avx512(prod, lo, hi)));
      }
    }
  }
}

TFX_TARGET_AVX512 void quantize_f32_i8_asymmetric_avx512(const float* src, size_t n, float scale,
                                                         int32_t zero_point, int8_t* dst) noexcept {
  const __m512 lo = _mm512_set1_ps(-512.0f), hi = _mm512_set1_ps(512.0f), s = _mm512_set1_ps(scale);
  const __m512i zp = _mm512_set1_epi32(zero_point);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask16(n - i < 16 ? n - i : 16);
    // Masked-off lanes divide 0 by scale: harmless (their results are not stored).
    const __m512 q = _mm512_div_ps(_mm512_maskz_loadu_ps(k, src + i), s);
    const __m512i v = _mm512_add_epi32(round_clamp_avx512(q, lo, hi), zp);
    _mm_mask_storeu_epi8(dst + i, k, _mm512_cvtsepi32_epi8(v));
  }
}

TFX_TARGET_AVX512 void dequantize_i8_f32_avx512(const int8_t* src, size_t outer, size_t channels,
                                                size_t inner, const float* scales,
                                                const int32_t* zero_points, float* dst) noexcept {
  if (inner == 1) {
    for (size_t o = 0; o < outer; ++o) {
      const int8_t* row = src + o * channels;
      float* out = dst + o * channels;
      for (size_t c = 0; c < channels; c += 16) {
        const __mmask16 k = tail_mask16(channels - c < 16 ? channels - c : 16);
        __m512i q = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, row + c));
        if (zero_points) q = _mm512_sub_epi32(q, _mm512_maskz_loadu_epi32(k, zero_points + c));
        _mm512_mask_storeu_ps(out + c, k, _mm512_mul_ps(_mm512_cvtepi32_ps(q), _mm512_maskz_loadu_ps(k, scales + c)));
      }
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const __m512 s = _mm512_set1_ps(scales[c]);
      const __m512i zp = _mm512_set1_epi32(zero_points ? zero_points[c] : 0);
      for (size_t i = 0; i < inner; i += 16) {
        const __mmask16 k = tail_mask16(inner - i < 16 ? inner - i : 16);
        const __m512i q = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, src + base + i)), zp);
        _mm512_mask_storeu_ps(dst + base + i, k, _mm512_mul_ps(_mm512_cvtepi32_ps(q), s));
      }
    }
  }
}

}  // namespace tfx
#endif
