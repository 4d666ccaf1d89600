// SPDX-License-Identifier: Apache-2.0
// Internal: x86-64 SIMD kernel variants. Each is compiled with a target attribute (no
// per-file -m flags: the addon is built for baseline x86-64 and dispatches at run time) and
// handles its tail by calling the `_ref` kernel or with AVX-512 masked operations. Every
// variant is bit-identical to its `_ref` for every input (native/tests/kernel_tests.cc).
//
// Tiers (dispatch.cc checks CPUID and XGETBV before a tier's table is filled):
//   sse41  = SSE4.1 + SSE4.2 + POPCNT
//   avx2   = AVX2 + F16C + BMI2 (the CPU also has FMA, but FMA is deliberately not in the
//            target string: the specification rounds products and sums separately)
//   avx512 = AVX-512 F + BW + DQ + VL (on top of avx2)
// MXCSR is never touched: the kernels rely on the default round-to-nearest-even and on
// DAZ/FTZ being off, as every C++ and JavaScript runtime leaves them.
// Large outputs (simd_common.h, kStreamMinBytes) are written with non-temporal stores after
// a head that aligns the destination, followed by an sfence.
#ifndef TFEXPORT_X86_KERNELS_H_
#define TFEXPORT_X86_KERNELS_H_

#include <cstdint>

#include "../kernels.h"
#include "../simd_common.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)
// GCC 12's avx512fintrin.h self-initialises its "undefined" vectors (`__m512 __Y = __Y;`),
// which -Wextra reports at every use after inlining (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

// Exactly the features dispatch.cc verifies for each tier (nothing the CPU might lack).
#define TFX_TARGET_SSE41 __attribute__((target("sse4.1,sse4.2,popcnt")))
#define TFX_TARGET_AVX2 __attribute__((target("avx2,f16c,bmi2,popcnt,sse4.1,sse4.2")))
#define TFX_TARGET_AVX512                                                               \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,f16c,bmi2,popcnt,sse4.1," \
                        "sse4.2")))

namespace tfx {

// ---- sse41 -----------------------------------------------------------------------------
uint32_t crc32c_extend_sse42(uint32_t crc, const uint8_t* data, size_t n) noexcept;
void convert_f32_f16_sse41(const float* src, size_t n, uint16_t* dst) noexcept;
void convert_f16_f32_sse41(const uint16_t* src, size_t n, float* dst) noexcept;
MinMax minmax_f32_sse41(const float* src, size_t n) noexcept;
void quantize_f32_u8_affine_sse41(const float* src, size_t n, const AffineParams* p,
                                  uint8_t* dst) noexcept;
void quantize_f32_u16_affine_sse41(const float* src, size_t n, const AffineParams* p,
                                   uint16_t* dst) noexcept;
void dequantize_u8_f32_affine_sse41(const uint8_t* src, size_t n, double scale, double min,
                                    float* dst) noexcept;
void dequantize_u16_f32_affine_sse41(const uint16_t* src, size_t n, double scale, double min,
                                     float* dst) noexcept;
void absmax_f32_per_channel_sse41(const float* src, size_t outer, size_t channels,
                                  size_t inner, float* absmax) noexcept;
void quantize_f32_i8_symmetric_sse41(const float* src, size_t outer, size_t channels,
                                     size_t inner, const float* scale_inv,
                                     int8_t* dst) noexcept;
void quantize_f32_i8_asymmetric_sse41(const float* src, size_t n, float scale,
                                      int32_t zero_point, int8_t* dst) noexcept;
void dequantize_i8_f32_sse41(const int8_t* src, size_t outer, size_t channels, size_t inner,
                             const float* scales, const int32_t* zero_points,
                             float* dst) noexcept;

// ---- avx2 ------------------------------------------------------------------------------
void convert_f32_f16_f16c(const float* src, size_t n, uint16_t* dst) noexcept;
void convert_f16_f32_f16c(const uint16_t* src, size_t n, float* dst) noexcept;
MinMax minmax_f32_avx2(const float* src, size_t n) noexcept;
void quantize_f32_u8_affine_avx2(const float* src, size_t n, const AffineParams* p,
                                 uint8_t* dst) noexcept;
void quantize_f32_u16_affine_avx2(const float* src, size_t n, const AffineParams* p,
                                  uint16_t* dst) noexcept;
void dequantize_u8_f32_affine_avx2(const uint8_t* src, size_t n, double scale, double min,
                                   float* dst) noexcept;
void dequantize_u16_f32_affine_avx2(const uint16_t* src, size_t n, double scale, double min,
                                    float* dst) noexcept;
void absmax_f32_per_channel_avx2(const float* src, size_t outer, size_t channels, size_t inner,
                                 float* absmax) noexcept;
void quantize_f32_i8_symmetric_avx2(const float* src, size_t outer, size_t channels,
                                    size_t inner, const float* scale_inv,
                                    int8_t* dst) noexcept;
void quantize_f32_i8_asymmetric_avx2(const float* src, size_t n, float scale,
                                     int32_t zero_point, int8_t* dst) noexcept;
void dequantize_i8_f32_avx2(const int8_t* src, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points,
                            float* dst) noexcept;

void scale_f32_per_channel_avx2(const float* src, size_t outer, size_t channels, size_t inner,
                                const double* scale, float* dst) noexcept;

// ---- avx512 ----------------------------------------------------------------------------
void convert_f32_f16_avx512(const float* src, size_t n, uint16_t* dst) noexcept;
void convert_f16_f32_avx512(const uint16_t* src, size_t n, float* dst) noexcept;
MinMax minmax_f32_avx512(const float* src, size_t n) noexcept;
void quantize_f32_u8_affine_avx512(const float* src, size_t n, const AffineParams* p,
                                   uint8_t* dst) noexcept;
void quantize_f32_u16_affine_avx512(const float* src, size_t n, const AffineParams* p,
                                    uint16_t* dst) noexcept;
void dequantize_u8_f32_affine_avx512(const uint8_t* src, size_t n, double scale, double min,
                                     float* dst) noexcept;
void dequantize_u16_f32_affine_avx512(const uint16_t* src, size_t n, double scale, double min,
                                      float* dst) noexcept;
void absmax_f32_per_channel_avx512(const float* src, size_t outer, size_t channels,
                                   size_t inner, float* absmax) noexcept;
void quantize_f32_i8_symmetric_avx512(const float* src, size_t outer, size_t channels,
                                      size_t inner, const float* scale_inv,
                                      int8_t* dst) noexcept;
void quantize_f32_i8_asymmetric_avx512(const float* src, size_t n, float scale,
                                       int32_t zero_point, int8_t* dst) noexcept;
void dequantize_i8_f32_avx512(const int8_t* src, size_t outer, size_t channels, size_t inner,
                              const float* scales, const int32_t* zero_points,
                              float* dst) noexcept;

void scale_f32_per_channel_avx512(const float* src, size_t outer, size_t channels,
                                  size_t inner, const double* scale, float* dst) noexcept;

}  // namespace tfx

#endif  // TFEXPORT_X86_KERNELS_H_
