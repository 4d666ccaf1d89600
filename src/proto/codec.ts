// SPDX-License-Identifier: Apache-2.0
/**
 * A bounds-checked protobuf wire-format codec driven by protobufjs reflection.
 *
 * protobufjs supplies the schema (see `schema.ts`); this module decodes and encodes with rules
 * protobufjs' generated codecs do not follow:
 *
 * - 64-bit integers (int64, uint64, sint64, fixed64, sfixed64) decode to exact `bigint`s.
 * - Unknown fields are kept, as raw wire bytes, in `$unknown` of the message that held them and
 *   are written back on encode, merged with the known fields by field number (the order the C++
 *   and upb serializers produce), so decode -> encode reproduces files written by TensorFlow.
 * - Every length, varint and nesting level is checked against the buffer: malformed input throws
 *   a {@link FormatError} (`ERR_TFEXPORT_PROTO_DECODE`) naming the file and the field path, never
 *   a RangeError and never an endless loop.
 * - `bytes` fields are zero-copy views into the input buffer (they keep it alive).
 * - Maps decode to `Map`s in wire order (so encode keeps the writer's order).
 * - Proto3 scalars without presence default to 0 / 0n / false / '' / empty bytes; sub-messages,
 *   oneof members and proto2 optionals are present only when they were on the wire.
 */
import type protobuf from 'protobufjs/light.js';
import { FormatError, ValidationError } from '../errors.js';
import type { ProtoMessage } from './types.generated.js';

type ScalarKind =
  | 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes' | 'enum';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_SGROUP = 3;
const WIRE_EGROUP = 4;
const WIRE_I32 = 5;

/** Default maximum nesting of messages (the C++ parser's default recursion limit). */
export const DEFAULT_MAX_DEPTH = 100;

function wireTypeOf(kind: ScalarKind): number {
  switch (kind) {
    case 'double': case 'fixed64': case 'sfixed64': return WIRE_I64;
    case 'float': case 'fixed32': case 'sfixed32': return WIRE_I32;
    case 'string': case 'bytes': return WIRE_LEN;
    default: return WIRE_VARINT;
  }
}

/** Converts a proto field name to the property name used in decoded objects (snake -> camel). */
export function jsFieldName(protoName: string): string {
  let js = jsNames.get(protoName);
  if (js === undefined) {
    js = protoName.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    jsNames.set(protoName, js);
  }
  return js;
}
/** Memo of {@link jsFieldName} (schema field names: a bounded set). */
const jsNames = new Map<string, string>();

interface FieldPlan {
  id: number;
  protoName: string;
  jsName: string;
  kind: 'scalar' | 'message' | 'map';
  /** scalar kind of a scalar field, or of a map's value when it is not a message */
  scalar: ScalarKind | null;
  /** wire type of one element (scalar) or WIRE_LEN */
  wire: number;
  message: TypePlan | null;
  repeated: boolean;
  packed: boolean;
  /** presence-tracked singular scalar (oneof member or proto2 optional) */
  presence: boolean;
  /** the other members of this field's oneof, as JS names */
  oneofSiblings: string[] | null;
  mapKey: ScalarKind | null;
  /** wire types of a map entry's key and (scalar) value */
  mapKeyWire: number;
  mapValueWire: number;
}

interface TypePlan {
  fullName: string;
  fields: FieldPlan[];
  byId: Map<number, FieldPlan>;
  /** the same, as an array indexed by field number (for the decode loop) */
  byNum: (FieldPlan | undefined)[];
  /** a new message with every field at its default (compiled on first use for a stable object shape) */
  create(): Record<string, unknown>;
}

const EMPTY_BYTES = new Uint8Array(0);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function scalarDefault(kind: ScalarKind): unknown {
  switch (kind) {
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64': return 0n;
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return EMPTY_BYTES;
    default: return 0;
  }
}

// Reflection objects are recognised by shape, not `instanceof`: the schema may come from
// another copy of protobufjs (schema.ts loads its single-file build; callers may pass types
// built with their own import).
function isEnum(r: protobuf.ReflectionObject | null): r is protobuf.Enum {
  return r !== null && typeof (r as protobuf.Enum).values === 'object' && (r as protobuf.Enum).valuesById !== undefined;
}
function isType(r: protobuf.ReflectionObject | null): r is protobuf.Type {
  return r !== null && Array.isArray((r as protobuf.Type).fieldsArray);
}
function mapKeyTypeOf(f: protobuf.Field): string | null {
  const k = (f as unknown as { keyType?: unknown }).keyType;
  return typeof k === 'string' ? k : null;
}

function scalarKindOf(type: string, resolved: protobuf.ReflectionObject | null): ScalarKind {
  if (isEnum(resolved)) return 'enum';
  switch (type) {
    case 'double': case 'float': case 'int32': case 'uint32': case 'sint32': case 'fixed32':
    case 'sfixed32': case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
    case 'bool': case 'string': case 'bytes':
      return type;
    default:
      throw new Error(`unsupported protobuf scalar type ${type}`);
  }
}

const plans = new WeakMap<protobuf.Type, TypePlan>();

function planFor(type: protobuf.Type): TypePlan {
  const cached = plans.get(type);
  if (cached) return cached;
  const plan: TypePlan = {
    fullName: type.fullName.replace(/^\./, ''),
    fields: [],
    byId: new Map(),
    byNum: [],
    create() {
      // Compile a factory returning an object literal, so that every message of a type shares
      // one hidden class (much faster to build and read than properties added in a loop).
      const factory = compileFactory(plan);
      plan.create = factory;
      return factory();
    },
  };
  plans.set(type, plan); // before recursing: message types are recursive
  for (const f of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    f.resolve();
    const keyType = mapKeyTypeOf(f);
    const isMap = keyType !== null;
    const isMessage = isType(f.resolvedType);
    const fp: FieldPlan = {
      id: f.id,
      protoName: f.name,
      jsName: jsFieldName(f.name),
      kind: isMap ? 'map' : isMessage ? 'message' : 'scalar',
      scalar: isMessage ? null : scalarKindOf(f.type, f.resolvedType),
      wire: WIRE_LEN,
      message: null,
      repeated: f.repeated && !isMap,
      packed: false,
      presence: false,
      oneofSiblings: null,
      mapKey: keyType !== null ? scalarKindOf(keyType, null) : null,
      mapKeyWire: -1,
      mapValueWire: -1,
    };
    if (fp.mapKey) fp.mapKeyWire = wireTypeOf(fp.mapKey);
    if (isMap) fp.mapValueWire = fp.scalar ? wireTypeOf(fp.scalar) : WIRE_LEN;
    if (fp.scalar && !isMap) fp.wire = wireTypeOf(fp.scalar);
    fp.packed = fp.repeated && fp.kind === 'scalar' && fp.wire !== WIRE_LEN && f.packed;
    fp.presence = fp.kind === 'scalar' && !fp.repeated && (f.partOf != null || f.hasPresence);
    if (f.partOf) fp.oneofSiblings = f.partOf.oneof.filter((n) => n !== f.name).map(jsFieldName);
    plan.fields.push(fp);
    plan.byId.set(fp.id, fp);
    if (fp.id < 4096) plan.byNum[fp.id] = fp;
  }
  // Resolve message plans after registering this one (handles recursion).
  for (const f of type.fieldsArray) {
    if (isType(f.resolvedType)) {
      const fp = plan.byId.get(f.id)!;
      fp.message = planFor(f.resolvedType);
    }
  }
  return plan;
}

function compileFactory(plan: TypePlan): () => Record<string, unknown> {
  const props: string[] = [];
  for (const f of plan.fields) {
    const key = JSON.stringify(f.jsName);
    if (f.kind === 'map') props.push(`${key}: new Map()`);
    else if (f.repeated) props.push(`${key}: []`);
    else if (f.kind === 'scalar' && !f.presence) {
      const d = scalarDefault(f.scalar!);
      props.push(`${key}: ${typeof d === 'bigint' ? '0n' : d instanceof Uint8Array ? 'EMPTY' : JSON.stringify(d)}`);
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema only
  return new Function('EMPTY', `return function create() { return { ${props.join(', ')} }; };`)(EMPTY_BYTES) as () => Record<string, unknown>;
}

function defaultMessage(plan: TypePlan): Record<string, unknown> {
  return plan.create();
}

/** Clears the other members of a oneof (only those present, to keep the object shape). */
function clearSiblings(target: Record<string, unknown>, siblings: string[]): void {
  for (const s of siblings) if (target[s] !== undefined) delete target[s];
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

class Decoder {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  lo = 0;
  hi = 0;
  readonly file: string;
  readonly rootName: string;
  readonly maxDepth: number;
  /** the field path being decoded, for error messages: names, and list / map-entry indexes */
  readonly pathFields: string[] = [];
  readonly pathIndex: number[] = [];
  /** scratch stack of field numbers in wire order (one run per message being decoded) */
  private readonly orderStack: number[] = [];
  /**
   * Whether the message being decoded may hold a oneof member already (it was not created
   * empty for this decode, or a member was decoded into it): only then are siblings cleared.
   */
  private oneofSet = true;
  /** `buf` as a Node Buffer (same memory), for native Latin-1 string decoding */
  private readonly node: Buffer;
  /**
   * message types, and message fields (for their elements), whose repeated and map fields are
   * decoded on first access
   */
  readonly lazy: ReadonlySet<TypePlan | FieldPlan> | null;

  constructor(buf: Uint8Array, file: string, rootName: string, maxDepth: number, lazy: ReadonlySet<TypePlan | FieldPlan> | null = null) {
    this.buf = buf;
    this.node = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.file = file;
    this.rootName = rootName;
    this.maxDepth = maxDepth;
    this.lazy = lazy;
  }

  /**
   * Builds the error; `index` >= 0 is a list index, <= -2 a map entry index (-(i + 2)).
   * Path strings are only built here, never on the hot path.
   */
  fail(what: string, fieldName?: string, index = -1): FormatError {
    const seg = (name: string, i: number): string => (i >= 0 ? `${name}[${i}]` : i <= -2 ? `${name}[entry ${-i - 2}]` : name);
    const segments = this.pathFields.map((n, i) => seg(n, this.pathIndex[i]!));
    if (fieldName !== undefined) segments.push(seg(fieldName, index));
    const field = segments.length ? segments.join('.') : '(top level)';
    return new FormatError(
      'ERR_TFEXPORT_PROTO_DECODE',
      `${this.file}: invalid ${this.rootName} at field ${field}: ${what} (byte offset ${this.pos})`,
      { file: this.file, field, offset: this.pos },
    );
  }

  /** Reads a varint into lo/hi (unsigned 32-bit halves). */
  varint(end: number, fieldName?: string, index = -1): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) throw this.fail('truncated varint', fieldName, index);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      this.pos = pos;
      return;
    }
    let lo = b & 0x7f;
    let hi = 0;
    let shift = 7;
    for (let i = 1; i < 10; i++) {
      if (pos >= end) {
        this.pos = pos;
        throw this.fail('truncated varint', fieldName, index);
      }
      b = buf[pos++]!;
      if (shift < 28) {
        lo |= (b & 0x7f) << shift;
      } else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else {
        hi |= (b & 0x7f) << (shift - 32);
      }
      shift += 7;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.pos = pos;
        return;
      }
    }
    this.pos = pos;
    throw this.fail('varint longer than 10 bytes', fieldName, index);
  }

  /** Reads a length prefix and checks it against the bytes left before `end`. */
  length(end: number, fieldName: string, index = -1): number {
    this.varint(end, fieldName, index);
    const left = end - this.pos;
    if (this.hi !== 0 || this.lo > left) {
      const declared = this.hi !== 0 ? (BigInt(this.hi) << 32n) | BigInt(this.lo) : BigInt(this.lo);
      throw this.fail(`declared length ${declared} exceeds the ${left} bytes left`, fieldName, index);
    }
    return this.lo;
  }

  need(n: number, end: number, fieldName: string): void {
    if (end - this.pos < n) throw this.fail(`truncated: needs ${n} bytes, ${end - this.pos} left`, fieldName);
  }

  scalar(kind: ScalarKind, end: number, fieldName: string): unknown {
    switch (kind) {
      // (the commonest kinds first: the switch compares in order until JIT-compiled)
      case 'string': {
        const n = this.length(end, fieldName);
        const start = this.pos;
        this.pos += n;
        return this.utf8(start, start + n, fieldName);
      }
      case 'bytes': {
        const n = this.length(end, fieldName);
        const start = this.pos;
        this.pos += n;
        return n === 0 ? EMPTY_BYTES : this.buf.subarray(start, start + n);
      }
      case 'int32': case 'enum':
        this.varint(end, fieldName);
        return this.lo | 0;
      case 'uint32':
        this.varint(end, fieldName);
        return this.lo >>> 0;
      case 'sint32':
        this.varint(end, fieldName);
        return ((this.lo >>> 1) ^ -(this.lo & 1)) | 0;
      case 'bool':
        this.varint(end, fieldName);
        return (this.lo | this.hi) !== 0;
      case 'int64':
        this.varint(end, fieldName);
        if (this.hi === 0) return BigInt(this.lo);
        return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
      case 'uint64':
        this.varint(end, fieldName);
        if (this.hi === 0) return BigInt(this.lo);
        return (BigInt(this.hi) << 32n) | BigInt(this.lo);
      case 'sint64': {
        this.varint(end, fieldName);
        const n = (BigInt(this.hi) << 32n) | BigInt(this.lo);
        return (n >> 1n) ^ -(n & 1n);
      }
      case 'fixed32': {
        this.need(4, end, fieldName);
        const v = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case 'sfixed32': {
        this.need(4, end, fieldName);
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case 'float': {
        this.need(4, end, fieldName);
        const v = this.view.getFloat32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case 'fixed64': {
        this.need(8, end, fieldName);
        const v = this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case 'sfixed64': {
        this.need(8, end, fieldName);
        const v = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case 'double': {
        this.need(8, end, fieldName);
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
    }
  }

  utf8(start: number, stop: number, fieldName: string): string {
    const buf = this.buf;
    let ascii = true;
    for (let i = start; i < stop; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    // ASCII (node names, ops, attr keys: nearly every string) is its own Latin-1 decoding,
    // made by one native call instead of a string built per character.
    if (ascii) return this.latin1(start, stop);
    try {
      return utf8Decoder.decode(buf.subarray(start, stop));
    } catch {
      this.pos = start;
      throw this.fail('string is not valid UTF-8', fieldName);
    }
  }

  private latin1(start: number, stop: number): string {
    const b = this.node as Buffer & { latin1Slice?: (start: number, end: number) => string };
    return b.latin1Slice ? b.latin1Slice(start, stop) : b.toString('latin1', start, stop);
  }

  /** Skips one field's payload (after its tag) and returns nothing; groups are skipped whole. */
  skip(wire: number, fieldNumber: number, end: number, depth: number, fieldName: string): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint(end, fieldName);
        return;
      case WIRE_I64:
        this.need(8, end, fieldName);
        this.pos += 8;
        return;
      case WIRE_I32:
        this.need(4, end, fieldName);
        this.pos += 4;
        return;
      case WIRE_LEN: {
        const n = this.length(end, fieldName);
        this.pos += n;
        return;
      }
      case WIRE_SGROUP: {
        if (depth >= this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`, fieldName);
        for (;;) {
          this.varint(end, fieldName);
          if (this.hi !== 0) throw this.fail('field tag out of range', fieldName);
          const tag = this.lo;
          const w = tag & 7;
          const num = tag >>> 3;
          if (w === WIRE_EGROUP) {
            if (num !== fieldNumber) throw this.fail(`group ${fieldNumber} closed by end-group ${num}`, fieldName);
            return;
          }
          if (num === 0) throw this.fail('field number 0', fieldName);
          this.skip(w, num, end, depth + 1, fieldName);
        }
      }
      default:
        throw this.fail(`invalid wire type ${wire}`, fieldName);
    }
  }

  /** Decodes fields in [pos, end) into `target` (protobuf merge semantics). */
  message(plan: TypePlan, target: Record<string, unknown>, end: number, depth: number, fresh = false, lazyField = false): void {
    if (depth > this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`);
    const outerOneofSet = this.oneofSet;
    this.oneofSet = !fresh;
    if (this.lazy !== null && depth > 0 && (lazyField || this.lazy.has(plan))) {
      this.lazyMessage(plan, target, end, depth);
      this.oneofSet = outerOneofSet;
      return;
    }
    const orderBase = this.orderStack.length;
    let lastNum = 0;
    let ascending = true;
    while (this.pos < end) {
      const tagStart = this.pos;
      this.varint(end);
      if (this.hi !== 0) throw this.fail('field tag out of range');
      const tag = this.lo;
      const wire = tag & 7;
      const num = tag >>> 3;
      if (num === 0) throw this.fail('field number 0');
      if (num !== lastNum) {
        if (num < lastNum) ascending = false;
        this.orderStack.push(num);
        lastNum = num;
      }
      const field = num < 4096 ? plan.byNum[num] : plan.byId.get(num);
      if (field) {
        if (this.field(field, wire, target, end, depth)) continue;
      }
      if (wire === WIRE_EGROUP) throw this.fail(`unexpected end-group tag for field ${num}`);
      this.skip(wire, num, end, depth, field ? field.protoName : `#${num}`);
      const raw = this.buf.subarray(tagStart, this.pos);
      const unknown = target.$unknown as Uint8Array[] | undefined;
      if (unknown) unknown.push(raw);
      else target.$unknown = [raw];
    }
    if (this.pos !== end) throw this.fail('field overruns its enclosing message');
    if (!ascending) target.$order = this.orderStack.slice(orderBase);
    this.orderStack.length = orderBase;
    this.oneofSet = outerOneofSet;
  }

  /** Clears the other members of `f`'s oneof when one may be set (see {@link oneofSet}). */
  private oneof(f: FieldPlan, target: Record<string, unknown>): void {
    if (this.oneofSet) clearSiblings(target, f.oneofSiblings!);
    else this.oneofSet = true;
  }

  /**
   * A message of a lazy type: its singular fields and unknown fields are decoded now (with
   * the wire order); its repeated message, string and bytes fields and its maps are skipped
   * (their lengths checked) and become accessors that decode all of them on first access, or
   * assignment, and then turn into plain data properties. A malformed deferred field throws
   * then, naming the same path.
   */
  private lazyMessage(plan: TypePlan, target: Record<string, unknown>, end: number, depth: number): void {
    const start = this.pos;
    const orderBase = this.orderStack.length;
    let lastNum = 0;
    let ascending = true;
    let deferred: FieldPlan[] | null = null;
    while (this.pos < end) {
      const tagStart = this.pos;
      this.varint(end);
      if (this.hi !== 0) throw this.fail('field tag out of range');
      const tag = this.lo;
      const wire = tag & 7;
      const num = tag >>> 3;
      if (num === 0) throw this.fail('field number 0');
      if (num !== lastNum) {
        if (num < lastNum) ascending = false;
        this.orderStack.push(num);
        lastNum = num;
      }
      const field = num < 4096 ? plan.byNum[num] : plan.byId.get(num);
      if (field && wire === WIRE_LEN && (field.kind === 'map' || (field.repeated && (field.kind === 'message' || field.scalar === 'string' || field.scalar === 'bytes')))) {
        this.skip(wire, num, end, depth, field.protoName);
        if (!deferred) deferred = [field];
        else if (!deferred.includes(field)) deferred.push(field);
        continue;
      }
      if (field) {
        if (this.field(field, wire, target, end, depth)) continue;
      }
      if (wire === WIRE_EGROUP) throw this.fail(`unexpected end-group tag for field ${num}`);
      this.skip(wire, num, end, depth, field ? field.protoName : `#${num}`);
      const raw = this.buf.subarray(tagStart, this.pos);
      const unknown = target.$unknown as Uint8Array[] | undefined;
      if (unknown) unknown.push(raw);
      else target.$unknown = [raw];
    }
    if (this.pos !== end) throw this.fail('field overruns its enclosing message');
    if (!ascending) target.$order = this.orderStack.slice(orderBase);
    this.orderStack.length = orderBase;
    if (deferred) this.defer(plan, target, deferred, start, end, depth);
  }

  private defer(plan: TypePlan, target: Record<string, unknown>, fields: FieldPlan[], start: number, end: number, depth: number): void {
    const pathFields = this.pathFields.slice();
    const pathIndex = this.pathIndex.slice();
    const { buf, file, rootName, maxDepth, lazy } = this;
    let done = false;
    // A decode error leaves the accessors in place: every later read throws it again.
    const force = (): void => {
      if (done) return;
      const values = new Map<FieldPlan, unknown>();
      for (const f of fields) values.set(f, f.kind === 'map' ? new Map() : []);
      const scratch: Record<string, unknown> = {};
      for (const [f, v] of values) scratch[f.jsName] = v;
      const dec = new Decoder(buf, file, rootName, maxDepth, lazy);
      dec.pathFields.push(...pathFields);
      dec.pathIndex.push(...pathIndex);
      dec.pos = start;
      while (dec.pos < end) {
        dec.varint(end);
        const wire = dec.lo & 7;
        const num = dec.lo >>> 3;
        const f = num < 4096 ? plan.byNum[num] : plan.byId.get(num);
        if (f && wire === WIRE_LEN && values.has(f)) dec.field(f, wire, scratch, end, depth);
        else dec.skip(wire, num, end, depth, f ? f.protoName : `#${num}`);
      }
      done = true;
      for (const f of fields) {
        Object.defineProperty(target, f.jsName, { value: scratch[f.jsName], writable: true, enumerable: true, configurable: true });
      }
    };
    for (const f of fields) {
      Object.defineProperty(target, f.jsName, {
        get() {
          force();
          return target[f.jsName];
        },
        set(v: unknown) {
          force();
          target[f.jsName] = v;
        },
        enumerable: true,
        configurable: true,
      });
    }
  }

  /** Decodes one known field; returns false when its wire type does not fit (kept as unknown). */
  field(f: FieldPlan, wire: number, target: Record<string, unknown>, end: number, depth: number): boolean {
    if (f.kind === 'message') {
      if (wire !== WIRE_LEN) return false;
      const list = f.repeated ? (target[f.jsName] as unknown[]) : null;
      const index = list ? list.length : -1;
      const n = this.length(end, f.protoName, index);
      const stop = this.pos + n;
      const sub = f.message!;
      let obj: Record<string, unknown>;
      let fresh = true;
      if (list) {
        obj = sub.create();
        list.push(obj);
      } else {
        const existing = target[f.jsName] as Record<string, unknown> | undefined;
        fresh = existing === undefined;
        obj = existing ?? sub.create();
        if (f.oneofSiblings) this.oneof(f, target);
        target[f.jsName] = obj;
      }
      this.pathFields.push(f.protoName);
      this.pathIndex.push(index);
      this.message(sub, obj, stop, depth + 1, fresh, this.lazy !== null && this.lazy.has(f));
      this.pathFields.pop();
      this.pathIndex.pop();
      return true;
    }
    if (f.kind === 'map') {
      if (wire !== WIRE_LEN) return false;
      const map = target[f.jsName] as Map<unknown, unknown>;
      const index = -(map.size + 2);
      const n = this.length(end, f.protoName, index);
      this.pathFields.push(f.protoName);
      this.pathIndex.push(index);
      const stop = this.pos + n;
      this.mapEntry(f, map, stop, depth + 1);
      this.pathFields.pop();
      this.pathIndex.pop();
      return true;
    }
    const kind = f.scalar!;
    if (f.repeated) {
      const list = target[f.jsName] as unknown[];
      if (wire === WIRE_LEN && f.wire !== WIRE_LEN) {
        // packed run
        const n = this.length(end, f.protoName);
        const stop = this.pos + n;
        const width = f.wire === WIRE_I32 ? 4 : f.wire === WIRE_I64 ? 8 : 0;
        if (width && n % width !== 0) throw this.fail(`packed length ${n} is not a multiple of ${width}`, f.protoName);
        while (this.pos < stop) list.push(this.scalar(kind, stop, f.protoName));
        return true;
      }
      if (wire !== f.wire) return false;
      list.push(this.scalar(kind, end, f.protoName));
      return true;
    }
    if (wire !== f.wire) return false;
    const value = this.scalar(kind, end, f.protoName);
    if (f.oneofSiblings) this.oneof(f, target);
    target[f.jsName] = value;
    return true;
  }

  mapEntry(f: FieldPlan, map: Map<unknown, unknown>, end: number, depth: number): void {
    if (depth > this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`);
    const keyKind = f.mapKey!;
    let key: unknown = scalarDefault(keyKind);
    let value: unknown;
    let valueSeen = false;
    while (this.pos < end) {
      this.varint(end, 'key');
      if (this.hi !== 0) throw this.fail('field tag out of range');
      const tag = this.lo;
      const wire = tag & 7;
      const num = tag >>> 3;
      if (num === 0) throw this.fail('field number 0');
      if (num === 1 && wire === f.mapKeyWire) {
        key = this.scalar(keyKind, end, 'key');
      } else if (num === 2 && f.message && wire === WIRE_LEN) {
        const n = this.length(end, 'value');
        const stop = this.pos + n;
        const obj = valueSeen ? (value as Record<string, unknown>) : f.message.create();
        this.message(f.message, obj, stop, depth + 1, !valueSeen);
        value = obj;
        valueSeen = true;
      } else if (num === 2 && f.scalar && wire === f.mapValueWire) {
        value = this.scalar(f.scalar, end, 'value');
        valueSeen = true;
      } else {
        if (wire === WIRE_EGROUP) throw this.fail('unexpected end-group tag');
        this.skip(wire, num, end, depth, `#${num}`);
      }
    }
    if (this.pos !== end) throw this.fail('map entry overruns its field');
    if (!valueSeen) value = f.message ? f.message.create() : scalarDefault(f.scalar!);
    map.set(key, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function varintSize32(v: number): number {
  // v is treated as uint32
  v >>>= 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function varintSize64(v: bigint): number {
  let n = BigInt.asUintN(64, v);
  let size = 1;
  while (n >= 0x80n) {
    n >>= 7n;
    size++;
  }
  return size;
}

function toBigInt(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `Expected a bigint or an integer number for ${path} but received ${String(v)}`, { field: path });
}

function toNumber(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `Expected a number for ${path} but received ${String(v)}`, { field: path });
}

function isDefaultScalar(kind: ScalarKind, v: unknown): boolean {
  switch (kind) {
    case 'double': case 'float':
      return v === 0 && !Object.is(v, -0);
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return v === 0n || v === 0;
    case 'bool':
      return v === false;
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array).length === 0;
    default:
      return v === 0;
  }
}

function zigzag64(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function scalarPayloadSize(kind: ScalarKind, v: unknown, path: string): number {
  switch (kind) {
    case 'double': case 'fixed64': case 'sfixed64': return 8;
    case 'float': case 'fixed32': case 'sfixed32': return 4;
    case 'bool': return 1;
    case 'int32': case 'enum': {
      const n = toNumber(v, path) | 0;
      return n < 0 ? 10 : varintSize32(n);
    }
    case 'uint32': return varintSize32(toNumber(v, path));
    case 'sint32': {
      const n = toNumber(v, path) | 0;
      return varintSize32(((n << 1) ^ (n >> 31)) >>> 0);
    }
    case 'int64': case 'uint64': return varintSize64(toBigInt(v, path));
    case 'sint64': return varintSize64(zigzag64(toBigInt(v, path)));
    case 'string': {
      const n = Buffer.byteLength(v as string, 'utf8');
      return varintSize32(n) + n;
    }
    case 'bytes': {
      const n = (v as Uint8Array).length;
      return varintSize32(n) + n;
    }
  }
}

function unknownFieldNumber(raw: Uint8Array): number {
  let v = 0;
  let shift = 0;
  for (let i = 0; i < raw.length && i < 5; i++) {
    const b = raw[i]!;
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return Math.floor(v / 8);
}

class Encoder {
  readonly sizes = new Map<object, number>();
  buf: Uint8Array = EMPTY_BYTES;
  view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;

  // --- measuring ------------------------------------------------------------------------------

  measure(plan: TypePlan, msg: Record<string, unknown>, path: string): number {
    let size = 0;
    for (const f of plan.fields) {
      const v = msg[f.jsName];
      if (v === undefined || v === null) continue;
      const tagSize = varintSize32(f.id * 8);
      const fpath = `${path}.${f.protoName}`;
      if (f.kind === 'map') {
        for (const [k, val] of v as Map<unknown, unknown>) {
          const entry = this.mapEntrySize(f, k, val, fpath);
          size += tagSize + varintSize32(entry) + entry;
        }
      } else if (f.kind === 'message') {
        if (f.repeated) {
          for (const item of v as Record<string, unknown>[]) {
            const n = this.measure(f.message!, item, fpath);
            this.sizes.set(item, n);
            size += tagSize + varintSize32(n) + n;
          }
        } else {
          const n = this.measure(f.message!, v as Record<string, unknown>, fpath);
          this.sizes.set(v as object, n);
          size += tagSize + varintSize32(n) + n;
        }
      } else if (f.repeated) {
        const list = v as unknown[];
        if (list.length === 0) continue;
        if (f.packed) {
          let payload = 0;
          for (const item of list) payload += scalarPayloadSize(f.scalar!, item, fpath);
          size += tagSize + varintSize32(payload) + payload;
        } else {
          for (const item of list) size += tagSize + scalarPayloadSize(f.scalar!, item, fpath);
        }
      } else {
        if (!f.presence && isDefaultScalar(f.scalar!, v)) continue;
        size += tagSize + scalarPayloadSize(f.scalar!, v, fpath);
      }
    }
    const unknown = msg.$unknown as Uint8Array[] | undefined;
    if (unknown) for (const raw of unknown) size += raw.length;
    return size;
  }

  mapEntrySize(f: FieldPlan, k: unknown, v: unknown, path: string): number {
    let n = 1 + scalarPayloadSize(f.mapKey!, k, path);
    if (f.message) {
      const inner = this.measure(f.message, v as Record<string, unknown>, path);
      this.sizes.set(v as object, inner);
      n += 1 + varintSize32(inner) + inner;
    } else {
      n += 1 + scalarPayloadSize(f.scalar!, v, path);
    }
    return n;
  }

  // --- writing --------------------------------------------------------------------------------

  writeVarint32(v: number): void {
    v >>>= 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  writeVarint64(v: bigint): void {
    let n = BigInt.asUintN(64, v);
    if (n < 0x80000000n) {
      this.writeVarint32(Number(n));
      return;
    }
    while (n >= 0x80n) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  writeTag(id: number, wire: number): void {
    this.writeVarint32(((id << 3) | wire) >>> 0);
  }

  writeScalar(kind: ScalarKind, v: unknown, path: string): void {
    switch (kind) {
      case 'int32': case 'enum': {
        const n = toNumber(v, path) | 0;
        if (n < 0) this.writeVarint64(BigInt(n));
        else this.writeVarint32(n);
        return;
      }
      case 'uint32': this.writeVarint32(toNumber(v, path)); return;
      case 'sint32': {
        const n = toNumber(v, path) | 0;
        this.writeVarint32(((n << 1) ^ (n >> 31)) >>> 0);
        return;
      }
      case 'bool': this.buf[this.pos++] = v ? 1 : 0; return;
      case 'int64': case 'uint64': this.writeVarint64(toBigInt(v, path)); return;
      case 'sint64': this.writeVarint64(zigzag64(toBigInt(v, path))); return;
      case 'fixed32': this.view.setUint32(this.pos, toNumber(v, path), true); this.pos += 4; return;
      case 'sfixed32': this.view.setInt32(this.pos, toNumber(v, path), true); this.pos += 4; return;
      case 'float': this.view.setFloat32(this.pos, toNumber(v, path), true); this.pos += 4; return;
      case 'fixed64': this.view.setBigUint64(this.pos, BigInt.asUintN(64, toBigInt(v, path)), true); this.pos += 8; return;
      case 'sfixed64': this.view.setBigInt64(this.pos, BigInt.asIntN(64, toBigInt(v, path)), true); this.pos += 8; return;
      case 'double': this.view.setFloat64(this.pos, toNumber(v, path), true); this.pos += 8; return;
      case 'string': {
        const s = v as string;
        const n = Buffer.byteLength(s, 'utf8');
        this.writeVarint32(n);
        const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + n));
        if (written !== n) throw new Error(`internal: UTF-8 length mismatch at ${path}`);
        this.pos += n;
        return;
      }
      case 'bytes': {
        const b = v as Uint8Array;
        this.writeVarint32(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
        return;
      }
    }
  }

  writeMessage(plan: TypePlan, msg: Record<string, unknown>, path: string): void {
    const unknown = msg.$unknown as Uint8Array[] | undefined;
    let unknownOrder: { num: number; raw: Uint8Array }[] = [];
    if (unknown && unknown.length) {
      unknownOrder = unknown.map((raw) => ({ num: unknownFieldNumber(raw), raw }));
      // stable sort by field number keeps the original relative order of equal numbers
      unknownOrder.sort((a, b) => a.num - b.num);
    }
    const order = msg.$order as number[] | undefined;
    if (order && order.length) {
      // The writer listed fields out of number order: follow its order, then the rest.
      const done = new Set<number>();
      const emit = (num: number): void => {
        if (done.has(num)) return;
        done.add(num);
        const f = num < 4096 ? plan.byNum[num] : plan.byId.get(num);
        if (f) this.writeField(f, msg[f.jsName], `${path}.${f.protoName}`);
        for (const u of unknownOrder) {
          if (u.num === num) {
            this.buf.set(u.raw, this.pos);
            this.pos += u.raw.length;
          }
        }
      };
      for (const num of order) emit(num);
      for (const f of plan.fields) emit(f.id);
      for (const u of unknownOrder) emit(u.num);
      return;
    }
    let u = 0;
    for (const f of plan.fields) {
      while (u < unknownOrder.length && unknownOrder[u]!.num < f.id) {
        this.buf.set(unknownOrder[u]!.raw, this.pos);
        this.pos += unknownOrder[u]!.raw.length;
        u++;
      }
      this.writeField(f, msg[f.jsName], `${path}.${f.protoName}`);
    }
    for (; u < unknownOrder.length; u++) {
      this.buf.set(unknownOrder[u]!.raw, this.pos);
      this.pos += unknownOrder[u]!.raw.length;
    }
  }

  writeField(f: FieldPlan, v: unknown, fpath: string): void {
    if (v === undefined || v === null) return;
    if (f.kind === 'map') {
      for (const [k, val] of v as Map<unknown, unknown>) {
        this.writeTag(f.id, WIRE_LEN);
        this.writeVarint32(this.mapEntrySizeCached(f, k, val, fpath));
        this.writeTag(1, f.mapKeyWire);
        this.writeScalar(f.mapKey!, k, fpath);
        if (f.message) {
          this.writeTag(2, WIRE_LEN);
          this.writeVarint32(this.sizes.get(val as object)!);
          this.writeMessage(f.message, val as Record<string, unknown>, fpath);
        } else {
          this.writeTag(2, f.mapValueWire);
          this.writeScalar(f.scalar!, val, fpath);
        }
      }
    } else if (f.kind === 'message') {
      const items = f.repeated ? (v as Record<string, unknown>[]) : [v as Record<string, unknown>];
      for (const item of items) {
        this.writeTag(f.id, WIRE_LEN);
        this.writeVarint32(this.sizes.get(item)!);
        this.writeMessage(f.message!, item, fpath);
      }
    } else if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) return;
      if (f.packed) {
        let payload = 0;
        for (const item of list) payload += scalarPayloadSize(f.scalar!, item, fpath);
        this.writeTag(f.id, WIRE_LEN);
        this.writeVarint32(payload);
        for (const item of list) this.writeScalar(f.scalar!, item, fpath);
      } else {
        for (const item of list) {
          this.writeTag(f.id, f.wire);
          this.writeScalar(f.scalar!, item, fpath);
        }
      }
    } else {
      if (!f.presence && isDefaultScalar(f.scalar!, v)) return;
      this.writeTag(f.id, f.wire);
      this.writeScalar(f.scalar!, v, fpath);
    }
  }

  mapEntrySizeCached(f: FieldPlan, k: unknown, v: unknown, path: string): number {
    let n = 1 + scalarPayloadSize(f.mapKey!, k, path);
    if (f.message) {
      const inner = this.sizes.get(v as object)!;
      n += 1 + varintSize32(inner) + inner;
    } else {
      n += 1 + scalarPayloadSize(f.scalar!, v, path);
    }
    return n;
  }
}

/** Options of {@link MessageCodec.decode}. */
export interface DecodeOptions {
  /** The file the bytes came from, named in error messages (default `<buffer>`). */
  file?: string;
  /** Maximum message nesting (default {@link DEFAULT_MAX_DEPTH}). */
  maxDepth?: number;
  /**
   * Full names of message types (e.g. `tensorflow.FunctionDef`) whose repeated message,
   * string and bytes fields and maps are decoded only when first read (or assigned); their
   * other fields are decoded now. Applies to nested messages, not to the root. Malformed
   * deferred bytes throw when read.
   * Encoding such a message reads, and so decodes, every field: round trips are unchanged.
   * A message field's full name (`tensorflow.GraphDef.node`, proto field name) makes only the
   * messages of that field lazy (not the same type elsewhere, e.g. in FunctionDef bodies).
   */
  lazy?: readonly string[];
}

/** The plans (and message field plans) reachable from `root` whose full names are in `names`. */
function lazyPlans(root: TypePlan, names: readonly string[]): Set<TypePlan | FieldPlan> | null {
  const want = new Set(names);
  const out = new Set<TypePlan | FieldPlan>();
  const seen = new Set<TypePlan>([root]);
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    if (want.has(p.fullName)) out.add(p);
    for (const f of p.fields) {
      if (f.message && want.has(`${p.fullName}.${f.protoName}`)) out.add(f);
      if (f.message && !seen.has(f.message)) {
        seen.add(f.message);
        stack.push(f.message);
      }
    }
  }
  return out.size ? out : null;
}

/** Decoder / encoder of one message type. Obtain one with `messageCodec(name)` from `schema.ts`. */
export class MessageCodec<T extends ProtoMessage> {
  /** Full proto name, e.g. `tensorflow.SavedModel`. */
  readonly fullName: string;
  private readonly plan: TypePlan;

  /** @param type the protobufjs reflection type to build the codec from */
  constructor(type: protobuf.Type) {
    this.plan = planFor(type);
    this.fullName = this.plan.fullName;
  }

  /**
   * Decodes one serialized message.
   * @param bytes the serialized message (bytes fields of the result are views into it)
   * @param options file name for error messages, nesting limit
   * @throws FormatError `ERR_TFEXPORT_PROTO_DECODE` naming the file and field path on malformed input
   */
  decode(bytes: Uint8Array, options: DecodeOptions = {}): T {
    const lazy = options.lazy?.length ? lazyPlans(this.plan, options.lazy) : null;
    const dec = new Decoder(bytes, options.file ?? '<buffer>', this.fullName, options.maxDepth ?? DEFAULT_MAX_DEPTH, lazy);
    const obj = defaultMessage(this.plan);
    dec.message(this.plan, obj, bytes.length, 0, true);
    return obj as T;
  }

  /**
   * Serializes a message (decoded or built with {@link create}); unknown fields in `$unknown`
   * are written back in field-number order.
   * @param message the message to encode
   * @throws ValidationError when a field holds a value of the wrong JS type
   */
  encode(message: T): Uint8Array {
    const enc = new Encoder();
    const root = message as unknown as Record<string, unknown>;
    const size = enc.measure(this.plan, root, this.fullName);
    enc.buf = new Uint8Array(size);
    enc.view = new DataView(enc.buf.buffer);
    enc.writeMessage(this.plan, root, this.fullName);
    if (enc.pos !== size) throw new Error(`internal: encoded ${enc.pos} bytes of ${this.fullName}, measured ${size}`);
    return enc.buf;
  }

  /**
   * A new message with every field at its default, then `init`'s properties assigned on top.
   * @param init fields to set
   */
  create(init: Partial<T> = {}): T {
    return Object.assign(defaultMessage(this.plan), init) as T;
  }
}
