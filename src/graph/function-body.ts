// SPDX-License-Identifier: Apache-2.0
/**
 * FunctionDef bodies as graphs.
 *
 * Inside a FunctionDef, node inputs and return values name tensors differently from a GraphDef
 * (`function.proto`):
 *
 * - `arg` — function input arg `arg` (every element when it is a list);
 * - `arg:i` — element i of input arg `arg`;
 * - `node:out` — every element of output arg `out` of body node `node`;
 * - `node:out:i` — element i of output arg `out` of `node`;
 * - `^node` — control input.
 *
 * {@link instantiateFunction} turns a body into graph nodes (optionally renamed under a prefix
 * for inlining) with flat `node:k` edges, substituting attr placeholders with the instantiation
 * attrs; arguments become the caller's input tensors (inlining) or `_Arg` nodes (a body to
 * rewrite on its own). {@link bodyToFunctionDef} writes such a body back as a FunctionDef.
 * Output-arg layouts come from the {@link OpRegistry}.
 */
import { FormatError, UnsupportedOpError } from '../errors.js';
import { messageCodec } from '../proto/schema.js';
import type { FunctionDef, NodeDef, OpDef, OpDef_ArgDef } from '../proto/types.generated.js';
import { attr, attrsFromProto, attrsToProto, cloneAttr } from '../ir/attrs.js';
import type { IrAttrValue, IrInput, IrNode, TensorRef } from '../ir/types.js';
import type { OpRegistry } from './op-registry.js';
import { normalizeInputs, type WorkGraph } from './work-graph.js';

/** Op of the nodes standing for function arguments in a body graph (as in TensorFlow). */
export const ARG_OP = '_Arg';

/** Options of {@link instantiateFunction}. */
export interface InstantiateOptions {
  registry: OpRegistry;
  /** instantiation attrs (a direct call's node attrs, or the `f` attr's attrs) */
  attrs: ReadonlyMap<string, IrAttrValue>;
  /** prefix of the body's node names (e.g. `call/`); '' keeps them */
  prefix: string;
  /** flat caller inputs (inlining), or null to create `_Arg` nodes */
  inputs: TensorRef[] | null;
  /** names that `_Arg` nodes must avoid */
  taken?: ReadonlySet<string>;
  /** what is being instantiated, for errors */
  where: string;
}

/** One input or output arg after instantiation. */
export interface InstantiatedArg {
  name: string;
  /** whether the arg is a list (number_attr / type_list_attr) */
  isList: boolean;
  /** DataType of each element */
  types: number[];
  /** the tensors: caller inputs / `_Arg` node outputs (inputs), or returned tensors (outputs) */
  refs: TensorRef[];
}

/** A function body turned into graph nodes. */
export interface InstantiatedFunction {
  name: string;
  /** body nodes, renamed (plus `_Arg` nodes when instantiated without inputs) */
  nodes: IrNode[];
  args: InstantiatedArg[];
  rets: InstantiatedArg[];
  /** control return name -> (renamed) node */
  controlRets: Map<string, string>;
}

function functionError(where: string, what: string, fn: string): FormatError {
  return new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: ${what}`, { field: fn, function: fn });
}

/** Replaces attr placeholders (also inside function-valued attrs) with instantiation attrs. */
export function substitutePlaceholders(v: IrAttrValue, lookup: (name: string) => IrAttrValue | undefined, where: string): IrAttrValue {
  switch (v.kind) {
    case 'placeholder': {
      const r = lookup(v.value);
      if (!r) throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: attr placeholder $${v.value} has no value in the instantiation attrs`, { field: v.value });
      return cloneAttr(r);
    }
    case 'func':
      return { kind: 'func', value: { name: v.value.name, attrs: new Map([...v.value.attrs].map(([k, a]) => [k, substitutePlaceholders(a, lookup, where)])) } };
    case 'list':
      if (!v.value.func.length) return v;
      return {
        kind: 'list',
        value: { ...v.value, func: v.value.func.map((f) => ({ name: f.name, attrs: new Map([...f.attrs].map(([k, a]) => [k, substitutePlaceholders(a, lookup, where)])) })) },
      };
    default:
      return v;
  }
}

function argCount(arg: OpDef_ArgDef, lookup: (n: string) => IrAttrValue | undefined, where: string): { count: number; types: number[]; isList: boolean } {
  const typeOf = (): number => {
    if (arg.type) return arg.type;
    const t = lookup(arg.typeAttr);
    if (t?.kind !== 'type') throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: arg ${arg.name} needs type attr ${arg.typeAttr}`, { field: arg.name });
    return t.value;
  };
  if (arg.numberAttr) {
    const n = lookup(arg.numberAttr);
    if (n?.kind !== 'i') throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: arg ${arg.name} needs int attr ${arg.numberAttr}`, { field: arg.name });
    const t = typeOf();
    return { count: Number(n.value), types: Array.from({ length: Number(n.value) }, () => t), isList: true };
  }
  if (arg.typeListAttr) {
    const l = lookup(arg.typeListAttr);
    const types = l?.kind === 'list' ? l.value.type : l?.kind === 'none' ? [] : null;
    if (!types) throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: arg ${arg.name} needs list(type) attr ${arg.typeListAttr}`, { field: arg.name });
    return { count: types.length, types: types.slice(), isList: true };
  }
  return { count: 1, types: [typeOf()], isList: false };
}

/**
 * Turns a FunctionDef body into graph nodes (see the module doc).
 * @throws FormatError `ERR_TFEXPORT_FUNCTION_DEF` for references to unknown nodes or args,
 *   indices out of range, missing return values or instantiation attrs;
 *   UnsupportedOpError `ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS` when an op's output layout is unknown
 */
export function instantiateFunction(fdef: FunctionDef, options: InstantiateOptions): InstantiatedFunction {
  const sig = fdef.signature;
  const fname = sig?.name ?? '<unnamed>';
  const where = options.where;
  if (!sig) throw functionError(where, `function has no signature`, fname);
  const { registry, prefix } = options;

  // instantiation attrs: given, else the signature's defaults
  const defaults = new Map<string, IrAttrValue>();
  for (const a of sig.attr) if (a.defaultValue) defaults.set(a.name, attrsFromProto(new Map([['v', a.defaultValue]])).get('v')!);
  const lookup = (name: string): IrAttrValue | undefined => options.attrs.get(name) ?? defaults.get(name);

  // arguments
  const args: InstantiatedArg[] = [];
  const argByName = new Map<string, InstantiatedArg>();
  const nodes: IrNode[] = [];
  const bodyNames = new Set(fdef.nodeDef.map((n) => n.name));
  let flat = 0;
  const inputs = options.inputs;
  const totalInputs = sig.inputArg.reduce((a, arg) => a + argCount(arg, lookup, where).count, 0);
  if (inputs && inputs.length !== totalInputs) {
    throw functionError(where, `called with ${inputs.length} inputs, the signature takes ${totalInputs}`, fname);
  }
  const argTaken = new Set<string>([...bodyNames].map((n) => prefix + n));
  for (const arg of sig.inputArg) {
    const { count, types, isList } = argCount(arg, lookup, where);
    const refs: TensorRef[] = [];
    for (let k = 0; k < count; k++) {
      if (inputs) refs.push(inputs[flat]!);
      else {
        let name = prefix + (isList ? `${arg.name}_${k}` : arg.name);
        for (let s = 1; argTaken.has(name) || options.taken?.has(name); s++) name = `${prefix}${arg.name}${isList ? `_${k}` : ''}_arg${s}`;
        argTaken.add(name);
        nodes.push({ name, op: ARG_OP, inputs: [], device: '', attrs: new Map([['T', attr.type(types[k]!)], ['index', attr.int(flat)]]) });
        refs.push({ node: name, output: 0 });
      }
      flat++;
    }
    const a: InstantiatedArg = { name: arg.name, isList, types, refs };
    if (argByName.has(arg.name)) throw functionError(where, `duplicate input arg ${arg.name}`, fname);
    args.push(a);
    argByName.set(arg.name, a);
  }

  // body nodes (attrs substituted) first, so that references can be resolved in any order
  const body = new Map<string, { nd: NodeDef; node: IrNode }>();
  for (const nd of fdef.nodeDef) {
    if (body.has(nd.name)) throw functionError(where, `duplicate node ${nd.name}`, fname);
    // substituted in place (replacing a key's value keeps the Map's order); plain values have
    // nothing to substitute
    const attrs = attrsFromProto(nd.attr);
    attrs.forEach((v, k) => {
      if (v.kind === 'placeholder' || v.kind === 'func' || v.kind === 'list') attrs.set(k, substitutePlaceholders(v, lookup, `${where}: node ${nd.name} attr ${k}`));
    });
    const node: IrNode = { name: prefix + nd.name, op: nd.op, inputs: [], device: nd.device, attrs };
    if (nd.experimentalDebugInfo || nd.experimentalType || nd.$unknown?.length) {
      node.extra = {
        ...(nd.experimentalDebugInfo ? { debugInfo: nd.experimentalDebugInfo } : {}),
        ...(nd.experimentalType ? { fullType: nd.experimentalType } : {}),
        ...(nd.$unknown?.length ? { unknown: nd.$unknown } : {}),
      };
    }
    body.set(nd.name, { nd, node });
  }

  // Output layouts per body node (a node is referenced once per consumer); layouts that
  // depend on learned arg names are not cached, as learning may still change them.
  const layouts = new Map<string, ReturnType<OpRegistry['outputLayout']>>();
  const layoutOf = (name: string, argName: string, whereRef: string) => {
    const b = body.get(name)!;
    let layout = layouts.get(name);
    if (layout === undefined) {
      layout = registry.outputLayout(b.node.op, (a) => b.node.attrs.get(a), `${where}: node ${name}`);
      if (layout && !registry.isLearned(b.node.op)) layouts.set(name, layout);
    }
    if (layout) {
      const out = layout.find((l) => l.name === argName);
      if (!out && registry.isLearned(b.node.op)) registry.learn(b.node.op, argName, `${where}: node ${name}`);
      if (!out) throw functionError(where, `${whereRef} names output ${JSON.stringify(argName)} of node ${name}, but op ${b.node.op} has outputs ${layout.map((l) => l.name).join(', ')}`, fname);
      return out;
    }
    // unknown op: one output arg holding every output
    registry.learn(b.node.op, argName, `${where}: node ${name}`);
    return { name: argName, start: 0, count: Number.MAX_SAFE_INTEGER };
  };

  const resolve = (ref: string, whereRef: string): TensorRef[] => {
    const parts = ref.split(':');
    if (parts.length === 1) {
      const a = argByName.get(ref);
      if (a) return a.refs;
      if (body.has(ref)) return [{ node: prefix + ref, output: 0 }];
    } else if (parts.length === 2) {
      const [n, b] = parts as [string, string];
      const a = argByName.get(n);
      if (a && /^\d+$/.test(b)) {
        const r = a.refs[Number(b)];
        if (!r) throw functionError(where, `${whereRef}: ${ref} is past the ${a.refs.length} elements of arg ${n}`, fname);
        return [r];
      }
      if (body.has(n)) {
        if (/^\d+$/.test(b) && registry.outputArgs(body.get(n)!.node.op) === null) return [{ node: prefix + n, output: Number(b) }];
        const l = layoutOf(n, b, whereRef);
        const count = l.count === Number.MAX_SAFE_INTEGER ? 1 : l.count;
        return Array.from({ length: count }, (_, k) => ({ node: prefix + n, output: l.start + k }));
      }
    } else if (parts.length === 3 && /^\d+$/.test(parts[2]!)) {
      const [n, b, i] = parts as [string, string, string];
      if (body.has(n)) {
        const l = layoutOf(n, b, whereRef);
        if (Number(i) >= l.count) throw functionError(where, `${whereRef}: ${ref}: output ${b} of node ${n} has ${l.count} elements`, fname);
        return [{ node: prefix + n, output: l.start + Number(i) }];
      }
    }
    throw functionError(where, `${whereRef} references ${JSON.stringify(ref)}, which is neither an input arg nor a body node output`, fname);
  };

  for (const { nd, node } of body.values()) {
    const name = nd.name;
    const inputsOut: IrInput[] = [];
    const whereRef = `node ${name}`;
    for (const s of nd.input) {
      if (s.startsWith('^')) {
        const c = s.slice(1);
        if (body.has(c)) inputsOut.push({ node: prefix + c, output: -1, control: true });
        else if (argByName.has(c)) for (const r of argByName.get(c)!.refs) inputsOut.push({ node: r.node, output: -1, control: true });
        else throw functionError(where, `${whereRef} has control input ${JSON.stringify(s)}, which is not a body node`, fname);
      } else {
        for (const r of resolve(s, whereRef)) inputsOut.push({ node: r.node, output: r.output, control: false });
      }
    }
    node.inputs = inputsOut;
    normalizeInputs(node);
    nodes.push(node);
  }

  const rets: InstantiatedArg[] = [];
  for (const arg of sig.outputArg) {
    const { count, types, isList } = argCount(arg, lookup, where);
    const s = fdef.ret.get(arg.name);
    if (s === undefined) throw functionError(where, `no return value for output ${arg.name}`, fname);
    const refs = resolve(s, `return value ${arg.name}`);
    if (refs.length !== count) throw functionError(where, `return value ${arg.name} = ${s} has ${refs.length} tensors, the signature says ${count}`, fname);
    rets.push({ name: arg.name, isList, types, refs });
  }
  const controlRets = new Map<string, string>();
  for (const [k, v] of fdef.controlRet) {
    if (!body.has(v)) throw functionError(where, `control return ${k} names unknown node ${v}`, fname);
    controlRets.set(k, prefix + v);
  }
  return { name: fname, nodes, args, rets, controlRets };
}

/** A function body as a work graph plus what is needed to write it back as a FunctionDef. */
export interface FunctionBody extends WorkGraph {
  /** the FunctionDef it came from */
  original: FunctionDef;
  /** the signature to write (a copy; passes may change arg types) */
  signature: OpDef;
  args: InstantiatedArg[];
  /** number of tensors of each output arg (outputs are flattened into `outputs`) */
  retCounts: number[];
  controlRets: Map<string, string>;
}

/**
 * A FunctionDef as a body graph with `_Arg` nodes (attrs: `T`, `index`), its return values as
 * the graph outputs and its arguments and control returns kept.
 */
export function functionBody(fdef: FunctionDef, registry: OpRegistry, attrs: ReadonlyMap<string, IrAttrValue> = new Map()): FunctionBody {
  const name = fdef.signature?.name ?? '<unnamed>';
  const where = `function ${name}`;
  const inst = instantiateFunction(fdef, { registry, attrs, prefix: '', inputs: null, where });
  const nodes = new Map<string, IrNode>();
  for (const n of inst.nodes) nodes.set(n.name, n);
  const signature = messageCodec('tensorflow.OpDef').decode(messageCodec('tensorflow.OpDef').encode(fdef.signature!));
  return {
    nodes,
    outputs: inst.rets.flatMap((r) => r.refs),
    keep: new Set([...inst.args.flatMap((a) => a.refs.map((r) => r.node)), ...inst.controlRets.values()]),
    where,
    original: fdef,
    signature,
    args: inst.args,
    retCounts: inst.rets.map((r) => r.refs.length),
    controlRets: inst.controlRets,
  };
}

/**
 * Writes a body graph back as a FunctionDef: `_Arg` outputs become arg references, other edges
 * `node:out_arg:index` references (layouts from the registry), graph outputs the return values,
 * and surviving control returns the control outputs. `attr`, `arg_attr` and
 * `resource_arg_unique_id` are copied from the original.
 * @param name the new function's name
 * @throws UnsupportedOpError `ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS` when a node's output arg name is
 *   unknown; FormatError for list-valued return values (not produced by tf.function)
 */
export function bodyToFunctionDef(body: FunctionBody, registry: OpRegistry, name: string): FunctionDef {
  const where = `function ${name}`;
  const argOf = new Map<string, { arg: InstantiatedArg; elem: number }>();
  for (const a of body.args) a.refs.forEach((r, elem) => argOf.set(r.node, { arg: a, elem }));
  const refString = (t: TensorRef): string => {
    const a = argOf.get(t.node);
    if (a) return a.arg.isList ? `${a.arg.name}:${a.elem}` : a.arg.name;
    const n = body.nodes.get(t.node);
    if (!n) throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: reference to missing node ${t.node}`, { field: t.node });
    const layout = registry.outputLayout(n.op, (k) => n.attrs.get(k), `${where}: node ${n.name}`);
    if (!layout) {
      throw new UnsupportedOpError('ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS', `${where}: output ${t.output} of node ${n.name} (op ${n.op}) cannot be named: the op's output args are unknown`, {
        op: n.op,
        field: n.name,
      });
    }
    const l = layout.find((x) => t.output >= x.start && t.output < x.start + x.count);
    if (!l) throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: node ${n.name} (op ${n.op}) has no output ${t.output}`, { field: n.name });
    return `${n.name}:${l.name}:${t.output - l.start}`;
  };
  const nodeDefs: NodeDef[] = [];
  const ndCodec = messageCodec('tensorflow.NodeDef');
  for (const n of body.nodes.values()) {
    if (n.op === ARG_OP && argOf.has(n.name)) continue;
    const input: string[] = [];
    for (const i of n.inputs) {
      if (i.control) {
        if (!argOf.has(i.node)) input.push(`^${i.node}`);
      } else input.push(refString(i));
    }
    const nd = ndCodec.create({ name: n.name, op: n.op, input, device: n.device, attr: attrsToProto(n.attrs) });
    if (n.extra?.debugInfo) nd.experimentalDebugInfo = n.extra.debugInfo;
    if (n.extra?.fullType) nd.experimentalType = n.extra.fullType;
    if (n.extra?.unknown) nd.$unknown = n.extra.unknown;
    nodeDefs.push(nd);
  }
  const ret = new Map<string, string>();
  let p = 0;
  body.signature.outputArg.forEach((arg, j) => {
    const count = body.retCounts[j]!;
    if (count !== 1) {
      throw new FormatError('ERR_TFEXPORT_FUNCTION_DEF', `${where}: output arg ${arg.name} is a list of ${count} tensors; list-valued return values are not supported`, { field: arg.name });
    }
    ret.set(arg.name, refString(body.outputs[p]!));
    p += count;
  });
  const controlRet = new Map<string, string>();
  for (const [k, v] of body.controlRets) if (body.nodes.has(v)) controlRet.set(k, v);
  const signature = messageCodec('tensorflow.OpDef').decode(messageCodec('tensorflow.OpDef').encode(body.signature));
  signature.name = name;
  signature.controlOutput = [...controlRet.keys()];
  const original = body.original;
  return messageCodec('tensorflow.FunctionDef').create({
    signature,
    nodeDef: nodeDefs,
    ret,
    attr: new Map(original.attr),
    controlRet,
    argAttr: new Map(original.argAttr),
    resourceArgUniqueId: new Map(original.resourceArgUniqueId),
  });
}
