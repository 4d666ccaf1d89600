// SPDX-License-Identifier: Apache-2.0
// AArch64 table filler (NEON variants). Compiled everywhere; empty off AArch64. Under MSVC
// (_M_ARM64 without __aarch64__) the GCC/Clang intrinsics code is not built and the NEON
// table keeps the reference kernels.
#include "../isa_tables.h"

#if defined(TFEXPORT_HAVE_ARM64) && !defined(TFEXPORT_FORCE_SCALAR)
#include "neon_kernels.h"

namespace tfx {

void fill_table_neon(KernelTable* t) noexcept {
#if defined(__aarch64__)
  t->convert_f32_f16 = convert_f32_f16_neon;
  t->convert_f16_f32 = convert_f16_f32_neon;
  t->minmax_f32 = minmax_f32_neon;
  t->quantize_f32_u8_affine = quantize_f32_u8_affine_neon;
  t->quantize_f32_u16_affine = quantize_f32_u16_affine_neon;
  t->dequantize_u8_f32_affine = dequantize_u8_f32_affine_neon;
  t->dequantize_u16_f32_affine = dequantize_u16_f32_affine_neon;
  t->absmax_f32_per_channel = absmax_f32_per_channel_neon;
  t->quantize_f32_i8_symmetric = quantize_f32_i8_symmetric_neon;
  t->quantize_f32_i8_asymmetric = quantize_f32_i8_asymmetric_neon;
  t->dequantize_i8_f32 = dequantize_i8_f32_neon;
  // CRC32 instructions are optional in ARMv8.0 (mandatory from 8.1): checked once here.
  if (crc32_hw_available()) t->crc32c_extend = crc32c_extend_neon;
  // transpose2d: the cache-blocked reference (memory-bound).
#else
  (void)t;
#endif
}

}  // namespace tfx
#endif
