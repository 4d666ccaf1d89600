// SPDX-License-Identifier: Apache-2.0
// A bounds-checked decoder for the raw Snappy format (the block format LevelDB / TF tables
// use for compression type 1; not the framing format). Plain C++17, no N-API, no
// allocation, no exceptions. Mirrors src/formats/tensorbundle/snappy.ts check for check, so
// both accept exactly the same streams and fail with the same message at the same byte.
//
// Two passes: snappy_declared_length reads (and bounds) the uncompressed length preamble so
// the caller can allocate; snappy_decompress then writes exactly that many bytes.
//
// Invariants:
//  - the preamble is a varint of at most 5 bytes whose value fits in 32 bits, is at most
//    `max_output`, and at most ceil(64 * n / 3) + 64 for an n-byte stream (the densest
//    element is a 3-byte copy of 64 bytes), so hostile preambles never cause huge allocations;
//  - no byte is read at or beyond src[n], none written at or beyond dst[declared];
//  - a copy's offset is in [1, bytes written so far]; every element consumes input, so the
//    decoder ends after at most n elements;
//  - success means exactly `declared` bytes were produced.
#ifndef TFEXPORT_WIRE_SNAPPY_H_
#define TFEXPORT_WIRE_SNAPPY_H_

#include <cstddef>
#include <cstdint>

namespace tfx {
namespace sstable {

// What went wrong, for messages: `what` is a NUL-terminated sentence, `offset` the
// compressed byte (for snappy) or block byte (for records) it concerns.
struct SnappyDiag {
  uint64_t offset = 0;
  char what[192] = {0};
};

// Reads the preamble. Returns false (with diag) when it is malformed or out of bounds.
bool snappy_declared_length(const uint8_t* src, size_t n, uint64_t max_output,
                            uint64_t* declared, size_t* body_start, SnappyDiag* diag) noexcept;

// Decompresses src[0, n) into dst, which must hold exactly the declared length (dst_len
// must equal it; anything else is refused). Returns false (with diag) on a malformed stream.
bool snappy_decompress(const uint8_t* src, size_t n, uint64_t max_output, uint8_t* dst,
                       size_t dst_len, SnappyDiag* diag) noexcept;

}  // namespace sstable
}  // namespace tfx

#endif  // TFEXPORT_WIRE_SNAPPY_H_
