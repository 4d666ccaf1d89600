// SPDX-License-Identifier: Apache-2.0
// x86-64 table fillers: each ISA tier inherits the tier below, then overrides. The variants
// are written with GCC/Clang target attributes; under MSVC (_M_X64 without __x86_64__) they
// are not built and every tier keeps the reference kernels.
#include "../isa_tables.h"

#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
#include "x86_kernels.h"

namespace tfx {

#if defined(__x86_64__)
void fill_table_sse41(KernelTable* t) noexcept {
  t->convert_f32_f16 = convert_f32_f16_sse41;
  t->convert_f16_f32 = convert_f16_f32_sse41;
  t->minmax_f32 = minmax_f32_sse41;
  t->quantize_f32_u8_affine = quantize_f32_u8_affine_sse41;
  t->quantize_f32_u16_affine = quantize_f32_u16_affine_sse41;
  t->dequantize_u8_f32_affine = dequantize_u8_f32_affine_sse41;
  t->dequantize_u16_f32_affine = dequantize_u16_f32_affine_sse41;
  t->absmax_f32_per_channel = absmax_f32_per_channel_sse41;
  t->quantize_f32_i8_symmetric = quantize_f32_i8_symmetric_sse41;
  t->quantize_f32_i8_asymmetric = quantize_f32_i8_asymmetric_sse41;
  t->dequantize_i8_f32 = dequantize_i8_f32_sse41;
  t->crc32c_extend = crc32c_extend_sse42;
  // transpose2d: the cache-blocked reference is memory-bound already; no variant.
  // scale_f32_per_channel: AVX2 and up (cvtps2pd/cvtpd2ps in 256-bit lanes).
}

void fill_table_avx2(KernelTable* t) noexcept {
  fill_table_sse41(t);
  t->convert_f32_f16 = convert_f32_f16_f16c;
  t->convert_f16_f32 = convert_f16_f32_f16c;
  t->minmax_f32 = minmax_f32_avx2;
  t->quantize_f32_u8_affine = quantize_f32_u8_affine_avx2;
  t->quantize_f32_u16_affine = quantize_f32_u16_affine_avx2;
  t->dequantize_u8_f32_affine = dequantize_u8_f32_affine_avx2;
  t->dequantize_u16_f32_affine = dequantize_u16_f32_affine_avx2;
  t->absmax_f32_per_channel = absmax_f32_per_channel_avx2;
  t->quantize_f32_i8_symmetric = quantize_f32_i8_symmetric_avx2;
  t->quantize_f32_i8_asymmetric = quantize_f32_i8_asymmetric_avx2;
  t->dequantize_i8_f32 = dequantize_i8_f32_avx2;
  t->scale_f32_per_channel = scale_f32_per_channel_avx2;
}

void fill_table_avx512(KernelTable* t) noexcept {
  fill_table_avx2(t);
  t->convert_f32_f16 = convert_f32_f16_avx512;
  t->convert_f16_f32 = convert_f16_f32_avx512;
  t->minmax_f32 = minmax_f32_avx512;
  t->quantize_f32_u8_affine = quantize_f32_u8_affine_avx512;
  t->quantize_f32_u16_affine = quantize_f32_u16_affine_avx512;
  t->dequantize_u8_f32_affine = dequantize_u8_f32_affine_avx512;
  t->dequantize_u16_f32_affine = dequantize_u16_f32_affine_avx512;
  t->absmax_f32_per_channel = absmax_f32_per_channel_avx512;
  t->quantize_f32_i8_symmetric = quantize_f32_i8_symmetric_avx512;
  t->quantize_f32_i8_asymmetric = quantize_f32_i8_asymmetric_avx512;
  t->dequantize_i8_f32 = dequantize_i8_f32_avx512;
  t->scale_f32_per_channel = scale_f32_per_channel_avx512;
}
#else
void fill_table_sse41(KernelTable*) noexcept {}
void fill_table_avx2(KernelTable*) noexcept {}
void fill_table_avx512(KernelTable*) noexcept {}
#endif

}  // namespace tfx
#endif
