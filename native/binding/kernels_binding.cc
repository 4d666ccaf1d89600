// SPDX-License-Identifier: Apache-2.0
// Kernel entry points: unpack TypedArrays, check lengths, hand a Job to run_sync/run_async.
// No arithmetic here beyond sizes.
#include <cfloat>
#include <cmath>
#include <memory>
#include <string>

#include "../kernels/jobs.h"
#include "addon_data.h"
#include "args.h"
#include "job.h"

namespace tfx_binding {

namespace {

void require_same_length(const View& a, const View& b, const char* an, const char* bn) {
  if (a.length != b.length) {
    throw ArgError(std::string(bn) + " has " + std::to_string(b.length) + " elements but " + an +
                   " has " + std::to_string(a.length));
  }
}

size_t checked_volume(size_t outer, size_t channels, size_t inner) {
  // Reject products that overflow: the TypedArray lengths below bound everything anyway.
  if (channels != 0 && outer > SIZE_MAX / channels) throw ArgError("outer * channels overflows");
  const size_t oc = outer * channels;
  if (inner != 0 && oc > SIZE_MAX / inner) throw ArgError("outer * channels * inner overflows");
  return oc * inner;
}

// A finite double within the float32 range, as float32 (a cast of anything else is UB).
float float32_bound(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double d = number(info, i, name);
  if (!(std::fabs(d) <= static_cast<double>(FLT_MAX))) {
    throw ArgError(std::string("Expected a finite float32 number for ") + name);
  }
  return static_cast<float>(d);
}

Napi::Object affine_to_js(Napi::Env env, const tfx::AffineParams& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("min", p.min);
  o.Set("max", p.max);
  o.Set("scale", p.scale);
  o.Set("constant", Napi::Boolean::New(env, p.constant != 0));
  return o;
}

Job parse_convert_f32_f16(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  View dst = typed_array_of(info, 1, "dst", napi_uint16_array);
  require_same_length(src, dst, "src", "dst");
  const unsigned threads = threads_arg(info, 2);
  Job j;
  j.context = "f32ToF16";
  j.run = [=] {
    tfx::job_convert_f32_f16(k, threads, static_cast<const float*>(src.data), src.length,
                             static_cast<uint16_t*>(dst.data));
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_convert_f16_f32(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_uint16_array);
  View dst = typed_array_of(info, 1, "dst", napi_float32_array);
  require_same_length(src, dst, "src", "dst");
  const unsigned threads = threads_arg(info, 2);
  Job j;
  j.context = "f16ToF32";
  j.run = [=] {
    tfx::job_convert_f16_f32(k, threads, static_cast<const uint16_t*>(src.data), src.length,
                             static_cast<float*>(dst.data));
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_minmax(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  const unsigned threads = threads_arg(info, 1);
  auto out = std::make_shared<tfx::MinMax>();
  Job j;
  j.context = "minMax";
  j.run = [=] {
    *out = tfx::job_minmax_f32(k, threads, static_cast<const float*>(src.data), src.length);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [out](Napi::Env env) -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    o.Set("min", static_cast<double>(out->min));
    o.Set("max", static_cast<double>(out->max));
    o.Set("nanCount", static_cast<double>(out->nan_count));
    return o;
  };
  return j;
}

Job parse_quantize_affine(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  View dst = typed_array(info, 1, "dst");
  if (dst.type != napi_uint8_array && dst.type != napi_uint16_array) {
    throw ArgError(std::string("Expected a Uint8Array or Uint16Array for dst but received a ") +
                   typed_array_name(dst.type));
  }
  require_same_length(src, dst, "src", "dst");
  const unsigned threads = threads_arg(info, 2);
  auto out = std::make_shared<tfx::AffineParams>();
  const bool u8 = dst.type == napi_uint8_array;
  Job j;
  j.context = "quantizeAffine: the tensor holds NaN or Infinity, which affine quantization "
              "cannot represent";
  j.run = [=] {
    const auto* s = static_cast<const float*>(src.data);
    return u8 ? tfx::job_quantize_affine_u8(k, threads, s, src.length,
                                            static_cast<uint8_t*>(dst.data), out.get())
              : tfx::job_quantize_affine_u16(k, threads, s, src.length,
                                             static_cast<uint16_t*>(dst.data), out.get());
  };
  j.result = [out](Napi::Env env) -> Napi::Value { return affine_to_js(env, *out); };
  return j;
}

Job parse_quantize_affine_range(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  const float min = float32_bound(info, 1, "min");
  const float max = float32_bound(info, 2, "max");
  View dst = typed_array(info, 3, "dst");
  if (dst.type != napi_uint8_array && dst.type != napi_uint16_array) {
    throw ArgError(std::string("Expected a Uint8Array or Uint16Array for dst but received a ") +
                   typed_array_name(dst.type));
  }
  require_same_length(src, dst, "src", "dst");
  const unsigned threads = threads_arg(info, 4);
  auto out = std::make_shared<tfx::AffineParams>();
  const bool u8 = dst.type == napi_uint8_array;
  Job j;
  j.context = "quantizeAffineRange: the range must be finite float32 numbers with min <= max";
  j.run = [=] {
    const auto* s = static_cast<const float*>(src.data);
    return u8 ? tfx::job_quantize_affine_range_u8(k, threads, s, src.length, min, max,
                                                  static_cast<uint8_t*>(dst.data), out.get())
              : tfx::job_quantize_affine_range_u16(k, threads, s, src.length, min, max,
                                                   static_cast<uint16_t*>(dst.data), out.get());
  };
  j.result = [out](Napi::Env env) -> Napi::Value { return affine_to_js(env, *out); };
  return j;
}

Job parse_dequantize_affine(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array(info, 0, "src");
  if (src.type != napi_uint8_array && src.type != napi_uint16_array) {
    throw ArgError(std::string("Expected a Uint8Array or Uint16Array for src but received a ") +
                   typed_array_name(src.type));
  }
  const double scale = number(info, 1, "scale");
  const double min = number(info, 2, "min");
  View dst = typed_array_of(info, 3, "dst", napi_float32_array);
  require_same_length(src, dst, "src", "dst");
  const unsigned threads = threads_arg(info, 4);
  const bool u8 = src.type == napi_uint8_array;
  Job j;
  j.context = "dequantizeAffine";
  j.run = [=] {
    if (u8) {
      tfx::job_dequantize_affine_u8(k, threads, static_cast<const uint8_t*>(src.data),
                                    src.length, scale, min, static_cast<float*>(dst.data));
    } else {
      tfx::job_dequantize_affine_u16(k, threads, static_cast<const uint16_t*>(src.data),
                                     src.length, scale, min, static_cast<float*>(dst.data));
    }
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_quantize_i8_per_channel(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  const size_t outer = count(info, 1, "outer");
  const size_t channels = count(info, 2, "channels");
  const size_t inner = count(info, 3, "inner");
  View dst = typed_array_of(info, 4, "dst", napi_int8_array);
  View scales = typed_array_of(info, 5, "scales", napi_float32_array);
  const unsigned threads = threads_arg(info, 6);
  if (checked_volume(outer, channels, inner) != src.length) {
    throw ArgError("outer * channels * inner does not equal src.length");
  }
  require_same_length(src, dst, "src", "dst");
  if (scales.length != channels) throw ArgError("scales.length must equal channels");
  Job j;
  j.context = "quantizeInt8PerChannel: a channel holds Infinity";
  j.run = [=] {
    return tfx::job_quantize_i8_per_channel(k, threads, static_cast<const float*>(src.data),
                                            outer, channels, inner,
                                            static_cast<int8_t*>(dst.data),
                                            static_cast<float*>(scales.data));
  };
  return j;
}

Job parse_quantize_i8_asymmetric(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  const double scale = number(info, 1, "scale");
  const double zp = number(info, 2, "zeroPoint");
  View dst = typed_array_of(info, 3, "dst", napi_int8_array);
  const unsigned threads = threads_arg(info, 4);
  require_same_length(src, dst, "src", "dst");
  if (!(zp >= -128 && zp <= 127) || zp != static_cast<double>(static_cast<int32_t>(zp))) {
    throw ArgError("zeroPoint must be an integer in [-128, 127]");
  }
  const float fscale = static_cast<float>(scale);
  if (!(fscale > 0.0f) || fscale == INFINITY) throw ArgError("scale must be a finite positive float32");
  const int32_t izp = static_cast<int32_t>(zp);
  Job j;
  j.context = "quantizeInt8Asymmetric";
  j.run = [=] {
    tfx::job_quantize_i8_asymmetric(k, threads, static_cast<const float*>(src.data), src.length,
                                    fscale, izp, static_cast<int8_t*>(dst.data));
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_dequantize_i8(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_int8_array);
  const size_t outer = count(info, 1, "outer");
  const size_t channels = count(info, 2, "channels");
  const size_t inner = count(info, 3, "inner");
  View scales = typed_array_of(info, 4, "scales", napi_float32_array);
  View zps;
  const bool has_zp = info.Length() > 5 && !info[5].IsNull() && !info[5].IsUndefined();
  if (has_zp) zps = typed_array_of(info, 5, "zeroPoints", napi_int32_array);
  View dst = typed_array_of(info, 6, "dst", napi_float32_array);
  const unsigned threads = threads_arg(info, 7);
  if (checked_volume(outer, channels, inner) != src.length) {
    throw ArgError("outer * channels * inner does not equal src.length");
  }
  require_same_length(src, dst, "src", "dst");
  if (scales.length != channels) throw ArgError("scales.length must equal channels");
  if (has_zp && zps.length != channels) throw ArgError("zeroPoints.length must equal channels");
  Job j;
  j.context = "dequantizeInt8";
  j.run = [=] {
    tfx::job_dequantize_i8(k, threads, static_cast<const int8_t*>(src.data), outer, channels,
                           inner, static_cast<const float*>(scales.data),
                           has_zp ? static_cast<const int32_t*>(zps.data) : nullptr,
                           static_cast<float*>(dst.data));
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_scale_per_channel(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array_of(info, 0, "src", napi_float32_array);
  const size_t outer = count(info, 1, "outer");
  const size_t channels = count(info, 2, "channels");
  const size_t inner = count(info, 3, "inner");
  View scale = typed_array_of(info, 4, "scale", napi_float64_array);
  View dst = typed_array_of(info, 5, "dst", napi_float32_array);
  const unsigned threads = threads_arg(info, 6);
  if (checked_volume(outer, channels, inner) != src.length) {
    throw ArgError("outer * channels * inner does not equal src.length");
  }
  require_same_length(src, dst, "src", "dst");
  if (scale.length != channels) throw ArgError("scale.length must equal channels");
  const auto* s = static_cast<const unsigned char*>(src.data);
  const auto* d = static_cast<const unsigned char*>(dst.data);
  const size_t bytes = src.length * sizeof(float);
  // In place (dst is src) is fine; a shifted overlap is not.
  if (bytes != 0 && s != d && s < d + bytes && d < s + bytes) throw ArgError("src and dst overlap");
  Job j;
  j.context = "scalePerChannel";
  j.run = [=] {
    tfx::job_scale_f32_per_channel(k, threads, static_cast<const float*>(src.data), outer,
                                   channels, inner, static_cast<const double*>(scale.data),
                                   static_cast<float*>(dst.data));
    return tfx::TFEXPORT_STATUS_OK;
  };
  return j;
}

Job parse_crc32c(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View data = typed_array(info, 0, "data");
  const double init = info.Length() > 1 && !info[1].IsUndefined() ? number(info, 1, "init") : 0;
  if (!(init >= 0 && init <= 4294967295.0) || init != static_cast<double>(static_cast<uint32_t>(init))) {
    throw ArgError("init must be a uint32");
  }
  const uint32_t seed = static_cast<uint32_t>(init);
  auto out = std::make_shared<uint32_t>(0);
  Job j;
  j.context = "crc32c";
  j.run = [=] {
    *out = k->crc32c_extend(seed, static_cast<const uint8_t*>(data.data),
                            data.length * data.element_size);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [out](Napi::Env env) -> Napi::Value {
    return Napi::Number::New(env, static_cast<double>(*out));
  };
  return j;
}

Job parse_transpose2d(const Napi::CallbackInfo& info) {
  const tfx::KernelTable* k = active_table(info.Env());
  View src = typed_array(info, 0, "src");
  const size_t batch = count(info, 1, "batch");
  const size_t rows = count(info, 2, "rows");
  const size_t cols = count(info, 3, "cols");
  View dst = typed_array(info, 4, "dst");
  const unsigned threads = threads_arg(info, 5);
  if (src.element_size != dst.element_size) throw ArgError("src and dst element sizes differ");
  if (checked_volume(batch, rows, cols) != src.length) {
    throw ArgError("batch * rows * cols does not equal src.length");
  }
  require_same_length(src, dst, "src", "dst");
  const unsigned char* s = static_cast<const unsigned char*>(src.data);
  unsigned char* d = static_cast<unsigned char*>(dst.data);
  const size_t bytes = src.length * src.element_size;
  if (bytes != 0 && s < d + bytes && d < s + bytes) throw ArgError("src and dst overlap");
  const size_t es = src.element_size;
  Job j;
  j.context = "transpose2d";
  j.run = [=] { return tfx::job_transpose2d(k, threads, s, batch, rows, cols, es, d); };
  return j;
}

}  // namespace

void register_kernels(Napi::Env env, Napi::Object exports) {
  export_job<parse_convert_f32_f16>(env, exports, "f32ToF16");
  export_job<parse_convert_f16_f32>(env, exports, "f16ToF32");
  export_job<parse_minmax>(env, exports, "minMax");
  export_job<parse_quantize_affine>(env, exports, "quantizeAffine");
  export_job<parse_quantize_affine_range>(env, exports, "quantizeAffineRange");
  export_job<parse_dequantize_affine>(env, exports, "dequantizeAffine");
  export_job<parse_quantize_i8_per_channel>(env, exports, "quantizeInt8PerChannel");
  export_job<parse_quantize_i8_asymmetric>(env, exports, "quantizeInt8Asymmetric");
  export_job<parse_dequantize_i8>(env, exports, "dequantizeInt8");
  export_job<parse_scale_per_channel>(env, exports, "scalePerChannel");
  export_job<parse_crc32c>(env, exports, "crc32c");
  export_job<parse_transpose2d>(env, exports, "transpose2d");

  exports.Set("affineParams", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    try {
      const double mn = number(info, 0, "min"), mx = number(info, 1, "max");
      const double q = number(info, 2, "qmax");
      if (q != 255 && q != 65535) throw ArgError("qmax must be 255 or 65535");
      return affine_to_js(e, tfx::affine_params_from_minmax(static_cast<float>(mn),
                                                             static_cast<float>(mx),
                                                             static_cast<uint32_t>(q)));
    } catch (const ArgError& err) {
      throw Napi::Error(e, make_error(e, "ERR_TFEXPORT_BAD_ARGUMENT", err.what()));
    }
  }, "affineParams"));

  exports.Set("int8AsymmetricParams", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    try {
      const double mn = number(info, 0, "min"), mx = number(info, 1, "max");
      float scale;
      int32_t zp;
      tfx::int8_asymmetric_params(static_cast<float>(mn), static_cast<float>(mx), &scale, &zp);
      Napi::Object o = Napi::Object::New(e);
      o.Set("scale", static_cast<double>(scale));
      o.Set("zeroPoint", static_cast<double>(zp));
      return o;
    } catch (const ArgError& err) {
      throw Napi::Error(e, make_error(e, "ERR_TFEXPORT_BAD_ARGUMENT", err.what()));
    }
  }, "int8AsymmetricParams"));
}

}  // namespace tfx_binding
