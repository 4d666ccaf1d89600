// SPDX-License-Identifier: Apache-2.0
// CRC-32C with the AArch64 CRC32 extension (__crc32cd): three independent streams over
// adjacent blocks, combined with the zero-byte shift operators of crc32c_shift.h.
#include <cstring>

#include "../crc32c_shift.h"
#include "neon_kernels.h"

#if defined(__aarch64__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <arm_acle.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

namespace tfx {

bool crc32_hw_available() noexcept {
#if defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
  return true;  // every Apple AArch64 core implements ARMv8.4+ (CRC32 mandatory)
#else
  return false;
#endif
}

namespace {

constexpr crc32c_detail::ShiftTable kShiftLong = crc32c_detail::make_shift_table(crc32c_detail::kLongBlock);
constexpr crc32c_detail::ShiftTable kShiftShort = crc32c_detail::make_shift_table(crc32c_detail::kShortBlock);

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

template <size_t kBlock>
__attribute__((target("+crc"))) inline uint32_t crc_3way(uint32_t c0, const uint8_t** data, size_t* n,
                                                         const crc32c_detail::ShiftTable& shift) noexcept {
  const uint8_t* p = *data;
  size_t len = *n;
  while (len >= 3 * kBlock) {
    uint32_t c1 = 0, c2 = 0;
    const uint8_t* end = p + kBlock;
    do {
      c0 = __crc32cd(c0, load64(p));
      c1 = __crc32cd(c1, load64(p + kBlock));
      c2 = __crc32cd(c2, load64(p + 2 * kBlock));
      p += 8;
    } while (p < end);
    c0 = crc32c_detail::shift(shift, c0) ^ c1;
    c0 = crc32c_detail::shift(shift, c0) ^ c2;
    p += 2 * kBlock;
    len -= 3 * kBlock;
  }
  *data = p;
  *n = len;
  return c0;
}

}  // namespace

__attribute__((target("+crc"))) uint32_t crc32c_extend_neon(uint32_t crc, const uint8_t* data,
                                                            size_t n) noexcept {
  uint32_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(data) & 7u) != 0) {
    c = __crc32cb(c, *data++);
    --n;
  }
  c = crc_3way<crc32c_detail::kLongBlock>(c, &data, &n, kShiftLong);
  c = crc_3way<crc32c_detail::kShortBlock>(c, &data, &n, kShiftShort);
  while (n >= 8) {
    c = __crc32cd(c, load64(data));
    data += 8;
    n -= 8;
  }
  while (n--) c = __crc32cb(c, *data++);
  return ~c;
}

}  // namespace tfx
#endif
