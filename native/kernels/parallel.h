// SPDX-License-Identifier: Apache-2.0
// Internal: split [0, n) into contiguous chunks run on up to `threads` std::threads (the
// caller's thread runs the first chunk). No pool: a job only splits when each chunk is
// large enough (>= grain) that a thread start (~20-50 us) is noise.
#ifndef TFEXPORT_PARALLEL_H_
#define TFEXPORT_PARALLEL_H_

#include <cstddef>
#include <thread>
#include <vector>

namespace tfx {

// Number of chunks `parallel_chunks` will use.
inline unsigned plan_chunks(size_t n, unsigned threads, size_t grain) noexcept {
  if (threads <= 1 || n < 2 * grain) return 1;
  size_t by_size = n / grain;
  return static_cast<unsigned>(by_size < threads ? by_size : threads);
}

// fn(chunk_index, begin, end). Chunk boundaries are multiples of `align` (except the end).
template <typename Fn>
void parallel_chunks(size_t n, unsigned chunks, size_t align, Fn&& fn) {
  if (chunks <= 1) {
    fn(0u, size_t{0}, n);
    return;
  }
  size_t step = (n + chunks - 1) / chunks;
  step = (step + align - 1) / align * align;
  std::vector<std::thread> workers;
  workers.reserve(chunks - 1);
  for (unsigned c = 1; c < chunks; ++c) {
    const size_t b = static_cast<size_t>(c) * step;
    if (b >= n) break;
    const size_t e = b + step < n ? b + step : n;
    workers.emplace_back([&fn, c, b, e] { fn(c, b, e); });
  }
  fn(0u, size_t{0}, step < n ? step : n);
  for (auto& w : workers) w.join();
}

}  // namespace tfx

#endif  // TFEXPORT_PARALLEL_H_
