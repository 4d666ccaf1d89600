// SPDX-License-Identifier: Apache-2.0
// Kernel micro-benchmarks: one thread, every available ISA (scalar included), a size beyond
// the L3 (16M elements, 64 MiB of float32) and a cache-resident one (256K elements, 1 MiB).
// Each line is the median of >= 5 runs, as GB/s of input and as the ratio
// t_memcpy / t_kernel, where memcpy copies the same N-element float32 buffer (N * 4 bytes).
// Outputs go to pre-faulted buffers.
// Usage: kernel_bench [N ...] [--runs R] [--only SUBSTRING] [--isa NAME]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "jobs.h"
#include "kernels.h"

using namespace tfx;

namespace {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
  }
};

template <typename T>
T* alloc_faulted(size_t n) {
  const size_t bytes = (n * sizeof(T) + 4095) / 4096 * 4096 + 4096;
  void* p = std::aligned_alloc(4096, bytes);
  std::memset(p, 0, bytes);  // touch every page before timing
  return static_cast<T*>(p);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Calls of fn per timed run: enough for >= 20 ms (small sizes), at least 1.
int calls_per_run(const std::function<void()>& fn) {
  int inner = 1;
  for (;;) {
    const double t0 = now_s();
    for (int i = 0; i < inner; ++i) fn();
    if (now_s() - t0 >= 0.02 || inner >= (1 << 20)) return inner;
    inner *= 2;
  }
}

double time_once(const std::function<void()>& fn, int inner) {
  const double t0 = now_s();
  for (int i = 0; i < inner; ++i) fn();
  return (now_s() - t0) / inner;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timing {
  double kernel_s;  // median seconds per call
  double ratio;     // median of per-round t_memcpy / t_kernel
};

// Runs memcpy and the kernel alternately, `runs` rounds: on a shared or throttled machine the
// available bandwidth drifts, and pairing keeps the ratio honest.
Timing paired(const std::function<void()>& memcpy_fn, const std::function<void()>& fn, int runs) {
  fn();
  memcpy_fn();
  const int ik = calls_per_run(fn), im = calls_per_run(memcpy_fn);
  std::vector<double> tk, ratio;
  for (int r = 0; r < runs; ++r) {
    const double m = time_once(memcpy_fn, im);
    const double k = time_once(fn, ik);
    tk.push_back(k);
    ratio.push_back(m / k);
  }
  return {median(tk), median(ratio)};
}

volatile uint64_t g_sink;

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes;
  int runs = 7;
  std::string only, only_isa;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(5, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      only_isa = argv[++i];
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      sizes.push_back(std::strtoull(argv[i], nullptr, 10));
    }
  }
  if (sizes.empty()) sizes = {size_t{16} << 20, size_t{256} << 10};

  for (size_t n : sizes) {
    n = n / 1024 * 1024;  // whole HWIO/axis-first shapes below
    if (n == 0) continue;
    Rng rng(42);
    float* src = alloc_faulted<float>(n);
    for (size_t i = 0; i < n; ++i) src[i] = rng.uniform(-1.0f, 2.0f);
    float* f32 = alloc_faulted<float>(n);
    uint16_t* h = alloc_faulted<uint16_t>(n);
    uint16_t* q16 = alloc_faulted<uint16_t>(n);
    uint8_t* q8 = alloc_faulted<uint8_t>(n);
    int8_t* i8 = alloc_faulted<int8_t>(n);
    convert_f32_f16_ref(src, n, h);
    const AffineParams p8 = affine_params_from_minmax(-1.0f, 2.0f, 255);
    const AffineParams p16 = affine_params_from_minmax(-1.0f, 2.0f, 65535);
    quantize_f32_u8_affine_ref(src, n, &p8, q8);
    quantize_f32_u16_affine_ref(src, n, &p16, q16);
    const size_t C = 256;
    std::vector<float> scales(C, 2.0f / 127.0f), sinv(C, 63.5f), absmax(C);
    std::vector<double> bn(C);
    for (size_t c = 0; c < C; ++c) bn[c] = 0.5 + static_cast<double>(c) / C;
    quantize_f32_i8_symmetric_ref(src, n / C, C, 1, sinv.data(), i8);

    const std::function<void()> memcpy_fn = [&] {
      std::memcpy(f32, src, n * 4);
      g_sink = f32[n / 2] != 0;
    };
    const Timing tm = paired(memcpy_fn, memcpy_fn, runs);
    std::printf("\nN = %zu elements (%.1f MiB of float32), 1 thread, median of %d runs, each paired "
                "with a memcpy run\n", n, static_cast<double>(n) * 4 / 1048576.0, runs);
    std::printf("%-30s %-7s %9s %9s %9s\n", "kernel", "isa", "ms", "GB/s in", "vs memcpy");
    std::printf("%-30s %-7s %9.3f %9.2f %9.2f\n", "memcpy (f32 -> f32)", "-", tm.kernel_s * 1e3,
                static_cast<double>(n) * 4 / tm.kernel_s / 1e9, 1.0);

    struct Bench {
      const char* name;
      size_t in_bytes_per_elem;
      std::function<void(const KernelTable*)> run;
    };
    const std::vector<Bench> benches = {
        {"f32->f16", 4, [&](const KernelTable* k) { k->convert_f32_f16(src, n, h); }},
        {"f16->f32", 2, [&](const KernelTable* k) { k->convert_f16_f32(h, n, f32); }},
        {"minmax", 4, [&](const KernelTable* k) { g_sink = k->minmax_f32(src, n).nan_count; }},
        {"quantize u8 (pass)", 4, [&](const KernelTable* k) { k->quantize_f32_u8_affine(src, n, &p8, q8); }},
        {"u8 affine full job", 4,
         [&](const KernelTable* k) {
           AffineParams p;
           job_quantize_affine_u8(k, 1, src, n, q8, &p);
         }},
        {"quantize u16 (pass)", 4, [&](const KernelTable* k) { k->quantize_f32_u16_affine(src, n, &p16, q16); }},
        {"u16 affine full job", 4,
         [&](const KernelTable* k) {
           AffineParams p;
           job_quantize_affine_u16(k, 1, src, n, q16, &p);
         }},
        {"dequantize u8", 1, [&](const KernelTable* k) { k->dequantize_u8_f32_affine(q8, n, p8.scale, p8.min, f32); }},
        {"dequantize u16", 2,
         [&](const KernelTable* k) { k->dequantize_u16_f32_affine(q16, n, p16.scale, p16.min, f32); }},
        {"absmax [N/256,256,1]", 4,
         [&](const KernelTable* k) { k->absmax_f32_per_channel(src, n / C, C, 1, absmax.data()); }},
        {"i8 sym (pass) [N/256,256,1]", 4,
         [&](const KernelTable* k) { k->quantize_f32_i8_symmetric(src, n / C, C, 1, sinv.data(), i8); }},
        {"i8 full job [N/256,256,1]", 4,
         [&](const KernelTable* k) { job_quantize_i8_per_channel(k, 1, src, n / C, C, 1, i8, scales.data()); }},
        {"absmax [1,256,N/256]", 4,
         [&](const KernelTable* k) { k->absmax_f32_per_channel(src, 1, C, n / C, absmax.data()); }},
        {"i8 sym (pass) [1,256,N/256]", 4,
         [&](const KernelTable* k) { k->quantize_f32_i8_symmetric(src, 1, C, n / C, sinv.data(), i8); }},
        {"i8 full job [1,256,N/256]", 4,
         [&](const KernelTable* k) { job_quantize_i8_per_channel(k, 1, src, 1, C, n / C, i8, scales.data()); }},
        {"i8 asymmetric", 4,
         [&](const KernelTable* k) { k->quantize_f32_i8_asymmetric(src, n, 3.0f / 255.0f, -43, i8); }},
        {"dequantize i8 [N/256,256,1]", 1,
         [&](const KernelTable* k) { k->dequantize_i8_f32(i8, n / C, C, 1, scales.data(), nullptr, f32); }},
        {"scale [N/256,256,1] (BN fold)", 4,
         [&](const KernelTable* k) { k->scale_f32_per_channel(src, n / C, C, 1, bn.data(), f32); }},
        {"scale [256,N/256] (BN fold)", 4,
         [&](const KernelTable* k) { k->scale_f32_per_channel(src, 1, C, n / C, bn.data(), f32); }},
        {"crc32c (4N bytes)", 4,
         [&](const KernelTable* k) {
           g_sink = k->crc32c_extend(0, reinterpret_cast<const uint8_t*>(src), n * 4);
         }},
    };
    for (const Bench& b : benches) {
      if (!only.empty() && std::string(b.name).find(only) == std::string::npos) continue;
      for (int i = 0; i < TFEXPORT_ISA_COUNT; ++i) {
        const Isa isa = static_cast<Isa>(i);
        if (!isa_available(isa) || (!only_isa.empty() && only_isa != isa_name(isa))) continue;
        const KernelTable* k = kernels_for(isa);
        const Timing t = paired(memcpy_fn, [&] { b.run(k); }, runs);
        std::printf("%-30s %-7s %9.3f %9.2f %9.2f\n", b.name, isa_name(isa), t.kernel_s * 1e3,
                    static_cast<double>(n * b.in_bytes_per_elem) / t.kernel_s / 1e9, t.ratio);
        std::fflush(stdout);
      }
    }
    std::free(src);
    std::free(f32);
    std::free(h);
    std::free(q16);
    std::free(q8);
    std::free(i8);
  }
  return 0;
}
