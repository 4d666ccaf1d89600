// SPDX-License-Identifier: Apache-2.0
// SSTable (LevelDB table, TensorBundle .index) block entry points (native/wire/sstable.h):
// unpack TypedArrays, hand a Job to run_sync/run_async, and turn a table status into a typed
// error ERR_TFEXPORT_SSTABLE_CORRUPT / _CRC / _MAGIC / _UNSUPPORTED or ERR_TFEXPORT_SNAPPY
// whose message is the reader's sentence (naming the byte offset); the TS caller
// (src/formats/tensorbundle/sstable.ts) adds the file and block names. File I/O stays in TS;
// nothing is allocated here beyond the record table: decompression writes into the caller's
// Uint8Array sized from sstableCheckBlock.
//
// As in wire_binding.cc, a table failure is carried out of Job::run as data (run returns OK)
// and thrown by Job::result, so sync and async calls raise the same error.
#include <memory>
#include <string>
#include <vector>

#include "../wire/sstable.h"
#include "addon_data.h"
#include "args.h"
#include "job.h"

namespace tfx_binding {

namespace {

namespace sst = tfx::sstable;

// The largest block the TS reader accepts (its MAX_BLOCK_SIZE); bigger limits are clamped.
constexpr uint64_t kMaxBlockLimit = uint64_t{1} << 30;

void throw_sst(Napi::Env env, const sst::SstDiag& d) {
  const std::string code = std::string("ERR_TFEXPORT_") + sst::sst_status_name(d.status);
  throw Napi::Error(env, make_error(env, code.c_str(), d.what));
}

const uint8_t* bytes_of(const View& v) { return static_cast<const uint8_t*>(v.data); }

uint64_t max_block_arg(const Napi::CallbackInfo& info, size_t i) {
  const size_t m = count(info, i, "maxBlock");
  return m > kMaxBlockLimit ? kMaxBlockLimit : m;
}

// sstableFooter(footer: 48-byte Uint8Array) -> { metaOffset, metaSize, indexOffset, indexSize }
Job parse_footer_job(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "footer", napi_uint8_array);
  if (src.length != sst::kFooterSize) throw ArgError("footer must be exactly 48 bytes");
  struct State {
    sst::SstDiag d;
    sst::BlockHandle meta, index;
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "sstableFooter";
  j.run = [=] {
    sst::parse_footer(bytes_of(src), src.length, &st->meta, &st->index, &st->d);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->d.status != sst::SST_OK) throw_sst(env, st->d);
    Napi::Object o = Napi::Object::New(env);
    o.Set("metaOffset", static_cast<double>(st->meta.offset));
    o.Set("metaSize", static_cast<double>(st->meta.size));
    o.Set("indexOffset", static_cast<double>(st->index.offset));
    o.Set("indexSize", static_cast<double>(st->index.size));
    return o;
  };
  return j;
}

// sstableCheckBlock(raw: block + 5-byte trailer, maxBlock) -> { type, uncompressedLength }
// Verifies the masked CRC32C with the active crc kernel, the type, and for snappy the
// declared length (so the caller can allocate exactly uncompressedLength bytes).
Job parse_check_job(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "raw", napi_uint8_array);
  if (src.length < sst::kBlockTrailerSize) throw ArgError("raw must hold the 5-byte block trailer");
  const uint64_t max_block = max_block_arg(info, 1);
  const sst::CrcExtendFn crc = active_table(info.Env())->crc32c_extend;
  struct State {
    sst::SstDiag d;
    uint8_t type = 0;
    uint64_t length = 0;
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "sstableCheckBlock";
  j.run = [=] {
    sst::check_block(bytes_of(src), src.length, crc, max_block, &st->type, &st->length, &st->d);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->d.status != sst::SST_OK) throw_sst(env, st->d);
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", static_cast<double>(st->type));
    o.Set("uncompressedLength", static_cast<double>(st->length));
    return o;
  };
  return j;
}

// sstableDecompressBlock(body: snappy bytes without trailer, maxBlock, out: Uint8Array of the
// declared length) -> undefined
Job parse_decompress_job(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "body", napi_uint8_array);
  const uint64_t max_block = max_block_arg(info, 1);
  View out = typed_array_of(info, 2, "out", napi_uint8_array);
  auto st = std::make_shared<sst::SstDiag>();
  Job j;
  j.context = "sstableDecompressBlock";
  j.run = [=] {
    sst::decompress_block(bytes_of(src), src.length, max_block, static_cast<uint8_t*>(out.data),
                          out.length, st.get());
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->status != sst::SST_OK) throw_sst(env, *st);
    return env.Undefined();
  };
  return j;
}

// snappyUncompressedLength(src: raw snappy stream, maxOutput) -> number (the declared length,
// after the same bounds checks as decompression: <= maxOutput, possible for src.length).
Job parse_snappy_length_job(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "src", napi_uint8_array);
  const uint64_t max_output = max_block_arg(info, 1);
  struct State {
    sst::SstDiag d;
    uint64_t length = 0;
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "snappyUncompressedLength";
  j.run = [=] {
    sst::snappy_length(bytes_of(src), src.length, max_output, &st->length, &st->d);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->d.status != sst::SST_OK) throw_sst(env, st->d);
    return Napi::Number::New(env, static_cast<double>(st->length));
  };
  return j;
}

// sstableParseBlock(block: uncompressed block) -> { count, stride: 5, keyBytes, records }
// records: Float64Array of count x (shared, keyOffset, keyDelta, valueOffset, valueLength);
// key i = key(i-1)[0, shared) + block[keyOffset, +keyDelta).
Job parse_block_job(const Napi::CallbackInfo& info) {
  View src = typed_array_of(info, 0, "block", napi_uint8_array);
  struct State {
    sst::SstDiag d;
    std::vector<sst::BlockRecord> recs;
    uint64_t key_bytes = 0;
  };
  auto st = std::make_shared<State>();
  Job j;
  j.context = "sstableParseBlock";
  j.run = [=] {
    size_t n = 0;
    if (sst::parse_block(bytes_of(src), src.length, nullptr, 0, &n, &st->key_bytes, &st->d) != sst::SST_OK) {
      return tfx::TFEXPORT_STATUS_OK;
    }
    st->recs.resize(n);
    if (n == 0) return tfx::TFEXPORT_STATUS_OK;
    size_t n2 = 0;
    sst::parse_block(bytes_of(src), src.length, st->recs.data(), n, &n2, &st->key_bytes, &st->d);
    return tfx::TFEXPORT_STATUS_OK;
  };
  j.result = [st](Napi::Env env) -> Napi::Value {
    if (st->d.status != sst::SST_OK) throw_sst(env, st->d);
    const size_t n = st->recs.size();
    Napi::Float64Array t = Napi::Float64Array::New(env, n * 5);
    double* p = t.Data();
    for (size_t i = 0; i < n; ++i) {
      const sst::BlockRecord& r = st->recs[i];
      p[5 * i] = static_cast<double>(r.shared);
      p[5 * i + 1] = static_cast<double>(r.key_offset);
      p[5 * i + 2] = static_cast<double>(r.key_delta);
      p[5 * i + 3] = static_cast<double>(r.value_offset);
      p[5 * i + 4] = static_cast<double>(r.value_length);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("count", static_cast<double>(n));
    o.Set("stride", 5.0);
    o.Set("keyBytes", static_cast<double>(st->key_bytes));
    o.Set("records", t);
    return o;
  };
  return j;
}

}  // namespace

void register_sstable(Napi::Env env, Napi::Object exports) {
  export_job<parse_footer_job>(env, exports, "sstableFooter");
  export_job<parse_check_job>(env, exports, "sstableCheckBlock");
  export_job<parse_decompress_job>(env, exports, "sstableDecompressBlock");
  export_job<parse_block_job>(env, exports, "sstableParseBlock");
  export_job<parse_snappy_length_job>(env, exports, "snappyUncompressedLength");
}

}  // namespace tfx_binding
