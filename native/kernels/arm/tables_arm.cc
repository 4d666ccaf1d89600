// SPDX-License-Identifier: Apache-2.0
// AArch64 table filler (NEON variants).
#include "../isa_tables.h"

#if defined(TFEXPORT_HAVE_ARM64) && !defined(TFEXPORT_FORCE_SCALAR)
namespace tfx {

void fill_table_neon(KernelTable* t) noexcept { (void)t; }

}  // namespace tfx
#endif
