// SPDX-License-Identifier: Apache-2.0
// min/max reductions (reference). NaN elements are skipped and counted.
#include <cmath>
#include <limits>

#include "kernels.h"

namespace tfx {

MinMax minmax_f32_ref(const float* src, size_t n) noexcept {
  MinMax r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 0};
  for (size_t i = 0; i < n; ++i) {
    const float v = src[i];
    if (v != v) {
      ++r.nan_count;
      continue;
    }
    if (v < r.min) r.min = v;
    if (v > r.max) r.max = v;
  }
  // Signed-zero policy: an extreme that is a zero is reported as +0.0, whichever zero came
  // first (SIMD min/max instructions pick by position, so the sign would depend on order).
  r.min = r.min + 0.0f;
  r.max = r.max + 0.0f;
  return r;
}

MinMax minmax_combine(MinMax a, MinMax b) noexcept {
  MinMax r;
  r.min = b.min < a.min ? b.min : a.min;
  r.max = b.max > a.max ? b.max : a.max;
  r.nan_count = a.nan_count + b.nan_count;
  return r;
}

void absmax_f32_per_channel_ref(const float* src, size_t outer, size_t channels, size_t inner,
                                float* absmax) noexcept {
  for (size_t c = 0; c < channels; ++c) absmax[c] = 0.0f;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const float* p = src + (o * channels + c) * inner;
      float m = absmax[c];
      for (size_t i = 0; i < inner; ++i) {
        const float a = std::fabs(p[i]);
        if (a > m) m = a;  // NaN compares false: skipped
      }
      absmax[c] = m;
    }
  }
}

}  // namespace tfx
