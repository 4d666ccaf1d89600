// SPDX-License-Identifier: Apache-2.0
// NODE_API_MODULE init: per-environment data, the export table and error-class injection.
#include <napi.h>

#include "binding/addon_data.h"

namespace tfx_binding {
void register_kernels(Napi::Env env, Napi::Object exports);
void register_cpu(Napi::Env env, Napi::Object exports);
void register_wire(Napi::Env env, Napi::Object exports);
void register_sstable(Napi::Env env, Napi::Object exports);
}  // namespace tfx_binding

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new tfx_binding::AddonData();
  data->table = tfx::kernels_active(&data->table_status);
  env.SetInstanceData<tfx_binding::AddonData>(data);  // deleted by node-addon-api at teardown

  // init(makeError): TS passes (code, message) => Error so errors carry its classes.
  exports.Set("init", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      throw Napi::TypeError::New(e, "ERR_TFEXPORT_BAD_ARGUMENT: init expects an error factory");
    }
    tfx_binding::addon_data(e)->make_error = Napi::Persistent(info[0].As<Napi::Function>());
    return e.Undefined();
  }, "init"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  tfx_binding::register_cpu(env, exports);
  tfx_binding::register_kernels(env, exports);
  tfx_binding::register_wire(env, exports);
  tfx_binding::register_sstable(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tfexport, Init)
