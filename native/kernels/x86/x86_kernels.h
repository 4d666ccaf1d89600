// SPDX-License-Identifier: Apache-2.0
// Internal: x86-64 SIMD kernel variants. Each is compiled with a target attribute (no
// per-file -m flags) and handles its tail by calling the `_ref` kernel.
#ifndef TFEXPORT_X86_KERNELS_H_
#define TFEXPORT_X86_KERNELS_H_

#include "../kernels.h"

namespace tfx {

uint32_t crc32c_extend_sse42(uint32_t crc, const uint8_t* data, size_t n) noexcept;

}  // namespace tfx

#endif  // TFEXPORT_X86_KERNELS_H_
