// SPDX-License-Identifier: Apache-2.0
// Per-channel scaling of a float32 tensor by float64 factors (batch-norm folding into a
// Conv2D / depthwise / MatMul filter, as tensorflowjs_converter's fold_batch_norms does it
// in NumPy: float32 weights times a float64 scale, stored back as float32).
//
// NaN results are written as the canonical quiet NaN 0x7FC00000: which operand's payload a
// NaN * NaN product keeps depends on the operand order, and compilers may swap the operands
// of a commutative multiply, so a payload-preserving specification could not be kept exact.
#include <cstring>

#include "kernels.h"

namespace tfx {

float canonical_nan_f32() noexcept {
  const uint32_t bits = 0x7fc00000u;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void scale_f32_per_channel_ref(const float* src, size_t outer, size_t channels, size_t inner,
                               const double* scale, float* dst) noexcept {
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const double s = scale[c];
      for (size_t i = 0; i < inner; ++i) {
        const float r = static_cast<float>(static_cast<double>(src[base + i]) * s);
        dst[base + i] = r != r ? canonical_nan_f32() : r;
      }
    }
  }
}

}  // namespace tfx
