// SPDX-License-Identifier: Apache-2.0
// Per-environment state (the addon is context-aware: each worker_thread has its own).
#ifndef TFEXPORT_BINDING_ADDON_DATA_H_
#define TFEXPORT_BINDING_ADDON_DATA_H_

#include <napi.h>

#include <string>

#include "../kernels/kernels.h"

namespace tfx_binding {

struct AddonData {
  const tfx::KernelTable* table = nullptr;   // null when TFEXPORT_FORCE_ISA was invalid
  tfx::Status table_status = tfx::TFEXPORT_STATUS_OK;
  Napi::FunctionReference make_error;        // (code, message) => Error, injected by TS
};

inline AddonData* addon_data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// Builds the JS error for a status (through the injected factory when present).
Napi::Value make_error(Napi::Env env, const char* code, const std::string& message);
// Throws (as a C++ Napi::Error) the error for a kernel status.
[[noreturn]] void throw_status(Napi::Env env, tfx::Status st, const std::string& context);
// The table calls must use; throws when TFEXPORT_FORCE_ISA was invalid.
const tfx::KernelTable* active_table(Napi::Env env);

}  // namespace tfx_binding

#endif  // TFEXPORT_BINDING_ADDON_DATA_H_
