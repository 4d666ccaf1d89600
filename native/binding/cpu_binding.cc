// SPDX-License-Identifier: Apache-2.0
// isa(), bestIsa(), availableIsas(), setIsa(name): the JS-visible dispatch switch.
#include <string>

#include "addon_data.h"

namespace tfx_binding {

void register_cpu(Napi::Env env, Napi::Object exports) {
  exports.Set("isa", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const tfx::KernelTable* t = active_table(info.Env());
    return Napi::String::New(info.Env(), tfx::isa_name(t->isa));
  }, "isa"));
  exports.Set("bestIsa", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::String::New(info.Env(), tfx::isa_name(tfx::isa_best()));
  }, "bestIsa"));
  exports.Set("availableIsas", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    Napi::Array a = Napi::Array::New(e);
    uint32_t n = 0;
    for (int i = 0; i < tfx::TFEXPORT_ISA_COUNT; ++i) {
      if (tfx::isa_available(static_cast<tfx::Isa>(i))) {
        a.Set(n++, Napi::String::New(e, tfx::isa_name(static_cast<tfx::Isa>(i))));
      }
    }
    return a;
  }, "availableIsas"));
  // Per environment: a worker_thread's choice does not affect the main thread.
  exports.Set("setIsa", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      throw Napi::Error(e, make_error(e, "ERR_TFEXPORT_BAD_ARGUMENT", "Expected a string for isa"));
    }
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const tfx::Isa isa = tfx::isa_from_name(name.c_str());
    if (isa == tfx::TFEXPORT_ISA_COUNT) {
      throw_status(e, tfx::TFEXPORT_STATUS_UNKNOWN_ISA,
                   "unknown ISA '" + name + "' (expected scalar, sse41, avx2, avx512 or neon)");
    }
    if (!tfx::isa_available(isa)) {
      throw_status(e, tfx::TFEXPORT_STATUS_UNAVAILABLE_ISA,
                   "ISA '" + name + "' is not available on this machine or build");
    }
    AddonData* d = addon_data(e);
    d->table = tfx::kernels_for(isa);
    d->table_status = tfx::TFEXPORT_STATUS_OK;
    return e.Undefined();
  }, "setIsa"));
}

}  // namespace tfx_binding
