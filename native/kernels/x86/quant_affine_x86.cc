// SPDX-License-Identifier: Apache-2.0
// tfjs affine uint8/uint16 quantize and dequantize on x86-64 (SSE4.1, AVX2, AVX-512).
//
// Quantize: the specification is q = round_half_even((clamp(x, lo, hi) - lo) / scale) in
// float64. A float64 division costs ~4-8x a multiplication, so each group of elements is
// first computed as t' = d * rinv with rinv = RN(1/scale). With d/scale <= qmax < 2^16:
//   t' = (d/scale)(1 + e1)(1 + e2) and t = RN(d/scale) = (d/scale)(1 + e3), |ei| <= 2^-53,
//   so |t' - t| < 3 * 2^16 * 2^-53 < 2^-35.
// Rounding to an integer only changes value at k + 0.5, so round(t') == round(t) whenever
// t' is farther than 2^-35 from every k + 0.5. The kernels trust t' only when
// | |t' - round(t')| - 0.5 | > kAffineTieMargin (2^-24, a wide safety factor) for every lane of
// the group, and otherwise recompute the whole group with the true division. Random data
// takes the slow path for about one group in 2^18; data sitting exactly on ties (for
// example requantized codes) takes it every time and is still exact. uint8 on AVX2 and
// AVX-512 first tries a float32 version of the same idea (below).
// Precondition (as produced by affine_params_from_minmax): scale > 0, lo <= hi and
// (hi - lo) / scale <= qmax, so every code fits; the SIMD packs saturate where the
// reference truncates, which cannot differ on codes within [0, qmax].
// NaN: max(x, lo) returns lo (its second operand) for a NaN x, as the reference's
// `!(x >= lo)` does: code 0.
//
// Dequantize: float32(double(q) * scale + min) with a separate multiply and add (no FMA:
// the target strings leave it out and the build passes -ffp-contract=off), then
// cvtpd2ps, which rounds to nearest even like static_cast<float>.
#include <cmath>
#include <cstring>

#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)

namespace tfx {

namespace {

// ---- uint8 float32 fast path (AVX2, AVX-512) -----------------------------------------------
// With at most 256 codes the quotient can usually be settled in float32, at half the cost of
// the float64 path: t_f = RN32(RN32(x_c - RN32(lo)) * RN32(1/scale)), x_c = x clamped to
// [lo_down, hi_up] (the floats just outside [lo, hi]). With A = max(|lo|, |hi|) / scale and
// T = (x_c - lo) / scale exactly, each rounding contributes a relative 2^-24:
//   |t_f - T| <= |lo - RN32(lo)| / scale + 3 * 2^-24 * (|T| + A) + (subnormal terms < 2^-49)
//             <= (10 A + 8) * 2^-24 + 2^-49,
// and the specification's float64 quotient is within 2^-44 of T. The bound used, E, doubles
// that. A lane is accepted when t_f is more than E from every k + 0.5: then T, t_f and the
// specification's quotient round to the same integer. x in (hi, hi_up] or [lo_down, lo),
// where the specification clamps first, is covered by clamping the integer to [0, r_hi]
// with r_hi the specification's code of hi (its quotient is monotonic in x, and a T within
// E of the tie below r_hi is flagged). Groups with a flagged lane take the float64 path.
// The path is used only when E <= 2^-10 (zero-crossing ranges have A <= 255, E ~ 2^-11.7;
// about 4% of 64-element groups fall back) and every quantity is a normal float.
struct AffineF32Params {
  bool ok = false;
  float lo_down = 0, hi_up = 0, base = 0, rinv = 0, thr = 0;
  int32_t r_hi = 0;
};

inline AffineF32Params affine_f32_params(const AffineParams* p) noexcept {
  AffineF32Params f;
  const double s = p->scale, lo = p->min, hi = p->max;
  const double lim = 0x1p100;
  if (!(s >= 1.0 / lim && s <= lim && std::fabs(lo) <= lim && std::fabs(hi) <= lim && lo <= hi)) return f;
  const double a = std::fmax(std::fabs(lo), std::fabs(hi)) / s;
  const double e = 2.0 * ((10.0 * a + 8.0) * 0x1p-24 + 0x1p-44);
  if (!(e <= 0x1p-10)) return f;
  f.lo_down = static_cast<float>(lo);
  if (static_cast<double>(f.lo_down) > lo) f.lo_down = std::nextafter(f.lo_down, -HUGE_VALF);
  f.hi_up = static_cast<float>(hi);
  if (static_cast<double>(f.hi_up) < hi) f.hi_up = std::nextafter(f.hi_up, HUGE_VALF);
  f.base = static_cast<float>(lo);
  f.rinv = static_cast<float>(1.0 / s);
  f.thr = static_cast<float>(0.5 - e);
  if (static_cast<double>(f.thr) > 0.5 - e) f.thr = std::nextafter(f.thr, 0.0f);
  // The specification's code for x = hi (what it clamps larger values to).
  f.r_hi = static_cast<int32_t>(std::nearbyint((hi - lo) / s));
  f.ok = true;
  return f;
}

// ---- SSE4.1 --------------------------------------------------------------------------------

struct AffineSse {
  __m128d lo, hi, rinv, scale, thr, abs_mask;
};

TFX_TARGET_SSE41 inline AffineSse affine_sse(const AffineParams* p) noexcept {
  AffineSse c;
  c.lo = _mm_set1_pd(p->min);
  c.hi = _mm_set1_pd(p->max);
  c.rinv = _mm_set1_pd(1.0 / p->scale);
  c.scale = _mm_set1_pd(p->scale);
  c.thr = _mm_set1_pd(0.5 - kAffineTieMargin);
  c.abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
  return c;
}

// Four floats -> four int32 codes. kExact: true division (the specification); otherwise
// the reciprocal, with lanes near a tie flagged in *flag.
template <bool kExact>
TFX_TARGET_SSE41 inline __m128i q4_sse41(__m128 xf, const AffineSse& c, __m128d* flag) noexcept {
  __m128d x0 = _mm_cvtps_pd(xf);
  __m128d x1 = _mm_cvtps_pd(_mm_movehl_ps(xf, xf));
  x0 = _mm_min_pd(_mm_max_pd(x0, c.lo), c.hi);
  x1 = _mm_min_pd(_mm_max_pd(x1, c.lo), c.hi);
  const __m128d d0 = _mm_sub_pd(x0, c.lo), d1 = _mm_sub_pd(x1, c.lo);
  __m128d t0, t1;
  if (kExact) {
    t0 = _mm_div_pd(d0, c.scale);
    t1 = _mm_div_pd(d1, c.scale);
  } else {
    t0 = _mm_mul_pd(d0, c.rinv);
    t1 = _mm_mul_pd(d1, c.rinv);
  }
  const __m128d r0 = _mm_round_pd(t0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m128d r1 = _mm_round_pd(t1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  if (!kExact) {
    const __m128d f0 = _mm_and_pd(_mm_sub_pd(t0, r0), c.abs_mask);
    const __m128d f1 = _mm_and_pd(_mm_sub_pd(t1, r1), c.abs_mask);
    *flag = _mm_or_pd(*flag, _mm_or_pd(_mm_cmpge_pd(f0, c.thr), _mm_cmpge_pd(f1, c.thr)));
  }
  return _mm_unpacklo_epi64(_mm_cvtpd_epi32(r0), _mm_cvtpd_epi32(r1));
}

// 16 floats -> 16 codes as u16 (two vectors).
template <bool kExact>
TFX_TARGET_SSE41 inline void q16_sse41(const float* s, const AffineSse& c, __m128d* flag,
                                       __m128i* lo8, __m128i* hi8) noexcept {
  const __m128i a = q4_sse41<kExact>(_mm_loadu_ps(s), c, flag);
  const __m128i b = q4_sse41<kExact>(_mm_loadu_ps(s + 4), c, flag);
  const __m128i e = q4_sse41<kExact>(_mm_loadu_ps(s + 8), c, flag);
  const __m128i f = q4_sse41<kExact>(_mm_loadu_ps(s + 12), c, flag);
  *lo8 = _mm_packus_epi32(a, b);
  *hi8 = _mm_packus_epi32(e, f);
}

}  // namespace

TFX_TARGET_SSE41 void quantize_f32_u8_affine_sse41(const float* src, size_t n,
                                                   const AffineParams* p, uint8_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n);
    return;
  }
  const AffineSse c = affine_sse(p);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128d flag = _mm_setzero_pd();
    __m128i lo, hi;
    q16_sse41<false>(src + i, c, &flag, &lo, &hi);
    if (__builtin_expect(_mm_movemask_pd(flag) != 0, 0)) q16_sse41<true>(src + i, c, &flag, &lo, &hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_packus_epi16(lo, hi));
  }
  quantize_f32_u8_affine_ref(src + i, n - i, p, dst + i);
}

TFX_TARGET_SSE41 void quantize_f32_u16_affine_sse41(const float* src, size_t n,
                                                    const AffineParams* p, uint16_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n * sizeof(uint16_t));
    return;
  }
  const AffineSse c = affine_sse(p);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128d flag = _mm_setzero_pd();
    __m128i lo, hi;
    q16_sse41<false>(src + i, c, &flag, &lo, &hi);
    if (__builtin_expect(_mm_movemask_pd(flag) != 0, 0)) q16_sse41<true>(src + i, c, &flag, &lo, &hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 8), hi);
  }
  quantize_f32_u16_affine_ref(src + i, n - i, p, dst + i);
}

namespace {
// Four int32 codes -> four floats: float(double(q) * scale + min).
TFX_TARGET_SSE41 inline __m128 dq4_sse41(__m128i q, __m128d scale, __m128d min) noexcept {
  const __m128d a = _mm_add_pd(_mm_mul_pd(_mm_cvtepi32_pd(q), scale), min);
  const __m128d b = _mm_add_pd(_mm_mul_pd(_mm_cvtepi32_pd(_mm_unpackhi_epi64(q, q)), scale), min);
  return _mm_movelh_ps(_mm_cvtpd_ps(a), _mm_cvtpd_ps(b));
}
}  // namespace

TFX_TARGET_SSE41 void dequantize_u8_f32_affine_sse41(const uint8_t* src, size_t n, double scale,
                                                     double min, float* dst) noexcept {
  const __m128d vs = _mm_set1_pd(scale), vm = _mm_set1_pd(min);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_ps(dst + i, dq4_sse41(_mm_cvtepu8_epi32(q), vs, vm));
    _mm_storeu_ps(dst + i + 4, dq4_sse41(_mm_cvtepu8_epi32(_mm_srli_epi64(q, 32)), vs, vm));
  }
  dequantize_u8_f32_affine_ref(src + i, n - i, scale, min, dst + i);
}

TFX_TARGET_SSE41 void dequantize_u16_f32_affine_sse41(const uint16_t* src, size_t n, double scale,
                                                      double min, float* dst) noexcept {
  const __m128d vs = _mm_set1_pd(scale), vm = _mm_set1_pd(min);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_ps(dst + i, dq4_sse41(_mm_cvtepu16_epi32(q), vs, vm));
    _mm_storeu_ps(dst + i + 4, dq4_sse41(_mm_unpackhi_epi16(q, _mm_setzero_si128()), vs, vm));
  }
  dequantize_u16_f32_affine_ref(src + i, n - i, scale, min, dst + i);
}

// ---- AVX2 ----------------------------------------------------------------------------------

namespace {

struct AffineAvx2 {
  __m256d lo, hi, rinv, scale, thr, abs_mask;
};

TFX_TARGET_AVX2 inline AffineAvx2 affine_avx2(const AffineParams* p) noexcept {
  AffineAvx2 c;
  c.lo = _mm256_set1_pd(p->min);
  c.hi = _mm256_set1_pd(p->max);
  c.rinv = _mm256_set1_pd(1.0 / p->scale);
  c.scale = _mm256_set1_pd(p->scale);
  c.thr = _mm256_set1_pd(0.5 - kAffineTieMargin);
  c.abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  return c;
}

template <bool kExact>
TFX_TARGET_AVX2 inline __m128i q4_avx2(__m128 xf, const AffineAvx2& c, __m256d* flag) noexcept {
  __m256d x = _mm256_cvtps_pd(xf);
  x = _mm256_min_pd(_mm256_max_pd(x, c.lo), c.hi);
  const __m256d d = _mm256_sub_pd(x, c.lo);
  const __m256d t = kExact ? _mm256_div_pd(d, c.scale) : _mm256_mul_pd(d, c.rinv);
  const __m256d r = _mm256_round_pd(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  if (!kExact) {
    const __m256d f = _mm256_and_pd(_mm256_sub_pd(t, r), c.abs_mask);
    *flag = _mm256_or_pd(*flag, _mm256_cmp_pd(f, c.thr, _CMP_GE_OQ));
  }
  return _mm256_cvtpd_epi32(r);
}

// 16 floats -> 16 codes as u16.
template <bool kExact>
TFX_TARGET_AVX2 inline __m256i q16_avx2(const float* s, const AffineAvx2& c, __m256d* flag) noexcept {
  const __m256 v0 = _mm256_loadu_ps(s);
  const __m256 v1 = _mm256_loadu_ps(s + 8);
  const __m128i a = q4_avx2<kExact>(_mm256_castps256_ps128(v0), c, flag);
  const __m128i b = q4_avx2<kExact>(_mm256_extractf128_ps(v0, 1), c, flag);
  const __m128i e = q4_avx2<kExact>(_mm256_castps256_ps128(v1), c, flag);
  const __m128i f = q4_avx2<kExact>(_mm256_extractf128_ps(v1, 1), c, flag);
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_packus_epi32(a, b)),
                                 _mm_packus_epi32(e, f), 1);
}

// 32 floats -> 32 u8 codes.
TFX_TARGET_AVX2 inline __m256i q32_u8_avx2(const float* s, const AffineAvx2& c) noexcept {
  __m256d flag = _mm256_setzero_pd();
  __m256i w0 = q16_avx2<false>(s, c, &flag);
  __m256i w1 = q16_avx2<false>(s + 16, c, &flag);
  if (__builtin_expect(!_mm256_testz_pd(flag, flag), 0)) {
    w0 = q16_avx2<true>(s, c, &flag);
    w1 = q16_avx2<true>(s + 16, c, &flag);
  }
  // packus works within 128-bit lanes: [w0.lo w1.lo | w0.hi w1.hi] -> fix the qword order.
  return _mm256_permute4x64_epi64(_mm256_packus_epi16(w0, w1), 0xd8);
}

struct AffineF32Avx2 {
  __m256 lo_down, hi_up, base, rinv, thr, abs_mask;
  __m256i r_hi;
};

TFX_TARGET_AVX2 inline AffineF32Avx2 affine_f32_avx2(const AffineF32Params& f) noexcept {
  AffineF32Avx2 c;
  c.lo_down = _mm256_set1_ps(f.lo_down);
  c.hi_up = _mm256_set1_ps(f.hi_up);
  c.base = _mm256_set1_ps(f.base);
  c.rinv = _mm256_set1_ps(f.rinv);
  c.thr = _mm256_set1_ps(f.thr);
  c.abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  c.r_hi = _mm256_set1_epi32(f.r_hi);
  return c;
}

// Eight floats -> eight int32 codes by the float32 path; near-tie lanes flagged.
TFX_TARGET_AVX2 inline __m256i q8_f32_avx2(__m256 x, const AffineF32Avx2& c, __m256* flag) noexcept {
  x = _mm256_min_ps(_mm256_max_ps(x, c.lo_down), c.hi_up);  // NaN -> lo_down: code 0
  const __m256 t = _mm256_mul_ps(_mm256_sub_ps(x, c.base), c.rinv);
  const __m256 r = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  *flag = _mm256_or_ps(*flag, _mm256_cmp_ps(_mm256_and_ps(_mm256_sub_ps(t, r), c.abs_mask), c.thr, _CMP_GE_OQ));
  const __m256i q = _mm256_cvtps_epi32(r);
  return _mm256_min_epi32(_mm256_max_epi32(q, _mm256_setzero_si256()), c.r_hi);
}

// 32 floats -> 32 u8 codes: float32 path, float64 path for a group with a flagged lane.
TFX_TARGET_AVX2 inline __m256i q32_u8_f32_avx2(const float* s, const AffineF32Avx2& cf,
                                               const AffineAvx2& c) noexcept {
  __m256 flag = _mm256_setzero_ps();
  const __m256i a = q8_f32_avx2(_mm256_loadu_ps(s), cf, &flag);
  const __m256i b = q8_f32_avx2(_mm256_loadu_ps(s + 8), cf, &flag);
  const __m256i e = q8_f32_avx2(_mm256_loadu_ps(s + 16), cf, &flag);
  const __m256i g = q8_f32_avx2(_mm256_loadu_ps(s + 24), cf, &flag);
  if (__builtin_expect(!_mm256_testz_ps(flag, flag), 0)) return q32_u8_avx2(s, c);
  // Codes are in [0, 255]: packs cannot saturate. Restore the order the lane-wise packs mix.
  const __m256i w = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(e, g));
  return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

TFX_TARGET_AVX2 inline __m256i q16_u16_avx2(const float* s, const AffineAvx2& c) noexcept {
  __m256d flag = _mm256_setzero_pd();
  __m256i w = q16_avx2<false>(s, c, &flag);
  if (__builtin_expect(!_mm256_testz_pd(flag, flag), 0)) w = q16_avx2<true>(s, c, &flag);
  return w;
}

}  // namespace

TFX_TARGET_AVX2 void quantize_f32_u8_affine_avx2(const float* src, size_t n, const AffineParams* p,
                                                 uint8_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n);
    return;
  }
  const AffineAvx2 c = affine_avx2(p);
  const AffineF32Params fp = affine_f32_params(p);
  const AffineF32Avx2 cf = affine_f32_avx2(fp);
  size_t i = 0;
  if (stream_output(dst, n * (4 + 1), 1)) {
    i = head_to_align(dst, 1, 32, n);
    quantize_f32_u8_affine_ref(src, i, p, dst);
    if (fp.ok) {
      for (; i + 32 <= n; i += 32) {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i), q32_u8_f32_avx2(src + i, cf, c));
      }
    } else {
      for (; i + 32 <= n; i += 32) {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i), q32_u8_avx2(src + i, c));
      }
    }
    _mm_sfence();
  }
  if (fp.ok) {
    for (; i + 32 <= n; i += 32) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), q32_u8_f32_avx2(src + i, cf, c));
    }
  }
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), q32_u8_avx2(src + i, c));
  }
  quantize_f32_u8_affine_ref(src + i, n - i, p, dst + i);
}

TFX_TARGET_AVX2 void quantize_f32_u16_affine_avx2(const float* src, size_t n,
                                                  const AffineParams* p, uint16_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n * sizeof(uint16_t));
    return;
  }
  const AffineAvx2 c = affine_avx2(p);
  size_t i = 0;
  if (stream_output(dst, n * (4 + 2), 2)) {
    i = head_to_align(dst, 2, 32, n);
    quantize_f32_u16_affine_ref(src, i, p, dst);
    for (; i + 16 <= n; i += 16) {
      _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i), q16_u16_avx2(src + i, c));
    }
    _mm_sfence();
  }
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), q16_u16_avx2(src + i, c));
  }
  quantize_f32_u16_affine_ref(src + i, n - i, p, dst + i);
}

namespace {
// Eight int32 codes -> eight floats.
TFX_TARGET_AVX2 inline __m256 dq8_avx2(__m256i q, __m256d scale, __m256d min) noexcept {
  const __m256d a = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(q)), scale), min);
  const __m256d b = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(q, 1)), scale), min);
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(a)), _mm256_cvtpd_ps(b), 1);
}

template <typename Q, typename LoadFn>
TFX_TARGET_AVX2 inline void dequantize_avx2(const Q* src, size_t n, double scale, double min,
                                            float* dst, LoadFn load8,
                                            void (*ref)(const Q*, size_t, double, double, float*) noexcept) noexcept {
  const __m256d vs = _mm256_set1_pd(scale), vm = _mm256_set1_pd(min);
  size_t i = 0;
  if (stream_output(dst, n * (sizeof(Q) + 4), 4)) {
    i = head_to_align(dst, 4, 32, n);
    ref(src, i, scale, min, dst);
    for (; i + 16 <= n; i += 16) {
      _mm256_stream_ps(dst + i, dq8_avx2(load8(src + i), vs, vm));
      _mm256_stream_ps(dst + i + 8, dq8_avx2(load8(src + i + 8), vs, vm));
    }
    _mm_sfence();
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, dq8_avx2(load8(src + i), vs, vm));
  ref(src + i, n - i, scale, min, dst + i);
}

struct LoadU8x8Avx2 {
  TFX_TARGET_AVX2 __m256i operator()(const uint8_t* p) const noexcept {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
};
struct LoadU16x8Avx2 {
  TFX_TARGET_AVX2 __m256i operator()(const uint16_t* p) const noexcept {
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};
}  // namespace

TFX_TARGET_AVX2 void dequantize_u8_f32_affine_avx2(const uint8_t* src, size_t n, double scale,
                                                   double min, float* dst) noexcept {
  dequantize_avx2(src, n, scale, min, dst, LoadU8x8Avx2{}, dequantize_u8_f32_affine_ref);
}

TFX_TARGET_AVX2 void dequantize_u16_f32_affine_avx2(const uint16_t* src, size_t n, double scale,
                                                    double min, float* dst) noexcept {
  dequantize_avx2(src, n, scale, min, dst, LoadU16x8Avx2{}, dequantize_u16_f32_affine_ref);
}

// ---- AVX-512 -------------------------------------------------------------------------------

namespace {

struct AffineAvx512 {
  __m512d lo, hi, rinv, scale, thr;
};

TFX_TARGET_AVX512 inline AffineAvx512 affine_avx512(const AffineParams* p) noexcept {
  AffineAvx512 c;
  c.lo = _mm512_set1_pd(p->min);
  c.hi = _mm512_set1_pd(p->max);
  c.rinv = _mm512_set1_pd(1.0 / p->scale);
  c.scale = _mm512_set1_pd(p->scale);
  c.thr = _mm512_set1_pd(0.5 - kAffineTieMargin);
  return c;
}

template <bool kExact>
TFX_TARGET_AVX512 inline __m256i q8_avx512(__m256 xf, const AffineAvx512& c, __mmask8* flag) noexcept {
  __m512d x = _mm512_cvtps_pd(xf);
  x = _mm512_min_pd(_mm512_max_pd(x, c.lo), c.hi);
  const __m512d d = _mm512_sub_pd(x, c.lo);
  const __m512d t = kExact ? _mm512_div_pd(d, c.scale) : _mm512_mul_pd(d, c.rinv);
  if (!kExact) {
    // vreducepd: t - round_to_even(t), exact, in one instruction.
    const __m512d f = _mm512_reduce_pd(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    *flag = static_cast<__mmask8>(*flag | _mm512_cmp_pd_mask(_mm512_abs_pd(f), c.thr, _CMP_GE_OQ));
  }
  // Embedded rounding: round to nearest even whatever MXCSR says.
  return _mm512_cvt_roundpd_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

// 16 floats -> 16 int32 codes.
template <bool kExact>
TFX_TARGET_AVX512 inline __m512i q16_avx512(const float* s, const AffineAvx512& c, __mmask8* flag) noexcept {
  const __m512 v = _mm512_loadu_ps(s);
  const __m256i a = q8_avx512<kExact>(_mm512_castps512_ps256(v), c, flag);
  const __m256i b = q8_avx512<kExact>(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), c, flag);
  return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

// 64 floats -> 64 u8 codes (one cache line of output).
TFX_TARGET_AVX512 inline __m512i q64_u8_avx512(const float* s, const AffineAvx512& c) noexcept {
  __mmask8 flag = 0;
  __m512i w0 = q16_avx512<false>(s, c, &flag);
  __m512i w1 = q16_avx512<false>(s + 16, c, &flag);
  __m512i w2 = q16_avx512<false>(s + 32, c, &flag);
  __m512i w3 = q16_avx512<false>(s + 48, c, &flag);
  if (__builtin_expect(flag != 0, 0)) {
    w0 = q16_avx512<true>(s, c, &flag);
    w1 = q16_avx512<true>(s + 16, c, &flag);
    w2 = q16_avx512<true>(s + 32, c, &flag);
    w3 = q16_avx512<true>(s + 48, c, &flag);
  }
  // vpmovdb truncates, exactly as the reference's static_cast<uint8_t>.
  const __m256i b01 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(w0)),
                                              _mm512_cvtepi32_epi8(w1), 1);
  const __m256i b23 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(w2)),
                                              _mm512_cvtepi32_epi8(w3), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(b01), b23, 1);
}

struct AffineF32Avx512 {
  __m512 lo_down, hi_up, base, rinv, thr;
  __m512i r_hi;
};

TFX_TARGET_AVX512 inline AffineF32Avx512 affine_f32_avx512(const AffineF32Params& f) noexcept {
  AffineF32Avx512 c;
  c.lo_down = _mm512_set1_ps(f.lo_down);
  c.hi_up = _mm512_set1_ps(f.hi_up);
  c.base = _mm512_set1_ps(f.base);
  c.rinv = _mm512_set1_ps(f.rinv);
  c.thr = _mm512_set1_ps(f.thr);
  c.r_hi = _mm512_set1_epi32(f.r_hi);
  return c;
}

TFX_TARGET_AVX512 inline __m128i q16_f32_avx512(const float* s, const AffineF32Avx512& c,
                                                __mmask16* flag) noexcept {
  const __m512 x = _mm512_min_ps(_mm512_max_ps(_mm512_loadu_ps(s), c.lo_down), c.hi_up);  // NaN -> code 0
  const __m512 t = _mm512_mul_ps(_mm512_sub_ps(x, c.base), c.rinv);
  const __m512 r = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  *flag = static_cast<__mmask16>(*flag | _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(t, r)), c.thr, _CMP_GE_OQ));
  const __m512i q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(r), _mm512_setzero_si512()), c.r_hi);
  return _mm512_cvtepi32_epi8(q);
}

// 64 floats -> 64 u8 codes: float32 path, float64 path for a group with a flagged lane.
TFX_TARGET_AVX512 inline __m512i q64_u8_f32_avx512(const float* s, const AffineF32Avx512& cf,
                                                   const AffineAvx512& c) noexcept {
  __mmask16 flag = 0;
  const __m128i a = q16_f32_avx512(s, cf, &flag);
  const __m128i b = q16_f32_avx512(s + 16, cf, &flag);
  const __m128i e = q16_f32_avx512(s + 32, cf, &flag);
  const __m128i g = q16_f32_avx512(s + 48, cf, &flag);
  if (__builtin_expect(flag != 0, 0)) return q64_u8_avx512(s, c);
  const __m256i ab = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
  const __m256i eg = _mm256_inserti128_si256(_mm256_castsi128_si256(e), g, 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(ab), eg, 1);
}

// 32 floats -> 32 u16 codes.
TFX_TARGET_AVX512 inline __m512i q32_u16_avx512(const float* s, const AffineAvx512& c) noexcept {
  __mmask8 flag = 0;
  __m512i w0 = q16_avx512<false>(s, c, &flag);
  __m512i w1 = q16_avx512<false>(s + 16, c, &flag);
  if (__builtin_expect(flag != 0, 0)) {
    w0 = q16_avx512<true>(s, c, &flag);
    w1 = q16_avx512<true>(s + 16, c, &flag);
  }
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(w0)),
                            _mm512_cvtepi32_epi16(w1), 1);
}

}  // namespace

TFX_TARGET_AVX512 void quantize_f32_u8_affine_avx512(const float* src, size_t n,
                                                     const AffineParams* p, uint8_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n);
    return;
  }
  const AffineAvx512 c = affine_avx512(p);
  const AffineF32Params fp = affine_f32_params(p);
  const AffineF32Avx512 cf = affine_f32_avx512(fp);
  size_t i = 0;
  if (stream_output(dst, n * (4 + 1), 1)) {
    i = head_to_align(dst, 1, 64, n);
    quantize_f32_u8_affine_ref(src, i, p, dst);
    if (fp.ok) {
      for (; i + 64 <= n; i += 64) {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + i), q64_u8_f32_avx512(src + i, cf, c));
      }
    } else {
      for (; i + 64 <= n; i += 64) {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + i), q64_u8_avx512(src + i, c));
      }
    }
    _mm_sfence();
  }
  if (fp.ok) {
    for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, q64_u8_f32_avx512(src + i, cf, c));
  }
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, q64_u8_avx512(src + i, c));
  quantize_f32_u8_affine_ref(src + i, n - i, p, dst + i);
}

TFX_TARGET_AVX512 void quantize_f32_u16_affine_avx512(const float* src, size_t n,
                                                      const AffineParams* p, uint16_t* dst) noexcept {
  if (p->constant) {
    std::memset(dst, 0, n * sizeof(uint16_t));
    return;
  }
  const AffineAvx512 c = affine_avx512(p);
  size_t i = 0;
  if (stream_output(dst, n * (4 + 2), 2)) {
    i = head_to_align(dst, 2, 64, n);
    quantize_f32_u16_affine_ref(src, i, p, dst);
    for (; i + 32 <= n; i += 32) _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + i), q32_u16_avx512(src + i, c));
    _mm_sfence();
  }
  for (; i + 32 <= n; i += 32) _mm512_storeu_si512(dst + i, q32_u16_avx512(src + i, c));
  quantize_f32_u16_affine_ref(src + i, n - i, p, dst + i);
}

namespace {
// Sixteen int32 codes -> sixteen floats.
TFX_TARGET_AVX512 inline __m512 dq16_avx512(__m512i q, __m512d scale, __m512d min) noexcept {
  const __m512d a = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(q)), scale), min);
  const __m512d b = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(q, 1)), scale), min);
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(a))),
                                             _mm256_castps_pd(_mm512_cvtpd_ps(b)), 1));
}

template <typename Q, typename LoadFn>
TFX_TARGET_AVX512 inline void dequantize_avx512(const Q* src, size_t n, double scale, double min,
                                                float* dst, LoadFn load16,
                                                void (*ref)(const Q*, size_t, double, double, float*) noexcept) noexcept {
  const __m512d vs = _mm512_set1_pd(scale), vm = _mm512_set1_pd(min);
  size_t i = 0;
  if (stream_output(dst, n * (sizeof(Q) + 4), 4)) {
    i = head_to_align(dst, 4, 64, n);
    ref(src, i, scale, min, dst);
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(dst + i, dq16_avx512(load16(src + i), vs, vm));
    _mm_sfence();
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, dq16_avx512(load16(src + i), vs, vm));
  ref(src + i, n - i, scale, min, dst + i);
}

struct LoadU8x16Avx512 {
  TFX_TARGET_AVX512 __m512i operator()(const uint8_t* p) const noexcept {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};
struct LoadU16x16Avx512 {
  TFX_TARGET_AVX512 __m512i operator()(const uint16_t* p) const noexcept {
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
};
}  // namespace

TFX_TARGET_AVX512 void dequantize_u8_f32_affine_avx512(const uint8_t* src, size_t n, double scale,
                                                       double min, float* dst) noexcept {
  dequantize_avx512(src, n, scale, min, dst, LoadU8x16Avx512{}, dequantize_u8_f32_affine_ref);
}

TFX_TARGET_AVX512 void dequantize_u16_f32_affine_avx512(const uint16_t* src, size_t n,
                                                        double scale, double min,
                                                        float* dst) noexcept {
  dequantize_avx512(src, n, scale, min, dst, LoadU16x16Avx512{}, dequantize_u16_f32_affine_ref);
}

}  // namespace tfx
#endif
