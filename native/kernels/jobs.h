// SPDX-License-Identifier: Apache-2.0
// Whole jobs over a tensor (what the binding calls): reductions + parameter computation +
// the element kernels, split across threads. Plain C++; no N-API.
#ifndef TFEXPORT_JOBS_H_
#define TFEXPORT_JOBS_H_

#include "kernels.h"

namespace tfx {

// Elements per thread below which a job is not split.
constexpr size_t kParallelGrain = size_t{1} << 18;

void job_convert_f32_f16(const KernelTable* k, unsigned threads, const float* src, size_t n,
                         uint16_t* dst);
void job_convert_f16_f32(const KernelTable* k, unsigned threads, const uint16_t* src, size_t n,
                         float* dst);
MinMax job_minmax_f32(const KernelTable* k, unsigned threads, const float* src, size_t n);

// Full tfjs affine job: min/max, parameters, codes. NON_FINITE when the tensor holds NaN or
// +-Inf (tensorflowjs_converter would write garbage); dst is then untouched.
Status job_quantize_affine_u8(const KernelTable* k, unsigned threads, const float* src, size_t n,
                              uint8_t* dst, AffineParams* out);
Status job_quantize_affine_u16(const KernelTable* k, unsigned threads, const float* src,
                               size_t n, uint16_t* dst, AffineParams* out);
// The affine job for a chunk of a larger tensor: the parameters come from a given range
// (the whole tensor's min/max) instead of this chunk's own, then the same codes. So chunks
// quantized with their tensor's range concatenate to the whole tensor's job output, and an
// empty chunk gives just the parameters. A -0 bound counts as +0 (as the min/max reduction
// reports zero extremes). Values outside [min, max] are clipped and NaN gives code 0 (the
// kernel's rules; in range and finite is the caller's promise). BAD_ARGUMENT, dst untouched,
// for a non-finite bound or min > max.
Status job_quantize_affine_range_u8(const KernelTable* k, unsigned threads, const float* src,
                                    size_t n, float min, float max, uint8_t* dst,
                                    AffineParams* out);
Status job_quantize_affine_range_u16(const KernelTable* k, unsigned threads, const float* src,
                                     size_t n, float min, float max, uint16_t* dst,
                                     AffineParams* out);
void job_dequantize_affine_u8(const KernelTable* k, unsigned threads, const uint8_t* src,
                              size_t n, double scale, double min, float* dst);
void job_dequantize_affine_u16(const KernelTable* k, unsigned threads, const uint16_t* src,
                               size_t n, double scale, double min, float* dst);

// Full TFLite symmetric per-channel job: absmax per channel, scales[c] = absmax/127,
// codes. NON_FINITE when a channel's absmax is +-Inf.
Status job_quantize_i8_per_channel(const KernelTable* k, unsigned threads, const float* src,
                                   size_t outer, size_t channels, size_t inner, int8_t* dst,
                                   float* scales);
void job_quantize_i8_asymmetric(const KernelTable* k, unsigned threads, const float* src,
                                size_t n, float scale, int32_t zero_point, int8_t* dst);
void job_dequantize_i8(const KernelTable* k, unsigned threads, const int8_t* src, size_t outer,
                       size_t channels, size_t inner, const float* scales,
                       const int32_t* zero_points, float* dst);
// Batch-norm folding: split over `outer` (whole rows of channels * inner elements).
void job_scale_f32_per_channel(const KernelTable* k, unsigned threads, const float* src,
                               size_t outer, size_t channels, size_t inner, const double* scale,
                               float* dst);
Status job_transpose2d(const KernelTable* k, unsigned threads, const void* src, size_t batch,
                       size_t rows, size_t cols, size_t elem_size, void* dst);

// TFLite activation parameters (GetAsymmetricQuantizationParams, int8: -128..127).
void int8_asymmetric_params(float min, float max, float* scale, int32_t* zero_point) noexcept;

}  // namespace tfx

#endif  // TFEXPORT_JOBS_H_
