// SPDX-License-Identifier: Apache-2.0
#include "jobs.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "parallel.h"

namespace tfx {

namespace {
constexpr size_t kAlign = 64;  // chunk boundaries: whole cache lines for every element size
}

void job_convert_f32_f16(const KernelTable* k, unsigned threads, const float* src, size_t n,
                         uint16_t* dst) {
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign,
                  [&](unsigned, size_t b, size_t e) { k->convert_f32_f16(src + b, e - b, dst + b); });
}

void job_convert_f16_f32(const KernelTable* k, unsigned threads, const uint16_t* src, size_t n,
                         float* dst) {
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign,
                  [&](unsigned, size_t b, size_t e) { k->convert_f16_f32(src + b, e - b, dst + b); });
}

MinMax job_minmax_f32(const KernelTable* k, unsigned threads, const float* src, size_t n) {
  const unsigned chunks = plan_chunks(n, threads, kParallelGrain);
  std::vector<MinMax> part(chunks);
  parallel_chunks(n, chunks, kAlign,
                  [&](unsigned c, size_t b, size_t e) { part[c] = k->minmax_f32(src + b, e - b); });
  MinMax r = minmax_f32_ref(nullptr, 0);
  for (const MinMax& p : part) r = minmax_combine(r, p);
  return r;
}

namespace {
template <typename Q, typename QuantFn>
void quantize_affine_codes(unsigned threads, const float* src, size_t n, Q* dst,
                           const AffineParams& p, QuantFn fn) {
  // Nothing to write: an empty view's data may be null, and the kernels' memset (constant
  // tensors) must not see a null pointer even with n == 0.
  if (n == 0) return;
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign,
                  [&](unsigned, size_t b, size_t e) { fn(src + b, e - b, &p, dst + b); });
}

template <typename Q, typename QuantFn>
Status quantize_affine_job(const KernelTable* k, unsigned threads, const float* src, size_t n,
                           Q* dst, AffineParams* out, uint32_t qmax, QuantFn fn) {
  const MinMax mm = job_minmax_f32(k, threads, src, n);
  if (mm.nan_count != 0 || (n > 0 && (std::isinf(mm.min) || std::isinf(mm.max)))) {
    return TFEXPORT_STATUS_NON_FINITE;
  }
  // An empty tensor has no range: report min = max = 0 with scale 1, as for a constant.
  const AffineParams p = n == 0 ? affine_params_from_minmax(0.0f, 0.0f, qmax)
                                : affine_params_from_minmax(mm.min, mm.max, qmax);
  *out = p;
  quantize_affine_codes(threads, src, n, dst, p, fn);
  return TFEXPORT_STATUS_OK;
}

template <typename Q, typename QuantFn>
Status quantize_affine_range_job(unsigned threads, const float* src, size_t n, float min,
                                 float max, Q* dst, AffineParams* out, uint32_t qmax,
                                 QuantFn fn) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) return TFEXPORT_STATUS_BAD_ARGUMENT;
  // -0 -> +0: the reduction reports a zero extreme as +0, and a constant tensor's min is it.
  if (min == 0.0f) min = 0.0f;
  if (max == 0.0f) max = 0.0f;
  const AffineParams p = affine_params_from_minmax(min, max, qmax);
  *out = p;
  quantize_affine_codes(threads, src, n, dst, p, fn);
  return TFEXPORT_STATUS_OK;
}
}  // namespace

Status job_quantize_affine_u8(const KernelTable* k, unsigned threads, const float* src, size_t n,
                              uint8_t* dst, AffineParams* out) {
  return quantize_affine_job(k, threads, src, n, dst, out, 255u, k->quantize_f32_u8_affine);
}

Status job_quantize_affine_u16(const KernelTable* k, unsigned threads, const float* src,
                               size_t n, uint16_t* dst, AffineParams* out) {
  return quantize_affine_job(k, threads, src, n, dst, out, 65535u, k->quantize_f32_u16_affine);
}

Status job_quantize_affine_range_u8(const KernelTable* k, unsigned threads, const float* src,
                                    size_t n, float min, float max, uint8_t* dst,
                                    AffineParams* out) {
  return quantize_affine_range_job(threads, src, n, min, max, dst, out, 255u,
                                   k->quantize_f32_u8_affine);
}

Status job_quantize_affine_range_u16(const KernelTable* k, unsigned threads, const float* src,
                                     size_t n, float min, float max, uint16_t* dst,
                                     AffineParams* out) {
  return quantize_affine_range_job(threads, src, n, min, max, dst, out, 65535u,
                                   k->quantize_f32_u16_affine);
}

void job_dequantize_affine_u8(const KernelTable* k, unsigned threads, const uint8_t* src,
                              size_t n, double scale, double min, float* dst) {
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign, [&](unsigned, size_t b, size_t e) {
    k->dequantize_u8_f32_affine(src + b, e - b, scale, min, dst + b);
  });
}

void job_dequantize_affine_u16(const KernelTable* k, unsigned threads, const uint16_t* src,
                               size_t n, double scale, double min, float* dst) {
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign, [&](unsigned, size_t b, size_t e) {
    k->dequantize_u16_f32_affine(src + b, e - b, scale, min, dst + b);
  });
}

Status job_quantize_i8_per_channel(const KernelTable* k, unsigned threads, const float* src,
                                   size_t outer, size_t channels, size_t inner, int8_t* dst,
                                   float* scales) {
  if (channels == 0) return TFEXPORT_STATUS_OK;
  const size_t n = outer * channels * inner;
  // Split along `outer` (each thread owns whole [channels, inner] planes) when there are
  // enough planes; otherwise one thread: per-channel state makes finer splits awkward and
  // tensors with few outer planes are small or are split by the caller along channels.
  const size_t plane = channels * inner;
  const size_t grain_planes = plane == 0 ? 1 : std::max<size_t>(1, kParallelGrain / plane);
  const unsigned chunks = plan_chunks(outer, threads, grain_planes);
  std::vector<std::vector<float>> part(chunks, std::vector<float>(channels));
  parallel_chunks(outer, chunks, 1, [&](unsigned c, size_t b, size_t e) {
    k->absmax_f32_per_channel(src + b * plane, e - b, channels, inner, part[c].data());
  });
  std::vector<float> absmax(channels, 0.0f);
  for (const auto& p : part) {
    for (size_t c = 0; c < channels; ++c) absmax[c] = std::max(absmax[c], p[c]);
  }
  std::vector<float> scale_inv(channels);
  for (size_t c = 0; c < channels; ++c) {
    if (std::isinf(absmax[c])) return TFEXPORT_STATUS_NON_FINITE;
    scales[c] = absmax[c] / 127.0f;
    scale_inv[c] = absmax[c] == 0.0f ? 0.0f : 127.0f / absmax[c];
  }
  (void)n;
  parallel_chunks(outer, chunks, 1, [&](unsigned, size_t b, size_t e) {
    k->quantize_f32_i8_symmetric(src + b * plane, e - b, channels, inner, scale_inv.data(),
                                 dst + b * plane);
  });
  return TFEXPORT_STATUS_OK;
}

void job_quantize_i8_asymmetric(const KernelTable* k, unsigned threads, const float* src,
                                size_t n, float scale, int32_t zero_point, int8_t* dst) {
  parallel_chunks(n, plan_chunks(n, threads, kParallelGrain), kAlign, [&](unsigned, size_t b, size_t e) {
    k->quantize_f32_i8_asymmetric(src + b, e - b, scale, zero_point, dst + b);
  });
}

void job_dequantize_i8(const KernelTable* k, unsigned threads, const int8_t* src, size_t outer,
                       size_t channels, size_t inner, const float* scales,
                       const int32_t* zero_points, float* dst) {
  const size_t plane = channels * inner;
  const size_t grain_planes = plane == 0 ? 1 : std::max<size_t>(1, kParallelGrain / plane);
  parallel_chunks(outer, plan_chunks(outer, threads, grain_planes), 1,
                  [&](unsigned, size_t b, size_t e) {
                    k->dequantize_i8_f32(src + b * plane, e - b, channels, inner, scales,
                                         zero_points, dst + b * plane);
                  });
}

Status job_transpose2d(const KernelTable* k, unsigned threads, const void* src, size_t batch,
                       size_t rows, size_t cols, size_t elem_size, void* dst) {
  if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8) {
    return TFEXPORT_STATUS_BAD_ARGUMENT;
  }
  const size_t plane_bytes = rows * cols * elem_size;
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  if (batch >= 2) {
    const size_t grain = std::max<size_t>(1, (kParallelGrain * 4) / std::max<size_t>(1, plane_bytes));
    Status st = TFEXPORT_STATUS_OK;
    parallel_chunks(batch, plan_chunks(batch, threads, grain), 1, [&](unsigned, size_t b, size_t e) {
      Status r = k->transpose2d(s + b * plane_bytes, e - b, rows, cols, elem_size, d + b * plane_bytes);
      if (r != TFEXPORT_STATUS_OK) st = r;
    });
    return st;
  }
  // One plane: single-threaded. Layout changes touch only weights, once per conversion.
  return k->transpose2d(src, batch, rows, cols, elem_size, dst);
}

void int8_asymmetric_params(float min, float max, float* scale, int32_t* zero_point) noexcept {
  const float qmin = -128.0f, qmax = 127.0f;
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  const float s = (max - min) / (qmax - qmin);
  float zp_from_min = qmin;
  if (s != 0.0f) zp_from_min = qmin - min / s;
  int32_t zp;
  if (zp_from_min < qmin) {
    zp = -128;
  } else if (zp_from_min > qmax) {
    zp = 127;
  } else {
    zp = static_cast<int32_t>(std::round(zp_from_min));
  }
  *scale = s;
  *zero_point = zp;
}

void job_scale_f32_per_channel(const KernelTable* k, unsigned threads, const float* src,
                               size_t outer, size_t channels, size_t inner, const double* scale,
                               float* dst) {
  const size_t row = channels * inner;
  const size_t n = outer * row;
  unsigned chunks = plan_chunks(n, threads, kParallelGrain);
  if (chunks > outer) chunks = static_cast<unsigned>(outer);
  parallel_chunks(outer, chunks, 1, [&](unsigned, size_t b, size_t e) {
    k->scale_f32_per_channel(src + b * row, e - b, channels, inner, scale, dst + b * row);
  });
}

}  // namespace tfx
