// SPDX-License-Identifier: Apache-2.0
// tfjs affine uint8/uint16 quantization and dequantization (reference).
// Follows tensorflowjs/quantization.py under NumPy >= 2: the float32 min/max are promoted to
// float64 and every later step is float64 (NEP 50: a float64 scalar is never demoted to the
// array's float32). NumPy 1.x would have computed clip/subtract/divide in float32.
#include <cmath>

#include "kernels.h"

namespace tfx {

AffineParams affine_params_from_minmax(float min_f, float max_f, uint32_t qmax) noexcept {
  AffineParams p;
  const double mn = static_cast<double>(min_f);
  const double mx = static_cast<double>(max_f);
  if (mn == mx) {
    p.scale = 1.0;
    p.min = mn;
    p.max = mx;
    p.constant = 1;
    return p;
  }
  p.constant = 0;
  const double q = static_cast<double>(qmax);
  p.scale = (mx - mn) / q;
  if (mn <= 0.0 && 0.0 <= mx) {
    const double zp = std::nearbyint((0.0 - mn) / p.scale);  // default mode: half to even
    p.min = -zp * p.scale;
    p.max = q * p.scale + p.min;
  } else {
    p.min = mn;
    p.max = mx;
  }
  return p;
}

namespace {
template <typename Q>
inline void quantize_affine(const float* src, size_t n, const AffineParams* p, Q* dst) noexcept {
  if (p->constant) {
    for (size_t i = 0; i < n; ++i) dst[i] = 0;
    return;
  }
  const double lo = p->min, hi = p->max, scale = p->scale;
  for (size_t i = 0; i < n; ++i) {
    double x = static_cast<double>(src[i]);
    // `!(x >= lo)` also sends NaN to lo (code 0): the job refuses NaN before quantizing, and
    // this keeps the kernel defined for it (a NaN reaching the int conversion would be UB).
    // It is what SIMD max(x, lo) does, which returns its second operand on NaN.
    if (!(x >= lo)) x = lo;
    if (x > hi) x = hi;
    const double r = std::nearbyint((x - lo) / scale);
    dst[i] = static_cast<Q>(static_cast<int64_t>(r));
  }
}

template <typename Q>
inline void dequantize_affine(const Q* src, size_t n, double scale, double min,
                              float* dst) noexcept {
  for (size_t i = 0; i < n; ++i) {
    const double prod = static_cast<double>(src[i]) * scale;
    dst[i] = static_cast<float>(prod + min);
  }
}
}  // namespace

void quantize_f32_u8_affine_ref(const float* src, size_t n, const AffineParams* p,
                                uint8_t* dst) noexcept {
  quantize_affine(src, n, p, dst);
}
void quantize_f32_u16_affine_ref(const float* src, size_t n, const AffineParams* p,
                                 uint16_t* dst) noexcept {
  quantize_affine(src, n, p, dst);
}
void dequantize_u8_f32_affine_ref(const uint8_t* src, size_t n, double scale, double min,
                                  float* dst) noexcept {
  dequantize_affine(src, n, scale, min, dst);
}
void dequantize_u16_f32_affine_ref(const uint16_t* src, size_t n, double scale, double min,
                                   float* dst) noexcept {
  dequantize_affine(src, n, scale, min, dst);
}

}  // namespace tfx
