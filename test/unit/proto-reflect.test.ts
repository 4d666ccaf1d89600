// SPDX-License-Identifier: Apache-2.0
/**
 * The lazy schema reflection (src/proto/reflect.ts) that the codec and the JSON mapping use
 * must agree with protobufjs' `Root.fromJSON` of the same descriptor on every message type and
 * enum: field numbers, rules, map keys, resolved types, oneofs, packing and presence.
 */
import type protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { tensorflowProtoRoot } from '../../src/proto/index.js';
import { ReflectEnum, ReflectType, reflectType } from '../../src/proto/reflect.js';

function isType(r: unknown): r is protobuf.Type {
  return r !== null && typeof r === 'object' && Array.isArray((r as protobuf.Type).fieldsArray);
}
function isEnum(r: unknown): r is protobuf.Enum {
  return r !== null && typeof r === 'object' && typeof (r as protobuf.Enum).valuesById === 'object';
}

function allTypes(ns: protobuf.NamespaceBase, out: protobuf.Type[] = []): protobuf.Type[] {
  for (const n of ns.nestedArray) {
    if (isType(n)) out.push(n);
    if ('nestedArray' in n) allTypes(n as protobuf.NamespaceBase, out);
  }
  return out;
}

function resolvedName(r: unknown): string | null {
  if (r === null || r === undefined) return null;
  return `${isEnum(r) ? 'enum' : 'type'} ${(r as { fullName: string }).fullName}`;
}

describe('proto reflection', () => {
  it('agrees with protobufjs on every message type of the descriptor', () => {
    const types = allTypes(tensorflowProtoRoot());
    expect(types.length).toBeGreaterThan(50);
    for (const t of types) {
      const mine = reflectType(t.fullName);
      expect(mine).toBeInstanceOf(ReflectType);
      expect(mine.fullName).toBe(t.fullName);
      const want = t.fieldsArray.map((f) => {
        f.resolve();
        return {
          name: f.name,
          id: f.id,
          type: f.type,
          repeated: f.repeated,
          map: f.map,
          keyType: (f as unknown as { keyType?: string }).keyType,
          resolved: resolvedName(f.resolvedType),
          oneof: f.partOf ? f.partOf.oneof.slice() : null,
          packed: f.repeated ? f.packed : null,
          hasPresence: Boolean(f.hasPresence),
          values: isEnum(f.resolvedType) ? { ...f.resolvedType.valuesById } : null,
        };
      });
      const got = mine.fieldsArray.map((f) => {
        f.resolve();
        return {
          name: f.name,
          id: f.id,
          type: f.type,
          repeated: f.repeated,
          map: f.map,
          keyType: f.keyType,
          resolved: resolvedName(f.resolvedType),
          oneof: f.partOf ? f.partOf.oneof.slice() : null,
          packed: f.repeated ? f.packed : null,
          hasPresence: f.hasPresence,
          values: f.resolvedType instanceof ReflectEnum ? { ...f.resolvedType.valuesById } : null,
        };
      });
      expect(got, t.fullName).toEqual(want);
    }
  });

  it('refuses unknown type names', () => {
    expect(() => reflectType('tensorflow.NoSuchMessage')).toThrow(/no message type/);
  });
});
