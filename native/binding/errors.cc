// SPDX-License-Identifier: Apache-2.0
// Status -> JS error mapping. Codes are stable: ERR_TFEXPORT_<STATUS>.
#include <string>

#include "addon_data.h"

namespace tfx_binding {

Napi::Value make_error(Napi::Env env, const char* code, const std::string& message) {
  AddonData* d = addon_data(env);
  if (d != nullptr && !d->make_error.IsEmpty()) {
    return d->make_error.Call({Napi::String::New(env, code), Napi::String::New(env, message)});
  }
  Napi::Error e = Napi::Error::New(env, std::string(code) + ": " + message);
  e.Set("code", Napi::String::New(env, code));
  return e.Value();
}

void throw_status(Napi::Env env, tfx::Status st, const std::string& context) {
  const std::string code = std::string("ERR_TFEXPORT_") + tfx::status_name(st);
  throw Napi::Error(env, make_error(env, code.c_str(), context));
}

const tfx::KernelTable* active_table(Napi::Env env) {
  AddonData* d = addon_data(env);
  if (d->table == nullptr) {
    throw_status(env, d->table_status,
                 "TFEXPORT_FORCE_ISA names an ISA that is unknown or not available on this "
                 "machine (use scalar, sse41, avx2, avx512 or neon, one that availableIsas() "
                 "lists)");
  }
  return d->table;
}

}  // namespace tfx_binding
