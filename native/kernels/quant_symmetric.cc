// SPDX-License-Identifier: Apache-2.0
// int8 quantization as TFLite's tools/optimize does it (reference).
// Rounding is half away from zero (TfLiteRound = std::round); products and quotients are
// float32.
#include <cmath>

#include "kernels.h"

namespace tfx {

namespace {
inline int32_t round_away_f32(float v) noexcept {
  return static_cast<int32_t>(std::round(v));
}
inline int8_t clamp_i8(int32_t v, int32_t lo, int32_t hi) noexcept {
  return static_cast<int8_t>(v < lo ? lo : (v > hi ? hi : v));
}
}  // namespace

void quantize_f32_i8_symmetric_ref(const float* src, size_t outer, size_t channels,
                                   size_t inner, const float* scale_inv, int8_t* dst) noexcept {
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const float s = scale_inv[c];
      for (size_t i = 0; i < inner; ++i) {
        const float prod = src[base + i] * s;
        // Out-of-range products (and NaN) are clamped before the int conversion.
        const float clipped = prod < -127.0f ? -127.0f : (prod > 127.0f ? 127.0f : prod);
        dst[base + i] = clamp_i8(prod != prod ? 0 : round_away_f32(clipped), -127, 127);
      }
    }
  }
}

void quantize_f32_i8_asymmetric_ref(const float* src, size_t n, float scale, int32_t zero_point,
                                    int8_t* dst) noexcept {
  for (size_t i = 0; i < n; ++i) {
    const float q = src[i] / scale;
    // Clamp in float first so that huge values cannot overflow the int conversion.
    const float clipped = q < -512.0f ? -512.0f : (q > 512.0f ? 512.0f : q);
    const int32_t v = (q != q ? 0 : round_away_f32(clipped)) + zero_point;
    dst[i] = clamp_i8(v, -128, 127);
  }
}

void dequantize_i8_f32_ref(const int8_t* src, size_t outer, size_t channels, size_t inner,
                           const float* scales, const int32_t* zero_points, float* dst) noexcept {
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t base = (o * channels + c) * inner;
      const float s = scales[c];
      const int32_t zp = zero_points ? zero_points[c] : 0;
      for (size_t i = 0; i < inner; ++i) {
        dst[base + i] = static_cast<float>(static_cast<int32_t>(src[base + i]) - zp) * s;
      }
    }
  }
}

}  // namespace tfx
