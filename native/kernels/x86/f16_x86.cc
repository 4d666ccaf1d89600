// SPDX-License-Identifier: Apache-2.0
// float32 <-> float16 on x86-64: integer arithmetic on SSE4.1, F16C on AVX2, AVX-512F.
//
// NaN payloads: F16C's vcvtps2ph/vcvtph2ps quiet signalling NaNs (they set the top mantissa
// bit), while the specification (f16.cc, numpy's software conversion) keeps the payload bits
// as they are. A block that contains a NaN is therefore redone by the reference into a
// small buffer; the test on each block is one compare and is not taken on NaN-free data.
// Everything else F16C does (round to nearest even from imm8, subnormals both ways, the
// 65520 overflow threshold) is exactly the specification, whatever MXCSR says: the rounding
// mode comes from imm8 and MXCSR.DAZ is ignored for half inputs; f32 subnormal inputs only
// ever map to +-0 in binary16, so DAZ could not change a result either.
#include <cstring>

#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)

static_assert(sizeof(float) == 4 && sizeof(uint16_t) == 2, "binary32 in, binary16 codes out");

namespace tfx {

namespace {

// ---- SSE4.1: integer conversions ----------------------------------------------------------

// Four f32 -> four f16 in the low 16 bits of each 32-bit lane. NaN lanes are not handled
// (the caller checks). Branch-free version of f32_to_f16_bits for non-NaN inputs.
TFX_TARGET_SSE41 inline __m128i f32_to_f16_lanes_sse41(__m128 x) noexcept {
  const __m128i u = _mm_castps_si128(x);
  const __m128i abs = _mm_and_si128(u, _mm_set1_epi32(0x7fffffff));
  const __m128i sign = _mm_and_si128(_mm_srli_epi32(u, 16), _mm_set1_epi32(0x8000));
  // Normal range: add 0xfff plus the result's lsb, then shift: round to nearest even.
  const __m128i lsb = _mm_and_si128(_mm_srli_epi32(abs, 13), _mm_set1_epi32(1));
  __m128i normal = _mm_add_epi32(abs, _mm_set1_epi32(static_cast<int>(0xc8000fffu)));  // -0x38000000 + 0xfff
  normal = _mm_srli_epi32(_mm_add_epi32(normal, lsb), 13);
  // Subnormal or zero result: abs + 0.5f rounds the value to a multiple of 2^-24 with the
  // FPU's round-to-nearest-even; the low bits of the sum are then the f16 code (<= 0x400).
  const __m128 magic = _mm_castsi128_ps(_mm_set1_epi32(0x3f000000));
  const __m128i sub =
      _mm_sub_epi32(_mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(abs), magic)), _mm_castps_si128(magic));
  const __m128i is_sub = _mm_cmplt_epi32(abs, _mm_set1_epi32(0x38800000));
  const __m128i is_inf = _mm_cmpgt_epi32(abs, _mm_set1_epi32(0x477fefff));  // >= 65520 or Inf
  __m128i h = _mm_blendv_epi8(normal, sub, is_sub);
  h = _mm_blendv_epi8(h, _mm_set1_epi32(0x7c00), is_inf);
  return _mm_or_si128(h, sign);
}

// Four f16 codes (low 16 bits of 32-bit lanes) -> four f32, exact, payloads kept.
TFX_TARGET_SSE41 inline __m128 f16_to_f32_lanes_sse41(__m128i h) noexcept {
  const __m128i sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
  const __m128i e = _mm_and_si128(h, _mm_set1_epi32(0x7c00));
  const __m128i o = _mm_add_epi32(_mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x7fff)), 13),
                                  _mm_set1_epi32(0x38000000));  // rebias 15 -> 127
  // Inf/NaN: exponent 0x1f must become 0xff: add another 112 << 23.
  const __m128i infnan = _mm_add_epi32(o, _mm_set1_epi32(0x38000000));
  // Zero/subnormal: 2^-14 * (1 + m/1024) - 2^-14 = m * 2^-24, exact in f32.
  const __m128 magic = _mm_castsi128_ps(_mm_set1_epi32(0x38800000));
  const __m128i subn = _mm_castps_si128(
      _mm_sub_ps(_mm_castsi128_ps(_mm_add_epi32(o, _mm_set1_epi32(0x00800000))), magic));
  __m128i r = _mm_blendv_epi8(o, infnan, _mm_cmpeq_epi32(e, _mm_set1_epi32(0x7c00)));
  r = _mm_blendv_epi8(r, subn, _mm_cmpeq_epi32(e, _mm_setzero_si128()));
  return _mm_castsi128_ps(_mm_or_si128(r, sign));
}

}  // namespace

TFX_TARGET_SSE41 void convert_f32_f16_sse41(const float* src, size_t n, uint16_t* dst) noexcept {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128 a = _mm_loadu_ps(src + i);
    const __m128 b = _mm_loadu_ps(src + i + 4);
    if (_mm_movemask_ps(_mm_cmpunord_ps(a, b)) != 0) {
      convert_f32_f16_ref(src + i, 8, dst + i);
      continue;
    }
    const __m128i h = _mm_packus_epi32(f32_to_f16_lanes_sse41(a), f32_to_f16_lanes_sse41(b));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  convert_f32_f16_ref(src + i, n - i, dst + i);
}

TFX_TARGET_SSE41 void convert_f16_f32_sse41(const uint16_t* src, size_t n, float* dst) noexcept {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_ps(dst + i, f16_to_f32_lanes_sse41(_mm_cvtepu16_epi32(h)));
    _mm_storeu_ps(dst + i + 4, f16_to_f32_lanes_sse41(_mm_unpackhi_epi16(h, _mm_setzero_si128())));
  }
  convert_f16_f32_ref(src + i, n - i, dst + i);
}

// ---- AVX2 + F16C ---------------------------------------------------------------------------

namespace {

// 16 floats -> 16 halves. NaN blocks go through the reference.
TFX_TARGET_AVX2 inline __m256i cvt16_f32_f16_f16c(const float* s) noexcept {
  const __m256 a = _mm256_loadu_ps(s);
  const __m256 b = _mm256_loadu_ps(s + 8);
  if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q)) != 0, 0)) {
    alignas(32) uint16_t tmp[16];
    convert_f32_f16_ref(s, 16, tmp);
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp));
  }
  const __m128i ha = _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m128i hb = _mm256_cvtps_ph(b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm256_inserti128_si256(_mm256_castsi128_si256(ha), hb, 1);
}

// True when one of the 16 halves is a NaN ((h & 0x7fff) > 0x7c00, a signed compare is fine
// on 15-bit values).
TFX_TARGET_AVX2 inline bool any_nan_f16_avx2(__m256i h) noexcept {
  const __m256i m = _mm256_cmpgt_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x7fff)),
                                       _mm256_set1_epi16(0x7c00));
  return !_mm256_testz_si256(m, m);
}

}  // namespace

TFX_TARGET_AVX2 void convert_f32_f16_f16c(const float* src, size_t n, uint16_t* dst) noexcept {
  size_t i = 0;
  if (stream_output(dst, n * (4 + 2), 2)) {
    i = head_to_align(dst, 2, 32, n);
    convert_f32_f16_ref(src, i, dst);
    for (; i + 32 <= n; i += 32) {
      const __m256i h0 = cvt16_f32_f16_f16c(src + i);
      const __m256i h1 = cvt16_f32_f16_f16c(src + i + 16);
      _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i), h0);
      _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i + 16), h1);
    }
    _mm_sfence();  // streaming stores are weakly ordered: publish them before returning
  }
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), cvt16_f32_f16_f16c(src + i));
  }
  convert_f32_f16_ref(src + i, n - i, dst + i);
}

TFX_TARGET_AVX2 void convert_f16_f32_f16c(const uint16_t* src, size_t n, float* dst) noexcept {
  size_t i = 0;
  const bool stream = stream_output(dst, n * (2 + 4), 4);
  if (stream) {
    i = head_to_align(dst, 4, 32, n);
    convert_f16_f32_ref(src, i, dst);
  }
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    __m256 f0, f1;
    if (__builtin_expect(any_nan_f16_avx2(h), 0)) {
      alignas(32) float tmp[16];
      convert_f16_f32_ref(src + i, 16, tmp);
      f0 = _mm256_load_ps(tmp);
      f1 = _mm256_load_ps(tmp + 8);
    } else {
      f0 = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
      f1 = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    }
    if (stream) {
      _mm256_stream_ps(dst + i, f0);
      _mm256_stream_ps(dst + i + 8, f1);
    } else {
      _mm256_storeu_ps(dst + i, f0);
      _mm256_storeu_ps(dst + i + 8, f1);
    }
  }
  if (stream) _mm_sfence();
  convert_f16_f32_ref(src + i, n - i, dst + i);
}

// ---- AVX-512 -------------------------------------------------------------------------------

TFX_TARGET_AVX512 void convert_f32_f16_avx512(const float* src, size_t n, uint16_t* dst) noexcept {
  size_t i = 0;
  const bool stream = stream_output(dst, n * (4 + 2), 2);
  if (stream) {
    i = head_to_align(dst, 2, 64, n);
    convert_f32_f16_ref(src, i, dst);
  }
  for (; i + 32 <= n; i += 32) {
    const __m512 a = _mm512_loadu_ps(src + i);
    const __m512 b = _mm512_loadu_ps(src + i + 16);
    __m512i h;
    if (__builtin_expect(_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) != 0, 0)) {
      alignas(64) uint16_t tmp[32];
      convert_f32_f16_ref(src + i, 32, tmp);
      h = _mm512_load_si512(tmp);
    } else {
      const __m256i ha = _mm512_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      const __m256i hb = _mm512_cvtps_ph(b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      h = _mm512_inserti64x4(_mm512_castsi256_si512(ha), hb, 1);
    }
    if (stream) {
      _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + i), h);
    } else {
      _mm512_storeu_si512(dst + i, h);
    }
  }
  if (stream) _mm_sfence();
  // Tail (< 32): masked 16-lane steps; a NaN in the tail goes to the reference.
  while (i < n) {
    const size_t m = n - i < 16 ? n - i : 16;
    const __mmask16 k = static_cast<__mmask16>((1u << m) - 1u);
    const __m512 a = _mm512_maskz_loadu_ps(k, src + i);
    if (_mm512_mask_cmp_ps_mask(k, a, a, _CMP_UNORD_Q) != 0) {
      convert_f32_f16_ref(src + i, m, dst + i);
    } else {
      const __m256i h = _mm512_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      _mm256_mask_storeu_epi16(dst + i, k, h);
    }
    i += m;
  }
}

TFX_TARGET_AVX512 void convert_f16_f32_avx512(const uint16_t* src, size_t n, float* dst) noexcept {
  size_t i = 0;
  const bool stream = stream_output(dst, n * (2 + 4), 4);
  if (stream) {
    i = head_to_align(dst, 4, 64, n);
    convert_f16_f32_ref(src, i, dst);
  }
  const __m512i abs_mask = _mm512_set1_epi16(0x7fff);
  const __m512i inf = _mm512_set1_epi16(0x7c00);
  for (; i + 32 <= n; i += 32) {
    const __m512i h = _mm512_loadu_si512(src + i);
    __m512 f0, f1;
    if (__builtin_expect(_mm512_cmpgt_epi16_mask(_mm512_and_si512(h, abs_mask), inf) != 0, 0)) {
      alignas(64) float tmp[32];
      convert_f16_f32_ref(src + i, 32, tmp);
      f0 = _mm512_load_ps(tmp);
      f1 = _mm512_load_ps(tmp + 16);
    } else {
      f0 = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
      f1 = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
    }
    if (stream) {
      _mm512_stream_ps(dst + i, f0);
      _mm512_stream_ps(dst + i + 16, f1);
    } else {
      _mm512_storeu_ps(dst + i, f0);
      _mm512_storeu_ps(dst + i + 16, f1);
    }
  }
  if (stream) _mm_sfence();
  while (i < n) {
    const size_t m = n - i < 16 ? n - i : 16;
    const __mmask16 k = static_cast<__mmask16>((1u << m) - 1u);
    const __m256i h = _mm256_maskz_loadu_epi16(k, src + i);
    if (_mm256_mask_cmpgt_epi16_mask(k, _mm256_and_si256(h, _mm256_set1_epi16(0x7fff)),
                                     _mm256_set1_epi16(0x7c00)) != 0) {
      convert_f16_f32_ref(src + i, m, dst + i);
    } else {
      _mm512_mask_storeu_ps(dst + i, k, _mm512_cvtph_ps(h));
    }
    i += m;
  }
}

}  // namespace tfx
#endif
