// SPDX-License-Identifier: Apache-2.0
// Internal: CRC-32C "shift by N zero bytes" operators, for the hardware variants that run
// three independent crc32 streams over adjacent blocks and then combine them (the crc32
// instruction has a latency of about 3 cycles and a throughput of 1 per cycle, so a single
// dependent chain uses a third of it).
//
// Combining: if A and B are adjacent blocks and B has length L, then (on the raw,
// uninverted register) crc(A || B) = shift_L(crc(A)) ^ crc_from_zero(B), where shift_L is the
// linear map "feed L zero bytes". shift_L is a 32x32 matrix over GF(2), applied with four
// 256-entry tables (one per input byte). Tables are computed at compile time.
// After Mark Adler's crc32c.c (zlib licence), rewritten for constexpr.
#ifndef TFEXPORT_CRC32C_SHIFT_H_
#define TFEXPORT_CRC32C_SHIFT_H_

#include <cstddef>
#include <cstdint>

namespace tfx {
namespace crc32c_detail {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

struct Gf2Matrix {
  uint32_t col[32] = {};
};

constexpr uint32_t gf2_times(const Gf2Matrix& m, uint32_t v) {
  uint32_t sum = 0;
  for (int i = 0; v != 0; ++i, v >>= 1) {
    if (v & 1u) sum ^= m.col[i];
  }
  return sum;
}

constexpr Gf2Matrix gf2_square(const Gf2Matrix& m) {
  Gf2Matrix r;
  for (int i = 0; i < 32; ++i) r.col[i] = gf2_times(m, m.col[i]);
  return r;
}

// Operator for `len` zero bytes; len must be a power of two.
constexpr Gf2Matrix zeros_operator(size_t len) {
  Gf2Matrix op;  // one zero bit
  op.col[0] = kPoly;
  for (int i = 1; i < 32; ++i) op.col[i] = 1u << (i - 1);
  for (int i = 0; i < 3; ++i) op = gf2_square(op);  // 2, 4, 8 bits: one zero byte
  for (size_t l = len; l > 1; l >>= 1) op = gf2_square(op);
  return op;
}

struct ShiftTable {
  uint32_t t[4][256] = {};
};

constexpr ShiftTable make_shift_table(size_t len) {
  const Gf2Matrix op = zeros_operator(len);
  ShiftTable s;
  for (uint32_t i = 0; i < 256; ++i) {
    s.t[0][i] = gf2_times(op, i);
    s.t[1][i] = gf2_times(op, i << 8);
    s.t[2][i] = gf2_times(op, i << 16);
    s.t[3][i] = gf2_times(op, i << 24);
  }
  return s;
}

inline uint32_t shift(const ShiftTable& s, uint32_t crc) noexcept {
  return s.t[0][crc & 0xffu] ^ s.t[1][(crc >> 8) & 0xffu] ^ s.t[2][(crc >> 16) & 0xffu] ^
         s.t[3][crc >> 24];
}

// Block sizes of the three-stream loops (each stream gets one block): long blocks for bulk
// data, short ones for what is left. Multiples of 8 (whole 64-bit words).
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;
static_assert(kLongBlock % 8 == 0 && kShortBlock % 8 == 0, "blocks must be whole words");
static_assert((kLongBlock & (kLongBlock - 1)) == 0 && (kShortBlock & (kShortBlock - 1)) == 0,
              "zeros_operator needs powers of two");

}  // namespace crc32c_detail
}  // namespace tfx

#endif  // TFEXPORT_CRC32C_SHIFT_H_
