// SPDX-License-Identifier: Apache-2.0
// Internal: AArch64 Advanced SIMD (NEON) kernel variants. NEON is architectural on AArch64,
// so these need no target attribute (the CRC32 variant needs "+crc" and a HWCAP check).
// Each handles its tail with the `_ref` kernel and is bit-identical to it
// (native/tests/kernel_tests.cc, run under qemu-aarch64 in development).
// FPCR is never touched: the kernels rely on the default round-to-nearest-even and on FZ
// being off, as Linux, macOS and JavaScript runtimes leave them.
#ifndef TFEXPORT_NEON_KERNELS_H_
#define TFEXPORT_NEON_KERNELS_H_

#include "../kernels.h"
#include "../simd_common.h"

namespace tfx {

#if defined(__aarch64__) && !defined(TFEXPORT_FORCE_SCALAR)
void convert_f32_f16_neon(const float* src, size_t n, uint16_t* dst) noexcept;
void convert_f16_f32_neon(const uint16_t* src, size_t n, float* dst) noexcept;
MinMax minmax_f32_neon(const float* src, size_t n) noexcept;
void quantize_f32_u8_affine_neon(const float* src, size_t n, const AffineParams* p,
                                 uint8_t* dst) noexcept;
void quantize_f32_u16_affine_neon(const float* src, size_t n, const AffineParams* p,
                                  uint16_t* dst) noexcept;
void dequantize_u8_f32_affine_neon(const uint8_t* src, size_t n, double scale, double min,
                                   float* dst) noexcept;
void dequantize_u16_f32_affine_neon(const uint16_t* src, size_t n, double scale, double min,
                                    float* dst) noexcept;
void absmax_f32_per_channel_neon(const float* src, size_t outer, size_t channels, size_t inner,
                                 float* absmax) noexcept;
void quantize_f32_i8_symmetric_neon(const float* src, size_t outer, size_t channels,
                                    size_t inner, const float* scale_inv, int8_t* dst) noexcept;
void quantize_f32_i8_asymmetric_neon(const float* src, size_t n, float scale,
                                     int32_t zero_point, int8_t* dst) noexcept;
void dequantize_i8_f32_neon(const int8_t* src, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points,
                            float* dst) noexcept;
// Needs the optional CRC32 extension: use only when crc32_hw_available().
uint32_t crc32c_extend_neon(uint32_t crc, const uint8_t* data, size_t n) noexcept;
bool crc32_hw_available() noexcept;
#endif

}  // namespace tfx

#endif  // TFEXPORT_NEON_KERNELS_H_
