// SPDX-License-Identifier: Apache-2.0
/**
 * The proto3 JSON mapping of decoded protobuf messages, as Python's
 * `google.protobuf.json_format.MessageToDict` writes it (formats.md b1.1): lowerCamelCase
 * field names, fields in field-number order, int64 values as decimal strings, bytes as base64,
 * enums by name, float fields as their shortest float32 repr, default scalars, empty
 * repeated fields and empty maps omitted (oneof members are kept even at their default).
 * Used for a graph model's `modelTopology` (GraphDef) and `signature` (SignatureDef); the
 * inverse ({@link protoFromJson}) reads a `modelTopology` back.
 */
import type protobuf from 'protobufjs/light.js';
import { jsFieldName, messageCodec } from '../../proto/index.js';
import { reflectType } from '../../proto/reflect.js';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** The shortest decimal string that reads back as the same float32 (Python's ToShortestFloat). */
export function shortestFloat32(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return f;
}

function doubleJson(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

function isEnumType(r: protobuf.ReflectionObject | null | undefined): r is protobuf.Enum {
  return r != null && 'values' in r;
}

/** How one field's value(s) become JSON, chosen once per field. */
function scalarConverter(field: protobuf.Field): (v: unknown) => JsonValue {
  const t = field.type;
  const resolved = field.resolvedType;
  if (isEnumType(resolved)) return (v) => resolved.valuesById[v as number] ?? (v as number);
  if (INT64.has(t)) return (v) => String(v);
  if (t === 'bytes') {
    return (v) => {
      const b = v as Uint8Array;
      return (b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b)).toString('base64');
    };
  }
  if (t === 'float') return (v) => shortestFloat32(v as number);
  if (t === 'double') return (v) => doubleJson(v as number);
  return (v) => v as JsonValue;
}

function isDefaultScalar(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || v === 0n || v === '' || v === false || (v instanceof Uint8Array && v.length === 0);
}

/** One field of a {@link JsonPlan}. */
interface JsonField {
  /** the JS (camelCase) name: property of decoded messages and JSON key */
  name: string;
  kind: 'map' | 'repeated' | 'message' | 'scalar';
  /** a value (map value, list element, the field) to JSON */
  value: (v: unknown) => JsonValue;
  /** member of a oneof (kept even at its default) */
  oneof: boolean;
}

/** A message type's fields in field-number order, each with its converter (built once per type). */
type JsonPlan = JsonField[];

const jsonPlans = new WeakMap<protobuf.Type, JsonPlan>();

function jsonPlan(type: protobuf.Type): JsonPlan {
  let plan = jsonPlans.get(type);
  if (plan) return plan;
  plan = [];
  jsonPlans.set(type, plan); // before recursing: message types are recursive
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    field.resolve();
    const resolved = field.resolvedType;
    let value: (v: unknown) => JsonValue;
    if (resolved && !isEnumType(resolved)) {
      const sub = resolved as protobuf.Type;
      let subPlan: JsonPlan | undefined;
      value = (v) => planJson((subPlan ??= jsonPlan(sub)), v as Record<string, unknown>);
    } else {
      value = scalarConverter(field);
    }
    const kind = field.map ? 'map' : field.repeated ? 'repeated' : resolved && !isEnumType(resolved) ? 'message' : 'scalar';
    plan.push({ name: jsFieldName(field.name), kind, value, oneof: field.partOf != null });
  }
  return plan;
}

function planJson(plan: JsonPlan, msg: Record<string, unknown>): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const f of plan) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    switch (f.kind) {
      case 'map': {
        const m = v instanceof Map ? v : new Map(Object.entries(v as object));
        if (m.size === 0) continue;
        const o: { [k: string]: JsonValue } = {};
        m.forEach((mv, k) => {
          o[String(k)] = f.value(mv);
        });
        out[f.name] = o;
        break;
      }
      case 'repeated': {
        const arr = v as unknown[];
        if (!arr.length) continue;
        out[f.name] = arr.map((x) => f.value(x));
        break;
      }
      case 'message':
        out[f.name] = f.value(v);
        break;
      case 'scalar':
        if (!f.oneof && isDefaultScalar(v)) continue;
        out[f.name] = f.value(v);
        break;
    }
  }
  return out;
}

/**
 * Converts a decoded message (from our codec: camelCase properties, bigint int64, Uint8Array
 * bytes, Map maps, numeric enums) to its proto3 JSON object. The field order and converters
 * are worked out once per message type.
 * @param type the protobufjs reflection type of the message
 * @param msg the message
 */
export function messageJson(type: protobuf.Type, msg: Record<string, unknown>): { [k: string]: JsonValue } {
  return planJson(jsonPlan(type), msg);
}

/**
 * The proto3 JSON of a message, by full type name.
 * @param typeName e.g. `tensorflow.GraphDef`
 * @param msg the decoded message
 */
export function protoToJson(typeName: string, msg: object): { [k: string]: JsonValue } {
  return messageJson(reflectType(typeName) as unknown as protobuf.Type, msg as Record<string, unknown>);
}

function scalarFromJson(field: protobuf.Field, v: JsonValue): unknown {
  if (field.resolvedType && 'values' in field.resolvedType) {
    const e = field.resolvedType as protobuf.Enum;
    return typeof v === 'string' ? (e.values[v] ?? 0) : v;
  }
  if (INT64.has(field.type)) return BigInt(v as string | number);
  if (field.type === 'bytes') return new Uint8Array(Buffer.from(String(v), 'base64'));
  if (field.type === 'float' || field.type === 'double') return typeof v === 'string' ? Number(v) : v;
  return v;
}

function valueFromJson(field: protobuf.Field, v: JsonValue): unknown {
  if (field.resolvedType && !('values' in field.resolvedType)) return messageFromJson(field.resolvedType as protobuf.Type, v as { [k: string]: JsonValue });
  return scalarFromJson(field, v);
}

/**
 * The inverse of {@link messageJson}: a proto3 JSON object (as in a graph model's
 * `modelTopology`) to a decoded message of our codec (defaults filled in).
 * @param type the protobufjs reflection type
 * @param obj the JSON object
 */
export function messageFromJson(type: protobuf.Type, obj: { [k: string]: JsonValue }): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const name = jsFieldName(field.name);
    const v = obj[name];
    if (v === undefined || v === null) continue;
    if (field.map) init[name] = new Map(Object.entries(v as object).map(([k, mv]) => [k, valueFromJson(field, mv as JsonValue)]));
    else if (field.repeated) init[name] = (v as JsonValue[]).map((x) => valueFromJson(field, x));
    else init[name] = valueFromJson(field, v);
  }
  return messageCodec(type.fullName.replace(/^\./, '') as never).create(init as never) as Record<string, unknown>;
}

/**
 * A proto3 JSON object to a decoded message, by full type name.
 * @param typeName e.g. `tensorflow.GraphDef`
 */
export function protoFromJson<T extends object>(typeName: string, obj: { [k: string]: JsonValue }): T {
  return messageFromJson(reflectType(typeName) as unknown as protobuf.Type, obj) as T;
}
