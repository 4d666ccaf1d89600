// SPDX-License-Identifier: Apache-2.0
// A parsed call: the work (plain C++ over pinned memory) and how to turn its result into JS.
// The same Job runs synchronously (`*Sync` exports) or on the libuv pool behind a Promise.
#ifndef TFEXPORT_BINDING_JOB_H_
#define TFEXPORT_BINDING_JOB_H_

#include <napi.h>

#include <functional>
#include <string>

#include "../kernels/kernels.h"

namespace tfx_binding {

struct Job {
  std::function<tfx::Status()> run;                    // never touches N-API
  std::function<Napi::Value(Napi::Env)> result;        // optional; undefined when empty
  std::string context;                                 // names the call for error messages
};

using JobParser = Job (*)(const Napi::CallbackInfo&);

Napi::Value run_sync(const Napi::CallbackInfo& info, JobParser parse);
// Pins every argument on the worker's receiver until the Promise settles: callers must not
// mutate, transfer or detach the arrays before then.
Napi::Value run_async(const Napi::CallbackInfo& info, JobParser parse);

// Exports `name` (async, returns a Promise) and `name + "Sync"` for one parser.
template <JobParser Parse>
void export_job(Napi::Env env, Napi::Object exports, const char* name) {
  const std::string sync = std::string(name) + "Sync";
  exports.Set(sync, Napi::Function::New(
                        env, [](const Napi::CallbackInfo& i) { return run_sync(i, Parse); }, sync));
  exports.Set(name, Napi::Function::New(
                        env, [](const Napi::CallbackInfo& i) { return run_async(i, Parse); }, name));
}

}  // namespace tfx_binding

#endif  // TFEXPORT_BINDING_JOB_H_
