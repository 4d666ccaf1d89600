// SPDX-License-Identifier: Apache-2.0
// GraphDef wire entry points (native/wire/graphdef_wire.h): unpack TypedArrays, hand a Job to
// run_sync/run_async, and turn a wire status into a typed error whose message names the
// field path and byte offset. No tensor bytes are copied here: scan returns offsets, split
// writes the structure into a caller-allocated Uint8Array, join reads the callers' views.
//
// A wire failure is carried out of Job::run as data (run returns OK) and thrown by
// Job::result, so the message can hold the diagnostic that only run() knows; both sync and
// async calls raise it as ERR_TFEXPORT_<STATUS> through the injected error factory.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../wire/graphdef_wire.h"
#include "addon_data.h"
#include "args.h"
#include "job.h"

namespace tfx_binding {

namespace {

using tfx::wire::TensorInfo;

struct WireOutcome {
  tfx::Status status = tfx::TFEXPORT_STATUS_OK;
  tfx::wire::WireDiag diag{};
};

// Throws the error for a failed wire call (after run() finished).
void throw_wire(Napi::Env env, const char* call, const WireOutcome& o) {
  char msg[tfx::wire::kPathMax + 256];
  tfx::wire::format_wire_diag(o.diag, msg, sizeof msg);
  const std::string code = std::string("ERR_TFEXPORT_") + tfx::status_name(o.status);
  throw Napi::Error(env, make_error(env, code.c_str(),
                                    std::string(call) + ": " + msg + " [" +
                                        tfx::wire::wire_error_name(o.diag.error) + "]"));
}

const uint8_t* bytes_of(const View& v) { return static_cast<const uint8_t*>(v.data); }

// ---- scan table layout (TS reads the column names; see src/wire/graphdef-wire.ts) -------
const char* const kColumns[] = {
    "functionIndex", "nodeIndex", "flags", "dtype",
    "nodeNameOffset", "nodeNameLength", "opOffset", "opLength",
    "functionNameOffset", "functionNameLength", "attrKeyOffset", "attrKeyLength",
    "dimsBegin", "dimsCount", "tensorOffset", "tensorLength",
    "contentOffset", "contentLength", "contentRecord", "contentRecords",
    "valuesField", "valuesOffset", "valuesLength", "valuesRecords", "valuesCount",
    "enclosingCount",
    // then kMaxEnclosing x (field, recordOffset, payloadOffset, payloadLength)
};
constexpr size_t kFixedColumns = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr size_t kStride = kFixedColumns + 4 * tfx::wire::kMaxEnclosing;
static_assert(kFixedColumns == 26, "fill_row writes 26 fixed columns");

const char* const kFlagNames[] = {"hasNodeName", "hasNodeOp", "hasFunctionName", "hasAttrKey",
                                  "hasShape", "unknownRank", "hasContent", "valuesPacked"};
static_assert(1u << (sizeof(kFlagNames) / sizeof(kFlagNames[0]) - 1) ==
                  tfx::wire::TENSOR_VALUES_PACKED,
              "flag names must list every TensorFlags bit in order");

void fill_row(const TensorInfo& t, double* row) {
  const double v[kFixedColumns] = {
      static_cast<double>(t.function_index), static_cast<double>(t.node_index),
      static_cast<double>(t.flags), static_cast<double>(t.dtype),
      static_cast<double>(t.node_name.offset), static_cast<double>(t.node_name.length),
      static_cast<double>(t.node_op.offset), static_cast<double>(t.node_op.length),
      static_cast<double>(t.function_name.offset), static_cast<double>(t.function_name.length),
      static_cast<double>(t.attr_key.offset), static_cast<double>(t.attr_key.length),
      static_cast<double>(t.dims_begin), static_cast<double>(t.dims_count),
      static_cast<double>(t.tensor.offset), static_cast<double>(t.tensor.length),
      static_cast<double>(t.content.offset), static_cast<double>(t.content.length),
      static_cast<double>(t.content_record), static_cast<double>(t.content_records),
      static_cast<double>(t.values_field), static_cast<double>(t.values.offset),
      static_cast<double>(t.values.length), static_cast<double>(t.values_records),
      static_cast<double>(t.values_count), static_cast<double>(t.enclosing_count)};
  for (size_t i = 0; i < kFixedColumns; ++i) row[i] = v[i];
  for (size_t e = 0; e < tfx::wire::kMaxEnclosing; ++e) {
    const tfx::wire::EnclosingField& f = t.enclosing[e];
    double* c = row + kFixedColumns + 4 * e;
    c[0] = static_cast<double>(f.field);
    c[1] = static_cast<double>(f.record_offset);
    c[2] = static_cast<double>(f.payload_offset);
    c[3] = static_cast<double>(f.payload_length);
  }
}

Napi::Array string_array(Napi::Env env, const char* const* names, size_t n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  return a;
}

// scanGraphDef(bytes) -> { tensorCount, stride, columns, flagNames, table, dims }
Job parse_scan(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "bytes", napi_uint8_array);
  struct State {
    WireOutcome o;
    std::vector<TensorInfo> tensors;
    std::vector<int64_t> dims;
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "scanGraphDef";
  j.run = [=] {
    tfx::wire::ScanCounts c{};
    st->o.status = tfx::wire::scan_graphdef(bytes_of(src), src.length, nullptr, 0, nullptr, 0,
                                            &c, &st->o.diag);
    if (st->o.status != tfx::TFEXPORT_STATUS_OK) return tfx::TFEXPORT_STATUS_OK;
    st->tensors.resize(c.tensors);
    st->dims.resize(c.dims);
    tfx::wire::ScanCounts c2{};
    st->o.status = tfx::wire::scan_graphdef(bytes_of(src), src.length, st->tensors.data(),
                                            st->tensors.size(), st->dims.data(),
                                            st->dims.size(), &c2, &st->o.diag);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->o.status != tfx::TFEXPORT_STATUS_OK) throw_wire(env, "scanGraphDef", st->o);
    const size_t n = st->tensors.size();
    Napi::Float64Array table = Napi::Float64Array::New(env, n * kStride);
    for (size_t i = 0; i < n; ++i) fill_row(st->tensors[i], table.Data() + i * kStride);
    Napi::Float64Array dims = Napi::Float64Array::New(env, st->dims.size());
    for (size_t i = 0; i < st->dims.size(); ++i) dims[i] = static_cast<double>(st->dims[i]);
    Napi::Object o = Napi::Object::New(env);
    o.Set("tensorCount", static_cast<double>(n));
    o.Set("stride", static_cast<double>(kStride));
    o.Set("columns", string_array(env, kColumns, kFixedColumns));
    o.Set("maxEnclosing", static_cast<double>(tfx::wire::kMaxEnclosing));
    o.Set("flagNames", string_array(env, kFlagNames, sizeof(kFlagNames) / sizeof(kFlagNames[0])));
    o.Set("table", table);
    o.Set("dims", dims);
    return o;
  };
  return j;
}

// splitGraphDefPlan(bytes, minBytes) -> { structureLength, removedCount, tensorCount }
Job parse_split_plan(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "bytes", napi_uint8_array);
  const size_t min_bytes = count(info, 1, "minBytes");
  struct State {
    WireOutcome o;
    tfx::wire::SplitPlan plan{};
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "splitGraphDefPlan";
  j.run = [=] {
    st->o.status = tfx::wire::split_graphdef_plan(bytes_of(src), src.length, min_bytes,
                                                  &st->plan, &st->o.diag);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->o.status != tfx::TFEXPORT_STATUS_OK) throw_wire(env, "splitGraphDefPlan", st->o);
    Napi::Object o = Napi::Object::New(env);
    o.Set("structureLength", static_cast<double>(st->plan.structure_size));
    o.Set("removedCount", static_cast<double>(st->plan.removed_count));
    o.Set("tensorCount", static_cast<double>(st->plan.tensor_count));
    return o;
  };
  return j;
}

// splitGraphDef(bytes, minBytes, out: Uint8Array, removed: Float64Array) -> undefined.
// removed receives (tensorId, offset, length) triples; its length is 3 * removedCount.
Job parse_split(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "bytes", napi_uint8_array);
  const size_t min_bytes = count(info, 1, "minBytes");
  View out = typed_array_of(info, 2, "out", napi_uint8_array);
  View removed = typed_array_of(info, 3, "removed", napi_float64_array);
  if (removed.length % 3 != 0) throw ArgError("removed.length must be a multiple of 3");
  auto st = std::make_shared<WireOutcome>();
  Job j;
  j.context = "splitGraphDef";
  j.run = [=] {
    std::vector<tfx::wire::RemovedTensor> r(removed.length / 3);
    st->status = tfx::wire::split_graphdef_write(bytes_of(src), src.length, min_bytes,
                                                 static_cast<uint8_t*>(out.data), out.length,
                                                 r.data(), r.size(), &st->diag);
    if (st->status == tfx::TFEXPORT_STATUS_OK) {
      double* d = static_cast<double*>(removed.data);
      for (size_t i = 0; i < r.size(); ++i) {
        d[3 * i] = static_cast<double>(r[i].tensor_id);
        d[3 * i + 1] = static_cast<double>(r[i].offset);
        d[3 * i + 2] = static_cast<double>(r[i].length);
      }
    }
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->status != tfx::TFEXPORT_STATUS_OK) throw_wire(env, "splitGraphDef", *st);
    return env.Undefined();
  };
  return j;
}

// (tensorIds: Float64Array, views: Uint8Array[]) at info[1], info[2] -> JoinTensor list.
std::shared_ptr<std::vector<tfx::wire::JoinTensor>> join_inputs(const Napi::CallbackInfo& info) {
  View ids = typed_array_of(info, 1, "tensorIds", napi_float64_array);
  if (info.Length() < 3 || !info[2].IsArray()) throw ArgError("Expected an Array of Uint8Array for views");
  Napi::Array views = info[2].As<Napi::Array>();
  if (views.Length() != ids.length) {
    throw ArgError("views has " + std::to_string(views.Length()) + " entries but tensorIds has " +
                   std::to_string(ids.length));
  }
  auto list = std::make_shared<std::vector<tfx::wire::JoinTensor>>(ids.length);
  const double* id = static_cast<const double*>(ids.data);
  for (uint32_t i = 0; i < views.Length(); ++i) {
    const double d = id[i];
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
      throw ArgError("tensorIds[" + std::to_string(i) + "] is not a non-negative integer");
    }
    Napi::Value v = views.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw ArgError("views[" + std::to_string(i) + "] is not a Uint8Array");
    }
    Napi::Uint8Array u = v.As<Napi::Uint8Array>();
    auto* base = static_cast<uint8_t*>(u.ArrayBuffer().Data());
    if (base == nullptr && u.ElementLength() != 0) {
      throw ArgError("views[" + std::to_string(i) + "] is detached");
    }
    (*list)[i] = tfx::wire::JoinTensor{static_cast<uint64_t>(d),
                                       base == nullptr ? nullptr : base + u.ByteOffset(),
                                       u.ElementLength()};
  }
  return list;
}

// joinGraphDefPlan(structure, tensorIds, views) -> { outputLength, tensorCount }
Job parse_join_plan(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "structure", napi_uint8_array);
  auto list = join_inputs(info);
  struct State {
    WireOutcome o;
    tfx::wire::JoinPlan plan{};
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "joinGraphDefPlan";
  j.run = [=] {
    st->o.status = tfx::wire::join_graphdef_plan(bytes_of(src), src.length, list->data(),
                                                 list->size(), &st->plan, &st->o.diag);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->o.status != tfx::TFEXPORT_STATUS_OK) throw_wire(env, "joinGraphDefPlan", st->o);
    Napi::Object o = Napi::Object::New(env);
    o.Set("outputLength", static_cast<double>(st->plan.output_size));
    o.Set("tensorCount", static_cast<double>(st->plan.tensor_count));
    return o;
  };
  return j;
}

// joinGraphDef(structure, tensorIds, views, out: Uint8Array) -> undefined
Job parse_join(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "structure", napi_uint8_array);
  auto list = join_inputs(info);
  View out = typed_array_of(info, 3, "out", napi_uint8_array);
  auto st = std::make_shared<WireOutcome>();
  Job j;
  j.context = "joinGraphDef";
  j.run = [=] {
    st->status = tfx::wire::join_graphdef_write(bytes_of(src), src.length, list->data(),
                                                list->size(), static_cast<uint8_t*>(out.data),
                                                out.length, &st->diag);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->status != tfx::TFEXPORT_STATUS_OK) throw_wire(env, "joinGraphDef", *st);
    return env.Undefined();
  };
  return j;
}

}  // namespace

void register_wire(Napi::Env env, Napi::Object exports) {
  export_job<parse_scan>(env, exports, "scanGraphDef");
  export_job<parse_split_plan>(env, exports, "splitGraphDefPlan");
  export_job<parse_split>(env, exports, "splitGraphDef");
  export_job<parse_join_plan>(env, exports, "joinGraphDefPlan");
  export_job<parse_join>(env, exports, "joinGraphDef");
}

}  // namespace tfx_binding
