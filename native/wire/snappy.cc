// SPDX-License-Identifier: Apache-2.0
// Raw Snappy decoder; see snappy.h for the invariants. Messages match snappy.ts.
#include "snappy.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace tfx {
namespace sstable {

namespace {

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
bool fail(SnappyDiag* d, uint64_t at, const char* fmt, ...) noexcept {
  if (d != nullptr) {
    d->offset = at;
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(d->what, sizeof d->what, fmt, ap);
    va_end(ap);
  }
  return false;
}

// ceil(64 * n / 3) + 64, as snappy.ts computes it (exact for n < 2^57).
uint64_t max_expansion(uint64_t n) noexcept { return (n * 64 + 2) / 3 + 64; }

}  // namespace

bool snappy_declared_length(const uint8_t* src, size_t n, uint64_t max_output,
                            uint64_t* declared, size_t* body_start, SnappyDiag* diag) noexcept {
  uint64_t v = 0;
  size_t pos = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (pos >= n) return fail(diag, pos, "truncated length preamble");
    if (shift > 28) return fail(diag, pos, "length preamble longer than 5 bytes");
    const uint8_t b = src[pos++];
    v += static_cast<uint64_t>(b & 0x7f) << shift;  // shift <= 28: at most 35 bits
    if (b < 0x80) break;
  }
  const unsigned long long vv = v;
  if (v > 0xffffffffull) return fail(diag, 0, "declared length %llu exceeds 32 bits", vv);
  if (v > max_output) {
    return fail(diag, 0, "declared length %llu exceeds the limit of %llu bytes", vv,
                static_cast<unsigned long long>(max_output));
  }
  if (v > max_expansion(n)) {
    return fail(diag, 0, "declared length %llu is more than %llu compressed bytes can hold", vv,
                static_cast<unsigned long long>(n));
  }
  *declared = v;
  *body_start = pos;
  return true;
}

bool snappy_decompress(const uint8_t* src, size_t n, uint64_t max_output, uint8_t* dst,
                       size_t dst_len, SnappyDiag* diag) noexcept {
  uint64_t declared = 0;
  size_t pos = 0;
  if (!snappy_declared_length(src, n, max_output, &declared, &pos, diag)) return false;
  if (declared != dst_len) {
    return fail(diag, 0, "output buffer of %llu bytes for a declared length of %llu",
                static_cast<unsigned long long>(dst_len), static_cast<unsigned long long>(declared));
  }
  uint64_t op = 0;  // bytes written; invariant op <= declared
  while (pos < n) {
    const size_t tag_at = pos;
    const uint8_t tag = src[pos++];
    const unsigned type = tag & 3u;
    if (type == 0) {  // literal
      uint64_t len = tag >> 2;
      if (len >= 60) {
        const size_t extra = static_cast<size_t>(len - 59);  // 1..4 little-endian bytes
        if (extra > n - pos) return fail(diag, tag_at, "truncated literal length");
        len = 0;
        for (size_t i = 0; i < extra; ++i) len |= static_cast<uint64_t>(src[pos + i]) << (8 * i);
        pos += extra;
      }
      len += 1;
      if (len > n - pos) {
        return fail(diag, tag_at, "literal of %llu bytes runs past the input",
                    static_cast<unsigned long long>(len));
      }
      if (len > declared - op) {
        return fail(diag, tag_at, "literal of %llu bytes runs past the declared length %llu",
                    static_cast<unsigned long long>(len), static_cast<unsigned long long>(declared));
      }
      std::memcpy(dst + op, src + pos, static_cast<size_t>(len));
      pos += static_cast<size_t>(len);
      op += len;
      continue;
    }
    uint64_t len = 0;
    uint64_t offset = 0;
    if (type == 1) {  // 1-byte offset: 3 high bits in the tag
      if (n - pos < 1) return fail(diag, tag_at, "truncated copy");
      len = 4 + ((tag >> 2) & 7u);
      offset = (static_cast<uint64_t>(tag >> 5) << 8) | src[pos];
      pos += 1;
    } else if (type == 2) {  // 2-byte offset
      if (n - pos < 2) return fail(diag, tag_at, "truncated copy");
      len = 1 + (tag >> 2);
      offset = static_cast<uint64_t>(src[pos]) | (static_cast<uint64_t>(src[pos + 1]) << 8);
      pos += 2;
    } else {  // 4-byte offset
      if (n - pos < 4) return fail(diag, tag_at, "truncated copy");
      len = 1 + (tag >> 2);
      offset = static_cast<uint64_t>(src[pos]) | (static_cast<uint64_t>(src[pos + 1]) << 8) |
               (static_cast<uint64_t>(src[pos + 2]) << 16) |
               (static_cast<uint64_t>(src[pos + 3]) << 24);
      pos += 4;
    }
    if (offset == 0 || offset > op) {
      return fail(diag, tag_at, "copy offset %llu outside the %llu bytes written",
                  static_cast<unsigned long long>(offset), static_cast<unsigned long long>(op));
    }
    if (len > declared - op) {
      return fail(diag, tag_at, "copy of %llu bytes runs past the declared length %llu",
                  static_cast<unsigned long long>(len), static_cast<unsigned long long>(declared));
    }
    // Byte by byte: an overlapping copy (offset < len) repeats the last `offset` bytes.
    const uint64_t from = op - offset;
    for (uint64_t i = 0; i < len; ++i) dst[op + i] = dst[from + i];
    op += len;
  }
  if (op != declared) {
    return fail(diag, pos, "produced %llu bytes, the preamble declared %llu",
                static_cast<unsigned long long>(op), static_cast<unsigned long long>(declared));
  }
  return true;
}

}  // namespace sstable
}  // namespace tfx
