// SPDX-License-Identifier: Apache-2.0
// TypedArray view helpers: data + byteOffset, element type and length checks. Native re-checks
// only what memory safety needs; TS has already validated meaning and produced the messages
// users see.
#ifndef TFEXPORT_BINDING_ARGS_H_
#define TFEXPORT_BINDING_ARGS_H_

#include <napi.h>

#include <cmath>
#include <cstddef>
#include <string>

namespace tfx_binding {

struct View {
  void* data = nullptr;
  size_t length = 0;       // elements
  size_t element_size = 0; // bytes per element
  napi_typedarray_type type = napi_uint8_array;
};

inline const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

class ArgError : public std::exception {
 public:
  explicit ArgError(std::string m) : msg_(std::move(m)) {}
  const char* what() const noexcept override { return msg_.c_str(); }
 private:
  std::string msg_;
};

// Any TypedArray (type checked by the caller when it matters).
inline View typed_array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    throw ArgError(std::string("Expected a TypedArray for ") + name);
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  View v;
  v.type = ta.TypedArrayType();
  v.length = ta.ElementLength();
  v.element_size = ta.ElementSize();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  auto* base = static_cast<unsigned char*>(ab.Data());
  if (base == nullptr && v.length != 0) throw ArgError(std::string(name) + " is detached");
  v.data = base == nullptr ? nullptr : base + ta.ByteOffset();
  return v;
}

inline View typed_array_of(const Napi::CallbackInfo& info, size_t i, const char* name,
                           napi_typedarray_type want) {
  View v = typed_array(info, i, name);
  if (v.type != want) {
    throw ArgError(std::string("Expected a ") + typed_array_name(want) + " for " + name +
                   " but received a " + typed_array_name(v.type));
  }
  return v;
}

inline double number(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw ArgError(std::string("Expected a number for ") + name);
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

// A non-negative integer that fits in size_t (and in 2^53).
inline size_t count(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double d = number(info, i, name);
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
    throw ArgError(std::string("Expected a non-negative integer for ") + name);
  }
  return static_cast<size_t>(d);
}

inline unsigned threads_arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 1;
  const size_t t = count(info, i, "threads");
  return t == 0 ? 1u : static_cast<unsigned>(t > 256 ? 256 : t);
}

}  // namespace tfx_binding

#endif  // TFEXPORT_BINDING_ARGS_H_
