// SPDX-License-Identifier: Apache-2.0
// Cache-blocked batched 2-D transpose (reference; also fast enough to be the only variant:
// it is bound by memory, and the blocking is what matters).
#include <cstring>

#include "kernels.h"

namespace tfx {

namespace {
constexpr size_t kBlock = 32;  // 32x32 elements of <= 8 bytes: 8 KiB per tile, fits L1

template <typename T>
void transpose_typed(const T* src, size_t batch, size_t rows, size_t cols, T* dst) noexcept {
  const size_t plane = rows * cols;
  for (size_t b = 0; b < batch; ++b) {
    const T* s = src + b * plane;
    T* d = dst + b * plane;
    for (size_t r0 = 0; r0 < rows; r0 += kBlock) {
      const size_t r1 = r0 + kBlock < rows ? r0 + kBlock : rows;
      for (size_t c0 = 0; c0 < cols; c0 += kBlock) {
        const size_t c1 = c0 + kBlock < cols ? c0 + kBlock : cols;
        for (size_t c = c0; c < c1; ++c) {
          for (size_t r = r0; r < r1; ++r) d[c * rows + r] = s[r * cols + c];
        }
      }
    }
  }
}

template <size_t N>
struct Bytes {
  unsigned char b[N];
};
}  // namespace

Status transpose2d_ref(const void* src, size_t batch, size_t rows, size_t cols,
                       size_t elem_size, void* dst) noexcept {
  if (batch == 0 || rows == 0 || cols == 0) return TFEXPORT_STATUS_OK;
  if (src == dst) return TFEXPORT_STATUS_BAD_ARGUMENT;  // in-place is not supported
  switch (elem_size) {
    case 1:
      transpose_typed(static_cast<const uint8_t*>(src), batch, rows, cols,
                      static_cast<uint8_t*>(dst));
      return TFEXPORT_STATUS_OK;
    case 2:
      transpose_typed(static_cast<const uint16_t*>(src), batch, rows, cols,
                      static_cast<uint16_t*>(dst));
      return TFEXPORT_STATUS_OK;
    case 4:
      transpose_typed(static_cast<const uint32_t*>(src), batch, rows, cols,
                      static_cast<uint32_t*>(dst));
      return TFEXPORT_STATUS_OK;
    case 8:
      transpose_typed(static_cast<const uint64_t*>(src), batch, rows, cols,
                      static_cast<uint64_t*>(dst));
      return TFEXPORT_STATUS_OK;
    default:
      return TFEXPORT_STATUS_BAD_ARGUMENT;
  }
}

}  // namespace tfx
