// SPDX-License-Identifier: Apache-2.0
// Kernel parity tests: for every ISA this CPU and build support, every entry of the kernel
// table is compared byte for byte with the scalar `_ref` specification, on random data,
// edge cases (NaN payloads, +-Inf, +-0, subnormals, .5 ties, f16 overflow, clamping), every
// length 0 .. 3*64+1, and destinations/sources offset 0..15 elements from a 64-byte boundary,
// with guard bytes around every output. Also: known values, the jobs, and the dispatch
// override. No framework: the last line is "N passed, N failed"; the exit status is non-zero
// on any failure. Usage: kernel_tests [SEED] [--exhaustive]
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "jobs.h"
#include "kernels.h"
#include "simd_common.h"

using namespace tfx;

namespace {

// ---- reporting --------------------------------------------------------------------------
int g_passed = 0;
int g_failed = 0;
std::string g_ctx;  // "isa/kernel" prefix of messages

void report(bool ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void report(bool ok, const char* fmt, ...) {
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  if (g_failed <= 60) {
    std::va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "FAIL [%s] ", g_ctx.c_str());
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
  } else if (g_failed == 61) {
    std::fprintf(stderr, "(further failures not printed)\n");
  }
}

// ---- data -------------------------------------------------------------------------------
// (Draw at most one random number per full expression: the evaluation order of function
// arguments and operands differs between compilers/targets, and the data should not.)
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return static_cast<uint32_t>(next() >> 32); }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  float uniform(float lo, float hi) {
    const float v = static_cast<float>(lo + (static_cast<double>(hi) - lo) * unit());
    return v < lo ? lo : (v > hi ? hi : v);
  }
};

float f_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint32_t u_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t u_of(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

// Special f32 values for every kernel that reads floats.
std::vector<float> special_f32() {
  const uint32_t bits[] = {
      0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fbfffffu, 0x7fa00000u, 0x7f802000u,
      0x7f801fffu, 0x7fffffffu, 0xffffffffu, 0x7fc00001u, 0x7f800100u,  // NaNs (quiet and signalling)
      0x7f800000u, 0xff800000u,                                         // +-Inf
      0x00000000u, 0x80000000u,                                         // +-0
      0x00000001u, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x00400000u,  // f32 subnormals
      0x00800000u, 0x80800000u,                                         // smallest normals
      0x33000000u, 0x33000001u, 0x32ffffffu, 0x33800000u, 0x33c00000u,  // around 2^-25 / 2^-24
      0x38800000u, 0x387fffffu, 0x387fe000u, 0x387ff000u, 0x387fefffu,  // f16 subnormal/normal edge
      0x477fe000u, 0x477fefffu, 0x477ff000u, 0x477ff001u, 0x47800000u,  // 65504 .. 65536
      0xc77fefffu, 0xc77ff000u, 0x7f7fffffu, 0xff7fffffu,               // overflow, FLT_MAX
      0x3f801000u, 0x3f803000u, 0x3f800fffu, 0x3f801001u, 0x3f802000u,  // f16 ties near 1
  };
  std::vector<float> v;
  for (uint32_t b : bits) v.push_back(f_of(b));
  const float others[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 127.5f, -127.5f,
                          127.0f, -127.0f, 128.0f, -128.0f, 0.49999997f, -0.49999997f, 1.0f,
                          -1.0f, 1e-30f, -1e30f, 3.0e38f, 65519.99f, 65520.0f, 255.5f, 65535.5f};
  for (float f : others) v.push_back(f);
  return v;
}

// Random finite-or-not floats over the whole range: random bit patterns.
void fill_bits(Rng& r, float* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = f_of(r.u32());
}
// Random data with `special` values sprinkled at random positions (about 1 in `every`).
void sprinkle(Rng& r, float* p, size_t n, const std::vector<float>& special, size_t every) {
  if (n == 0) return;
  const size_t k = n / every + 1;
  for (size_t j = 0; j < k; ++j) p[r.below(n)] = special[r.below(special.size())];
}

// ---- guarded buffers --------------------------------------------------------------------
// A 64-byte-aligned allocation with `off` elements of guard before the data and 64 bytes
// after it, all filled with 0xA5; intact() checks both guards.
template <typename T>
struct Guarded {
  static constexpr unsigned char kFill = 0xA5;
  unsigned char* raw = nullptr;
  size_t total = 0, off = 0, n = 0;
  T* p = nullptr;
  Guarded(size_t n_, size_t off_) : off(off_), n(n_) {
    total = (off + n) * sizeof(T) + 64;
    total = (total + 63) / 64 * 64;
    raw = static_cast<unsigned char*>(std::aligned_alloc(64, total));
    std::memset(raw, kFill, total);
    p = reinterpret_cast<T*>(raw + off * sizeof(T));
  }
  ~Guarded() { std::free(raw); }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  bool intact() const {
    const size_t a = off * sizeof(T), b = (off + n) * sizeof(T);
    for (size_t i = 0; i < a; ++i)
      if (raw[i] != kFill) return false;
    for (size_t i = b; i < total; ++i)
      if (raw[i] != kFill) return false;
    return true;
  }
};

// A copy of `src` placed `off` elements after a 64-byte boundary.
template <typename T>
struct Placed {
  unsigned char* raw;
  T* p;
  Placed(const T* src, size_t n, size_t off) {
    raw = static_cast<unsigned char*>(std::aligned_alloc(64, ((off + n) * sizeof(T) + 64 + 63) / 64 * 64));
    p = reinterpret_cast<T*>(raw + off * sizeof(T));
    if (n) std::memcpy(p, src, n * sizeof(T));
  }
  ~Placed() { std::free(raw); }
  Placed(const Placed&) = delete;
  Placed& operator=(const Placed&) = delete;
};

// Index of the first differing element, or -1.
template <typename T>
long first_diff(const T* a, const T* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(a + i, b + i, sizeof(T)) != 0) return static_cast<long>(i);
  }
  return -1;
}

uint64_t as_u64(uint8_t v) { return v; }
uint64_t as_u64(uint16_t v) { return v; }
uint64_t as_u64(int8_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }
uint64_t as_u64(float v) { return u_of(v); }

// Runs `kern` and `ref` (both void(const In*, size_t, Out*)) on src at the given offsets and
// compares. Returns true on equality with intact guards.
template <typename In, typename Out, typename K, typename R>
bool compare_map(const char* what, const In* src, size_t n, size_t in_off, size_t out_off, K kern,
                 R ref) {
  Placed<In> in(src, n, in_off);
  Guarded<Out> got(n, out_off);
  std::vector<Out> want(n + 1);
  ref(src, n, want.data());
  kern(in.p, n, got.p);
  const long d = first_diff(got.p, want.data(), n);
  const bool guards = got.intact();
  if (d >= 0 || !guards) {
    report(false, "%s n=%zu in_off=%zu out_off=%zu: %s at %ld (input bits %#" PRIx64
                  ", got %#" PRIx64 ", want %#" PRIx64 ")",
           what, n, in_off, out_off, guards ? "mismatch" : "guard overwritten", d,
           d >= 0 ? as_u64(src[d]) : 0, d >= 0 ? as_u64(got.p[d]) : 0,
           d >= 0 ? as_u64(want[d]) : 0);
    return false;
  }
  return true;
}

// Every length 0 .. 3*64+1 at in/out offsets 0..15: one report per (kernel, isa).
template <typename In, typename Out, typename K, typename R>
void sweep_lengths(const char* what, const std::vector<In>& pool, K kern, R ref) {
  bool ok = true;
  for (size_t n = 0; n <= 3 * 64 + 1 && ok; ++n) {
    for (size_t off = 0; off < 16 && ok; ++off) {
      const size_t start = (n * 7 + off * 13) % (pool.size() - n);
      ok = compare_map<In, Out>(what, pool.data() + start, n, off, (off * 5) % 16, kern, ref);
    }
  }
  report(ok, "%s length sweep", what);
}

// ---- f16 --------------------------------------------------------------------------------
void test_f16(const KernelTable* k, Rng& rng) {
  const std::vector<float> sp = special_f32();
  auto kern = k->convert_f32_f16;
  auto ref = convert_f32_f16_ref;
  auto kern_b = k->convert_f16_f32;
  auto ref_b = convert_f16_f32_ref;

  // Known values through the table.
  {
    const float in[4] = {65520.0f, 65519.99f, -65520.0f, 1.0f};
    uint16_t out[4];
    kern(in, 4, out);
    report(out[0] == 0x7c00 && out[1] == 0x7bff && out[2] == 0xfc00 && out[3] == 0x3c00,
           "f32->f16 known values: %#x %#x %#x %#x", out[0], out[1], out[2], out[3]);
    report(f32_to_f16_bits(65520.0f) == 0x7c00 && f32_to_f16_bits(65519.99f) == 0x7bff,
           "f32_to_f16_bits(65520 / 65519.99)");
    // numpy's NaN rules: the payload is kept and not quieted; a vanishing payload becomes 1.
    report(f32_to_f16_bits(f_of(0x7f800001u)) == 0x7c01 && f32_to_f16_bits(f_of(0xffc00000u)) == 0xfe00 &&
               f32_to_f16_bits(f_of(0x7f802000u)) == 0x7c01 && f32_to_f16_bits(f_of(0x7fa00000u)) == 0x7d00,
           "f32_to_f16_bits NaN payload rules");
    report(u_of(f16_bits_to_f32(0x7c01)) == 0x7f802000u && u_of(f16_bits_to_f32(0x0001)) == 0x33800000u,
           "f16_bits_to_f32 sNaN payload / smallest subnormal");
  }

  // Pool: random bit patterns + specials.
  std::vector<float> pool(4096);
  fill_bits(rng, pool.data(), pool.size());
  sprinkle(rng, pool.data(), pool.size(), sp, 4);
  sweep_lengths<float, uint16_t>("f32->f16", pool, kern, ref);

  // A large sample of bit patterns: every 257th pattern (all exponents, both signs), plus
  // for every exponent a set of mantissas around the rounding points.
  {
    bool ok = true;
    std::vector<float> chunk;
    chunk.reserve(1 << 16);
    uint64_t u = rng.below(257);
    while (u <= 0xffffffffull && ok) {
      chunk.clear();
      for (; chunk.size() < (1u << 16) && u <= 0xffffffffull; u += 257) chunk.push_back(f_of(static_cast<uint32_t>(u)));
      ok = compare_map<float, uint16_t>("f32->f16 bit-pattern sample", chunk.data(), chunk.size(), 0, 0, kern, ref);
    }
    chunk.clear();
    const uint32_t mants[] = {0, 1, 2, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x2fff, 0x3001,
                              0x400000, 0x401000, 0x7fe000, 0x7fefff, 0x7ff000, 0x7ff001, 0x7fffff};
    for (uint32_t s = 0; s < 2; ++s) {
      for (uint32_t e = 0; e < 256; ++e) {
        for (uint32_t m : mants) chunk.push_back(f_of((s << 31) | (e << 23) | m));
        for (int j = 0; j < 8; ++j) chunk.push_back(f_of((s << 31) | (e << 23) | (rng.u32() & 0x7fffffu)));
      }
    }
    ok = ok && compare_map<float, uint16_t>("f32->f16 every exponent", chunk.data(), chunk.size(), 3, 1, kern, ref);
    report(ok, "f32->f16 bit-pattern sample (16.7M patterns, all exponents)");
  }

  // f16 -> f32: exhaustive over all 65536 codes, aligned and misaligned, plus a shuffled pool.
  {
    std::vector<uint16_t> all(65536);
    for (uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<uint16_t>(h);
    bool ok = true;
    for (size_t off : {size_t{0}, size_t{1}, size_t{7}, size_t{15}}) {
      ok = ok && compare_map<uint16_t, float>("f16->f32 exhaustive", all.data(), all.size(), off, (off * 3) % 16, kern_b, ref_b);
    }
    report(ok, "f16->f32 exhaustive (65536 codes)");
    // Round trip f16 -> f32 -> f16 is the identity on all codes (NaN payloads included).
    std::vector<float> f(65536);
    std::vector<uint16_t> back(65536);
    kern_b(all.data(), all.size(), f.data());
    kern(f.data(), f.size(), back.data());
    report(first_diff(back.data(), all.data(), all.size()) < 0, "f16 -> f32 -> f16 round trip");
    std::vector<uint16_t> hp(4096);
    for (auto& h : hp) h = static_cast<uint16_t>(rng.u32());
    for (size_t j = 0; j < hp.size(); j += 5) hp[j] = static_cast<uint16_t>(0x7c00u | (rng.u32() & 0x83ffu));  // NaN/Inf
    sweep_lengths<uint16_t, float>("f16->f32", hp, kern_b, ref_b);
  }

  // Random sizes up to ~1e5 and one size past the streaming-store threshold.
  {
    bool ok = true;
    for (int rep = 0; rep < 6 && ok; ++rep) {
      const size_t n = 1 + rng.below(100000);
      std::vector<float> v(n);
      fill_bits(rng, v.data(), n);
      if (rep % 2) sprinkle(rng, v.data(), n, sp, 50);
      ok = compare_map<float, uint16_t>("f32->f16 random", v.data(), n, rep, 15 - rep, kern, ref);
      std::vector<uint16_t> h(n);
      for (auto& x : h) x = static_cast<uint16_t>(rng.u32());
      ok = ok && compare_map<uint16_t, float>("f16->f32 random", h.data(), n, 15 - rep, rep, kern_b, ref_b);
    }
    const size_t big = kStreamMinBytes / 6 + 4099;  // bytes moved beyond the streaming threshold
    std::vector<float> v(big);
    for (size_t i = 0; i < big; ++i) v[i] = rng.uniform(-70000.0f, 70000.0f);
    sprinkle(rng, v.data(), big, sp, 100000);
    ok = ok && compare_map<float, uint16_t>("f32->f16 streaming", v.data(), big, 1, 3, kern, ref);
    std::vector<uint16_t> h(kStreamMinBytes / 6 + 77);
    for (auto& x : h) x = static_cast<uint16_t>(rng.u32());
    ok = ok && compare_map<uint16_t, float>("f16->f32 streaming", h.data(), h.size(), 5, 9, kern_b, ref_b);
    report(ok, "f16 conversions on random sizes and streaming sizes");
  }
}

// ---- minmax -----------------------------------------------------------------------------
bool same_minmax(const MinMax& a, const MinMax& b) {
  return u_of(a.min) == u_of(b.min) && u_of(a.max) == u_of(b.max) && a.nan_count == b.nan_count;
}

bool check_minmax(const KernelTable* k, const char* what, const float* src, size_t n, size_t off) {
  Placed<float> in(src, n, off);
  const MinMax got = k->minmax_f32(in.p, n);
  const MinMax want = minmax_f32_ref(src, n);
  if (!same_minmax(got, want)) {
    report(false, "%s n=%zu off=%zu: got (%a, %a, %" PRIu64 ") want (%a, %a, %" PRIu64 ")", what, n, off,
           static_cast<double>(got.min), static_cast<double>(got.max), got.nan_count,
           static_cast<double>(want.min), static_cast<double>(want.max), want.nan_count);
    return false;
  }
  return true;
}

void test_minmax(const KernelTable* k, Rng& rng) {
  const std::vector<float> sp = special_f32();
  std::vector<float> pool(4096);
  for (auto& v : pool) v = rng.uniform(-1000.0f, 1000.0f);
  sprinkle(rng, pool.data(), pool.size(), sp, 16);
  bool ok = true;
  for (size_t n = 0; n <= 3 * 64 + 1 && ok; ++n) {
    for (size_t off = 0; off < 16 && ok; ++off) ok = check_minmax(k, "minmax sweep", pool.data() + (n * 11 + off) % 3000, n, off);
  }
  report(ok, "minmax length sweep");

  // Structured cases.
  ok = true;
  const float nan = f_of(0x7fc00000u), snan = f_of(0x7f800001u), inf = std::numeric_limits<float>::infinity();
  for (size_t n : {size_t{1}, size_t{7}, size_t{64}, size_t{65}, size_t{200}, size_t{1000}}) {
    std::vector<float> v(n);
    std::fill(v.begin(), v.end(), -0.0f);
    ok = ok && check_minmax(k, "all -0", v.data(), n, 1);
    std::fill(v.begin(), v.end(), 0.0f);
    v[n / 2] = -0.0f;
    ok = ok && check_minmax(k, "+0 and -0", v.data(), n, 2);
    std::fill(v.begin(), v.end(), nan);
    v[n - 1] = snan;
    ok = ok && check_minmax(k, "all NaN", v.data(), n, 3);
    v[n / 3] = -inf;
    ok = ok && check_minmax(k, "NaN and -Inf", v.data(), n, 4);
    for (auto& x : v) x = rng.uniform(-1.0f, 1.0f);
    v[0] = inf;
    v[n - 1] = snan;
    ok = ok && check_minmax(k, "Inf first, NaN last", v.data(), n, 5);
    for (auto& x : v) x = f_of(rng.u32() & 0x807fffffu);  // subnormals and zeros only
    ok = ok && check_minmax(k, "subnormals", v.data(), n, 6);
    for (auto& x : v) x = -rng.uniform(0.0f, 1.0f);
    v[n / 2] = 0.0f;
    ok = ok && check_minmax(k, "max is zero", v.data(), n, 7);
  }
  // Random bit patterns (about 1/256 NaN) and various NaN densities, large sizes.
  for (int rep = 0; rep < 8 && ok; ++rep) {
    const size_t n = 1 + rng.below(rep < 4 ? 100000 : 3000000);
    std::vector<float> v(n);
    if (rep % 2) {
      fill_bits(rng, v.data(), n);
    } else {
      for (auto& x : v) x = rng.uniform(-3.0f, 5.0f);
      const size_t nn = rng.below(n / 2 + 1);
      for (size_t j = 0; j < nn; ++j) v[rng.below(n)] = f_of(0x7f800001u + (rng.u32() & 0x3fffffu));
    }
    ok = check_minmax(k, "random", v.data(), n, rep);
  }
  report(ok, "minmax structured and random cases");
}

// ---- affine u8/u16 ----------------------------------------------------------------------
template <typename Q>
using QuantFn = void (*)(const float*, size_t, const AffineParams*, Q*) noexcept;

template <typename Q>
bool check_affine(const char* what, QuantFn<Q> kern, QuantFn<Q> ref, const float* src, size_t n,
                  const AffineParams& p, size_t in_off, size_t out_off) {
  auto k2 = [&](const float* s, size_t m, Q* d) { kern(s, m, &p, d); };
  auto r2 = [&](const float* s, size_t m, Q* d) { ref(s, m, &p, d); };
  return compare_map<float, Q>(what, src, n, in_off, out_off, k2, r2);
}

AffineParams params_of(const float* v, size_t n, uint32_t qmax) {
  const MinMax mm = minmax_f32_ref(v, n);
  return affine_params_from_minmax(mm.min, mm.max, qmax);
}

template <typename Q>
void test_affine_q(Rng& rng, uint32_t qmax, QuantFn<Q> kern, QuantFn<Q> ref, const char* name) {
  const std::vector<float> sp = special_f32();
  bool ok = true;

  // Length sweep: data in [-1, 2] with the nudged params, plus specials (which clamp; NaN -> 0).
  {
    std::vector<float> pool(4096);
    for (auto& v : pool) v = rng.uniform(-1.0f, 2.0f);
    const AffineParams p = params_of(pool.data(), pool.size(), qmax);
    sprinkle(rng, pool.data(), pool.size(), sp, 16);
    for (size_t n = 0; n <= 3 * 64 + 1 && ok; ++n) {
      for (size_t off = 0; off < 16 && ok; ++off) {
        ok = check_affine<Q>("sweep", kern, ref, pool.data() + (n * 13 + off) % 3500, n, p, off, (off * 7) % 16);
      }
    }
    report(ok, "%s length sweep", name);
  }

  // Ranges: crossing zero, positive, negative, tiny, huge, subnormal, constant.
  {
    const float ranges[][2] = {{-1.0f, 1.0f},     {0.0f, 1.0f},      {-5.0f, 0.0f},     {3.0f, 7.5f},
                               {-7.5f, -3.0f},    {-1e-3f, 2e-3f},   {1000.0f, 1000.5f}, {-3e38f, 3e38f},
                               {-1e30f, 1e-30f},  {-1e-40f, 1e-40f}, {0.0f, 1e-38f},    {-0.1f, 1.2f},
                               {-128.0f, 127.0f}, {0.0f, 255.0f},    {0.0f, 65535.0f},  {5.0f, 5.0f}};
    for (auto& rg : ranges) {
      for (int rep = 0; rep < 3 && ok; ++rep) {
        const size_t n = 1 + rng.below(rep == 2 ? 100000 : 3000);
        std::vector<float> v(n);
        for (auto& x : v) x = rng.uniform(rg[0], rg[1]);
        v[0] = rg[0];
        v[n - 1] = rg[1];
        const AffineParams p = params_of(v.data(), n, qmax);
        ok = check_affine<Q>("range", kern, ref, v.data(), n, p, rep, 2 * rep);
        if (!ok) std::fprintf(stderr, "  range [%g, %g]\n", static_cast<double>(rg[0]), static_cast<double>(rg[1]));
      }
    }
    report(ok, "%s ranges", name);
  }

  // Exact ties (dyadic scales, so that (x - min) / scale lands exactly on k + 0.5) and their
  // float neighbours; plus near-ties under non-dyadic scales.
  {
    struct Case {
      float mn, mx;
    };
    const double q = qmax;
    const Case cases[] = {{0.0f, static_cast<float>(q)},
                          {0.0f, static_cast<float>(q / 2)},
                          {0.0f, static_cast<float>(q / 1024)},
                          {-128.0f, static_cast<float>(q - 128)},
                          {static_cast<float>(-q / 4), static_cast<float>(3 * q / 4)},
                          {-1.0f, 1.0f},
                          {-0.1f, 1.2f},
                          {0.25f, 9.75f}};
    for (const Case& c : cases) {
      const AffineParams p = affine_params_from_minmax(c.mn, c.mx, qmax);
      std::vector<float> v;
      for (int j = 0; j < 4000; ++j) {
        const double kk = static_cast<double>(rng.below(qmax)) + 0.5;
        const float x = static_cast<float>(p.min + kk * p.scale);
        v.push_back(x);
        v.push_back(std::nextafter(x, 1e30f));
        v.push_back(std::nextafter(x, -1e30f));
        // Integers too (the other side of the margin check).
        v.push_back(static_cast<float>(p.min + std::floor(kk) * p.scale));
      }
      std::vector<float> w = v;  // shuffled copy: ties in every lane position
      for (size_t j = w.size(); j > 1; --j) std::swap(w[j - 1], w[rng.below(j)]);
      ok = ok && check_affine<Q>("ties", kern, ref, v.data(), v.size(), p, 1, 3);
      ok = ok && check_affine<Q>("ties shuffled", kern, ref, w.data(), w.size(), p, 0, 0);
      if (!ok) std::fprintf(stderr, "  tie case [%g, %g]\n", static_cast<double>(c.mn), static_cast<double>(c.mx));
    }
    report(ok, "%s exact ties and neighbours", name);
  }

  // Near-ties under many random ranges: the floats within 4 ulps of lo + (k + 0.5) * scale
  // sit at distances from the tie comparable to the error bound of a float32 fast path.
  {
    for (int j = 0; j < 60 && ok; ++j) {
      const float mant = 1.0f + static_cast<float>(rng.unit());
      const float span = std::ldexp(mant, static_cast<int>(rng.below(60)) - 30);
      const float mn = -span * static_cast<float>(rng.unit()) * (j % 4 == 0 ? 0.0f : 1.0f);
      const float mx = mn + span;
      const AffineParams p = affine_params_from_minmax(mn, mx, qmax);
      std::vector<float> v;
      for (int t = 0; t < 500; ++t) {
        const double kk = static_cast<double>(rng.below(qmax)) + 0.5;
        float x = static_cast<float>(p.min + kk * p.scale);
        for (int u = 0; u < 4; ++u) x = std::nextafter(x, -1e30f);
        for (int u = 0; u < 9; ++u, x = std::nextafter(x, 1e30f)) v.push_back(x);
      }
      ok = check_affine<Q>("near-ties random ranges", kern, ref, v.data(), v.size(), p, j % 16, (j * 3) % 16);
    }
    report(ok, "%s near-ties under random ranges", name);
  }

  // Crafted parameters that put (x - min) / scale within an ulp of k + 0.5 for x near 0:
  // min = -(k + 0.5) * scale in float64. There the reciprocal product and the true quotient
  // round to different sides of the tie in a fair share of cases, so this fails unless the
  // kernel notices the near-tie and divides. `teeth` counts those cases.
  {
    size_t teeth = 0;
    const float near0[] = {0.0f, -0.0f, 1e-40f, -1e-40f, f_of(1), f_of(0x80000001u), 1e-38f, -1e-38f};
    std::vector<float> v;
    for (int j = 0; j < 64; ++j) v.push_back(near0[j % 8]);
    for (int j = 0; j < 3000 && ok; ++j) {
      const double mant = 1.0 + rng.unit();
      const double scale = std::ldexp(mant, static_cast<int>(rng.below(40)) - 20);
      const double kk = static_cast<double>(rng.below(qmax)) + 0.5;
      AffineParams p;
      p.scale = scale;
      p.min = -kk * scale;
      p.max = static_cast<double>(qmax) * scale + p.min;
      p.constant = 0;
      const double d = 0.0 - p.min;
      if (std::nearbyint(d * (1.0 / scale)) != std::nearbyint(d / scale)) ++teeth;
      ok = check_affine<Q>("crafted near-ties", kern, ref, v.data(), v.size(), p, j % 16, (j * 7) % 16);
    }
    report(ok && teeth > 0, "%s crafted near-ties (%zu of 3000 need the exact division)", name, teeth);
  }

  // Values that clamp (params of a sub-range), NaN (code 0), +-Inf, and constant params.
  {
    std::vector<float> v(5000);
    for (auto& x : v) x = rng.uniform(-10.0f, 10.0f);
    sprinkle(rng, v.data(), v.size(), sp, 10);
    const AffineParams p = affine_params_from_minmax(-1.0f, 1.0f, qmax);
    ok = check_affine<Q>("clamp", kern, ref, v.data(), v.size(), p, 4, 9);
    const AffineParams pc = affine_params_from_minmax(2.0f, 2.0f, qmax);
    ok = ok && check_affine<Q>("constant", kern, ref, v.data(), v.size(), pc, 2, 2);
    report(ok, "%s clamping, NaN, Inf, constant", name);
  }

  // Streaming sizes (bytes moved beyond kStreamMinBytes), misaligned.
  {
    const size_t n = kStreamMinBytes / (4 + sizeof(Q)) + 1031;
    std::vector<float> v(n);
    for (auto& x : v) x = rng.uniform(-2.0f, 3.0f);
    for (int j = 0; j < 1000; ++j) {  // some exact ties mixed in
      v[rng.below(n)] = 0.0f;
    }
    const AffineParams p = params_of(v.data(), n, qmax);
    ok = check_affine<Q>("streaming", kern, ref, v.data(), n, p, 3, 5);
    report(ok, "%s streaming size", name);
  }
}

// The reciprocal fast path's error bound, checked directly: |d * RN(1/s) - RN(d/s)| stays far
// below kAffineTieMargin for quotients up to 65535 (scales from subnormal to huge).
void test_affine_margin_lemma(Rng& rng) {
  double worst = 0;
  for (int j = 0; j < 2000000; ++j) {
    // Scales as float32 ranges over qmax produce them: about 2^-160 .. 2^120.
    const double mant = 1.0 + rng.unit();
    const double s = std::ldexp(mant, static_cast<int>(rng.below(280)) - 160);
    const double t = rng.unit() * 65535.0;
    const double d = t * s;
    const double exact = d / s, fast = d * (1.0 / s);
    worst = std::max(worst, std::fabs(exact - fast));
  }
  report(worst < std::ldexp(1.0, -34) && std::ldexp(1.0, -34) < kAffineTieMargin,
         "affine reciprocal error bound: worst %g", worst);

  // The uint8 float32 fast path (quant_affine_x86.cc): t_f = RN32(RN32(x - RN32(lo)) *
  // RN32(1/scale)) stays within (10 A + 8) 2^-24 + 2^-44 of (x - lo) / scale, A =
  // max(|lo|, |hi|) / scale (the kernels then double that bound). Worst ratio over samples:
  double worst_ratio = 0;
  for (int j = 0; j < 400; ++j) {
    const float mant = 1.0f + static_cast<float>(rng.unit());
    const float span = std::ldexp(mant, static_cast<int>(rng.below(200)) - 100);
    const float mn = j % 5 == 0 ? 0.0f : -span * static_cast<float>(rng.unit());
    const AffineParams p = affine_params_from_minmax(mn, mn + span, 255);
    const double a = std::fmax(std::fabs(p.min), std::fabs(p.max)) / p.scale;
    const double bound = (10.0 * a + 8.0) * 0x1p-24 + 0x1p-44;
    const float base = static_cast<float>(p.min), rinv = static_cast<float>(1.0 / p.scale);
    for (int t = 0; t < 5000; ++t) {
      const float x = static_cast<float>(p.min + (p.max - p.min) * rng.unit());
      const volatile float diff = x - base;  // volatile: two float32 roundings, as the SIMD code
      const float tf = diff * rinv;
      const double exact = (static_cast<double>(x) - p.min) / p.scale;
      worst_ratio = std::max(worst_ratio, std::fabs(static_cast<double>(tf) - exact) / bound);
    }
  }
  report(worst_ratio <= 1.0, "uint8 float32 fast-path error bound: worst error / bound = %g", worst_ratio);
  std::printf("affine error bounds: float64 reciprocal worst %g (margin %g); float32 path worst %.3f of its bound\n",
              worst, kAffineTieMargin, worst_ratio);
}

template <typename Q>
using DequantFn = void (*)(const Q*, size_t, double, double, float*) noexcept;

template <typename Q>
void test_dequant(Rng& rng, uint32_t qmax, DequantFn<Q> kern, DequantFn<Q> ref, const char* name) {
  std::vector<Q> all(qmax + 1);
  for (uint32_t c = 0; c <= qmax; ++c) all[c] = static_cast<Q>(c);
  const float ranges[][2] = {{-1.0f, 1.0f}, {-0.1f, 1.2f}, {3.0f, 7.5f}, {-3e38f, 3e38f}, {-1e-40f, 1e-40f},
                             {0.0f, 1.0f},  {5.0f, 5.0f},  {-1e-3f, 2e-3f}};
  bool ok = true;
  for (auto& rg : ranges) {
    const AffineParams p = affine_params_from_minmax(rg[0], rg[1], qmax);
    auto k2 = [&](const Q* s, size_t m, float* d) { kern(s, m, p.scale, p.min, d); };
    auto r2 = [&](const Q* s, size_t m, float* d) { ref(s, m, p.scale, p.min, d); };
    ok = ok && compare_map<Q, float>("all codes", all.data(), all.size(), 3, 5, k2, r2);
  }
  // Arbitrary doubles as scale/min (not only what the converter writes).
  for (int rep = 0; rep < 20 && ok; ++rep) {
    const double mant = rng.unit() + 0.5;
    const double scale = std::ldexp(mant, static_cast<int>(rng.below(80)) - 60);
    const double mn_frac = rng.unit() - 0.5;
    const double mn = mn_frac * std::ldexp(1.0, static_cast<int>(rng.below(80)) - 40);
    auto k2 = [&](const Q* s, size_t m, float* d) { kern(s, m, scale, mn, d); };
    auto r2 = [&](const Q* s, size_t m, float* d) { ref(s, m, scale, mn, d); };
    std::vector<Q> pool(4096);
    for (auto& c : pool) c = static_cast<Q>(rng.u32());
    if (rep == 0) sweep_lengths<Q, float>(name, pool, k2, r2);
    ok = compare_map<Q, float>("random codes", pool.data(), pool.size(), rep % 16, (rep * 3) % 16, k2, r2);
  }
  {
    const size_t n = kStreamMinBytes / (4 + sizeof(Q)) + 333;
    std::vector<Q> big(n);
    for (auto& c : big) c = static_cast<Q>(rng.u32());
    const AffineParams p = affine_params_from_minmax(-0.1f, 1.2f, qmax);
    auto k2 = [&](const Q* s, size_t m, float* d) { kern(s, m, p.scale, p.min, d); };
    auto r2 = [&](const Q* s, size_t m, float* d) { ref(s, m, p.scale, p.min, d); };
    ok = ok && compare_map<Q, float>("streaming", big.data(), n, 7, 1, k2, r2);
  }
  report(ok, "%s all codes, random scales, streaming size", name);
}

void test_affine(const KernelTable* k, Rng& rng) {
  test_affine_q<uint8_t>(rng, 255, k->quantize_f32_u8_affine, quantize_f32_u8_affine_ref, "quantize u8");
  test_affine_q<uint16_t>(rng, 65535, k->quantize_f32_u16_affine, quantize_f32_u16_affine_ref, "quantize u16");
  test_dequant<uint8_t>(rng, 255, k->dequantize_u8_f32_affine, dequantize_u8_f32_affine_ref, "dequantize u8");
  test_dequant<uint16_t>(rng, 65535, k->dequantize_u16_f32_affine, dequantize_u16_f32_affine_ref, "dequantize u16");

  // The tfjs quantize_weights docstring example: [0, -0.1, 1.2] -> [20, 0, 255].
  const float in[3] = {0.0f, -0.1f, 1.2f};
  uint8_t out[3] = {1, 1, 1};
  AffineParams p{};
  const Status st = job_quantize_affine_u8(k, 1, in, 3, out, &p);
  // The float32 inputs widen to float64 first: scale = (1.2f - -0.1f) / 255 and
  // min = -20 * scale exactly; the docstring's rounded 0.0050980 / -0.1019607 as a sanity check.
  const double want_scale = (static_cast<double>(1.2f) - static_cast<double>(-0.1f)) / 255.0;
  report(st == TFEXPORT_STATUS_OK && out[0] == 20 && out[1] == 0 && out[2] == 255 && p.scale == want_scale &&
             p.min == -20.0 * want_scale && std::fabs(p.scale - 0.0050980) < 1e-7 &&
             std::fabs(p.min - -0.1019607) < 1e-7,
         "tfjs docstring example: codes [%u, %u, %u], scale %.12g, min %.12g", out[0], out[1], out[2], p.scale, p.min);
}

// ---- int8 -------------------------------------------------------------------------------
struct Shape {
  size_t outer, channels, inner;
};
const Shape kShapes[] = {{1, 1, 1},    {0, 4, 3},   {4, 0, 3},   {3, 4, 0},  {1, 5, 1000}, {1000, 3, 1},
                         {100, 8, 1},  {100, 17, 1}, {37, 64, 1}, {9, 256, 1}, {5, 100, 1}, {2, 31, 1},
                         {1, 32, 517}, {1, 3, 64},  {3, 7, 13},  {2, 5, 64}, {4, 3, 2},    {2, 2, 97},
                         {6, 1, 33},   {1, 16, 16},  {7, 300, 1}, {3, 513, 1}, {10, 97, 1}, {4, 255, 1},
                         {5, 96, 1},   {2, 2, 2}};

std::vector<float> int8_data(Rng& rng, size_t n, bool specials) {
  static const std::vector<float> sp = special_f32();
  std::vector<float> v(n);
  for (auto& x : v) {
    const float base = rng.uniform(-3.0f, 3.0f);
    x = base * (rng.below(10) == 0 ? 1000.0f : 1.0f);
  }
  if (specials && n) sprinkle(rng, v.data(), n, sp, 40);
  return v;
}

void test_int8(const KernelTable* k, Rng& rng) {
  bool ok_abs = true, ok_sym = true, ok_deq = true;
  for (const Shape& s : kShapes) {
    for (size_t off = 0; off < 16; off += 5) {
      const size_t n = s.outer * s.channels * s.inner;
      for (int variant = 0; variant < 3; ++variant) {
        // variant 0: finite data; 1: with NaN/Inf/specials; 2: only +-0 and subnormals.
        std::vector<float> v = int8_data(rng, n, variant == 1);
        if (variant == 2) {
          for (auto& x : v) x = f_of(rng.u32() & 0x800000ffu);
        }
        Placed<float> in(v.data(), n, off);
        // absmax
        Guarded<float> am(s.channels, off);
        std::vector<float> am_ref(s.channels + 1);
        k->absmax_f32_per_channel(in.p, s.outer, s.channels, s.inner, am.p);
        absmax_f32_per_channel_ref(v.data(), s.outer, s.channels, s.inner, am_ref.data());
        if (first_diff(am.p, am_ref.data(), s.channels) >= 0 || !am.intact()) {
          ok_abs = false;
          report(false, "absmax shape (%zu,%zu,%zu) off %zu variant %d", s.outer, s.channels, s.inner, off, variant);
        }
        // symmetric quantize with TFLite's scale_inv
        std::vector<float> sinv(s.channels + 1);
        for (size_t c = 0; c < s.channels; ++c) sinv[c] = am_ref[c] == 0.0f ? 0.0f : 127.0f / am_ref[c];
        Guarded<int8_t> q(n, (off * 3) % 16);
        std::vector<int8_t> q_ref(n + 1);
        k->quantize_f32_i8_symmetric(in.p, s.outer, s.channels, s.inner, sinv.data(), q.p);
        quantize_f32_i8_symmetric_ref(v.data(), s.outer, s.channels, s.inner, sinv.data(), q_ref.data());
        const long d = first_diff(q.p, q_ref.data(), n);
        if (d >= 0 || !q.intact()) {
          ok_sym = false;
          report(false, "symmetric shape (%zu,%zu,%zu) off %zu variant %d: at %ld got %d want %d", s.outer,
                 s.channels, s.inner, off, variant, d, d >= 0 ? q.p[d] : 0, d >= 0 ? q_ref[d] : 0);
        }
        // dequantize (with and without zero points)
        std::vector<float> scales(s.channels + 1);
        std::vector<int32_t> zps(s.channels + 1);
        for (size_t c = 0; c < s.channels; ++c) {
          scales[c] = am_ref[c] / 127.0f;
          zps[c] = static_cast<int32_t>(rng.below(256)) - 128;
        }
        Placed<int8_t> qin(q_ref.data(), n, off);
        for (int with_zp = 0; with_zp < 2; ++with_zp) {
          const int32_t* zp = with_zp ? zps.data() : nullptr;
          Guarded<float> f(n, (off * 7) % 16);
          std::vector<float> f_ref(n + 1);
          k->dequantize_i8_f32(qin.p, s.outer, s.channels, s.inner, scales.data(), zp, f.p);
          dequantize_i8_f32_ref(q_ref.data(), s.outer, s.channels, s.inner, scales.data(), zp, f_ref.data());
          if (first_diff(f.p, f_ref.data(), n) >= 0 || !f.intact()) {
            ok_deq = false;
            report(false, "dequantize i8 shape (%zu,%zu,%zu) off %zu zp %d", s.outer, s.channels, s.inner, off, with_zp);
          }
        }
      }
    }
  }
  report(ok_abs, "absmax per channel: shapes x offsets x data");
  report(ok_sym, "quantize i8 symmetric: shapes x offsets x data");
  report(ok_deq, "dequantize i8: shapes x offsets x zero points");

  // Symmetric ties: scale_inv chosen so that products land exactly on k + 0.5, and the
  // neighbours of every tie; values beyond +-127 and NaN/Inf products (Inf * 0 = NaN).
  {
    bool ok = true;
    const float sinv_list[] = {1.0f, 0.5f, 2.0f, 0.25f, 127.0f / 3.0f, 1e-3f, 0.0f};
    for (float si : sinv_list) {
      std::vector<float> v;
      for (int kk = -130; kk <= 130; ++kk) {
        const float t = static_cast<float>(kk) + 0.5f;
        const float x = si == 0.0f ? t : t / si;
        v.push_back(x);
        v.push_back(std::nextafter(x, 1e30f));
        v.push_back(std::nextafter(x, -1e30f));
        v.push_back(-x);
      }
      const std::vector<float> sp = special_f32();
      v.insert(v.end(), sp.begin(), sp.end());
      const size_t n = v.size();
      const float one_scale[1] = {si};
      // (1, 1, n): the contiguous-run path; (n, 1, 1): one channel per row.
      for (int shape = 0; shape < 2; ++shape) {
        auto kern = [&](const float* src, size_t m, int8_t* dst) {
          k->quantize_f32_i8_symmetric(src, shape ? m : 1, 1, shape ? 1 : m, one_scale, dst);
        };
        auto ref = [&](const float* src, size_t m, int8_t* dst) {
          quantize_f32_i8_symmetric_ref(src, shape ? m : 1, 1, shape ? 1 : m, one_scale, dst);
        };
        ok = ok && compare_map<float, int8_t>("symmetric ties", v.data(), n, 1, 2, kern, ref);
      }
      // Row path with many channels sharing the scale.
      std::vector<float> sv(v.size(), si);
      auto kern = [&](const float* src, size_t m, int8_t* dst) { k->quantize_f32_i8_symmetric(src, 1, m, 1, sv.data(), dst); };
      auto ref = [&](const float* src, size_t m, int8_t* dst) { quantize_f32_i8_symmetric_ref(src, 1, m, 1, sv.data(), dst); };
      ok = ok && compare_map<float, int8_t>("symmetric ties (channels)", v.data(), n, 0, 0, kern, ref);
    }
    report(ok, "quantize i8 symmetric: exact ties, neighbours, clamping, NaN/Inf");
  }

  // Asymmetric: TFLite activation params and adversarial scales / zero points with ties.
  {
    bool ok = true;
    struct P {
      float scale;
      int32_t zp;
    };
    std::vector<P> params = {{1.0f, 0}, {0.5f, -5}, {0.25f, 17}, {3.0f, -128}, {1.0f, 127}, {1e-3f, 0},
                             {0.0f, 3}, {1e-40f, -1}};
    for (int j = 0; j < 6; ++j) {
      P p;
      const float lo = rng.uniform(-10.0f, 0.0f), hi = rng.uniform(0.0f, 10.0f);
      int8_asymmetric_params(lo, hi, &p.scale, &p.zp);
      params.push_back(p);
    }
    const std::vector<float> sp = special_f32();
    for (const P& p : params) {
      std::vector<float> v;
      for (int kk = -600; kk <= 600; kk += (kk > -200 && kk < 200) ? 1 : 37) {
        const float x = (static_cast<float>(kk) + 0.5f) * p.scale;
        v.push_back(x);
        v.push_back(std::nextafter(x, 1e30f));
        v.push_back(std::nextafter(x, -1e30f));
        v.push_back(static_cast<float>(kk) * p.scale);
      }
      v.insert(v.end(), sp.begin(), sp.end());
      for (int j = 0; j < 500; ++j) v.push_back(rng.uniform(-1000.0f, 1000.0f));
      for (size_t j = v.size(); j > 1; --j) std::swap(v[j - 1], v[rng.below(j)]);
      auto kern = [&](const float* src, size_t m, int8_t* dst) { k->quantize_f32_i8_asymmetric(src, m, p.scale, p.zp, dst); };
      auto ref = [&](const float* src, size_t m, int8_t* dst) { quantize_f32_i8_asymmetric_ref(src, m, p.scale, p.zp, dst); };
      ok = ok && compare_map<float, int8_t>("asymmetric", v.data(), v.size(), 3, 11, kern, ref);
      if (&p == &params[0]) sweep_lengths<float, int8_t>("asymmetric", v, kern, ref);
    }
    report(ok, "quantize i8 asymmetric: ties, clamping, NaN/Inf, random");
  }

  // Large per-channel tensors, both common layouts.
  {
    bool ok = true;
    const Shape big[] = {{3 * 3 * 64, 256, 1}, {1, 256, 3 * 3 * 64}, {1000, 3, 10}};
    for (const Shape& s : big) {
      const size_t n = s.outer * s.channels * s.inner;
      std::vector<float> v = int8_data(rng, n, true);
      std::vector<float> am(s.channels), am_ref(s.channels);
      k->absmax_f32_per_channel(v.data(), s.outer, s.channels, s.inner, am.data());
      absmax_f32_per_channel_ref(v.data(), s.outer, s.channels, s.inner, am_ref.data());
      ok = ok && first_diff(am.data(), am_ref.data(), s.channels) < 0;
      std::vector<float> sinv(s.channels);
      for (size_t c = 0; c < s.channels; ++c) sinv[c] = am_ref[c] == 0.0f ? 0.0f : 127.0f / am_ref[c];
      std::vector<int8_t> q(n), q_ref(n);
      k->quantize_f32_i8_symmetric(v.data(), s.outer, s.channels, s.inner, sinv.data(), q.data());
      quantize_f32_i8_symmetric_ref(v.data(), s.outer, s.channels, s.inner, sinv.data(), q_ref.data());
      ok = ok && first_diff(q.data(), q_ref.data(), n) < 0;
    }
    report(ok, "int8 large tensors (HWIO-like and axis-first)");
  }
}

// ---- per-channel scale (batch-norm folding) ---------------------------------------------
void test_scale(const KernelTable* k, Rng& rng) {
  static const std::vector<float> sp = special_f32();
  bool ok = true;
  // Factors: random magnitudes, the double-rounding-prone halfway products, specials.
  const double special_scale[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 1e300, 3.4e38, 1.0 + 0x1p-29,
                                  1.0 - 0x1p-30, INFINITY, -INFINITY, NAN, 0x1p-149, 0x1p-126};
  for (const Shape& s : kShapes) {
    for (size_t off = 0; off < 16 && ok; off += 3) {
      const size_t n = s.outer * s.channels * s.inner;
      for (int variant = 0; variant < 2 && ok; ++variant) {
        std::vector<float> v = int8_data(rng, n, true);
        if (variant == 1 && n) fill_bits(rng, v.data(), n);
        if (n) sprinkle(rng, v.data(), n, sp, 17);
        std::vector<double> scale(s.channels + 1);
        for (size_t c = 0; c < s.channels; ++c) {
          scale[c] = rng.below(5) == 0 ? special_scale[rng.below(sizeof(special_scale) / sizeof(double))]
                                       : (rng.unit() * 4.0 - 2.0) * (rng.below(7) == 0 ? 1e-20 : 1.0);
        }
        Placed<float> in(v.data(), n, off);
        Guarded<float> out(n, (off * 5) % 16);
        std::vector<float> want(n + 1);
        k->scale_f32_per_channel(in.p, s.outer, s.channels, s.inner, scale.data(), out.p);
        scale_f32_per_channel_ref(v.data(), s.outer, s.channels, s.inner, scale.data(), want.data());
        const long d = first_diff(out.p, want.data(), n);
        if (d >= 0 || !out.intact()) {
          ok = false;
          report(false, "scale shape (%zu,%zu,%zu) off %zu variant %d: %s at %ld", s.outer, s.channels,
                 s.inner, off, variant, d >= 0 ? "mismatch" : "guard overwritten", d);
        }
        // In place gives the same bytes.
        if (ok) {
          k->scale_f32_per_channel(in.p, s.outer, s.channels, s.inner, scale.data(), in.p);
          if (first_diff(in.p, want.data(), n) >= 0) {
            ok = false;
            report(false, "scale in place shape (%zu,%zu,%zu) off %zu", s.outer, s.channels, s.inner, off);
          }
        }
      }
    }
  }
  // The specification itself on hand-checked values: one double product, one rounding.
  {
    const float x[4] = {1.0f, 3.0f, f_of(0x3f800001u), -2.0f};
    const double sc[2] = {1.0 / 3.0, 1.0 + 0x1p-24};
    float y[4];
    scale_f32_per_channel_ref(x, 2, 2, 1, sc, y);
    ok = ok && y[0] == static_cast<float>(1.0 / 3.0) && y[1] == static_cast<float>(3.0 * (1.0 + 0x1p-24)) &&
         y[2] == static_cast<float>(static_cast<double>(f_of(0x3f800001u)) * (1.0 / 3.0)) &&
         y[3] == -2.0f;  // -2 - 2^-23 is a tie between -2 and its neighbour: even wins
    report(ok, "scale_f32_per_channel");
  }
}

// ---- crc32c -----------------------------------------------------------------------------
void test_crc(const KernelTable* k, Rng& rng) {
  const char* s = "123456789";
  report(k->crc32c_extend(0, reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u &&
             crc32c_extend_ref(0, reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u,
         "crc32c(\"123456789\") == 0xE3069283");
  // Extending in two pieces equals one pass.
  report(k->crc32c_extend(k->crc32c_extend(0, reinterpret_cast<const uint8_t*>(s), 4),
                          reinterpret_cast<const uint8_t*>(s) + 4, 5) == 0xE3069283u,
         "crc32c extend in pieces");
  bool ok = true;
  for (int j = 0; j < 1000; ++j) {
    const uint32_t c = rng.u32();
    ok = ok && crc32c_unmask(crc32c_mask(c)) == c;
  }
  report(ok && crc32c_mask(0) == 0xa282ead8u, "crc32c mask/unmask round trip");

  std::vector<uint8_t> buf(200000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng.u32());
  ok = true;
  for (size_t n = 0; n <= 3 * 64 + 1 && ok; ++n) {
    for (size_t off = 0; off < 16 && ok; ++off) {
      const uint32_t c0 = rng.u32();
      Placed<uint8_t> in(buf.data() + n, n, off);
      ok = k->crc32c_extend(c0, in.p, n) == crc32c_extend_ref(c0, buf.data() + n, n);
      if (!ok) report(false, "crc32c n=%zu off=%zu", n, off);
    }
  }
  // Sizes around the three-stream block boundaries and large random sizes.
  const size_t sizes[] = {767, 768, 769, 24575, 24576, 24577, 24576 + 768, 49152 + 7, 100000, 199999};
  for (size_t n : sizes) {
    for (size_t off : {size_t{0}, size_t{3}, size_t{13}}) {
      if (!ok) break;
      const uint32_t c0 = rng.u32();
      Placed<uint8_t> in(buf.data(), n, off);
      ok = k->crc32c_extend(c0, in.p, n) == crc32c_extend_ref(c0, buf.data(), n);
      if (!ok) report(false, "crc32c n=%zu off=%zu", n, off);
    }
  }
  for (int j = 0; j < 50 && ok; ++j) {
    const size_t n = rng.below(buf.size());
    const size_t st = rng.below(buf.size() - n);
    ok = k->crc32c_extend(j, buf.data() + st, n) == crc32c_extend_ref(j, buf.data() + st, n);
  }
  report(ok, "crc32c lengths, offsets, block boundaries, random");
}

// ---- transpose --------------------------------------------------------------------------
void test_transpose(const KernelTable* k, Rng& rng) {
  bool ok = true;
  const size_t dims[][3] = {{1, 1, 1}, {1, 3, 5}, {2, 33, 65}, {1, 64, 64}, {3, 100, 7}, {1, 1, 200}, {4, 17, 1}};
  for (size_t es : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    for (auto& d : dims) {
      const size_t bytes = d[0] * d[1] * d[2] * es;
      std::vector<uint8_t> src(bytes), a(bytes, 0), b(bytes, 0);
      for (auto& x : src) x = static_cast<uint8_t>(rng.u32());
      const Status s1 = k->transpose2d(src.data(), d[0], d[1], d[2], es, a.data());
      const Status s2 = transpose2d_ref(src.data(), d[0], d[1], d[2], es, b.data());
      ok = ok && s1 == s2 && a == b;
      // Spot-check the layout itself: dst[b][c][r] = src[b][r][c].
      const size_t bb = d[0] - 1, r = d[1] - 1, c = d[2] / 2;
      ok = ok && std::memcmp(&a[((bb * d[2] + c) * d[1] + r) * es], &src[((bb * d[1] + r) * d[2] + c) * es], es) == 0;
    }
  }
  uint8_t x[8] = {};
  ok = ok && k->transpose2d(x, 1, 2, 2, 3, x + 4) == TFEXPORT_STATUS_BAD_ARGUMENT;
  report(ok, "transpose2d matches the reference and the layout");
}

// ---- jobs (threads) ---------------------------------------------------------------------
void test_jobs(const KernelTable* k, Rng& rng) {
  const size_t n = 2 * kParallelGrain + 12345;  // splits into chunks with 2 threads
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-4.0f, 6.0f);
  bool ok = true;
  for (unsigned threads : {1u, 2u, 3u}) {
    std::vector<uint16_t> h(n), h_ref(n);
    job_convert_f32_f16(k, threads, v.data(), n, h.data());
    convert_f32_f16_ref(v.data(), n, h_ref.data());
    ok = ok && h == h_ref;
    std::vector<float> f(n), f_ref(n);
    job_convert_f16_f32(k, threads, h.data(), n, f.data());
    convert_f16_f32_ref(h.data(), n, f_ref.data());
    ok = ok && first_diff(f.data(), f_ref.data(), n) < 0;
    ok = ok && same_minmax(job_minmax_f32(k, threads, v.data(), n), minmax_f32_ref(v.data(), n));

    std::vector<uint8_t> q8(n), q8_ref(n);
    AffineParams p{}, p_ref = params_of(v.data(), n, 255);
    ok = ok && job_quantize_affine_u8(k, threads, v.data(), n, q8.data(), &p) == TFEXPORT_STATUS_OK;
    quantize_f32_u8_affine_ref(v.data(), n, &p_ref, q8_ref.data());
    ok = ok && q8 == q8_ref && u_of(p.scale) == u_of(p_ref.scale) && u_of(p.min) == u_of(p_ref.min);
    std::vector<uint16_t> q16(n), q16_ref(n);
    p_ref = params_of(v.data(), n, 65535);
    ok = ok && job_quantize_affine_u16(k, threads, v.data(), n, q16.data(), &p) == TFEXPORT_STATUS_OK;
    quantize_f32_u16_affine_ref(v.data(), n, &p_ref, q16_ref.data());
    ok = ok && q16 == q16_ref;
    job_dequantize_affine_u8(k, threads, q8.data(), n, p.scale, p.min, f.data());
    dequantize_u8_f32_affine_ref(q8.data(), n, p.scale, p.min, f_ref.data());
    ok = ok && first_diff(f.data(), f_ref.data(), n) < 0;
    job_dequantize_affine_u16(k, threads, q16.data(), n, p.scale, p.min, f.data());
    dequantize_u16_f32_affine_ref(q16.data(), n, p.scale, p.min, f_ref.data());
    ok = ok && first_diff(f.data(), f_ref.data(), n) < 0;

    // int8 per channel, HWIO-like [outer, 64, 1].
    const size_t C = 64, outer = n / C;
    std::vector<int8_t> q(outer * C), q_ref(outer * C);
    std::vector<float> scales(C), am(C), sinv(C);
    ok = ok && job_quantize_i8_per_channel(k, threads, v.data(), outer, C, 1, q.data(), scales.data()) ==
                   TFEXPORT_STATUS_OK;
    absmax_f32_per_channel_ref(v.data(), outer, C, 1, am.data());
    for (size_t c = 0; c < C; ++c) {
      ok = ok && scales[c] == am[c] / 127.0f;
      sinv[c] = am[c] == 0.0f ? 0.0f : 127.0f / am[c];
    }
    quantize_f32_i8_symmetric_ref(v.data(), outer, C, 1, sinv.data(), q_ref.data());
    ok = ok && q == q_ref;

    // per-channel scale, as [outer, 64, 1] and as [1, 64, outer] (not split).
    std::vector<double> sc(C);
    for (size_t c = 0; c < C; ++c) sc[c] = rng.unit() * 3.0 - 1.5;
    std::vector<float> g(outer * C), g_ref(outer * C);
    job_scale_f32_per_channel(k, threads, v.data(), outer, C, 1, sc.data(), g.data());
    scale_f32_per_channel_ref(v.data(), outer, C, 1, sc.data(), g_ref.data());
    ok = ok && first_diff(g.data(), g_ref.data(), outer * C) < 0;
    job_scale_f32_per_channel(k, threads, v.data(), 1, C, outer, sc.data(), g.data());
    scale_f32_per_channel_ref(v.data(), 1, C, outer, sc.data(), g_ref.data());
    ok = ok && first_diff(g.data(), g_ref.data(), outer * C) < 0;
  }
  report(ok, "jobs with 1..3 threads equal the reference");

  // NON_FINITE: NaN or Inf refuses the affine job and leaves dst alone.
  std::vector<float> w(1000, 1.0f);
  w[500] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> q(1000, 7);
  AffineParams p{};
  bool nf = job_quantize_affine_u8(k, 1, w.data(), w.size(), q.data(), &p) == TFEXPORT_STATUS_NON_FINITE;
  w[500] = -std::numeric_limits<float>::infinity();
  nf = nf && job_quantize_affine_u8(k, 1, w.data(), w.size(), q.data(), &p) == TFEXPORT_STATUS_NON_FINITE;
  nf = nf && std::all_of(q.begin(), q.end(), [](uint8_t b) { return b == 7; });
  report(nf, "affine job refuses NaN and Inf");
}

// ---- affine with a given range (chunks of a larger tensor) -----------------------------
// Chunks quantized with the whole tensor's min/max concatenate to the whole-tensor job:
// codes and parameters, bit for bit, incl. nudged zero, constant, one-sided, -0 ranges.
Status whole_job(const KernelTable* k, unsigned t, const float* s, size_t n, uint8_t* d, AffineParams* p) {
  return job_quantize_affine_u8(k, t, s, n, d, p);
}
Status whole_job(const KernelTable* k, unsigned t, const float* s, size_t n, uint16_t* d, AffineParams* p) {
  return job_quantize_affine_u16(k, t, s, n, d, p);
}
Status range_job(const KernelTable* k, unsigned t, const float* s, size_t n, float mn, float mx, uint8_t* d,
                 AffineParams* p) {
  return job_quantize_affine_range_u8(k, t, s, n, mn, mx, d, p);
}
Status range_job(const KernelTable* k, unsigned t, const float* s, size_t n, float mn, float mx, uint16_t* d,
                 AffineParams* p) {
  return job_quantize_affine_range_u16(k, t, s, n, mn, mx, d, p);
}

template <typename Q>
bool range_chunks_match(const KernelTable* k, Rng& rng, const std::vector<float>& v, unsigned threads) {
  const size_t n = v.size();
  std::vector<Q> want(n), got(n);
  AffineParams pw{};
  if (whole_job(k, threads, v.data(), n, want.data(), &pw) != TFEXPORT_STATUS_OK) return false;
  const MinMax mm = minmax_f32_ref(v.data(), n);
  bool ok = true;
  for (size_t b = 0; b < n;) {
    // random chunk lengths: empty, tiny, up to a third, or the rest (which threads split)
    const size_t r = rng.below(5);
    const size_t len = std::min(n - b, r == 0 ? rng.below(3) : r == 1 ? n - b : rng.below(n / 3 + 2));
    AffineParams pc{};
    ok = ok && range_job(k, threads, v.data() + b, len, mm.min, mm.max, got.data() + b, &pc) ==
                   TFEXPORT_STATUS_OK;
    ok = ok && u_of(pc.min) == u_of(pw.min) && u_of(pc.scale) == u_of(pw.scale) &&
         pc.constant == pw.constant;
    b += len;
  }
  return ok && want == got;
}

void test_affine_range(const KernelTable* k, Rng& rng) {
  bool ok = true;
  const std::vector<std::pair<float, float>> spans = {
      {-4.0f, 6.0f}, {-1.0f, -0.25f}, {0.5f, 3.0f}, {0.0f, 2.0f}, {-2.0f, 0.0f}, {-3.5f, 251.5f}};
  for (unsigned threads : {1u, 2u}) {
    for (const auto& sp : spans) {
      for (size_t n : {size_t{1}, size_t{7}, size_t{1000}, 2 * kParallelGrain + 77}) {
        std::vector<float> v(n);
        for (auto& x : v) x = rng.uniform(sp.first, sp.second);
        if (n > 2) v[n / 2] = sp.first, v[n / 3] = sp.second;  // exact bounds present
        ok = ok && range_chunks_match<uint8_t>(k, rng, v, threads);
        ok = ok && range_chunks_match<uint16_t>(k, rng, v, threads);
      }
    }
    // constant tensors (min == max), a zero constant written with -0 and +0 mixed
    for (float c : {2.5f, -0.75f, 0.0f}) {
      std::vector<float> v(3000, c);
      if (c == 0.0f) v[17] = -0.0f;
      ok = ok && range_chunks_match<uint8_t>(k, rng, v, threads);
      ok = ok && range_chunks_match<uint16_t>(k, rng, v, threads);
    }
  }
  report(ok, "affine range job: chunks with the tensor's min/max equal the whole-tensor job");

  // A -0 bound is +0: [-0, -0] gives min +0 like a zero tensor; [-0, 1] like [0, 1].
  AffineParams a{}, b{};
  bool zs = job_quantize_affine_range_u8(k, 1, nullptr, 0, -0.0f, -0.0f, nullptr, &a) == TFEXPORT_STATUS_OK;
  zs = zs && a.constant == 1 && u_of(a.min) == u_of(0.0) && a.scale == 1.0;
  zs = zs && job_quantize_affine_range_u16(k, 1, nullptr, 0, -0.0f, 1.0f, nullptr, &a) == TFEXPORT_STATUS_OK;
  zs = zs && job_quantize_affine_range_u16(k, 1, nullptr, 0, 0.0f, 1.0f, nullptr, &b) == TFEXPORT_STATUS_OK;
  zs = zs && u_of(a.min) == u_of(b.min) && u_of(a.scale) == u_of(b.scale);
  report(zs, "affine range job: -0 bounds count as +0");

  // Out of range values are clipped, NaN gives 0 (the kernel's rules, same as _ref).
  const float odd[5] = {-9.0f, 0.5f, 9.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  uint8_t q[5] = {}, q_ref[5] = {};
  AffineParams p{};
  bool cl = job_quantize_affine_range_u8(k, 1, odd, 5, 0.0f, 1.0f, q, &p) == TFEXPORT_STATUS_OK;
  quantize_f32_u8_affine_ref(odd, 5, &p, q_ref);
  cl = cl && std::equal(q, q + 5, q_ref) && q[0] == 0 && q[2] == 255 && q[3] == 0 && q[4] == 255;
  report(cl, "affine range job: out-of-range values clip, NaN gives 0");

  // BAD_ARGUMENT for a non-finite bound or min > max; dst untouched.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float bad[][2] = {{nan, 1.0f}, {0.0f, nan}, {-inf, 1.0f}, {0.0f, inf}, {2.0f, 1.0f}};
  std::vector<uint16_t> d(5, 7);
  bool ba = true;
  for (const auto& r : bad) {
    ba = ba && job_quantize_affine_range_u16(k, 1, odd, 5, r[0], r[1], d.data(), &p) ==
                   TFEXPORT_STATUS_BAD_ARGUMENT;
  }
  ba = ba && std::all_of(d.begin(), d.end(), [](uint16_t x) { return x == 7; });
  report(ba, "affine range job refuses a non-finite or inverted range");
}

// ---- exhaustive (--exhaustive; about 10 s per ISA in a release build) ---------------------------
// Every f32 bit pattern through f32->f16, and every float with |x| <= 130 through both int8
// quantizers with a unit scale (which exercises the round-half-away step on every value and
// tie). The reference is computed once per chunk and compared with every ISA's table.
void test_exhaustive() {
  g_ctx = "exhaustive";
  const size_t kChunk = size_t{1} << 20;
  std::vector<float> in(kChunk);
  std::vector<uint16_t> h_want(kChunk), h_got(kChunk);
  std::vector<int8_t> q_want(kChunk), q_got(kChunk), a_want(kChunk), a_got(kChunk);
  std::vector<const KernelTable*> tables;
  for (int i = 1; i < TFEXPORT_ISA_COUNT; ++i) {
    if (isa_available(static_cast<Isa>(i))) tables.push_back(kernels_for(static_cast<Isa>(i)));
  }
  std::vector<uint64_t> bad_h(tables.size()), bad_q(tables.size());
  for (uint64_t base = 0; base <= 0xffffffffull; base += kChunk) {
    for (size_t i = 0; i < kChunk; ++i) in[i] = f_of(static_cast<uint32_t>(base + i));
    convert_f32_f16_ref(in.data(), kChunk, h_want.data());
    for (size_t t = 0; t < tables.size(); ++t) {
      tables[t]->convert_f32_f16(in.data(), kChunk, h_got.data());
      if (h_got != h_want) ++bad_h[t];
    }
  }
  const float one = 1.0f;
  const uint32_t limit = u_of(130.0f);
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint64_t base = 0; base <= limit; base += kChunk) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, limit + 1 - base));
      for (size_t i = 0; i < n; ++i) in[i] = f_of((sign << 31) | static_cast<uint32_t>(base + i));
      quantize_f32_i8_symmetric_ref(in.data(), 1, 1, n, &one, q_want.data());
      quantize_f32_i8_asymmetric_ref(in.data(), n, 1.0f, 0, a_want.data());
      for (size_t t = 0; t < tables.size(); ++t) {
        tables[t]->quantize_f32_i8_symmetric(in.data(), 1, 1, n, &one, q_got.data());
        tables[t]->quantize_f32_i8_asymmetric(in.data(), n, 1.0f, 0, a_got.data());
        if (first_diff(q_got.data(), q_want.data(), n) >= 0 || first_diff(a_got.data(), a_want.data(), n) >= 0) ++bad_q[t];
      }
    }
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    report(bad_h[t] == 0, "%s: f32->f16 over all 2^32 inputs (%" PRIu64 " bad chunks)", isa_name(tables[t]->isa), bad_h[t]);
    report(bad_q[t] == 0, "%s: int8 quantizers over every |x| <= 130 (%" PRIu64 " bad chunks)", isa_name(tables[t]->isa),
           bad_q[t]);
  }
  std::printf("exhaustive: f32->f16 over 2^32 inputs and int8 rounding over |x| <= 130, %zu ISAs\n", tables.size());
}

// ---- dispatch -------------------------------------------------------------------------------
void test_dispatch() {
  g_ctx = "dispatch";
  bool ok = true;
  for (int i = 0; i < TFEXPORT_ISA_COUNT; ++i) {
    const Isa isa = static_cast<Isa>(i);
    ok = ok && isa_from_name(isa_name(isa)) == isa;
    const KernelTable* t = kernels_for(isa);
    ok = ok && (isa_available(isa) ? (t != nullptr && t->isa == isa) : t == nullptr);
  }
  ok = ok && isa_from_name("avx3") == TFEXPORT_ISA_COUNT && isa_from_name(nullptr) == TFEXPORT_ISA_COUNT;
  ok = ok && isa_available(TFEXPORT_ISA_SCALAR) && isa_available(isa_best());
  report(ok, "isa names, availability, tables");

  Status st = TFEXPORT_STATUS_OK;
  const KernelTable* active = kernels_active(&st);
  const char* forced = std::getenv("TFEXPORT_FORCE_ISA");
  if (forced != nullptr && forced[0] != '\0') {
    const Isa want = isa_from_name(forced);
    if (want == TFEXPORT_ISA_COUNT) {
      report(active == nullptr && st == TFEXPORT_STATUS_UNKNOWN_ISA, "unknown TFEXPORT_FORCE_ISA is an error");
    } else if (!isa_available(want)) {
      report(active == nullptr && st == TFEXPORT_STATUS_UNAVAILABLE_ISA, "unavailable TFEXPORT_FORCE_ISA is an error");
    } else {
      report(active != nullptr && st == TFEXPORT_STATUS_OK && active->isa == want,
             "TFEXPORT_FORCE_ISA=%s selects that table (active: %s)", forced, active ? isa_name(active->isa) : "none");
    }
  } else {
    report(active != nullptr && st == TFEXPORT_STATUS_OK && active->isa == isa_best(), "default table is the best ISA");
  }
  std::printf("isa: best %s, active %s (TFEXPORT_FORCE_ISA=%s)\n", isa_name(isa_best()),
              active ? isa_name(active->isa) : "none", forced ? forced : "");
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 20240601;
  bool exhaustive = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--exhaustive") == 0) {
      exhaustive = true;
    } else {
      seed = std::strtoull(argv[i], nullptr, 10);
    }
  }
  test_dispatch();
  {
    Rng lemma_rng(seed);
    test_affine_margin_lemma(lemma_rng);
  }
  // With TFEXPORT_FORCE_ISA set, the run is about the override: test the active table only.
  const KernelTable* forced = std::getenv("TFEXPORT_FORCE_ISA") ? kernels_active(nullptr) : nullptr;
  for (int i = 0; i < TFEXPORT_ISA_COUNT; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isa_available(isa) || (forced != nullptr && forced->isa != isa)) continue;
    const KernelTable* k = kernels_for(isa);
    const int p0 = g_passed, f0 = g_failed;
    for (uint64_t s = 0; s < 2; ++s) {  // two seeds per ISA
      Rng rng(seed + 1000 * s + static_cast<uint64_t>(i));
      g_ctx = std::string(isa_name(isa)) + "/f16";
      test_f16(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/minmax";
      test_minmax(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/affine";
      test_affine(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/int8";
      test_int8(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/scale";
      test_scale(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/crc32c";
      test_crc(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/transpose";
      test_transpose(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/jobs";
      if (s == 0) test_jobs(k, rng);
      g_ctx = std::string(isa_name(isa)) + "/affine-range";
      if (s == 0) test_affine_range(k, rng);
    }
    std::printf("%-7s %d passed, %d failed\n", isa_name(isa), g_passed - p0, g_failed - f0);
    std::fflush(stdout);
  }
  if (exhaustive) test_exhaustive();
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
