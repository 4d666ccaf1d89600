// SPDX-License-Identifier: Apache-2.0
// LevelDB-format table block reader; see sstable.h for the layout and invariants. Every check
// mirrors src/formats/tensorbundle/sstable.ts (same order, same status / error code).
#include "sstable.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "../kernels/kernels.h"
#include "wire_format.h"

namespace tfx {
namespace sstable {

namespace {

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
SstStatus fail(SstDiag* d, SstStatus s, uint64_t at, const char* fmt, ...) noexcept {
  if (d != nullptr) {
    d->status = s;
    d->offset = at;
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(d->what, sizeof d->what, fmt, ap);
    va_end(ap);
  }
  return s;
}

inline unsigned long long ull(uint64_t v) noexcept { return static_cast<unsigned long long>(v); }

uint32_t load_u32le(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint64_t load_u64le(const uint8_t* p) noexcept {
  return static_cast<uint64_t>(load_u32le(p)) | (static_cast<uint64_t>(load_u32le(p + 4)) << 32);
}

// A varint as the TS reader takes it: <= 10 bytes, value a safe integer (<= 2^53 - 1).
SstStatus varint(const uint8_t* p, uint64_t pos, uint64_t limit, uint64_t* value, uint64_t* next,
                 SstDiag* d) noexcept {
  const wire::ReadError e = wire::read_varint(p, pos, limit, value, next);
  if (e == wire::READ_TRUNCATED) return fail(d, SST_CORRUPT, pos, "truncated varint at byte %llu", ull(pos));
  if (e != wire::READ_OK) return fail(d, SST_CORRUPT, pos, "varint at byte %llu longer than 10 bytes or beyond 64 bits", ull(pos));
  if (*value > kMaxSafeInteger) return fail(d, SST_CORRUPT, pos, "varint %llu at byte %llu too large", ull(*value), ull(pos));
  return SST_OK;
}

SstStatus from_snappy(const SnappyDiag& s, SstDiag* d) noexcept {
  return fail(d, SST_SNAPPY, s.offset, "%s (compressed byte %llu)", s.what, ull(s.offset));
}

}  // namespace

const char* sst_status_name(SstStatus s) noexcept {
  switch (s) {
    case SST_OK: return "OK";
    case SST_CORRUPT: return "SSTABLE_CORRUPT";
    case SST_CRC: return "SSTABLE_CRC";
    case SST_MAGIC: return "SSTABLE_MAGIC";
    case SST_SNAPPY: return "SNAPPY";
    case SST_UNSUPPORTED: return "SSTABLE_UNSUPPORTED";
    case SST_BAD_ARGUMENT: return "BAD_ARGUMENT";
  }
  return "SSTABLE_CORRUPT";
}

SstStatus decode_block_handle(const uint8_t* p, size_t n, bool exact, BlockHandle* h,
                              size_t* consumed, SstDiag* d) noexcept {
  uint64_t off = 0, size = 0, pos = 0;
  SstStatus s = varint(p, 0, n, &off, &pos, d);
  if (s != SST_OK) return s;
  s = varint(p, pos, n, &size, &pos, d);
  if (s != SST_OK) return s;
  if (exact && pos != n) return fail(d, SST_CORRUPT, pos, "trailing bytes after the block handle");
  h->offset = off;
  h->size = size;
  if (consumed != nullptr) *consumed = static_cast<size_t>(pos);
  return SST_OK;
}

SstStatus parse_footer(const uint8_t* footer, size_t n, BlockHandle* metaindex,
                       BlockHandle* index, SstDiag* d) noexcept {
  if (n != kFooterSize) {
    return fail(d, SST_BAD_ARGUMENT, 0, "footer of %llu bytes, expected %llu", ull(n), ull(kFooterSize));
  }
  const uint64_t magic = load_u64le(footer + 40);
  if (magic != kTableMagic) {
    return fail(d, SST_MAGIC, 40,
                "bad table magic 0x%llx (expected 0x%llx): not a TensorBundle index / LevelDB table",
                ull(magic), ull(kTableMagic));
  }
  size_t used = 0;
  SstStatus s = decode_block_handle(footer, 40, false, metaindex, &used, d);
  if (s != SST_OK) return s;
  size_t used2 = 0;
  s = decode_block_handle(footer + used, 40 - used, false, index, &used2, d);
  if (s != SST_OK && d != nullptr) d->offset += used;
  return s;
}

SstStatus check_block(const uint8_t* raw, size_t n, CrcExtendFn crc, uint64_t max_block,
                      uint8_t* type, uint64_t* uncompressed, SstDiag* d) noexcept {
  if (n < kBlockTrailerSize) {
    return fail(d, SST_BAD_ARGUMENT, 0, "block of %llu bytes has no room for its 5-byte trailer", ull(n));
  }
  const size_t body = n - kBlockTrailerSize;
  if (body > max_block) {
    return fail(d, SST_CORRUPT, 0, "block size %llu exceeds the %llu-byte limit", ull(body), ull(max_block));
  }
  const uint32_t stored = load_u32le(raw + body + 1);
  const uint32_t actual = crc32c_mask((crc != nullptr ? crc : crc32c_extend_ref)(0, raw, body + 1));
  if (stored != actual) {
    return fail(d, SST_CRC, body + 1,
                "block checksum mismatch (stored masked crc32c 0x%x, computed 0x%x)", stored, actual);
  }
  const uint8_t t = raw[body];
  *type = t;
  *uncompressed = body;
  if (t == kNoCompression) return SST_OK;
  if (t == kSnappyCompression) {
    SnappyDiag sd;
    size_t start = 0;
    if (!snappy_declared_length(raw, body, max_block, uncompressed, &start, &sd)) return from_snappy(sd, d);
    return SST_OK;
  }
  return fail(d, SST_UNSUPPORTED, body, "unknown block compression type %u", static_cast<unsigned>(t));
}

SstStatus snappy_length(const uint8_t* src, size_t n, uint64_t max_output, uint64_t* length,
                        SstDiag* d) noexcept {
  SnappyDiag sd;
  size_t start = 0;
  if (!snappy_declared_length(src, n, max_output, length, &start, &sd)) return from_snappy(sd, d);
  return SST_OK;
}

SstStatus decompress_block(const uint8_t* body, size_t n, uint64_t max_block, uint8_t* dst,
                           size_t dst_len, SstDiag* d) noexcept {
  SnappyDiag sd;
  if (!snappy_decompress(body, n, max_block, dst, dst_len, &sd)) return from_snappy(sd, d);
  return SST_OK;
}

SstStatus parse_block(const uint8_t* block, size_t n, BlockRecord* out, size_t cap,
                      size_t* count, uint64_t* key_bytes, SstDiag* d) noexcept {
  *count = 0;
  if (key_bytes != nullptr) *key_bytes = 0;
  if (n < 4) return fail(d, SST_CORRUPT, 0, "block of %llu bytes is too small for its restart count", ull(n));
  const uint64_t num_restarts = load_u32le(block + n - 4);
  if (num_restarts > (n - 4) / 4) {
    return fail(d, SST_CORRUPT, n - 4, "restart count %llu does not fit in a block of %llu bytes",
                ull(num_restarts), ull(n));
  }
  const uint64_t limit = n - 4 - num_restarts * 4;  // end of the data region
  for (uint64_t i = 0; i < num_restarts; ++i) {
    const uint64_t r = load_u32le(block + limit + i * 4);
    if (r > limit) {
      return fail(d, SST_CORRUPT, limit + i * 4, "restart point %llu beyond the records (%llu bytes)",
                  ull(r), ull(limit));
    }
  }
  uint64_t pos = 0;
  uint64_t prev_key = 0;  // length of the previous key (0 before the first record)
  size_t k = 0;
  uint64_t keys = 0;
  while (pos < limit) {
    const uint64_t start = pos;
    uint64_t shared = 0, delta = 0, vlen = 0;
    SstStatus s = varint(block, pos, limit, &shared, &pos, d);
    if (s == SST_OK) s = varint(block, pos, limit, &delta, &pos, d);
    if (s == SST_OK) s = varint(block, pos, limit, &vlen, &pos, d);
    if (s != SST_OK) {
      if (d != nullptr) {
        char inner[sizeof d->what];
        std::memcpy(inner, d->what, sizeof inner);
        fail(d, s, d->offset, "record at block byte %llu: %s", ull(start), inner);
      }
      return s;
    }
    if (shared > prev_key) {
      return fail(d, SST_CORRUPT, start,
                  "record at block byte %llu shares %llu key bytes but the previous key has %llu",
                  ull(start), ull(shared), ull(prev_key));
    }
    if (delta > limit - pos || vlen > limit - pos - delta) {
      return fail(d, SST_CORRUPT, start,
                  "record at block byte %llu (key %llu + value %llu bytes) runs past the records (%llu bytes)",
                  ull(start), ull(delta), ull(vlen), ull(limit));
    }
    if (out != nullptr) {
      if (k >= cap) return fail(d, SST_BAD_ARGUMENT, start, "record output of %llu entries is too small", ull(cap));
      out[k] = BlockRecord{shared, pos, delta, pos + delta, vlen};
    }
    ++k;
    prev_key = shared + delta;
    keys += prev_key;
    pos += delta + vlen;
  }
  *count = k;
  if (key_bytes != nullptr) *key_bytes = keys;
  return SST_OK;
}

}  // namespace sstable
}  // namespace tfx
