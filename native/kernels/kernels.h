// SPDX-License-Identifier: Apache-2.0
// tfexport native kernels: plain C++17, no N-API. Every kernel has a scalar `_ref`
// (the specification) and SIMD variants that must be bit-identical to it. Variants are
// reached through the dispatch table (dispatch.h); the `_ref` functions are exported too
// so that tests and benchmarks can call the specification directly.
//
// Numerics (all kernels are compiled with -ffp-contract=off: no FMA contraction, since a
// fused multiply-add rounds once where the specification rounds twice):
//  - f32 <-> f16: IEEE binary16, round to nearest even; NaN payloads as numpy's software
//    conversion (npy_floatbits_to_halfbits): the top 10 payload bits are kept, the quiet
//    bit is not forced, a payload that would vanish becomes 1. f16 -> f32 is exact.
//  - tfjs affine u8/u16 (tensorflowjs quantization.py under NumPy >= 2): min/max of the
//    float32 data, then float64 arithmetic throughout (NEP 50 keeps the float64 scalar
//    from being demoted): q = round_half_even((clip(x, min', max') - min') / scale).
//  - tfjs dequantize (tfjs-core io_utils decodeWeight): float32(double(q) * scale + min),
//    evaluated in float64 as JavaScript does.
//  - int8 (TFLite tools/optimize quantization_utils.cc): symmetric per channel,
//    scale = max|w| / 127 (float32), q = clamp(round_half_away(w * (127 / max|w|)), -127, 127)
//    with float32 products; asymmetric per tensor (reference_ops AffineQuantize):
//    q = clamp(round_half_away(x / scale) + zero_point, -128, 127); dequantize
//    float32(q - zero_point) * scale.
//  - per-channel scale (batch-norm folding): float32(double(x) * scale[c]); NaN results are
//    the canonical quiet NaN 0x7FC00000 (operand order, and so the payload, is not fixed).
//  - min/max: NaN elements are skipped and counted (NaN policy: callers decide; the
//    affine quantizer refuses NaN and +-Inf). The result of an all-NaN or empty input is
//    min = +Inf, max = -Inf. A zero extreme is reported as +0.0 (signed zeros would
//    otherwise depend on element order).
#ifndef TFEXPORT_KERNELS_H_
#define TFEXPORT_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace tfx {

enum Isa : int {
  TFEXPORT_ISA_SCALAR = 0,
  TFEXPORT_ISA_SSE41 = 1,
  TFEXPORT_ISA_AVX2 = 2,    // AVX2 + F16C + FMA-capable CPU (FMA is never used for rounding)
  TFEXPORT_ISA_AVX512 = 3,  // AVX-512 F/BW/DQ/VL
  TFEXPORT_ISA_NEON = 4,    // AArch64 Advanced SIMD (+ CRC32 where present)
  TFEXPORT_ISA_COUNT = 5,
};

enum Status : int {
  TFEXPORT_STATUS_OK = 0,
  TFEXPORT_STATUS_BAD_ARGUMENT = 1,
  TFEXPORT_STATUS_BAD_LENGTH = 2,
  TFEXPORT_STATUS_NON_FINITE = 3,
  TFEXPORT_STATUS_UNKNOWN_ISA = 4,
  TFEXPORT_STATUS_UNAVAILABLE_ISA = 5,
  TFEXPORT_STATUS_IO = 6,
  TFEXPORT_STATUS_BAD_WIRE_FORMAT = 7,  // malformed protobuf wire data (native/wire/)
  TFEXPORT_STATUS_COUNT = 8,
};

struct MinMax {
  float min;          // +Inf when no non-NaN element
  float max;          // -Inf when no non-NaN element
  uint64_t nan_count; // number of NaN elements skipped
};

// Parameters of tfjs affine quantization, as tensorflowjs_converter computes them.
struct AffineParams {
  double scale;  // (max - min) / qmax, or 1.0 when min == max
  double min;    // nudged min (written to the manifest as "min")
  double max;    // nudged max (clip upper bound)
  int constant;  // 1 when min == max: every code is 0
};

// ---- The specification: scalar reference kernels -------------------------------------
void convert_f32_f16_ref(const float* src, size_t n, uint16_t* dst) noexcept;
void convert_f16_f32_ref(const uint16_t* src, size_t n, float* dst) noexcept;
uint16_t f32_to_f16_bits(float f) noexcept;
float f16_bits_to_f32(uint16_t h) noexcept;

MinMax minmax_f32_ref(const float* src, size_t n) noexcept;
// Combine two partial min/max results (for chunked/threaded reductions).
MinMax minmax_combine(MinMax a, MinMax b) noexcept;

// Computes the tfjs affine parameters from a finite min/max. qmax is 255 or 65535.
AffineParams affine_params_from_minmax(float min, float max, uint32_t qmax) noexcept;
void quantize_f32_u8_affine_ref(const float* src, size_t n, const AffineParams* p,
                                uint8_t* dst) noexcept;
void quantize_f32_u16_affine_ref(const float* src, size_t n, const AffineParams* p,
                                 uint16_t* dst) noexcept;
void dequantize_u8_f32_affine_ref(const uint8_t* src, size_t n, double scale, double min,
                                  float* dst) noexcept;
void dequantize_u16_f32_affine_ref(const uint16_t* src, size_t n, double scale, double min,
                                   float* dst) noexcept;

// int8. A tensor is viewed as [outer, channels, inner] around the quantized axis
// (outer = product of dims before the axis, inner = product after).
// absmax per channel (NaN elements ignored); dst has `channels` entries, zero-initialised
// by the kernel.
void absmax_f32_per_channel_ref(const float* src, size_t outer, size_t channels, size_t inner,
                                float* absmax) noexcept;
// scale_inv[c] = 127 / absmax[c] (0 where absmax is 0), as TFLite computes it.
void quantize_f32_i8_symmetric_ref(const float* src, size_t outer, size_t channels,
                                   size_t inner, const float* scale_inv, int8_t* dst) noexcept;
void quantize_f32_i8_asymmetric_ref(const float* src, size_t n, float scale, int32_t zero_point,
                                    int8_t* dst) noexcept;
// zero_points may be null (all zero).
void dequantize_i8_f32_ref(const int8_t* src, size_t outer, size_t channels, size_t inner,
                           const float* scales, const int32_t* zero_points, float* dst) noexcept;

// Batch-norm folding: dst = float32(double(src) * scale[c]) for src viewed as
// [outer, channels, inner] (one float64 multiply, round to nearest even; NumPy's
// float32 * float64 -> astype(float32)); a NaN result is the canonical quiet NaN
// 0x7FC00000. src and dst may be the same array.
void scale_f32_per_channel_ref(const float* src, size_t outer, size_t channels, size_t inner,
                               const double* scale, float* dst) noexcept;
float canonical_nan_f32() noexcept;

// CRC-32C (Castagnoli). `crc` is the running value of a previous call (0 to start).
uint32_t crc32c_extend_ref(uint32_t crc, const uint8_t* data, size_t n) noexcept;
inline uint32_t crc32c_mask(uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
inline uint32_t crc32c_unmask(uint32_t masked) noexcept {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

// Batched 2-D transpose of fixed-size elements: dst[b][c][r] = src[b][r][c].
// elem_size is 1, 2, 4 or 8. Cache-blocked. Every layout change the writers need is one
// call: HWIO -> OHWI is (1, H*W*I, O); NHWC -> NCHW is (N, H*W, C); NCHW -> NHWC is
// (N, C, H*W); a 2-D transpose is (1, rows, cols). TF depthwise HWIM -> TFLite 1HW(I*M)
// is a pure reshape (same byte order) and needs no call.
Status transpose2d_ref(const void* src, size_t batch, size_t rows, size_t cols,
                       size_t elem_size, void* dst) noexcept;

// ---- Dispatch -----------------------------------------------------------------------
struct KernelTable {
  Isa isa;
  void (*convert_f32_f16)(const float*, size_t, uint16_t*) noexcept;
  void (*convert_f16_f32)(const uint16_t*, size_t, float*) noexcept;
  MinMax (*minmax_f32)(const float*, size_t) noexcept;
  void (*quantize_f32_u8_affine)(const float*, size_t, const AffineParams*, uint8_t*) noexcept;
  void (*quantize_f32_u16_affine)(const float*, size_t, const AffineParams*, uint16_t*) noexcept;
  void (*dequantize_u8_f32_affine)(const uint8_t*, size_t, double, double, float*) noexcept;
  void (*dequantize_u16_f32_affine)(const uint16_t*, size_t, double, double, float*) noexcept;
  void (*absmax_f32_per_channel)(const float*, size_t, size_t, size_t, float*) noexcept;
  void (*quantize_f32_i8_symmetric)(const float*, size_t, size_t, size_t, const float*,
                                    int8_t*) noexcept;
  void (*quantize_f32_i8_asymmetric)(const float*, size_t, float, int32_t, int8_t*) noexcept;
  void (*dequantize_i8_f32)(const int8_t*, size_t, size_t, size_t, const float*,
                            const int32_t*, float*) noexcept;
  void (*scale_f32_per_channel)(const float*, size_t, size_t, size_t, const double*,
                                float*) noexcept;
  uint32_t (*crc32c_extend)(uint32_t, const uint8_t*, size_t) noexcept;
  Status (*transpose2d)(const void*, size_t, size_t, size_t, size_t, void*) noexcept;
};

const char* isa_name(Isa isa) noexcept;
// Parses "scalar|sse41|avx2|avx512|neon"; returns TFEXPORT_ISA_COUNT for an unknown name.
Isa isa_from_name(const char* name) noexcept;
// True when this CPU and OS support the ISA and this build compiled it.
bool isa_available(Isa isa) noexcept;
// The best available ISA, ignoring the override.
Isa isa_best() noexcept;
// The table for a given ISA (must be available), or for the active ISA.
const KernelTable* kernels_for(Isa isa) noexcept;
// The active table: TFEXPORT_FORCE_ISA when set (validated once), else the best.
// Returns null and sets *status when TFEXPORT_FORCE_ISA is unknown or unavailable.
const KernelTable* kernels_active(Status* status) noexcept;
const char* status_name(Status s) noexcept;

}  // namespace tfx

#endif  // TFEXPORT_KERNELS_H_
