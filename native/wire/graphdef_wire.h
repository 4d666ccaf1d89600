// SPDX-License-Identifier: Apache-2.0
// Zero-copy, bounds-checked protobuf wire-format walking of TensorFlow GraphDefs.
// Plain C++17: no N-API, no exceptions, no allocation (the caller allocates every output:
// run the *_plan function or call scan with capacity 0 to learn the sizes, allocate, call
// again). Every entry point is noexcept and returns a Status; on failure `diag` says what
// was wrong, where (absolute byte offset) and on which field path.
//
// Schema understood (TensorFlow field numbers; everything else is an unknown field that is
// validated as wire format and preserved byte for byte):
//   GraphDef            node = 1 (NodeDef), library = 2 (FunctionDefLibrary)
//   FunctionDefLibrary  function = 1 (FunctionDef)
//   FunctionDef         signature = 1 (OpDef: name = 1), node_def = 3 (NodeDef)
//   NodeDef             name = 1, op = 2, attr = 5 (map entry: key = 1, value = 2 AttrValue)
//   AttrValue           tensor = 8 (TensorProto). ListValue.tensor (list = 1) is not entered.
//   TensorProto         dtype = 1, tensor_shape = 2, tensor_content = 4, half_val = 13,
//                       float_val = 5, double_val = 6, int_val = 7, string_val = 8,
//                       scomplex_val = 9, int64_val = 10, bool_val = 11, dcomplex_val = 12,
//                       uint32_val = 16, uint64_val = 17
//   TensorShapeProto    dim = 2 (Dim: size = 1), unknown_rank = 3
//
// Tensor ids: every AttrValue.tensor occurrence gets the next id in wire (pre-)order, starting
// at 0. Splitting only removes fields inside TensorProtos, so a structure produced by
// split_graphdef has the same tensors under the same ids.
//
// Validation (identical for scan, split and join, so they accept the same inputs):
//  - every read is bounded by the enclosing message, which is bounded by the buffer;
//  - varints longer than 10 bytes or beyond 64 bits, tags beyond 32 bits, field number 0,
//    wire types 6/7 and end-group tags that close no open group are rejected;
//  - start-group (wire type 3) is accepted only for unknown fields and skipped to its
//    matching end-group; message plus group nesting is limited to kMaxDepth;
//  - a field this walker interprets must have the wire type its schema gives (a packable
//    repeated scalar may be packed or not); packed fixed-width payloads must be a whole
//    number of elements and packed varint payloads must hold only complete varints.
//
// Duplicate singular fields follow protobuf's "last one wins" rule: scan reports the last
// NodeDef.name/op, attr key, FunctionDef signature name, TensorProto.dtype and tensor_content.
#ifndef TFEXPORT_GRAPHDEF_WIRE_H_
#define TFEXPORT_GRAPHDEF_WIRE_H_

#include <cstddef>
#include <cstdint>

#include "../kernels/kernels.h"

namespace tfx {
namespace wire {

constexpr unsigned kMaxDepth = 64;       // messages + groups below the GraphDef root
constexpr size_t kMaxEnclosing = 6;      // library, function, node_def, attr, value, tensor
constexpr size_t kPathMax = 384;         // WireDiag::path capacity, NUL included

enum WireError : int {
  WIRE_OK = 0,
  WIRE_TRUNCATED = 1,            // tag/varint/fixed value runs past the enclosing message
  WIRE_VARINT_TOO_LONG = 2,      // > 10 bytes or beyond 64 bits
  WIRE_LENGTH_OVERFLOW = 3,      // a length-delimited payload runs past the enclosing message
  WIRE_FIELD_ZERO = 4,           // field number 0
  WIRE_TAG_TOO_LARGE = 5,        // tag beyond 32 bits (field number beyond 2^29 - 1)
  WIRE_BAD_WIRE_TYPE = 6,        // 6/7, or not the schema's wire type for a known field
  WIRE_UNEXPECTED_END_GROUP = 7, // end-group tag with no matching start-group
  WIRE_UNTERMINATED_GROUP = 8,   // start-group not closed inside the enclosing message
  WIRE_TOO_DEEP = 9,             // nesting beyond kMaxDepth
  WIRE_BAD_PACKED_LENGTH = 10,   // packed fixed-width payload not a multiple of the width
  WIRE_OUTPUT_SIZE = 11,         // output buffer size differs from the planned size
  WIRE_REMOVED_CAPACITY = 12,    // removed-ranges array too small
  WIRE_JOIN_ORDER = 13,          // join tensor ids not strictly ascending
  WIRE_JOIN_UNKNOWN_TENSOR = 14, // join tensor id beyond the structure's tensors
  WIRE_JOIN_HAS_CONTENT = 15,    // join target already has tensor_content
  WIRE_OVERLAP = 16,             // output overlaps an input
  WIRE_NULL_POINTER = 17,        // a null pointer with a non-zero length
  WIRE_INTERNAL = 18,            // an invariant of this module failed (a bug)
  WIRE_ERROR_COUNT = 19,
};

// What went wrong, where. Filled on every non-OK return (error == WIRE_OK otherwise).
struct WireDiag {
  WireError error;
  uint64_t offset;        // absolute byte offset of the offending item
  uint64_t length;        // declared length / needed size / tensor id, per error
  uint64_t limit;         // end of the enclosing message (absolute) / available size /
                          // element width (BAD_PACKED_LENGTH)
  uint32_t field;         // field number involved (0 when none)
  uint32_t wire_type;     // wire type found
  int32_t expected_wire_type;  // wire type the schema wants, -1 when not applicable
  char path[kPathMax];    // e.g. "GraphDef.node[12].attr['value'].tensor.tensor_content"
};

// Status for a WireError: BAD_WIRE_FORMAT for malformed input, BAD_LENGTH for output
// sizes, BAD_ARGUMENT for caller mistakes, OK for WIRE_OK.
Status wire_error_status(WireError e) noexcept;
// Stable name, e.g. "LENGTH_OVERFLOW".
const char* wire_error_name(WireError e) noexcept;
// Human message "<path>: <what> at offset <n> ..." into buf (always NUL-terminated when
// cap > 0). Returns the length it wanted to write (snprintf semantics).
size_t format_wire_diag(const WireDiag& d, char* buf, size_t cap) noexcept;

struct ByteRange {
  uint64_t offset;  // absolute, into the buffer that was walked
  uint64_t length;
};

// A length-delimited field on the path from the GraphDef root down to a TensorProto.
struct EnclosingField {
  uint32_t field;           // field number in its parent message
  uint64_t record_offset;   // where its tag starts
  uint64_t payload_offset;  // where its payload starts (after tag and length varint)
  uint64_t payload_length;  // the payload's length (the length varint's value)
};

enum TensorFlags : uint32_t {
  TENSOR_HAS_NODE_NAME = 1u << 0,
  TENSOR_HAS_NODE_OP = 1u << 1,
  TENSOR_HAS_FUNCTION_NAME = 1u << 2,
  TENSOR_HAS_ATTR_KEY = 1u << 3,
  TENSOR_HAS_SHAPE = 1u << 4,
  TENSOR_UNKNOWN_RANK = 1u << 5,
  TENSOR_HAS_CONTENT = 1u << 6,
  TENSOR_VALUES_PACKED = 1u << 7,  // the last *_val record is a packed payload
};

struct TensorInfo {
  int64_t function_index;    // index in the (merged) library's functions; -1: GraphDef.node
  uint64_t node_index;       // index in GraphDef.node, or in that FunctionDef's node_def
  uint32_t flags;            // TensorFlags
  int32_t dtype;             // TensorProto.dtype (0 when absent)
  ByteRange node_name;       // NodeDef.name payload (valid with TENSOR_HAS_NODE_NAME)
  ByteRange node_op;         // NodeDef.op payload
  ByteRange function_name;   // FunctionDef.signature.name payload
  ByteRange attr_key;        // the attr map key payload
  uint64_t dims_begin;       // first entry of this tensor in the dims array
  uint64_t dims_count;       // TensorShapeProto.dim entries (in wire order)
  ByteRange tensor;          // the TensorProto payload
  ByteRange content;         // tensor_content payload (valid with TENSOR_HAS_CONTENT)
  uint64_t content_record;   // offset of that tensor_content field's tag
  uint64_t content_records;  // tensor_content occurrences (1 for any serializer's output)
  uint32_t values_field;     // field number of the last *_val record, 0 when none
  ByteRange values;          // payload of that record (all elements when packed)
  uint64_t values_records;   // *_val records in this TensorProto
  uint64_t values_count;     // *_val elements over all those records
  uint64_t enclosing_count;  // entries used below (4 for GraphDef.node, 6 in functions)
  EnclosingField enclosing[kMaxEnclosing];  // outermost first; the last is the tensor field
};

struct ScanCounts {
  uint64_t tensors;  // TensorProtos found (entries wanted in `tensors`)
  uint64_t dims;     // dims found (entries wanted in `dims`)
};

// Walks the GraphDef and reports every AttrValue.tensor. Fills tensors[0, min(cap, found))
// and dims[0, min(dims_cap, found)); counts always holds the totals, so a first call with
// capacities 0 sizes the arrays. A tensor's entries are complete only when both its info and
// all of its dims fit.
Status scan_graphdef(const uint8_t* src, size_t n, TensorInfo* tensors, size_t tensor_cap,
                     int64_t* dims, size_t dims_cap, ScanCounts* counts,
                     WireDiag* diag) noexcept;

struct RemovedTensor {
  uint64_t tensor_id;
  uint64_t offset;  // tensor_content payload in the ORIGINAL buffer (absolute)
  uint64_t length;
};

struct SplitPlan {
  uint64_t structure_size;  // bytes of the GraphDef without the removed tensor_content
  uint64_t removed_count;   // TensorProtos whose tensor_content is removed
  uint64_t tensor_count;    // TensorProtos in the GraphDef
};

// Split: every TensorProto whose (effective, i.e. last) tensor_content has length >=
// min_bytes loses all of its tensor_content fields; every enclosing length is re-encoded
// (minimal varints, so widths may shrink). Messages that lose nothing are copied verbatim,
// length prefix included. Everything else is copied byte for byte.
Status split_graphdef_plan(const uint8_t* src, size_t n, uint64_t min_bytes, SplitPlan* plan,
                           WireDiag* diag) noexcept;
// out_size must equal plan.structure_size and removed_cap be >= plan.removed_count. `out`
// must not overlap src. removed[] lists the removed contents in ascending tensor id.
Status split_graphdef_write(const uint8_t* src, size_t n, uint64_t min_bytes, uint8_t* out,
                            size_t out_size, RemovedTensor* removed, size_t removed_cap,
                            WireDiag* diag) noexcept;

struct JoinTensor {
  uint64_t tensor_id;    // strictly ascending across the array
  const uint8_t* data;   // may be null when length is 0
  uint64_t length;
};

struct JoinPlan {
  uint64_t output_size;
  uint64_t tensor_count;
};

// Join: inserts a tensor_content field (tag 0x22, minimal length varint, the bytes) into
// every listed TensorProto, which must not already have one, and re-encodes every enclosing
// length. Canonical placement: the field goes immediately before the TensorProto's first
// field whose number is > 4 (in wire order), or at its end when there is none. For a
// TensorProto serialized in field-number order (what protobuf serializers do, unknown
// fields last) that is exactly where the field was, so join(split(x)) == x byte for byte
// when x was canonically serialized; otherwise it decodes to the same message.
Status join_graphdef_plan(const uint8_t* structure, size_t n, const JoinTensor* tensors,
                          size_t count, JoinPlan* plan, WireDiag* diag) noexcept;
// out_size must equal plan.output_size; `out` must not overlap the structure or any data.
Status join_graphdef_write(const uint8_t* structure, size_t n, const JoinTensor* tensors,
                           size_t count, uint8_t* out, size_t out_size,
                           WireDiag* diag) noexcept;

}  // namespace wire
}  // namespace tfx

#endif  // TFEXPORT_GRAPHDEF_WIRE_H_
