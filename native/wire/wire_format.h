// SPDX-License-Identifier: Apache-2.0
// Protocol-buffer wire-format primitives: bounds-checked varint/tag readers and varint
// writers. Plain C++17, no N-API, no allocation, no exceptions.
//
// Invariants every reader keeps:
//  - it never reads at or beyond `limit`, the end of the enclosing message (which is itself
//    never beyond the end of the buffer);
//  - a varint is at most 10 bytes and fits in 64 bits (the 10th byte is 0 or 1);
//  - a tag fits in 32 bits and names a field number in [1, 2^29 - 1];
//  - wire types 6 and 7 do not exist.
#ifndef TFEXPORT_WIRE_FORMAT_H_
#define TFEXPORT_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace tfx {
namespace wire {

enum WireType : uint32_t {
  WIRE_VARINT = 0,
  WIRE_I64 = 1,
  WIRE_LEN = 2,
  WIRE_SGROUP = 3,
  WIRE_EGROUP = 4,
  WIRE_I32 = 5,
};

constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
constexpr size_t kMaxVarintBytes = 10;

// What a primitive read found wrong (kept in WireDiag::error by the walkers).
enum ReadError : int {
  READ_OK = 0,
  READ_TRUNCATED = 1,       // ran past `limit` before the item ended
  READ_VARINT_TOO_LONG = 2, // more than 10 bytes, or beyond 64 bits
};

// Reads a varint starting at p[pos], never touching p[limit] or beyond. On success stores
// the value and the position after the varint.
inline ReadError read_varint(const uint8_t* p, uint64_t pos, uint64_t limit, uint64_t* value,
                             uint64_t* next) noexcept {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (pos + i >= limit) return READ_TRUNCATED;
    const uint8_t b = p[pos + i];
    if (i == kMaxVarintBytes - 1 && b > 1) return READ_VARINT_TOO_LONG;  // beyond 64 bits
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *value = v;
      *next = pos + i + 1;
      return READ_OK;
    }
  }
  return READ_VARINT_TOO_LONG;
}

// Bytes a minimal varint encoding of v takes (1..10).
inline size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes the minimal varint encoding of v at dst (which has room for varint_size(v) bytes).
inline size_t write_varint(uint64_t v, uint8_t* dst) noexcept {
  size_t n = 0;
  while (v >= 0x80) {
    dst[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  dst[n++] = static_cast<uint8_t>(v);
  return n;
}

constexpr uint32_t make_tag(uint32_t field, WireType wt) noexcept { return (field << 3) | wt; }

}  // namespace wire
}  // namespace tfx

#endif  // TFEXPORT_WIRE_FORMAT_H_
