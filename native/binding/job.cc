// SPDX-License-Identifier: Apache-2.0
#include "job.h"

#include "addon_data.h"
#include "args.h"

namespace tfx_binding {

namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, Job job)
      : Napi::AsyncWorker(env, "tfexport:kernel"), job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  // Keeps the call's arguments (and so their ArrayBuffers) reachable until settled.
  void pin(const Napi::CallbackInfo& info) {
    Napi::Object pins = Napi::Object::New(Env());
    for (size_t i = 0; i < info.Length(); ++i) pins.Set(static_cast<uint32_t>(i), info[i]);
    pins_ = Napi::Persistent(pins);
  }

  void Execute() override { status_ = job_.run(); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status_ != tfx::TFEXPORT_STATUS_OK) {
      const std::string code = std::string("ERR_TFEXPORT_") + tfx::status_name(status_);
      deferred_.Reject(make_error(env, code.c_str(), job_.context));
      return;
    }
    try {
      deferred_.Resolve(job_.result ? job_.result(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Job job_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference pins_;
  tfx::Status status_ = tfx::TFEXPORT_STATUS_OK;
};

Job parse_or_throw(const Napi::CallbackInfo& info, JobParser parse) {
  try {
    return parse(info);
  } catch (const ArgError& e) {
    Napi::Env env = info.Env();
    throw Napi::Error(env, make_error(env, "ERR_TFEXPORT_BAD_ARGUMENT", e.what()));
  }
}

}  // namespace

Napi::Value run_sync(const Napi::CallbackInfo& info, JobParser parse) {
  Napi::Env env = info.Env();
  Job job = parse_or_throw(info, parse);
  const tfx::Status st = job.run();
  if (st != tfx::TFEXPORT_STATUS_OK) throw_status(env, st, job.context);
  return job.result ? job.result(env) : env.Undefined();
}

Napi::Value run_async(const Napi::CallbackInfo& info, JobParser parse) {
  Napi::Env env = info.Env();
  Job job = parse_or_throw(info, parse);
  auto* worker = new JobWorker(env, std::move(job));
  worker->pin(info);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

}  // namespace tfx_binding
