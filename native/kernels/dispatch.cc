// SPDX-License-Identifier: Apache-2.0
// CPU feature detection (CPUID + XGETBV on x86-64, HWCAP on AArch64), the per-ISA function
// tables, and the TFEXPORT_FORCE_ISA override. Tables are built once and then read-only.
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "isa_tables.h"
#include "kernels.h"

#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
#include <cpuid.h>
#endif
#if defined(TFEXPORT_HAVE_ARM64) && defined(__linux__) && !defined(TFEXPORT_FORCE_SCALAR)
#include <sys/auxv.h>
#endif

static_assert(sizeof(float) == 4, "float must be IEEE binary32");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tfexport kernels assume a little-endian host"
#endif

namespace tfx {

namespace {

const char* const kIsaNames[TFEXPORT_ISA_COUNT] = {"scalar", "sse41", "avx2", "avx512", "neon"};
static_assert(sizeof(kIsaNames) / sizeof(kIsaNames[0]) == TFEXPORT_ISA_COUNT,
              "ISA name table must match the enum");

const char* const kStatusNames[TFEXPORT_STATUS_COUNT] = {
    "OK", "BAD_ARGUMENT", "BAD_LENGTH", "NON_FINITE", "UNKNOWN_ISA", "UNAVAILABLE_ISA", "IO",
    "BAD_WIRE_FORMAT"};
static_assert(sizeof(kStatusNames) / sizeof(kStatusNames[0]) == TFEXPORT_STATUS_COUNT,
              "status name table must match the enum");

struct State {
  bool available[TFEXPORT_ISA_COUNT] = {};
  KernelTable tables[TFEXPORT_ISA_COUNT] = {};
  Isa best = TFEXPORT_ISA_SCALAR;
  const KernelTable* active = nullptr;
  Status active_status = TFEXPORT_STATUS_OK;
};

#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
uint64_t read_xcr0() noexcept {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

void detect_x86(bool* avail) noexcept {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  const bool sse41 = (c >> 19) & 1u;
  const bool sse42 = (c >> 20) & 1u;
  const bool osxsave = (c >> 27) & 1u;
  const bool avx = (c >> 28) & 1u;
  const bool f16c = (c >> 29) & 1u;
  const bool fma = (c >> 12) & 1u;
  const bool popcnt = (c >> 23) & 1u;
  // SSE4.1 tier also needs SSE4.2 for the crc32 instruction.
  avail[TFEXPORT_ISA_SSE41] = sse41 && sse42 && popcnt;
  if (!osxsave || !avx) return;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6u) == 0x6u;             // XMM and YMM state saved by the OS
  const bool os_zmm = (xcr0 & 0xe6u) == 0xe6u;           // + opmask, ZMM_Hi256, Hi16_ZMM
  unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
  if (__get_cpuid_max(0, nullptr) >= 7) __cpuid_count(7, 0, a7, b7, c7, d7);
  const bool avx2 = (b7 >> 5) & 1u;
  const bool bmi2 = (b7 >> 8) & 1u;
  avail[TFEXPORT_ISA_AVX2] = avail[TFEXPORT_ISA_SSE41] && os_ymm && avx2 && f16c && fma && bmi2;
  const bool avx512f = (b7 >> 16) & 1u;
  const bool avx512dq = (b7 >> 17) & 1u;
  const bool avx512bw = (b7 >> 30) & 1u;
  const bool avx512vl = (b7 >> 31) & 1u;
  avail[TFEXPORT_ISA_AVX512] =
      avail[TFEXPORT_ISA_AVX2] && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
}
#endif

#if defined(TFEXPORT_HAVE_ARM64) && !defined(TFEXPORT_FORCE_SCALAR)
void detect_arm(bool* avail) noexcept {
  // Advanced SIMD is architectural on AArch64; the CRC32 instructions are optional and are
  // checked by the NEON crc32c variant itself through HWCAP.
  avail[TFEXPORT_ISA_NEON] = true;
}
#endif

State& state() noexcept {
  static State s;
  static std::once_flag once;
  std::call_once(once, [] {
    s.available[TFEXPORT_ISA_SCALAR] = true;
#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
    detect_x86(s.available);
#endif
#if defined(TFEXPORT_HAVE_ARM64) && !defined(TFEXPORT_FORCE_SCALAR)
    detect_arm(s.available);
#endif
    for (int i = 0; i < TFEXPORT_ISA_COUNT; ++i) {
      KernelTable* t = &s.tables[i];
      fill_table_ref(t);
      t->isa = static_cast<Isa>(i);
      if (!s.available[i]) continue;
#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
      if (i == TFEXPORT_ISA_SSE41) fill_table_sse41(t);
      if (i == TFEXPORT_ISA_AVX2) fill_table_avx2(t);
      if (i == TFEXPORT_ISA_AVX512) fill_table_avx512(t);
#endif
#if defined(TFEXPORT_HAVE_ARM64) && !defined(TFEXPORT_FORCE_SCALAR)
      if (i == TFEXPORT_ISA_NEON) fill_table_neon(t);
#endif
      s.best = static_cast<Isa>(i);
    }
    s.active = &s.tables[s.best];
    const char* forced = std::getenv("TFEXPORT_FORCE_ISA");
    if (forced != nullptr && forced[0] != '\0') {
      const Isa want = isa_from_name(forced);
      if (want == TFEXPORT_ISA_COUNT) {
        s.active = nullptr;
        s.active_status = TFEXPORT_STATUS_UNKNOWN_ISA;
      } else if (!s.available[want]) {
        s.active = nullptr;
        s.active_status = TFEXPORT_STATUS_UNAVAILABLE_ISA;
      } else {
        s.active = &s.tables[want];
      }
    }
  });
  return s;
}

}  // namespace

void fill_table_ref(KernelTable* t) noexcept {
  t->isa = TFEXPORT_ISA_SCALAR;
  t->convert_f32_f16 = convert_f32_f16_ref;
  t->convert_f16_f32 = convert_f16_f32_ref;
  t->minmax_f32 = minmax_f32_ref;
  t->quantize_f32_u8_affine = quantize_f32_u8_affine_ref;
  t->quantize_f32_u16_affine = quantize_f32_u16_affine_ref;
  t->dequantize_u8_f32_affine = dequantize_u8_f32_affine_ref;
  t->dequantize_u16_f32_affine = dequantize_u16_f32_affine_ref;
  t->absmax_f32_per_channel = absmax_f32_per_channel_ref;
  t->quantize_f32_i8_symmetric = quantize_f32_i8_symmetric_ref;
  t->quantize_f32_i8_asymmetric = quantize_f32_i8_asymmetric_ref;
  t->dequantize_i8_f32 = dequantize_i8_f32_ref;
  t->scale_f32_per_channel = scale_f32_per_channel_ref;
  t->crc32c_extend = crc32c_extend_ref;
  t->transpose2d = transpose2d_ref;
}

const char* isa_name(Isa isa) noexcept {
  return (isa >= 0 && isa < TFEXPORT_ISA_COUNT) ? kIsaNames[isa] : "unknown";
}

Isa isa_from_name(const char* name) noexcept {
  if (name == nullptr) return TFEXPORT_ISA_COUNT;
  for (int i = 0; i < TFEXPORT_ISA_COUNT; ++i) {
    if (std::strcmp(name, kIsaNames[i]) == 0) return static_cast<Isa>(i);
  }
  return TFEXPORT_ISA_COUNT;
}

bool isa_available(Isa isa) noexcept {
  return isa >= 0 && isa < TFEXPORT_ISA_COUNT && state().available[isa];
}

Isa isa_best() noexcept { return state().best; }

const KernelTable* kernels_for(Isa isa) noexcept {
  return isa_available(isa) ? &state().tables[isa] : nullptr;
}

const KernelTable* kernels_active(Status* status) noexcept {
  State& s = state();
  if (status != nullptr) *status = s.active_status;
  return s.active;
}

const char* status_name(Status st) noexcept {
  return (st >= 0 && st < TFEXPORT_STATUS_COUNT) ? kStatusNames[st] : "UNKNOWN_STATUS";
}

}  // namespace tfx
