// SPDX-License-Identifier: Apache-2.0
/**
 * A small reflection of the committed protobufjs JSON descriptor (`descriptor.generated.ts`),
 * built lazily, one message type at a time: what the codec (`codec.ts`) and the proto3 JSON
 * mapping (`formats/tfjs/graph-json.ts`) read of a protobufjs `Type` (`fullName`,
 * `fieldsArray`; per field `id`, `name`, `type`, `rule`, `repeated`, `map`, `keyType`,
 * `resolve()`, `resolvedType`, `partOf.oneof`, `packed`, `hasPresence`; per enum `values`,
 * `valuesById`), with protobufjs 7's rules for this descriptor.
 *
 * Why: `Root.fromJSON` builds and resolves every type of the schema (hundreds) and loads
 * protobufjs, ~25 ms of every conversion's start, when a conversion uses a few dozen types.
 * `tensorflowProtoRoot()` (schema.ts) still returns the real protobufjs root, and a test checks
 * that both reflections agree on every type and enum.
 *
 * Rules (protobufjs 7.x editions resolution, restricted to what the descriptor uses): a
 * top-level type takes its `edition` (default `proto3`); nested types and fields inherit it.
 * proto3 fields have implicit presence and packed repeated scalars; proto2 explicit presence
 * and expanded repeated scalars; `options.packed` overrides the encoding.
 * Type references resolve as protobufjs' `lookup`: a fully qualified match first, then the
 * reference in the scope (else in the first of its nested namespaces that has it), then in
 * each enclosing scope.
 */
import { tensorflowProtoDescriptor } from './descriptor.generated.js';

/** A descriptor node: a namespace, message type or enum (protobufjs JSON). */
interface DescriptorNode {
  nested?: Record<string, DescriptorNode>;
  fields?: Record<string, DescriptorField>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  edition?: string;
  options?: Record<string, unknown>;
}

interface DescriptorField {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
  options?: Record<string, unknown>;
}

/** A namespace or message type: a scope for name resolution. */
class ReflectScope {
  private readonly children = new Map<string, ReflectScope | ReflectEnum>();

  constructor(
    readonly name: string,
    readonly fullName: string,
    readonly parent: ReflectScope | null,
    protected readonly json: DescriptorNode,
    /** `proto2` / `proto3`: the edition of this scope's fields */
    readonly edition: string,
  ) {}

  /** The named child namespace, type or enum (built on first use), or undefined. */
  child(name: string): ReflectScope | ReflectEnum | undefined {
    let c = this.children.get(name);
    if (c !== undefined) return c;
    const j = this.json.nested?.[name];
    if (j === undefined || !Object.prototype.hasOwnProperty.call(this.json.nested, name)) return undefined;
    const full = `${this.fullName}.${name}`;
    if (j.values) c = new ReflectEnum(name, full, j.values);
    else {
      // protobufjs: a type directly in a package takes its own edition (default proto3);
      // nested types inherit their parent's
      const edition = j.edition ?? (this instanceof ReflectType ? this.edition : j.fields ? 'proto3' : this.edition);
      c = j.fields ? new ReflectType(name, full, this, j, edition) : new ReflectScope(name, full, this, j, edition);
    }
    this.children.set(name, c);
    return c;
  }

  private childNames(): string[] {
    return Object.keys(this.json.nested ?? {});
  }

  /** protobufjs `_lookupImpl`: the path here, else in the first nested namespace that has it. */
  private lookupHere(path: readonly string[]): ReflectScope | ReflectEnum | undefined {
    const found = this.child(path[0]!);
    if (found !== undefined) {
      if (path.length === 1) return found;
      return found instanceof ReflectScope ? found.lookupHere(path.slice(1)) : undefined;
    }
    for (const name of this.childNames()) {
      const c = this.child(name);
      const r = c instanceof ReflectScope ? c.lookupHere(path) : undefined;
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** The object whose full name is `.` + the path, or undefined. */
  private exact(path: readonly string[]): ReflectScope | ReflectEnum | undefined {
    let cur: ReflectScope | ReflectEnum | undefined = this.root();
    for (const p of path) cur = cur instanceof ReflectScope ? cur.child(p) : undefined;
    return cur;
  }

  /** Resolves a type reference (`Foo`, `Foo.Bar`, `.pkg.Foo`) to a message type or enum, as protobufjs' `lookup`. */
  lookupTypeOrEnum(ref: string): ReflectType | ReflectEnum | null {
    const path = ref.split('.');
    if (path[0] === '') return this.root().lookupTypeOrEnum(path.slice(1).join('.'));
    const fits = (x: ReflectScope | ReflectEnum | undefined): x is ReflectType | ReflectEnum => x instanceof ReflectType || x instanceof ReflectEnum;
    const absolute = this.exact(path);
    if (fits(absolute)) return absolute;
    for (let scope: ReflectScope | null = this; scope !== null; scope = scope.parent) {
      const found = scope.lookupHere(path);
      if (fits(found)) return found;
    }
    return null;
  }

  private root(): ReflectScope {
    let s: ReflectScope = this;
    while (s.parent) s = s.parent;
    return s;
  }
}

/** An enum: name -> number and number -> name (the last name of a value wins, as protobufjs). */
export class ReflectEnum {
  readonly values: Record<string, number> = {};
  readonly valuesById: Record<number, string> = {};

  constructor(
    readonly name: string,
    readonly fullName: string,
    values: Record<string, number>,
  ) {
    for (const [k, v] of Object.entries(values)) {
      if (typeof v !== 'number') continue;
      this.values[k] = v;
      this.valuesById[v] = k;
    }
  }
}

/** A message type. */
export class ReflectType extends ReflectScope {
  private fieldList: ReflectField[] | null = null;

  /** The fields in declaration order. */
  get fieldsArray(): ReflectField[] {
    if (this.fieldList) return this.fieldList;
    const oneofOf = new Map<string, { oneof: string[] }>();
    for (const o of Object.values(this.json.oneofs ?? {})) for (const m of o.oneof) oneofOf.set(m, o);
    this.fieldList = Object.entries(this.json.fields ?? {}).map(([name, f]) => new ReflectField(name, f, this, oneofOf.get(name) ?? null));
    return this.fieldList;
  }
}

/** A field of a {@link ReflectType}. */
export class ReflectField {
  readonly id: number;
  readonly type: string;
  readonly rule: string | undefined;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType: string | undefined;
  readonly options: Record<string, unknown> | undefined;
  /** the message type or enum of `type` once {@link resolve}d; null for scalars */
  resolvedType: ReflectType | ReflectEnum | null = null;
  private resolved = false;

  constructor(
    readonly name: string,
    json: DescriptorField,
    readonly parent: ReflectType,
    /** the oneof this field belongs to */
    readonly partOf: { oneof: string[] } | null,
  ) {
    this.id = json.id;
    this.type = json.type;
    this.rule = json.rule && json.rule !== 'optional' ? json.rule : undefined;
    this.repeated = this.rule === 'repeated';
    this.map = json.keyType !== undefined;
    this.keyType = json.keyType;
    this.options = json.options;
  }

  /** Resolves `type` (scalars resolve to null); returns this. */
  resolve(): this {
    if (this.resolved) return this;
    this.resolved = true;
    if (!SCALARS.has(this.type)) {
      this.resolvedType = this.parent.lookupTypeOrEnum(this.type);
      if (this.resolvedType === null) throw new Error(`no type ${this.type} for field ${this.parent.fullName}.${this.name}`);
    }
    return this;
  }

  /** repeated_field_encoding is PACKED (proto3 default, or `[packed = true]`) */
  get packed(): boolean {
    const option = this.options?.packed;
    if (option === true) return true;
    if (option === false) return false;
    return this.parent.edition !== 'proto2';
  }

  /** protobufjs `hasPresence`: singular and (a oneof member, or explicit presence: proto2) */
  get hasPresence(): boolean {
    if (this.repeated || this.map) return false;
    return this.partOf !== null || this.rule === 'required' || this.parent.edition === 'proto2';
  }
}

const SCALARS = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes']);

let root: ReflectScope | null = null;

/**
 * The message type of a full proto name (`tensorflow.GraphDef`), from the lazy reflection.
 * @throws Error when the descriptor has no such message type
 */
export function reflectType(name: string): ReflectType {
  root ??= new ReflectScope('', '', null, tensorflowProtoDescriptor as DescriptorNode, 'proto2');
  const found = root.lookupTypeOrEnum(`.${name.replace(/^\./, '')}`);
  if (!(found instanceof ReflectType)) throw new Error(`no message type ${name}`);
  return found;
}
