// SPDX-License-Identifier: Apache-2.0
// GraphDef wire walker: one recursive walker serves scan (collect), measure (size the
// rewritten output) and write (emit it). See graphdef_wire.h for the contract.
//
// How a rewrite works. A message's output is the concatenation, in wire order, of its field
// records, each either copied verbatim, dropped (a removed tensor_content) or rewritten (a
// known sub-message whose subtree changed: original tag bytes + minimal length varint of the
// new payload size + the rewritten payload), plus, for join, one inserted tensor_content.
// To write a rewritten sub-message the walker first measures it (a walk that writes
// nothing), so the length prefix is known before the payload; a sub-message whose measure
// reports no change is copied verbatim, length prefix included. The schema is not recursive
// (at most 8 known levels), so writing costs at most 9 walks of the structure, and the
// tensor bytes themselves are never walked: their length is known from the prefix.
//
// Invariants:
//  - [begin, end) of every message walked lies inside [0, n) (checked by read_field before
//    any descent: a LEN payload never exceeds its enclosing message);
//  - in WRITE mode out_pos_ + k <= out_cap_ is checked before every k-byte write;
//  - a subtree is "modified" iff it contains a dropped or inserted tensor_content, and only
//    then is any length varint re-encoded;
//  - measure and write of the same subtree from the same Cursor produce the same size and
//    the same final Cursor (checked: WIRE_INTERNAL otherwise).
#include "graphdef_wire.h"

#include <cstdio>
#include <cstring>

#include "wire_format.h"

namespace tfx {
namespace wire {

namespace {

enum Kind : int {
  K_GRAPHDEF,
  K_LIBRARY,
  K_FUNCTION,
  K_SIGNATURE,
  K_NODE,
  K_ATTR_ENTRY,
  K_ATTR_VALUE,
  K_TENSOR,
  K_SHAPE,
  K_DIM,
  K_COUNT,
};

// The known-message nesting: GraphDef > library > function > node_def > attr > value >
// tensor > tensor_shape > dim, plus the root frame.
constexpr size_t kMaxFrames = 10;

const char* field_name(Kind k, uint32_t f) noexcept {
  switch (k) {
    case K_GRAPHDEF:
      switch (f) {
        case 1: return "node";
        case 2: return "library";
        case 3: return "version";
        case 4: return "versions";
        case 5: return "debug_info";
        default: return nullptr;
      }
    case K_LIBRARY:
      switch (f) {
        case 1: return "function";
        case 2: return "gradient";
        case 3: return "registered_gradients";
        default: return nullptr;
      }
    case K_FUNCTION:
      switch (f) {
        case 1: return "signature";
        case 3: return "node_def";
        case 4: return "ret";
        case 5: return "attr";
        case 6: return "control_ret";
        case 7: return "arg_attr";
        case 8: return "resource_arg_unique_id";
        default: return nullptr;
      }
    case K_SIGNATURE:
      return f == 1 ? "name" : nullptr;
    case K_NODE:
      switch (f) {
        case 1: return "name";
        case 2: return "op";
        case 3: return "input";
        case 4: return "device";
        case 5: return "attr";
        case 6: return "experimental_debug_info";
        case 7: return "experimental_type";
        default: return nullptr;
      }
    case K_ATTR_ENTRY:
      return f == 1 ? "key" : f == 2 ? "value" : nullptr;
    case K_ATTR_VALUE:
      switch (f) {
        case 1: return "list";
        case 2: return "s";
        case 3: return "i";
        case 4: return "f";
        case 5: return "b";
        case 6: return "type";
        case 7: return "shape";
        case 8: return "tensor";
        case 9: return "placeholder";
        case 10: return "func";
        default: return nullptr;
      }
    case K_TENSOR:
      switch (f) {
        case 1: return "dtype";
        case 2: return "tensor_shape";
        case 3: return "version_number";
        case 4: return "tensor_content";
        case 5: return "float_val";
        case 6: return "double_val";
        case 7: return "int_val";
        case 8: return "string_val";
        case 9: return "scomplex_val";
        case 10: return "int64_val";
        case 11: return "bool_val";
        case 12: return "dcomplex_val";
        case 13: return "half_val";
        case 14: return "resource_handle_val";
        case 15: return "variant_val";
        case 16: return "uint32_val";
        case 17: return "uint64_val";
        case 18: return "float8_val";
        default: return nullptr;
      }
    case K_SHAPE:
      return f == 2 ? "dim" : f == 3 ? "unknown_rank" : nullptr;
    case K_DIM:
      return f == 1 ? "size" : f == 2 ? "name" : nullptr;
    default:
      return nullptr;
  }
}

// Element encoding of TensorProto's repeated *_val fields. width 0: varint elements;
// 4/8: fixed32/fixed64; -1: bytes (string_val, never packed); -2: not a *_val field.
int val_width(uint32_t field) noexcept {
  switch (field) {
    case 5: case 9: return 4;                                       // float, scomplex
    case 6: case 12: return 8;                                      // double, dcomplex
    case 7: case 10: case 11: case 13: case 16: case 17: return 0;  // varint kinds
    case 8: return -1;                                              // string_val
    default: return -2;
  }
}

enum class Mode { SCAN, MEASURE, WRITE };
enum class Op { SCAN, SPLIT, JOIN };

struct Field {
  uint64_t record;    // offset of the tag
  uint64_t value;     // offset just after the tag
  uint64_t payload;   // LEN: after the length varint; otherwise == value
  uint64_t length;    // LEN: payload length
  uint64_t varint;    // VARINT: the value
  uint64_t end;       // end of the whole record (after the end-group tag for groups)
  uint32_t number;
  uint32_t wire_type;
};

struct Frame {
  Kind kind;            // the message this frame enters
  const char* name;     // printed as ".name"; nullptr: not printed (a map entry's value)
  int64_t index;        // printed as "[index]" when >= 0 and there is no key
  bool has_key;         // printed as "['key']"
  uint64_t key_offset;
  uint64_t key_length;
  EnclosingField field;
};

struct Cursor {
  uint64_t tensor_id = 0;  // TensorProtos passed (their ids are 0, 1, ...)
  uint64_t dims = 0;       // TensorShapeProto.dim entries passed (scan's dims array index)
  uint64_t removed = 0;    // TensorProtos whose content split removed
  uint64_t functions = 0;  // FunctionDefs passed (merged across library fields)
  size_t join_next = 0;    // next JoinTensor to insert
};

struct Result {
  uint64_t size = 0;       // bytes this message's payload has in the output
  bool modified = false;   // the subtree drops or inserts a tensor_content
};

class Walker {
 public:
  Walker(const uint8_t* src, uint64_t n, Op op, Mode mode, WireDiag* diag) noexcept
      : src_(src), n_(n), op_(op), mode_(mode), diag_(diag) {}

  // scan outputs
  TensorInfo* tensors_ = nullptr;
  size_t tensor_cap_ = 0;
  int64_t* dims_ = nullptr;
  size_t dims_cap_ = 0;
  // split
  uint64_t min_bytes_ = 0;
  RemovedTensor* removed_ = nullptr;
  size_t removed_cap_ = 0;
  // join
  const JoinTensor* join_ = nullptr;
  size_t join_count_ = 0;
  // write
  uint8_t* out_ = nullptr;
  uint64_t out_cap_ = 0;
  uint64_t out_pos_ = 0;

  Status run(Cursor& cur, Result& r) noexcept {
    nframes_ = 1;
    frames_[0] = Frame{K_GRAPHDEF, "GraphDef", -1, false, 0, 0, EnclosingField{0, 0, 0, n_}};
    depth_ = 0;
    return walk(K_GRAPHDEF, 0, n_, cur, r);
  }

  Status fail(WireError e, uint64_t offset, uint64_t length, uint64_t limit, uint32_t field,
              uint32_t wire_type = 0, int32_t expected = -1) noexcept {
    if (diag_ != nullptr) {
      diag_->error = e;
      diag_->offset = offset;
      diag_->length = length;
      diag_->limit = limit;
      diag_->field = field;
      diag_->wire_type = wire_type;
      diag_->expected_wire_type = expected;
      build_path(field);
    }
    return wire_error_status(e);
  }

 private:
  const uint8_t* src_;
  uint64_t n_;
  Op op_;
  Mode mode_;
  WireDiag* diag_;
  Frame frames_[kMaxFrames];
  size_t nframes_ = 0;
  unsigned depth_ = 0;
  // Scan context, set by parents right before descending.
  int64_t ctx_function_ = -1;
  uint64_t ctx_node_ = 0;
  // Last-wins values reported up by child walks.
  bool sig_has_name_ = false;
  ByteRange sig_name_{0, 0};
  bool shape_unknown_rank_ = false;
  int64_t dim_size_ = 0;

  // ---- diagnostics -------------------------------------------------------------------
  void append(size_t& at, const char* s) noexcept {
    while (*s != '\0' && at + 1 < kPathMax) diag_->path[at++] = *s++;
    diag_->path[at] = '\0';
  }

  void append_key(size_t& at, uint64_t off, uint64_t len) noexcept {
    static const char kHex[] = "0123456789abcdef";
    const uint64_t shown = len > 48 ? 48 : len;
    for (uint64_t i = 0; i < shown; ++i) {
      const uint8_t c = src_[off + i];
      char buf[5] = {static_cast<char>(c), '\0', '\0', '\0', '\0'};
      if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
        buf[0] = '\\';
        buf[1] = 'x';
        buf[2] = kHex[c >> 4];
        buf[3] = kHex[c & 15];
      }
      append(at, buf);
    }
    if (shown < len) append(at, "...");
  }

  void build_path(uint32_t field) noexcept {
    size_t at = 0;
    diag_->path[0] = '\0';
    for (size_t i = 0; i < nframes_; ++i) {
      const Frame& f = frames_[i];
      if (f.name == nullptr) continue;
      if (i > 0) append(at, ".");
      append(at, f.name);
      char buf[32];
      if (f.has_key) {
        append(at, "['");
        append_key(at, f.key_offset, f.key_length);
        append(at, "']");
      } else if (f.index >= 0) {
        std::snprintf(buf, sizeof buf, "[%lld]", static_cast<long long>(f.index));
        append(at, buf);
      }
    }
    if (field != 0) {
      const char* leaf = field_name(frames_[nframes_ - 1].kind, field);
      char buf[32];
      if (leaf == nullptr) {
        std::snprintf(buf, sizeof buf, "<field %u>", field);
        leaf = buf;
      }
      append(at, ".");
      append(at, leaf);
    }
  }

  // ---- reading -----------------------------------------------------------------------
  Status read_tag(uint64_t pos, uint64_t limit, Field* f) noexcept {
    f->record = pos;
    uint64_t tag = 0, next = 0;
    const ReadError re = read_varint(src_, pos, limit, &tag, &next);
    if (re == READ_TRUNCATED) return fail(WIRE_TRUNCATED, pos, 0, limit, 0);
    if (re != READ_OK) return fail(WIRE_VARINT_TOO_LONG, pos, 0, limit, 0);
    if (tag > 0xffffffffull) return fail(WIRE_TAG_TOO_LARGE, pos, 0, limit, 0);
    f->number = static_cast<uint32_t>(tag >> 3);
    f->wire_type = static_cast<uint32_t>(tag & 7);
    if (f->number == 0) return fail(WIRE_FIELD_ZERO, pos, 0, limit, 0, f->wire_type);
    f->value = next;
    f->payload = next;
    f->length = 0;
    f->varint = 0;
    return TFEXPORT_STATUS_OK;
  }

  // Reads the value after a tag (any wire type but end-group) and sets f->end.
  Status read_value(uint64_t limit, Field* f) noexcept {
    const uint64_t pos = f->value;
    switch (f->wire_type) {
      case WIRE_VARINT: {
        const ReadError re = read_varint(src_, pos, limit, &f->varint, &f->end);
        if (re == READ_TRUNCATED) return fail(WIRE_TRUNCATED, pos, 0, limit, f->number, f->wire_type);
        if (re != READ_OK) return fail(WIRE_VARINT_TOO_LONG, pos, 0, limit, f->number, f->wire_type);
        return TFEXPORT_STATUS_OK;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const uint64_t w = f->wire_type == WIRE_I64 ? 8 : 4;
        if (limit - pos < w) return fail(WIRE_TRUNCATED, pos, w, limit, f->number, f->wire_type);
        f->end = pos + w;
        return TFEXPORT_STATUS_OK;
      }
      case WIRE_LEN: {
        uint64_t len = 0, after = 0;
        const ReadError re = read_varint(src_, pos, limit, &len, &after);
        if (re == READ_TRUNCATED) return fail(WIRE_TRUNCATED, pos, 0, limit, f->number, f->wire_type);
        if (re != READ_OK) return fail(WIRE_VARINT_TOO_LONG, pos, 0, limit, f->number, f->wire_type);
        if (len > limit - after) return fail(WIRE_LENGTH_OVERFLOW, after, len, limit, f->number, f->wire_type);
        f->payload = after;
        f->length = len;
        f->end = after + len;
        return TFEXPORT_STATUS_OK;
      }
      case WIRE_SGROUP:
        return skip_group(limit, f);
      case WIRE_EGROUP:
        return fail(WIRE_UNEXPECTED_END_GROUP, f->record, 0, limit, f->number, f->wire_type);
      default:
        return fail(WIRE_BAD_WIRE_TYPE, f->record, 0, limit, f->number, f->wire_type);
    }
  }

  Status read_field(uint64_t pos, uint64_t limit, Field* f) noexcept {
    Status st = read_tag(pos, limit, f);
    if (st != TFEXPORT_STATUS_OK) return st;
    return read_value(limit, f);
  }

  // A start-group record of an unknown field: skip to the matching end-group, validating
  // everything inside. Counts toward kMaxDepth.
  Status skip_group(uint64_t limit, Field* g) noexcept {
    if (depth_ + 1 > kMaxDepth) return fail(WIRE_TOO_DEEP, g->record, 0, limit, g->number, g->wire_type);
    ++depth_;
    uint64_t pos = g->value;
    Status st = TFEXPORT_STATUS_OK;
    for (;;) {
      if (pos >= limit) {
        st = fail(WIRE_UNTERMINATED_GROUP, g->record, 0, limit, g->number, g->wire_type);
        break;
      }
      Field f;
      st = read_tag(pos, limit, &f);
      if (st != TFEXPORT_STATUS_OK) break;
      if (f.wire_type == WIRE_EGROUP) {
        if (f.number != g->number) {
          st = fail(WIRE_UNEXPECTED_END_GROUP, f.record, 0, limit, f.number, f.wire_type);
          break;
        }
        g->end = f.value;
        break;
      }
      st = read_value(limit, &f);
      if (st != TFEXPORT_STATUS_OK) break;
      pos = f.end;
    }
    --depth_;
    return st;
  }

  Status expect(const Field& f, WireType wt) noexcept {
    if (f.wire_type == wt) return TFEXPORT_STATUS_OK;
    return fail(WIRE_BAD_WIRE_TYPE, f.record, 0, frames_[nframes_ - 1].field.payload_offset +
                                                   frames_[nframes_ - 1].field.payload_length,
                f.number, f.wire_type, static_cast<int32_t>(wt));
  }

  // ---- emitting (MEASURE counts, WRITE copies; SCAN never calls these) ----------------
  Status emit_ptr(const uint8_t* p, uint64_t len, Result& r) noexcept {
    r.size += len;
    if (mode_ == Mode::WRITE) {
      if (len > out_cap_ - out_pos_) return fail(WIRE_INTERNAL, out_pos_, len, out_cap_, 0);
      if (len != 0) std::memcpy(out_ + out_pos_, p, static_cast<size_t>(len));
      out_pos_ += len;
    }
    return TFEXPORT_STATUS_OK;
  }
  Status emit(uint64_t from, uint64_t to, Result& r) noexcept {
    return emit_ptr(src_ + from, to - from, r);
  }
  Status emit_varint(uint64_t v, Result& r) noexcept {
    uint8_t buf[kMaxVarintBytes];
    const size_t k = write_varint(v, buf);
    return emit_ptr(buf, k, r);
  }
  Status verbatim(const Field& f, Result& r) noexcept {
    return mode_ == Mode::SCAN ? TFEXPORT_STATUS_OK : emit(f.record, f.end, r);
  }

  // ---- descending ---------------------------------------------------------------------
  Status push(Kind kind, const Field& f, const char* name, int64_t index) noexcept {
    if (nframes_ >= kMaxFrames) return fail(WIRE_INTERNAL, f.record, 0, 0, f.number);
    if (depth_ + 1 > kMaxDepth) return fail(WIRE_TOO_DEEP, f.record, 0, f.end, f.number, f.wire_type);
    frames_[nframes_++] = Frame{kind, name, index, false, 0, 0,
                                EnclosingField{f.number, f.record, f.payload, f.length}};
    ++depth_;
    return TFEXPORT_STATUS_OK;
  }
  void pop() noexcept {
    --nframes_;
    --depth_;
  }

  // Descends into a known sub-message whose output may change (see the file comment).
  Status child(Kind kind, const Field& f, const char* name, int64_t index, Cursor& cur,
               Result& r) noexcept {
    Status st = push(kind, f, name, index);
    if (st != TFEXPORT_STATUS_OK) return st;
    if (mode_ == Mode::SCAN) {
      Result ignored;
      st = walk(kind, f.payload, f.end, cur, ignored);
      pop();
      return st;
    }
    Cursor measured = cur;
    Result m;
    const Mode saved = mode_;
    mode_ = Mode::MEASURE;
    st = walk(kind, f.payload, f.end, measured, m);
    mode_ = saved;
    if (st == TFEXPORT_STATUS_OK) {
      if (!m.modified) {
        // Nothing dropped or inserted below: the record is copied as it was.
        if (m.size != f.length) st = fail(WIRE_INTERNAL, f.payload, m.size, f.end, f.number);
        if (st == TFEXPORT_STATUS_OK) st = emit(f.record, f.end, r);
        cur = measured;
      } else {
        r.modified = true;
        st = emit(f.record, f.value, r);  // the original tag bytes
        if (st == TFEXPORT_STATUS_OK) st = emit_varint(m.size, r);
        if (st == TFEXPORT_STATUS_OK) {
          if (mode_ == Mode::WRITE) {
            Result w;
            st = walk(kind, f.payload, f.end, cur, w);
            if (st == TFEXPORT_STATUS_OK &&
                (w.size != m.size || cur.tensor_id != measured.tensor_id ||
                 cur.removed != measured.removed || cur.join_next != measured.join_next)) {
              st = fail(WIRE_INTERNAL, f.payload, w.size, m.size, f.number);
            }
            r.size += w.size;
          } else {
            r.size += m.size;
            cur = measured;
          }
        }
      }
    }
    pop();
    return st;
  }

  // Descends into a known sub-message that is only read (its bytes are emitted, if at all,
  // by the caller): TensorShapeProto and its Dims.
  Status enter(Kind kind, const Field& f, const char* name, int64_t index,
               Cursor& cur) noexcept {
    Status st = push(kind, f, name, index);
    if (st != TFEXPORT_STATUS_OK) return st;
    Result ignored;
    st = walk(kind, f.payload, f.end, cur, ignored);
    pop();
    return st;
  }

  Status walk(Kind k, uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    switch (k) {
      case K_GRAPHDEF: return walk_graphdef(begin, end, cur, r);
      case K_LIBRARY: return walk_library(begin, end, cur, r);
      case K_FUNCTION: return walk_function(begin, end, cur, r);
      case K_SIGNATURE: return walk_signature(begin, end, r);
      case K_NODE: return walk_node(begin, end, cur, r);
      case K_ATTR_ENTRY: return walk_attr_entry(begin, end, cur, r);
      case K_ATTR_VALUE: return walk_attr_value(begin, end, cur, r);
      case K_TENSOR: return walk_tensor(begin, end, cur, r);
      case K_SHAPE: return walk_shape(begin, end, cur);
      case K_DIM: return walk_dim(begin, end);
      default: return fail(WIRE_INTERNAL, begin, 0, end, 0);
    }
  }

  // Tensors [first, cur) that scan has room for.
  uint64_t patch_end(const Cursor& cur) const noexcept {
    return cur.tensor_id < tensor_cap_ ? cur.tensor_id : tensor_cap_;
  }

  // ---- messages -----------------------------------------------------------------------
  Status walk_graphdef(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    int64_t node_i = 0;
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        ctx_function_ = -1;
        ctx_node_ = static_cast<uint64_t>(node_i);
        st = child(K_NODE, f, "node", node_i++, cur, r);
      } else if (f.number == 2) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        st = child(K_LIBRARY, f, "library", -1, cur, r);
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_library(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        const uint64_t idx = cur.functions;
        ctx_function_ = static_cast<int64_t>(idx);
        st = child(K_FUNCTION, f, "function", static_cast<int64_t>(idx), cur, r);
        cur.functions = idx + 1;
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_function(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    const uint64_t first = cur.tensor_id;
    const int64_t function_index = ctx_function_;
    bool has_name = false;
    ByteRange name{0, 0};
    int64_t node_i = 0;
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        sig_has_name_ = false;
        st = child(K_SIGNATURE, f, "signature", -1, cur, r);
        if (sig_has_name_) {  // merged OpDefs: the last name set wins
          has_name = true;
          name = sig_name_;
        }
      } else if (f.number == 3) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        ctx_function_ = function_index;
        ctx_node_ = static_cast<uint64_t>(node_i);
        st = child(K_NODE, f, "node_def", node_i++, cur, r);
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    if (op_ == Op::SCAN && has_name) {
      for (uint64_t i = first; i < patch_end(cur); ++i) {
        tensors_[i].function_name = name;
        tensors_[i].flags |= TENSOR_HAS_FUNCTION_NAME;
      }
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_signature(uint64_t begin, uint64_t end, Result& r) noexcept {
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        sig_has_name_ = true;
        sig_name_ = ByteRange{f.payload, f.length};
      }
      if ((st = verbatim(f, r)) != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_node(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    const uint64_t first = cur.tensor_id;
    bool has_name = false, has_op = false;
    ByteRange name{0, 0}, op{0, 0};
    int64_t attr_i = 0;
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1 || f.number == 2) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        if (f.number == 1) {
          has_name = true;
          name = ByteRange{f.payload, f.length};
        } else {
          has_op = true;
          op = ByteRange{f.payload, f.length};
        }
        st = verbatim(f, r);
      } else if (f.number == 5) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        st = child(K_ATTR_ENTRY, f, "attr", attr_i++, cur, r);
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    if (op_ == Op::SCAN) {
      for (uint64_t i = first; i < patch_end(cur); ++i) {
        if (has_name) {
          tensors_[i].node_name = name;
          tensors_[i].flags |= TENSOR_HAS_NODE_NAME;
        }
        if (has_op) {
          tensors_[i].node_op = op;
          tensors_[i].flags |= TENSOR_HAS_NODE_OP;
        }
      }
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_attr_entry(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    const uint64_t first = cur.tensor_id;
    Frame& self = frames_[nframes_ - 1];
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        self.has_key = true;  // later error paths read attr['key']
        self.key_offset = f.payload;
        self.key_length = f.length;
        st = verbatim(f, r);
      } else if (f.number == 2) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        st = child(K_ATTR_VALUE, f, nullptr, -1, cur, r);
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    if (op_ == Op::SCAN && self.has_key) {
      for (uint64_t i = first; i < patch_end(cur); ++i) {
        tensors_[i].attr_key = ByteRange{self.key_offset, self.key_length};
        tensors_[i].flags |= TENSOR_HAS_ATTR_KEY;
      }
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_attr_value(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 8) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        st = child(K_TENSOR, f, "tensor", -1, cur, r);
      } else {
        st = verbatim(f, r);
      }
      if (st != TFEXPORT_STATUS_OK) return st;
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_shape(uint64_t begin, uint64_t end, Cursor& cur) noexcept {
    int64_t dim_i = 0;
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 2) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        dim_size_ = 0;
        st = enter(K_DIM, f, "dim", dim_i++, cur);
        if (st != TFEXPORT_STATUS_OK) return st;
        if (op_ == Op::SCAN && cur.dims < dims_cap_) dims_[cur.dims] = dim_size_;
        ++cur.dims;
      } else if (f.number == 3) {
        if ((st = expect(f, WIRE_VARINT)) != TFEXPORT_STATUS_OK) return st;
        shape_unknown_rank_ = f.varint != 0;
      }
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  Status walk_dim(uint64_t begin, uint64_t end) noexcept {
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number == 1) {
        if ((st = expect(f, WIRE_VARINT)) != TFEXPORT_STATUS_OK) return st;
        dim_size_ = static_cast<int64_t>(f.varint);  // int64: two's complement, -1 = unknown
      }
      pos = f.end;
    }
    return TFEXPORT_STATUS_OK;
  }

  // Validates a *_val record and counts its elements.
  Status check_values(const Field& f, int width, uint64_t* count) noexcept {
    const uint64_t limit = f.end;
    if (width == -1) {  // string_val: one bytes element per record
      *count = 1;
      return expect(f, WIRE_LEN);
    }
    const WireType element = width == 0 ? WIRE_VARINT : width == 4 ? WIRE_I32 : WIRE_I64;
    if (f.wire_type == element) {
      *count = 1;
      return TFEXPORT_STATUS_OK;
    }
    if (f.wire_type != WIRE_LEN) return expect(f, element);
    if (width > 0) {
      if (f.length % static_cast<uint64_t>(width) != 0) {
        return fail(WIRE_BAD_PACKED_LENGTH, f.payload, f.length, static_cast<uint64_t>(width),
                    f.number, f.wire_type);
      }
      *count = f.length / static_cast<uint64_t>(width);
      return TFEXPORT_STATUS_OK;
    }
    uint64_t n = 0;
    for (uint64_t p = f.payload; p < limit; ++n) {
      uint64_t v = 0, next = 0;
      const ReadError re = read_varint(src_, p, limit, &v, &next);
      if (re == READ_TRUNCATED) return fail(WIRE_TRUNCATED, p, 0, limit, f.number, WIRE_VARINT);
      if (re != READ_OK) return fail(WIRE_VARINT_TOO_LONG, p, 0, limit, f.number, WIRE_VARINT);
      p = next;
    }
    *count = n;
    return TFEXPORT_STATUS_OK;
  }

  Status walk_tensor(uint64_t begin, uint64_t end, Cursor& cur, Result& r) noexcept {
    // Pass A: validate and collect the facts every mode needs.
    int32_t dtype = 0;
    uint32_t flags = 0;
    Field content{};
    uint64_t content_records = 0;
    uint32_t values_field = 0;
    ByteRange values{0, 0};
    uint64_t values_records = 0, values_count = 0;
    bool has_high = false;
    uint64_t high = end;  // first record whose field number is > 4 (join's insertion point)
    const uint64_t dims_begin = cur.dims;
    shape_unknown_rank_ = false;
    for (uint64_t pos = begin; pos < end;) {
      Field f;
      Status st = read_field(pos, end, &f);
      if (st != TFEXPORT_STATUS_OK) return st;
      if (f.number > 4 && !has_high) {
        has_high = true;
        high = f.record;
      }
      const int width = val_width(f.number);
      if (f.number == 1) {
        if ((st = expect(f, WIRE_VARINT)) != TFEXPORT_STATUS_OK) return st;
        dtype = static_cast<int32_t>(static_cast<uint32_t>(f.varint));  // enum: low 32 bits
      } else if (f.number == 2) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        flags |= TENSOR_HAS_SHAPE;
        if ((st = enter(K_SHAPE, f, "tensor_shape", -1, cur)) != TFEXPORT_STATUS_OK) return st;
      } else if (f.number == 4) {
        if ((st = expect(f, WIRE_LEN)) != TFEXPORT_STATUS_OK) return st;
        content = f;  // last one wins
        ++content_records;
      } else if (width != -2) {
        uint64_t count = 0;
        if ((st = check_values(f, width, &count)) != TFEXPORT_STATUS_OK) return st;
        values_field = f.number;
        const bool packed = width != -1 && f.wire_type == WIRE_LEN;
        values = f.wire_type == WIRE_LEN ? ByteRange{f.payload, f.length}
                                         : ByteRange{f.value, f.end - f.value};
        flags = packed ? (flags | TENSOR_VALUES_PACKED) : (flags & ~uint32_t{TENSOR_VALUES_PACKED});
        ++values_records;
        values_count += count;
      }
      pos = f.end;
    }
    if (shape_unknown_rank_) flags |= TENSOR_UNKNOWN_RANK;
    if (content_records != 0) flags |= TENSOR_HAS_CONTENT;
    const uint64_t id = cur.tensor_id++;

    if (op_ == Op::SCAN) {
      if (id < tensor_cap_) {
        TensorInfo& t = tensors_[id];
        t = TensorInfo{};
        t.function_index = ctx_function_;
        t.node_index = ctx_node_;
        t.flags = flags;
        t.dtype = dtype;
        t.dims_begin = dims_begin;
        t.dims_count = cur.dims - dims_begin;
        t.tensor = ByteRange{begin, end - begin};
        if (content_records != 0) {
          t.content = ByteRange{content.payload, content.length};
          t.content_record = content.record;
        }
        t.content_records = content_records;
        t.values_field = values_field;
        t.values = values;
        t.values_records = values_records;
        t.values_count = values_count;
        t.enclosing_count = nframes_ - 1;
        for (size_t i = 1; i < nframes_ && i - 1 < kMaxEnclosing; ++i) {
          t.enclosing[i - 1] = frames_[i].field;
        }
      }
      return TFEXPORT_STATUS_OK;
    }

    if (op_ == Op::SPLIT) {
      if (content_records == 0 || content.length < min_bytes_) return emit(begin, end, r);
      // Drop every tensor_content record; copy the runs between them.
      r.modified = true;
      if (mode_ == Mode::WRITE) {
        if (cur.removed >= removed_cap_) {
          return fail(WIRE_REMOVED_CAPACITY, content.record, cur.removed + 1, removed_cap_, 4);
        }
        removed_[cur.removed] = RemovedTensor{id, content.payload, content.length};
      }
      ++cur.removed;
      uint64_t run = begin;
      for (uint64_t pos = begin; pos < end;) {
        Field f;
        Status st = read_field(pos, end, &f);
        if (st != TFEXPORT_STATUS_OK) return st;
        if (f.number == 4) {
          if ((st = emit(run, f.record, r)) != TFEXPORT_STATUS_OK) return st;
          run = f.end;
        }
        pos = f.end;
      }
      return emit(run, end, r);
    }

    // JOIN
    if (cur.join_next >= join_count_ || join_[cur.join_next].tensor_id != id) {
      return emit(begin, end, r);
    }
    if (content_records != 0) {
      return fail(WIRE_JOIN_HAS_CONTENT, content.record, id, end, 4, WIRE_LEN);
    }
    const JoinTensor& j = join_[cur.join_next++];
    r.modified = true;
    Status st = emit(begin, high, r);
    if (st == TFEXPORT_STATUS_OK) st = emit_varint(make_tag(4, WIRE_LEN), r);
    if (st == TFEXPORT_STATUS_OK) st = emit_varint(j.length, r);
    if (st == TFEXPORT_STATUS_OK) st = emit_ptr(j.data, j.length, r);
    if (st == TFEXPORT_STATUS_OK) st = emit(high, end, r);
    return st;
  }
};

void clear(WireDiag* d) noexcept {
  if (d == nullptr) return;
  d->error = WIRE_OK;
  d->offset = d->length = d->limit = 0;
  d->field = d->wire_type = 0;
  d->expected_wire_type = -1;
  d->path[0] = '\0';
}

Status fail_plain(WireDiag* d, WireError e, uint64_t offset, uint64_t length,
                  uint64_t limit) noexcept {
  if (d != nullptr) {
    clear(d);
    d->error = e;
    d->offset = offset;
    d->length = length;
    d->limit = limit;
  }
  return wire_error_status(e);
}

bool overlaps(const void* a, uint64_t an, const void* b, uint64_t bn) noexcept {
  if (an == 0 || bn == 0 || a == nullptr || b == nullptr) return false;
  const uintptr_t x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
  return x < y + bn && y < x + an;
}

Status check_join_inputs(const uint8_t* structure, size_t n, const JoinTensor* tensors,
                         size_t count, WireDiag* d) noexcept {
  if (structure == nullptr && n != 0) return fail_plain(d, WIRE_NULL_POINTER, 0, n, 0);
  if (tensors == nullptr && count != 0) return fail_plain(d, WIRE_NULL_POINTER, 0, count, 0);
  for (size_t i = 0; i < count; ++i) {
    if (tensors[i].data == nullptr && tensors[i].length != 0) {
      return fail_plain(d, WIRE_NULL_POINTER, i, tensors[i].length, 0);
    }
    if (i > 0 && tensors[i].tensor_id <= tensors[i - 1].tensor_id) {
      return fail_plain(d, WIRE_JOIN_ORDER, i, tensors[i].tensor_id, tensors[i - 1].tensor_id);
    }
  }
  return TFEXPORT_STATUS_OK;
}

}  // namespace

Status wire_error_status(WireError e) noexcept {
  switch (e) {
    case WIRE_OK:
      return TFEXPORT_STATUS_OK;
    case WIRE_OUTPUT_SIZE:
    case WIRE_REMOVED_CAPACITY:
      return TFEXPORT_STATUS_BAD_LENGTH;
    case WIRE_JOIN_ORDER:
    case WIRE_JOIN_UNKNOWN_TENSOR:
    case WIRE_JOIN_HAS_CONTENT:
    case WIRE_OVERLAP:
    case WIRE_NULL_POINTER:
    case WIRE_INTERNAL:
      return TFEXPORT_STATUS_BAD_ARGUMENT;
    default:
      return TFEXPORT_STATUS_BAD_WIRE_FORMAT;
  }
}

const char* wire_error_name(WireError e) noexcept {
  static const char* const kNames[WIRE_ERROR_COUNT] = {
      "OK", "TRUNCATED", "VARINT_TOO_LONG", "LENGTH_OVERFLOW", "FIELD_ZERO",
      "TAG_TOO_LARGE", "BAD_WIRE_TYPE", "UNEXPECTED_END_GROUP", "UNTERMINATED_GROUP",
      "TOO_DEEP", "BAD_PACKED_LENGTH", "OUTPUT_SIZE", "REMOVED_CAPACITY", "JOIN_ORDER",
      "JOIN_UNKNOWN_TENSOR", "JOIN_HAS_CONTENT", "OVERLAP", "NULL_POINTER", "INTERNAL"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == WIRE_ERROR_COUNT,
                "wire error name table must match the enum");
  return (e >= 0 && e < WIRE_ERROR_COUNT) ? kNames[e] : "UNKNOWN";
}

size_t format_wire_diag(const WireDiag& d, char* buf, size_t cap) noexcept {
  using ull = unsigned long long;
  const ull off = d.offset, len = d.length, lim = d.limit;
  char head[kPathMax + 2];
  // "<path>: " when there is a path; the path buffer is always NUL-terminated by clear().
  size_t plen = 0;
  while (plen < kPathMax - 1 && d.path[plen] != '\0') ++plen;
  if (plen != 0) {
    std::memcpy(head, d.path, plen);
    head[plen] = ':';
    head[plen + 1] = ' ';
    plen += 2;
  }
  head[plen] = '\0';
  int w = 0;
  switch (d.error) {
    case WIRE_OK:
      w = std::snprintf(buf, cap, "ok");
      break;
    case WIRE_TRUNCATED:
      if (d.field == 0) {
        w = std::snprintf(buf, cap,
                          "%stag at offset %llu runs past the end of the enclosing message "
                          "(ends at %llu)", head, off, lim);
      } else {
        w = std::snprintf(buf, cap,
                          "%svalue (wire type %u) at offset %llu runs past the end of the "
                          "enclosing message (ends at %llu)", head, d.wire_type, off, lim);
      }
      break;
    case WIRE_VARINT_TOO_LONG:
      w = std::snprintf(buf, cap,
                        "%smalformed varint at offset %llu (longer than 10 bytes or beyond "
                        "64 bits)", head, off);
      break;
    case WIRE_LENGTH_OVERFLOW:
      w = std::snprintf(buf, cap,
                        "%slength %llu at offset %llu exceeds the enclosing message (ends at "
                        "%llu)", head, len, off, lim);
      break;
    case WIRE_FIELD_ZERO:
      w = std::snprintf(buf, cap, "%stag at offset %llu has field number 0", head, off);
      break;
    case WIRE_TAG_TOO_LARGE:
      w = std::snprintf(buf, cap,
                        "%stag at offset %llu is beyond 32 bits (field numbers end at "
                        "536870911)", head, off);
      break;
    case WIRE_BAD_WIRE_TYPE:
      if (d.expected_wire_type >= 0) {
        w = std::snprintf(buf, cap, "%swire type %u at offset %llu, expected wire type %d",
                          head, d.wire_type, off, d.expected_wire_type);
      } else {
        w = std::snprintf(buf, cap, "%sinvalid wire type %u at offset %llu", head,
                          d.wire_type, off);
      }
      break;
    case WIRE_UNEXPECTED_END_GROUP:
      w = std::snprintf(buf, cap,
                        "%send-group tag for field %u at offset %llu closes no open group",
                        head, d.field, off);
      break;
    case WIRE_UNTERMINATED_GROUP:
      w = std::snprintf(buf, cap,
                        "%sgroup started at offset %llu is not closed before the end of the "
                        "enclosing message (ends at %llu)", head, off, lim);
      break;
    case WIRE_TOO_DEEP:
      w = std::snprintf(buf, cap, "%snesting deeper than %u levels at offset %llu", head,
                        kMaxDepth, off);
      break;
    case WIRE_BAD_PACKED_LENGTH:
      w = std::snprintf(buf, cap,
                        "%spacked payload of %llu bytes at offset %llu is not a whole number "
                        "of %llu-byte elements", head, len, off, lim);
      break;
    case WIRE_OUTPUT_SIZE:
      w = std::snprintf(buf, cap, "%soutput buffer has %llu bytes but %llu are needed", head,
                        lim, len);
      break;
    case WIRE_REMOVED_CAPACITY:
      w = std::snprintf(buf, cap,
                        "%sremoved-ranges array holds %llu entries but %llu are needed", head,
                        lim, len);
      break;
    case WIRE_JOIN_ORDER:
      w = std::snprintf(buf, cap,
                        "%stensor ids must be strictly ascending: entry %llu has id %llu after "
                        "id %llu", head, off, len, lim);
      break;
    case WIRE_JOIN_UNKNOWN_TENSOR:
      w = std::snprintf(buf, cap, "%stensor id %llu does not exist: the structure has %llu "
                        "tensors", head, len, lim);
      break;
    case WIRE_JOIN_HAS_CONTENT:
      w = std::snprintf(buf, cap,
                        "%stensor %llu already has tensor_content (field at offset %llu)",
                        head, len, off);
      break;
    case WIRE_OVERLAP:
      w = std::snprintf(buf, cap, "%sthe output buffer overlaps an input", head);
      break;
    case WIRE_NULL_POINTER:
      w = std::snprintf(buf, cap, "%sa buffer pointer is null while its length (%llu) is not 0",
                        head, len);
      break;
    default:
      w = std::snprintf(buf, cap,
                        "%sinternal invariant failed at offset %llu (%llu vs %llu): a tfexport "
                        "bug", head, off, len, lim);
      break;
  }
  return w < 0 ? 0 : static_cast<size_t>(w);
}

Status scan_graphdef(const uint8_t* src, size_t n, TensorInfo* tensors, size_t tensor_cap,
                     int64_t* dims, size_t dims_cap, ScanCounts* counts,
                     WireDiag* diag) noexcept {
  clear(diag);
  if (counts != nullptr) *counts = ScanCounts{0, 0};
  if (src == nullptr && n != 0) return fail_plain(diag, WIRE_NULL_POINTER, 0, n, 0);
  Walker w(src, n, Op::SCAN, Mode::SCAN, diag);
  w.tensors_ = tensors;
  w.tensor_cap_ = tensors == nullptr ? 0 : tensor_cap;
  w.dims_ = dims;
  w.dims_cap_ = dims == nullptr ? 0 : dims_cap;
  Cursor cur;
  Result r;
  const Status st = w.run(cur, r);
  if (counts != nullptr) *counts = ScanCounts{cur.tensor_id, cur.dims};
  return st;
}

Status split_graphdef_plan(const uint8_t* src, size_t n, uint64_t min_bytes, SplitPlan* plan,
                           WireDiag* diag) noexcept {
  clear(diag);
  if (plan != nullptr) *plan = SplitPlan{0, 0, 0};
  if (src == nullptr && n != 0) return fail_plain(diag, WIRE_NULL_POINTER, 0, n, 0);
  Walker w(src, n, Op::SPLIT, Mode::MEASURE, diag);
  w.min_bytes_ = min_bytes;
  Cursor cur;
  Result r;
  const Status st = w.run(cur, r);
  if (st == TFEXPORT_STATUS_OK && plan != nullptr) {
    *plan = SplitPlan{r.size, cur.removed, cur.tensor_id};
  }
  return st;
}

Status split_graphdef_write(const uint8_t* src, size_t n, uint64_t min_bytes, uint8_t* out,
                            size_t out_size, RemovedTensor* removed, size_t removed_cap,
                            WireDiag* diag) noexcept {
  SplitPlan plan;
  Status st = split_graphdef_plan(src, n, min_bytes, &plan, diag);
  if (st != TFEXPORT_STATUS_OK) return st;
  if (plan.structure_size != out_size) {
    return fail_plain(diag, WIRE_OUTPUT_SIZE, 0, plan.structure_size, out_size);
  }
  if (out == nullptr && out_size != 0) return fail_plain(diag, WIRE_NULL_POINTER, 0, out_size, 0);
  if (removed == nullptr) removed_cap = 0;
  if (plan.removed_count > removed_cap) {
    return fail_plain(diag, WIRE_REMOVED_CAPACITY, 0, plan.removed_count, removed_cap);
  }
  if (overlaps(out, out_size, src, n) ||
      overlaps(out, out_size, removed, removed_cap * sizeof(RemovedTensor))) {
    return fail_plain(diag, WIRE_OVERLAP, 0, 0, 0);
  }
  Walker w(src, n, Op::SPLIT, Mode::WRITE, diag);
  w.min_bytes_ = min_bytes;
  w.removed_ = removed;
  w.removed_cap_ = removed_cap;
  w.out_ = out;
  w.out_cap_ = out_size;
  Cursor cur;
  Result r;
  st = w.run(cur, r);
  if (st != TFEXPORT_STATUS_OK) return st;
  if (w.out_pos_ != out_size || r.size != out_size || cur.removed != plan.removed_count) {
    return fail_plain(diag, WIRE_INTERNAL, w.out_pos_, r.size, out_size);
  }
  return TFEXPORT_STATUS_OK;
}

Status join_graphdef_plan(const uint8_t* structure, size_t n, const JoinTensor* tensors,
                          size_t count, JoinPlan* plan, WireDiag* diag) noexcept {
  clear(diag);
  if (plan != nullptr) *plan = JoinPlan{0, 0};
  Status st = check_join_inputs(structure, n, tensors, count, diag);
  if (st != TFEXPORT_STATUS_OK) return st;
  Walker w(structure, n, Op::JOIN, Mode::MEASURE, diag);
  w.join_ = tensors;
  w.join_count_ = count;
  Cursor cur;
  Result r;
  st = w.run(cur, r);
  if (st != TFEXPORT_STATUS_OK) return st;
  if (cur.join_next != count) {
    return fail_plain(diag, WIRE_JOIN_UNKNOWN_TENSOR, cur.join_next,
                      tensors[cur.join_next].tensor_id, cur.tensor_id);
  }
  if (plan != nullptr) *plan = JoinPlan{r.size, cur.tensor_id};
  return TFEXPORT_STATUS_OK;
}

Status join_graphdef_write(const uint8_t* structure, size_t n, const JoinTensor* tensors,
                           size_t count, uint8_t* out, size_t out_size,
                           WireDiag* diag) noexcept {
  JoinPlan plan;
  Status st = join_graphdef_plan(structure, n, tensors, count, &plan, diag);
  if (st != TFEXPORT_STATUS_OK) return st;
  if (plan.output_size != out_size) {
    return fail_plain(diag, WIRE_OUTPUT_SIZE, 0, plan.output_size, out_size);
  }
  if (out == nullptr && out_size != 0) return fail_plain(diag, WIRE_NULL_POINTER, 0, out_size, 0);
  if (overlaps(out, out_size, structure, n)) return fail_plain(diag, WIRE_OVERLAP, 0, 0, 0);
  for (size_t i = 0; i < count; ++i) {
    if (overlaps(out, out_size, tensors[i].data, tensors[i].length)) {
      return fail_plain(diag, WIRE_OVERLAP, i, 0, 0);
    }
  }
  Walker w(structure, n, Op::JOIN, Mode::WRITE, diag);
  w.join_ = tensors;
  w.join_count_ = count;
  w.out_ = out;
  w.out_cap_ = out_size;
  Cursor cur;
  Result r;
  st = w.run(cur, r);
  if (st != TFEXPORT_STATUS_OK) return st;
  if (w.out_pos_ != out_size || r.size != out_size || cur.join_next != count) {
    return fail_plain(diag, WIRE_INTERNAL, w.out_pos_, r.size, out_size);
  }
  return TFEXPORT_STATUS_OK;
}

}  // namespace wire
}  // namespace tfx
