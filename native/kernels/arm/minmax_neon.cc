// SPDX-License-Identifier: Apache-2.0
// min/max with NaN count on AArch64 NEON.
// FMIN/FMAX propagate NaN and FMINNM/FMAXNM still return NaN for a signalling NaN, so the
// accumulators are updated with compare-and-select: `x < acc` is false for a NaN x, which is
// then skipped exactly as by the reference. NaN lanes are counted per lane (x != x) and the
// counters are drained before they could wrap. The sign of a zero extreme is normalised to
// +0.0 at the end, as in minmax_f32_ref.
#include <limits>

#include "neon_kernels.h"

#if defined(__aarch64__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <arm_neon.h>

namespace tfx {

namespace {
inline float32x4_t sel_min(float32x4_t x, float32x4_t acc) noexcept {
  return vbslq_f32(vcltq_f32(x, acc), x, acc);
}
inline float32x4_t sel_max(float32x4_t x, float32x4_t acc) noexcept {
  return vbslq_f32(vcgtq_f32(x, acc), x, acc);
}
// Adds 1 to each lane of cnt whose element is NaN.
inline uint32x4_t count_nan(uint32x4_t cnt, float32x4_t x) noexcept {
  return vsubq_u32(cnt, vmvnq_u32(vceqq_f32(x, x)));
}
}  // namespace

MinMax minmax_f32_neon(const float* src, size_t n) noexcept {
  float32x4_t mn0 = vdupq_n_f32(std::numeric_limits<float>::infinity()), mn1 = mn0;
  float32x4_t mx0 = vdupq_n_f32(-std::numeric_limits<float>::infinity()), mx1 = mx0;
  uint64_t nans = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    // Each lane counter gains at most 2 per step: drain every 2^30 steps.
    const size_t steps = (n - i) / 8 < (size_t{1} << 30) ? (n - i) / 8 : (size_t{1} << 30);
    uint32x4_t cnt = vdupq_n_u32(0);
    for (size_t s = 0; s < steps; ++s, i += 8) {
      const float32x4_t a = vld1q_f32(src + i);
      const float32x4_t b = vld1q_f32(src + i + 4);
      mn0 = sel_min(a, mn0);
      mx0 = sel_max(a, mx0);
      mn1 = sel_min(b, mn1);
      mx1 = sel_max(b, mx1);
      cnt = count_nan(count_nan(cnt, a), b);
    }
    nans += vaddlvq_u32(cnt);
  }
  float mn = vminvq_f32(sel_min(mn1, mn0));  // accumulators hold no NaN
  float mx = vmaxvq_f32(sel_max(mx1, mx0));
  const MinMax t = minmax_f32_ref(src + i, n - i);
  MinMax r;
  r.min = t.min < mn ? t.min : mn;
  r.max = t.max > mx ? t.max : mx;
  r.nan_count = nans + t.nan_count;
  r.min = r.min + 0.0f;
  r.max = r.max + 0.0f;
  return r;
}

}  // namespace tfx
#endif
