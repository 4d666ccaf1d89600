// SPDX-License-Identifier: Apache-2.0
// Internal: per-ISA table fillers. Each starts from the reference table and overrides the
// kernels it has a variant for; what it leaves alone stays the reference.
#ifndef TFEXPORT_ISA_TABLES_H_
#define TFEXPORT_ISA_TABLES_H_

#include "kernels.h"

namespace tfx {

void fill_table_ref(KernelTable* t) noexcept;

#if defined(__x86_64__) || defined(_M_X64)
#define TFEXPORT_HAVE_X86 1
void fill_table_sse41(KernelTable* t) noexcept;
void fill_table_avx2(KernelTable* t) noexcept;
void fill_table_avx512(KernelTable* t) noexcept;
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define TFEXPORT_HAVE_ARM64 1
void fill_table_neon(KernelTable* t) noexcept;
#endif

}  // namespace tfx

#endif  // TFEXPORT_ISA_TABLES_H_
