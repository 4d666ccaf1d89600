// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the LevelDB-table (TensorBundle .index) block reader and the Snappy
// decoder (native/wire/sstable.h, snappy.h). Build and run: scripts/fuzz.sh [seconds] sstable.
// Compiled with -fsanitize=fuzzer,address,undefined; links native/kernels/crc32c.cc only.
//
// Input: byte 0 selects the mode, the rest is the payload.
//   bit 1 clear: the payload is a whole table file: footer, index block, every data block.
//                bit 0 set: block CRCs are recomputed in a copy before checking (so the
//                fuzzer reaches the record and snappy code instead of stopping at the CRC).
//   bit 1 set:   the payload is one block body; bit 2 picks its compression type (0 none,
//                1 snappy), bit 3 an unknown type (2..255 from byte 1) instead; the harness
//                appends a trailer with a correct CRC.
//
// Invariants checked on every input (abort() on violation, so libFuzzer records a crash):
//  1. every failure carries a status name and a non-empty message;
//  2. a footer that parses has the right magic; handles are what decode_block_handle gives;
//  3. check_block succeeds only for types 0/1; the snappy length it reports is <= the limit
//     and equals snappy_length's; decompress_block into that many bytes either fails with
//     SST_SNAPPY or fills it, and into any other size fails;
//  4. parse_block: the counting and filling passes agree (status, count, key bytes); every
//     key delta and value lies inside the block's data region; shared <= previous key length;
//     records do not overlap and appear in order; parsing again gives identical records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../kernels/kernels.h"
#include "../wire/sstable.h"

using namespace tfx;
using namespace tfx::sstable;

namespace {

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

constexpr uint64_t kMaxBlock = 1u << 20;  // small, so hostile preambles are refused fast

void check_failure(SstStatus s, const SstDiag& d) {
  CHECK(s != SST_OK);
  CHECK(d.status == s);
  CHECK(d.what[0] != '\0');
  CHECK(std::strlen(sst_status_name(s)) > 0);
}

bool same(const BlockRecord& a, const BlockRecord& b) {
  return a.shared == b.shared && a.key_offset == b.key_offset && a.key_delta == b.key_delta &&
         a.value_offset == b.value_offset && a.value_length == b.value_length;
}

// Invariant 4. Returns the records (empty on failure).
std::vector<BlockRecord> parse_and_check(const uint8_t* block, size_t n) {
  size_t count = 0;
  uint64_t keys = 0;
  SstDiag d;
  const SstStatus s = parse_block(block, n, nullptr, 0, &count, &keys, &d);
  std::vector<BlockRecord> recs;
  if (s != SST_OK) {
    check_failure(s, d);
    CHECK(s == SST_CORRUPT);
    return recs;
  }
  CHECK(n >= 4);
  CHECK(count <= n / 3);
  recs.resize(count);
  size_t count2 = 0;
  uint64_t keys2 = 0;
  SstDiag d2;
  CHECK(parse_block(block, n, recs.data(), recs.size(), &count2, &keys2, &d2) == SST_OK);
  CHECK(count2 == count && keys2 == keys);
  const uint64_t num_restarts = static_cast<uint64_t>(block[n - 4]) | (uint64_t(block[n - 3]) << 8) |
                                (uint64_t(block[n - 2]) << 16) | (uint64_t(block[n - 1]) << 24);
  const uint64_t limit = n - 4 - 4 * num_restarts;
  uint64_t prev_key = 0, prev_end = 0, key_sum = 0;
  for (const BlockRecord& r : recs) {
    CHECK(r.shared <= prev_key);
    CHECK(r.key_offset >= prev_end + 3);  // three varints precede the key delta
    CHECK(r.key_offset <= limit && r.key_delta <= limit - r.key_offset);
    CHECK(r.value_offset == r.key_offset + r.key_delta);
    CHECK(r.value_offset <= limit && r.value_length <= limit - r.value_offset);
    prev_end = r.value_offset + r.value_length;
    prev_key = r.shared + r.key_delta;
    key_sum += prev_key;
  }
  CHECK(key_sum == keys);
  if (!recs.empty()) CHECK(prev_end == limit);
  // Re-iterating gives the same records.
  std::vector<BlockRecord> again(count);
  size_t count3 = 0;
  CHECK(parse_block(block, n, again.data(), again.size(), &count3, nullptr, &d2) == SST_OK);
  CHECK(count3 == count);
  for (size_t i = 0; i < count; ++i) CHECK(same(recs[i], again[i]));
  // Too small an output is refused, never overrun.
  if (count > 0) {
    std::vector<BlockRecord> small(count);  // non-empty, so data() is not null (counting mode)
    CHECK(parse_block(block, n, small.data(), count - 1, &count3, nullptr, &d2) == SST_BAD_ARGUMENT);
  }
  return recs;
}

// Invariant 3: checks and (maybe) decompresses raw = body + trailer; parses the block.
std::vector<uint8_t> read_block(const uint8_t* raw, size_t n, bool* ok) {
  *ok = false;
  uint8_t type = 0xff;
  uint64_t len = 0;
  SstDiag d;
  const SstStatus s = check_block(raw, n, nullptr, kMaxBlock, &type, &len, &d);
  if (s != SST_OK) {
    check_failure(s, d);
    return {};
  }
  CHECK(type == kNoCompression || type == kSnappyCompression);
  const size_t body = n - kBlockTrailerSize;
  if (type == kNoCompression) {
    CHECK(len == body);
    *ok = true;
    return std::vector<uint8_t>(raw, raw + body);
  }
  CHECK(len <= kMaxBlock);
  uint64_t len2 = 0;
  CHECK(snappy_length(raw, body, kMaxBlock, &len2, &d) == SST_OK && len2 == len);
  std::vector<uint8_t> out(len);
  const SstStatus s2 = decompress_block(raw, body, kMaxBlock, out.data(), out.size(), &d);
  if (s2 != SST_OK) {
    check_failure(s2, d);
    CHECK(s2 == SST_SNAPPY);
    return {};
  }
  // A wrong output size is refused.
  std::vector<uint8_t> wrong(len + 1);
  CHECK(decompress_block(raw, body, kMaxBlock, wrong.data(), wrong.size(), &d) == SST_SNAPPY);
  *ok = true;
  return out;
}

void fix_crc(uint8_t* raw, size_t n) {
  const size_t body = n - kBlockTrailerSize;
  const uint32_t c = crc32c_mask(crc32c_extend_ref(0, raw, body + 1));
  for (int i = 0; i < 4; ++i) raw[body + 1 + i] = static_cast<uint8_t>(c >> (8 * i));
}

void fuzz_table(const uint8_t* p, size_t n, bool fix) {
  if (n < kFooterSize) return;
  std::vector<uint8_t> file(p, p + n);
  const size_t footer_at = n - kFooterSize;
  BlockHandle meta, index;
  SstDiag d;
  SstStatus s = parse_footer(file.data() + footer_at, kFooterSize, &meta, &index, &d);
  if (s != SST_OK) {
    check_failure(s, d);
    return;
  }
  uint64_t magic = 0;
  for (int i = 7; i >= 0; --i) magic = (magic << 8) | file[footer_at + 40 + i];
  CHECK(magic == kTableMagic);
  BlockHandle h2;
  size_t used = 0;
  CHECK(decode_block_handle(file.data() + footer_at, 40, false, &h2, &used, &d) == SST_OK);
  CHECK(h2.offset == meta.offset && h2.size == meta.size);
  // The TS reader's bounds check on a handle, before any block is read.
  auto in_bounds = [&](const BlockHandle& h) {
    return h.size <= kMaxBlock && h.offset <= footer_at &&
           h.size + kBlockTrailerSize <= footer_at - h.offset;
  };
  if (!in_bounds(index)) return;
  uint8_t* raw = file.data() + index.offset;
  const size_t raw_n = static_cast<size_t>(index.size + kBlockTrailerSize);
  if (fix) fix_crc(raw, raw_n);
  bool ok = false;
  std::vector<uint8_t> ib = read_block(raw, raw_n, &ok);
  if (!ok) return;
  std::vector<BlockRecord> irecs = parse_and_check(ib.data(), ib.size());
  size_t blocks = 0;
  for (const BlockRecord& r : irecs) {
    if (++blocks > 64) break;  // keep each input cheap
    BlockHandle h;
    s = decode_block_handle(ib.data() + r.value_offset, static_cast<size_t>(r.value_length), true, &h, &used, &d);
    if (s != SST_OK) {
      check_failure(s, d);
      CHECK(s == SST_CORRUPT);
      continue;
    }
    CHECK(used == r.value_length);
    if (!in_bounds(h)) continue;
    uint8_t* draw = file.data() + h.offset;
    const size_t dn = static_cast<size_t>(h.size + kBlockTrailerSize);
    if (fix) fix_crc(draw, dn);
    std::vector<uint8_t> db = read_block(draw, dn, &ok);
    if (ok) parse_and_check(db.data(), db.size());
  }
}

void fuzz_block(const uint8_t* p, size_t n, uint8_t mode) {
  uint8_t type = (mode & 4) ? kSnappyCompression : kNoCompression;
  if (mode & 8) {
    if (n == 0) return;
    type = p[0] < 2 ? 2 : p[0];
    ++p;
    --n;
  }
  std::vector<uint8_t> raw(p, p + n);
  raw.push_back(type);
  raw.resize(raw.size() + 4);
  fix_crc(raw.data(), raw.size());
  bool ok = false;
  std::vector<uint8_t> b = read_block(raw.data(), raw.size(), &ok);
  if (type > 1) CHECK(!ok);
  if (ok) parse_and_check(b.data(), b.size());
  // A flipped CRC bit is always caught.
  raw[n + 1] ^= 1;
  uint8_t t = 0;
  uint64_t len = 0;
  SstDiag d;
  CHECK(check_block(raw.data(), raw.size(), &crc32c_extend_ref, kMaxBlock, &t, &len, &d) == SST_CRC);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  if (mode & 2) {
    fuzz_block(data + 1, size - 1, mode);
  } else {
    fuzz_table(data + 1, size - 1, (mode & 1) != 0);
  }
  return 0;
}
