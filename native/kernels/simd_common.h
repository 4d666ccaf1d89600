// SPDX-License-Identifier: Apache-2.0
// Internal: constants shared by the x86-64 and AArch64 variants (and by the tests, which
// size some inputs to cross the thresholds).
#ifndef TFEXPORT_SIMD_COMMON_H_
#define TFEXPORT_SIMD_COMMON_H_

#include <cstddef>
#include <cstdint>

namespace tfx {

// Bytes moved by one kernel call (input + output) from which the streaming variants write
// with non-temporal stores. Below about half the L3 (32 MiB on the Zen 4 this was tuned
// on) the data is likely still cached when the caller reads it, and cached stores were
// faster (f16 -> f32: 12 MiB moved, 0.17-0.25 ms cached vs 0.33 ms streamed); above it,
// streaming saves the read-for-ownership of every destination line (24 MiB moved: 0.67 ms
// streamed vs 0.74-0.85 ms cached).
constexpr size_t kStreamMinBytes = size_t{16} << 20;

// Margin of the reciprocal fast path of the affine quantizer (see quant_affine_x86.cc): a
// quotient computed as d * (1/scale) is trusted only when its distance to the nearest
// k + 0.5 exceeds this; other groups redo the true division. The actual error of the fast
// quotient is below 2^-35 for quotients below 2^16.
constexpr double kAffineTieMargin = 1.0 / (1 << 24);
static_assert(kAffineTieMargin > 1.0 / (1ull << 35) && kAffineTieMargin < 0.25,
              "the margin must exceed the fast quotient's error and leave a usable fast path");

// True when a call moving `bytes` (input + output) should stream its output. Streaming
// stores need an element-aligned destination: they start after a head that brings it to a
// vector boundary.
inline bool stream_output(const void* dst, size_t bytes, size_t elem) noexcept {
  return bytes >= kStreamMinBytes && (reinterpret_cast<uintptr_t>(dst) % elem) == 0;
}

// Elements to process before an element-aligned `dst` reaches an `align`-byte boundary,
// capped at n.
inline size_t head_to_align(const void* dst, size_t elem, size_t align, size_t n) noexcept {
  const size_t mis = reinterpret_cast<uintptr_t>(dst) & (align - 1);
  const size_t h = mis == 0 ? 0 : (align - mis) / elem;
  return h < n ? h : n;
}

}  // namespace tfx

#endif  // TFEXPORT_SIMD_COMMON_H_
