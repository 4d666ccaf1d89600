// SPDX-License-Identifier: Apache-2.0
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), reference: slicing-by-8 tables.
#include <cstring>

#include "kernels.h"

namespace tfx {

namespace {
struct Crc32cTables {
  uint32_t t[8][256];
  Crc32cTables() noexcept {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xffu];
    }
  }
};
const Crc32cTables& tables() noexcept {
  static const Crc32cTables k;
  return k;
}
}  // namespace

uint32_t crc32c_extend_ref(uint32_t crc, const uint8_t* data, size_t n) noexcept {
  const Crc32cTables& T = tables();
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, data, 4);
    std::memcpy(&hi, data + 4, 4);
    lo ^= c;  // little-endian hosts only (checked in dispatch.cc)
    c = T.t[7][lo & 0xff] ^ T.t[6][(lo >> 8) & 0xff] ^ T.t[5][(lo >> 16) & 0xff] ^
        T.t[4][lo >> 24] ^ T.t[3][hi & 0xff] ^ T.t[2][(hi >> 8) & 0xff] ^
        T.t[1][(hi >> 16) & 0xff] ^ T.t[0][hi >> 24];
    data += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ T.t[0][(c ^ *data++) & 0xffu];
  return ~c;
}

}  // namespace tfx
