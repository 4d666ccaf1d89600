// SPDX-License-Identifier: Apache-2.0
// CRC-32C with the SSE4.2 crc32 instruction: three independent streams over adjacent
// blocks, combined with the zero-byte shift operators of crc32c_shift.h.
#include <cstring>

#include "../crc32c_shift.h"
#include "x86_kernels.h"

#if defined(__x86_64__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <nmmintrin.h>

namespace tfx {

namespace {

constexpr crc32c_detail::ShiftTable kShiftLong = crc32c_detail::make_shift_table(crc32c_detail::kLongBlock);
constexpr crc32c_detail::ShiftTable kShiftShort = crc32c_detail::make_shift_table(crc32c_detail::kShortBlock);

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Three streams of `block` bytes each, as long as 3 * block bytes remain.
template <size_t kBlock>
TFX_TARGET_SSE41 inline uint64_t crc_3way(uint64_t c0, const uint8_t** data, size_t* n,
                                          const crc32c_detail::ShiftTable& shift) noexcept {
  const uint8_t* p = *data;
  size_t len = *n;
  while (len >= 3 * kBlock) {
    uint64_t c1 = 0, c2 = 0;
    const uint8_t* end = p + kBlock;
    do {
      c0 = _mm_crc32_u64(c0, load64(p));
      c1 = _mm_crc32_u64(c1, load64(p + kBlock));
      c2 = _mm_crc32_u64(c2, load64(p + 2 * kBlock));
      p += 8;
    } while (p < end);
    c0 = crc32c_detail::shift(shift, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
    c0 = crc32c_detail::shift(shift, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c2);
    p += 2 * kBlock;
    len -= 3 * kBlock;
  }
  *data = p;
  *n = len;
  return c0;
}

}  // namespace

TFX_TARGET_SSE41 uint32_t crc32c_extend_sse42(uint32_t crc, const uint8_t* data, size_t n) noexcept {
  uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(data) & 7u) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *data++);
    --n;
  }
  c = crc_3way<crc32c_detail::kLongBlock>(c, &data, &n, kShiftLong);
  c = crc_3way<crc32c_detail::kShortBlock>(c, &data, &n, kShiftShort);
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(data));
    data += 8;
    n -= 8;
  }
  while (n--) c = _mm_crc32_u8(static_cast<uint32_t>(c), *data++);
  return ~static_cast<uint32_t>(c);
}

}  // namespace tfx
#endif
