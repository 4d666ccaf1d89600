// SPDX-License-Identifier: Apache-2.0
// x86-64 table fillers: each ISA tier inherits the tier below, then overrides.
#include "../isa_tables.h"

#if defined(TFEXPORT_HAVE_X86) && !defined(TFEXPORT_FORCE_SCALAR)
#include "x86_kernels.h"

namespace tfx {

void fill_table_sse41(KernelTable* t) noexcept {
  t->crc32c_extend = crc32c_extend_sse42;
}

void fill_table_avx2(KernelTable* t) noexcept {
  fill_table_sse41(t);
}

void fill_table_avx512(KernelTable* t) noexcept {
  fill_table_avx2(t);
}

}  // namespace tfx
#endif
