// SPDX-License-Identifier: Apache-2.0
// LevelDB-format table (TensorFlow lib/io/table, a TensorBundle's `.index`) block reader.
// Plain C++17, no N-API, no allocation, no exceptions. File I/O stays in TypeScript
// (src/formats/tensorbundle/sstable.ts), which hands over the footer and each block with its
// trailer; this file mirrors that reader's checks one for one, so the native and TS paths
// accept the same tables and fail with the same status (error code) on the same byte.
//
// Layout: blocks (records + restart array), each followed by a 5-byte trailer
// (compression type, masked CRC32C of block bytes + type byte, LE), then the 48-byte footer:
// metaindex handle and index handle (varint64 offset, varint64 size each), zero padding to
// 40 bytes, magic 0xdb4775248b80fb57 (LE u64).
//
// Invariants every function keeps:
//  - it never reads at or beyond the `n` bytes it was given, never writes beyond `cap`;
//  - varints are at most 10 bytes and must be <= 2^53 - 1 (the TS reader's safe integers);
//  - in a block of n bytes: 4 <= n, num_restarts <= (n - 4) / 4, the data region is
//    [0, limit) with limit = n - 4 - 4 * num_restarts, every restart offset <= limit;
//  - each record is varint shared, varint non_shared, varint value_len, key delta, value;
//    shared <= previous key length (0 for the first record); key delta and value lie in
//    [0, limit); every record consumes at least 3 bytes, so a block has < n / 3 records;
//  - success of a counting pass (out == nullptr) implies success of the filling pass.
#ifndef TFEXPORT_WIRE_SSTABLE_H_
#define TFEXPORT_WIRE_SSTABLE_H_

#include <cstddef>
#include <cstdint>

#include "snappy.h"

namespace tfx {
namespace sstable {

constexpr size_t kFooterSize = 48;
constexpr size_t kBlockTrailerSize = 5;
constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr uint8_t kNoCompression = 0;
constexpr uint8_t kSnappyCompression = 1;
constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;  // 2^53 - 1

// Outcome of a call; the binding maps these to ERR_TFEXPORT_SSTABLE_CORRUPT / _CRC /
// _MAGIC / _UNSUPPORTED and ERR_TFEXPORT_SNAPPY (the codes the TS reader throws).
enum SstStatus : int {
  SST_OK = 0,
  SST_CORRUPT = 1,      // bad varint, handle, restart array or record
  SST_CRC = 2,          // block checksum mismatch
  SST_MAGIC = 3,        // footer magic wrong
  SST_SNAPPY = 4,       // malformed snappy stream
  SST_UNSUPPORTED = 5,  // unknown compression type
  SST_BAD_ARGUMENT = 6, // caller error (wrong footer size, too-small output)
};

struct SstDiag {
  SstStatus status = SST_OK;
  uint64_t offset = 0;  // byte in the buffer the failure concerns
  char what[224] = {0}; // sentence (no file name, no block name: TS adds both)
};

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// One record of a block: the key is prev_key[0, shared) + block[key_offset, +key_delta),
// the value block[value_offset, +value_length). Offsets are into the (decompressed) block.
struct BlockRecord {
  uint64_t shared = 0;
  uint64_t key_offset = 0;
  uint64_t key_delta = 0;
  uint64_t value_offset = 0;
  uint64_t value_length = 0;
};

const char* sst_status_name(SstStatus s) noexcept;  // "SSTABLE_CORRUPT", "SNAPPY", ...

// Parses the 48-byte footer (n must be kFooterSize): magic first, then the two handles
// (decoded from bytes [0, 40)).
SstStatus parse_footer(const uint8_t* footer, size_t n, BlockHandle* metaindex,
                       BlockHandle* index, SstDiag* diag) noexcept;

// Decodes one block handle from p[0, n); with `exact`, trailing bytes are an error (an
// index block value must be exactly one handle).
SstStatus decode_block_handle(const uint8_t* p, size_t n, bool exact, BlockHandle* h,
                              size_t* consumed, SstDiag* diag) noexcept;

using CrcExtendFn = uint32_t (*)(uint32_t, const uint8_t*, size_t) noexcept;

// raw = block bytes followed by the 5-byte trailer (n >= 5). Verifies the masked CRC32C of
// raw[0, n - 4) with `crc` (null: tfx::crc32c_extend_ref), then the compression type.
// On success *type is 0 (none) or 1 (snappy) and, for snappy, *uncompressed the declared
// length (<= max_block; allocate that many bytes for decompress_block).
SstStatus check_block(const uint8_t* raw, size_t n, CrcExtendFn crc, uint64_t max_block,
                      uint8_t* type, uint64_t* uncompressed, SstDiag* diag) noexcept;

// Reads the declared length of a raw snappy stream (checks as in snappy_declared_length).
SstStatus snappy_length(const uint8_t* src, size_t n, uint64_t max_output, uint64_t* length,
                        SstDiag* diag) noexcept;

// Snappy-decompresses a block body (without trailer) into dst[0, dst_len).
SstStatus decompress_block(const uint8_t* body, size_t n, uint64_t max_block, uint8_t* dst,
                           size_t dst_len, SstDiag* diag) noexcept;

// Iterates the records of an uncompressed block. With out == nullptr only counts; else fills
// out[0, *count) (cap must be >= the count). *key_bytes receives the sum of all key lengths.
SstStatus parse_block(const uint8_t* block, size_t n, BlockRecord* out, size_t cap,
                      size_t* count, uint64_t* key_bytes, SstDiag* diag) noexcept;

}  // namespace sstable
}  // namespace tfx

#endif  // TFEXPORT_WIRE_SSTABLE_H_
