// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the GraphDef wire walker (native/wire/graphdef_wire.h).
// Build and run: scripts/fuzz.sh [seconds]. Compiled with -fsanitize=fuzzer,address,undefined.
//
// Invariants checked on every input x (abort() on violation, so libFuzzer records a crash):
//  1. scan, split_plan and join_plan (no tensors) accept exactly the same inputs and report
//     the same status; a rejected input always has a diagnostic that formats.
//  2. Every range scan reports lies inside x; the enclosing fields nest; the TensorProto's
//     payload is the last enclosing payload; tensor_content lies inside the TensorProto.
//  3. s = split(x, t) scans with the same tensor count; each removed tensor has no content
//     in s; every other tensor keeps its content bytes.
//  4. y = join(s, removed views into x) scans with the same tensors, dtypes, dims and
//     effective content bytes as x.
//  5. split(y, t) == s byte for byte and join(split(y, t)) == y byte for byte.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../wire/graphdef_wire.h"

using namespace tfx;
using namespace tfx::wire;

namespace {

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

struct Scanned {
  Status status;
  std::vector<TensorInfo> tensors;
  std::vector<int64_t> dims;
};

Scanned scan(const uint8_t* p, size_t n) {
  Scanned s;
  WireDiag d;
  ScanCounts c;
  s.status = scan_graphdef(p, n, nullptr, 0, nullptr, 0, &c, &d);
  if (s.status != TFEXPORT_STATUS_OK) {
    char buf[512];
    format_wire_diag(d, buf, sizeof buf);
    CHECK(d.error != WIRE_OK);
    return s;
  }
  s.tensors.resize(c.tensors);
  s.dims.resize(c.dims);
  ScanCounts c2;
  CHECK(scan_graphdef(p, n, s.tensors.data(), s.tensors.size(), s.dims.data(), s.dims.size(),
                      &c2, &d) == TFEXPORT_STATUS_OK);
  CHECK(c2.tensors == c.tensors && c2.dims == c.dims);
  return s;
}

bool in(uint64_t off, uint64_t len, uint64_t begin, uint64_t end) {
  return off >= begin && off <= end && len <= end - off;
}

void check_ranges(const Scanned& s, size_t n) {
  for (const TensorInfo& t : s.tensors) {
    CHECK(t.enclosing_count >= 1 && t.enclosing_count <= kMaxEnclosing);
    uint64_t b = 0, e = n;
    for (uint64_t i = 0; i < t.enclosing_count; ++i) {
      const EnclosingField& f = t.enclosing[i];
      CHECK(f.record_offset >= b && f.record_offset < f.payload_offset);
      CHECK(in(f.payload_offset, f.payload_length, b, e));
      b = f.payload_offset;
      e = f.payload_offset + f.payload_length;
    }
    CHECK(t.tensor.offset == b && t.tensor.offset + t.tensor.length == e);
    if (t.flags & TENSOR_HAS_CONTENT) CHECK(in(t.content.offset, t.content.length, b, e));
    if (t.flags & TENSOR_HAS_NODE_NAME) CHECK(in(t.node_name.offset, t.node_name.length, 0, n));
    if (t.flags & TENSOR_HAS_ATTR_KEY) CHECK(in(t.attr_key.offset, t.attr_key.length, 0, n));
    if (t.values_records) CHECK(in(t.values.offset, t.values.length, b, e));
    CHECK(t.dims_begin + t.dims_count <= s.dims.size());
  }
}

bool same_bytes(const uint8_t* a, const ByteRange& ra, const uint8_t* b, const ByteRange& rb) {
  return ra.length == rb.length &&
         (ra.length == 0 || std::memcmp(a + ra.offset, b + rb.offset, ra.length) == 0);
}

void same_tensors(const Scanned& a, const uint8_t* pa, const Scanned& b, const uint8_t* pb,
                  bool content) {
  CHECK(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const TensorInfo& x = a.tensors[i];
    const TensorInfo& y = b.tensors[i];
    CHECK(x.dtype == y.dtype && x.dims_count == y.dims_count);
    CHECK(x.function_index == y.function_index && x.node_index == y.node_index);
    for (uint64_t k = 0; k < x.dims_count; ++k) {
      CHECK(a.dims[x.dims_begin + k] == b.dims[y.dims_begin + k]);
    }
    CHECK((x.flags & TENSOR_HAS_NODE_NAME) == (y.flags & TENSOR_HAS_NODE_NAME));
    if (x.flags & TENSOR_HAS_NODE_NAME) CHECK(same_bytes(pa, x.node_name, pb, y.node_name));
    if (content) {
      CHECK((x.flags & TENSOR_HAS_CONTENT) == (y.flags & TENSOR_HAS_CONTENT));
      if (x.flags & TENSOR_HAS_CONTENT) CHECK(same_bytes(pa, x.content, pb, y.content));
    }
  }
}

std::vector<uint8_t> split(const uint8_t* p, size_t n, uint64_t t,
                           std::vector<RemovedTensor>* removed) {
  SplitPlan plan;
  WireDiag d;
  CHECK(split_graphdef_plan(p, n, t, &plan, &d) == TFEXPORT_STATUS_OK);
  std::vector<uint8_t> out(plan.structure_size);
  removed->assign(plan.removed_count, RemovedTensor{});
  CHECK(split_graphdef_write(p, n, t, out.data(), out.size(), removed->data(), removed->size(),
                             &d) == TFEXPORT_STATUS_OK);
  if (!out.empty()) {  // a wrong size is refused, never written past
    CHECK(split_graphdef_write(p, n, t, out.data(), out.size() - 1, removed->data(),
                               removed->size(), &d) == TFEXPORT_STATUS_BAD_LENGTH);
  }
  return out;
}

std::vector<uint8_t> join(const uint8_t* s, size_t n, const std::vector<JoinTensor>& js) {
  JoinPlan plan;
  WireDiag d;
  CHECK(join_graphdef_plan(s, n, js.data(), js.size(), &plan, &d) == TFEXPORT_STATUS_OK);
  std::vector<uint8_t> out(plan.output_size);
  CHECK(join_graphdef_write(s, n, js.data(), js.size(), out.data(), out.size(), &d) ==
        TFEXPORT_STATUS_OK);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the split threshold; the rest is the GraphDef.
  if (size == 0) return 0;
  static const uint64_t kThresholds[4] = {0, 1, 4, 64};
  const uint64_t threshold = kThresholds[data[0] & 3];
  // Copy into an exactly sized heap block so ASan sees any read past the end.
  std::vector<uint8_t> x(data + 1, data + size);
  const uint8_t* p = x.empty() ? nullptr : x.data();
  const size_t n = x.size();

  const Scanned sx = scan(p, n);
  SplitPlan sp;
  JoinPlan jp;
  WireDiag d;
  CHECK(split_graphdef_plan(p, n, threshold, &sp, &d) == sx.status);
  CHECK(join_graphdef_plan(p, n, nullptr, 0, &jp, &d) == sx.status);
  if (sx.status != TFEXPORT_STATUS_OK) {
    CHECK(sx.status == TFEXPORT_STATUS_BAD_WIRE_FORMAT);
    return 0;
  }
  CHECK(jp.output_size == n);  // joining nothing is the identity
  check_ranges(sx, n);

  std::vector<RemovedTensor> removed;
  const std::vector<uint8_t> s = split(p, n, threshold, &removed);
  const Scanned ss = scan(s.data(), s.size());
  CHECK(ss.status == TFEXPORT_STATUS_OK);
  same_tensors(sx, p, ss, s.data(), false);
  size_t r = 0;
  for (size_t i = 0; i < ss.tensors.size(); ++i) {
    const bool was_removed = r < removed.size() && removed[r].tensor_id == i;
    if (was_removed) {
      CHECK(!(ss.tensors[i].flags & TENSOR_HAS_CONTENT));
      CHECK(removed[r].offset == sx.tensors[i].content.offset &&
            removed[r].length == sx.tensors[i].content.length && removed[r].length >= threshold);
      ++r;
    } else {
      CHECK((ss.tensors[i].flags & TENSOR_HAS_CONTENT) == (sx.tensors[i].flags & TENSOR_HAS_CONTENT));
      if (sx.tensors[i].flags & TENSOR_HAS_CONTENT) {
        CHECK(sx.tensors[i].content.length < threshold);
        CHECK(same_bytes(p, sx.tensors[i].content, s.data(), ss.tensors[i].content));
      }
    }
  }
  CHECK(r == removed.size());

  std::vector<JoinTensor> js;
  for (const RemovedTensor& rt : removed) js.push_back(JoinTensor{rt.tensor_id, p + rt.offset, rt.length});
  const std::vector<uint8_t> y = join(s.data(), s.size(), js);
  const Scanned sy = scan(y.data(), y.size());
  CHECK(sy.status == TFEXPORT_STATUS_OK);
  same_tensors(sx, p, sy, y.data(), true);
  if (removed.empty()) CHECK(y.size() == n && (n == 0 || std::memcmp(y.data(), p, n) == 0));

  std::vector<RemovedTensor> removed2;
  const std::vector<uint8_t> s2 = split(y.data(), y.size(), threshold, &removed2);
  CHECK(s2 == s);
  CHECK(removed2.size() == removed.size());
  std::vector<JoinTensor> js2;
  for (const RemovedTensor& rt : removed2) js2.push_back(JoinTensor{rt.tensor_id, y.data() + rt.offset, rt.length});
  CHECK(join(s2.data(), s2.size(), js2) == y);

  // Joining into a tensor that still has content, or an id past the end, is refused.
  if (!ss.tensors.empty()) {
    const uint8_t one = 0;
    std::vector<JoinTensor> bad{JoinTensor{ss.tensors.size(), &one, 1}};
    CHECK(join_graphdef_plan(s.data(), s.size(), bad.data(), 1, &jp, &d) == TFEXPORT_STATUS_BAD_ARGUMENT);
  }
  return 0;
}
