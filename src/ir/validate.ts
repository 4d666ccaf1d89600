// SPDX-License-Identifier: Apache-2.0
/** Checks the graph IR's invariants (documented in `types.ts`). */
import { FormatError } from '../errors.js';
import type { FunctionDef } from '../proto/types.generated.js';
import { attrsFromProto } from './attrs.js';
import { parseTensorName } from './graphdef.js';
import type { GraphIR, IrAttrValue } from './types.js';
import { hasWeightLayout } from './weights.js';

function funcNames(v: IrAttrValue, out: string[]): void {
  if (v.kind === 'func') {
    out.push(v.value.name);
    for (const a of v.value.attrs.values()) funcNames(a, out);
  } else if (v.kind === 'list') {
    for (const f of v.value.func) {
      out.push(f.name);
      for (const a of f.attrs.values()) funcNames(a, out);
    }
  }
}

/** Names of the functions referenced by `func` attrs of a FunctionDef's nodes. */
export function functionsReferencedBy(fdef: FunctionDef): string[] {
  const out: string[] = [];
  for (const nd of fdef.nodeDef) for (const v of attrsFromProto(nd.attr).values()) funcNames(v, out);
  return out;
}

/** Names of the functions referenced by a set of attr maps. */
export function functionsReferencedByAttrs(attrMaps: Iterable<Map<string, IrAttrValue>>): string[] {
  const out: string[] = [];
  for (const m of attrMaps) for (const v of m.values()) funcNames(v, out);
  return out;
}

/**
 * Checks the IR's invariants: unique names, edges to existing nodes, data before control
 * inputs, Const <-> weight pairing (dtype and shape), signature tensors and function references.
 * @returns the list of problems (empty when valid)
 */
export function graphIRProblems(ir: GraphIR): string[] {
  const problems: string[] = [];
  for (const [name, n] of ir.nodes) {
    if (name !== n.name) problems.push(`node key ${JSON.stringify(name)} holds node ${JSON.stringify(n.name)}`);
    let control = false;
    for (const i of n.inputs) {
      if (!ir.nodes.has(i.node)) problems.push(`node ${JSON.stringify(name)} reads missing node ${JSON.stringify(i.node)}`);
      if (i.control) {
        control = true;
        if (i.output !== -1) problems.push(`node ${JSON.stringify(name)}: control input ${i.node} has output ${i.output}`);
      } else if (control) problems.push(`node ${JSON.stringify(name)}: data input ${i.node} after a control input`);
    }
    if (n.op === 'Const') {
      const w = ir.weights.get(name);
      const value = n.attrs.get('value');
      const dtype = n.attrs.get('dtype');
      if (w) {
        if (value) problems.push(`Const ${JSON.stringify(name)} has both a weight and a value attr`);
        if (dtype?.kind !== 'type' || dtype.value !== w.dataType) problems.push(`Const ${JSON.stringify(name)}: dtype attr differs from its weight's ${w.dtype}`);
      } else if (value?.kind !== 'tensor' || hasWeightLayout(value.value.dtype)) {
        problems.push(`Const ${JSON.stringify(name)} has no weight`);
      }
    }
  }
  for (const [name, w] of ir.weights) {
    if (w.name !== name) problems.push(`weight key ${JSON.stringify(name)} holds weight ${JSON.stringify(w.name)}`);
    if (ir.nodes.get(name)?.op !== 'Const') problems.push(`weight ${JSON.stringify(name)} has no Const node`);
  }
  for (const sig of ir.signatures.values()) {
    for (const t of [...sig.inputs, ...sig.outputs]) {
      try {
        const ref = parseTensorName(t.name);
        if (!ir.nodes.has(ref.node)) problems.push(`signature ${sig.key}: ${t.key} names missing node ${JSON.stringify(ref.node)}`);
      } catch {
        problems.push(`signature ${sig.key}: ${t.key} has a malformed tensor name ${JSON.stringify(t.name)}`);
      }
    }
  }
  const refs = functionsReferencedByAttrs([...ir.nodes.values()].map((n) => n.attrs));
  for (const f of ir.functions.values()) refs.push(...functionsReferencedBy(f));
  for (const r of new Set(refs)) if (!ir.functions.has(r)) problems.push(`function ${JSON.stringify(r)} is referenced but not in the library`);
  return problems;
}

/**
 * Throws when the IR breaks an invariant.
 * @throws FormatError `ERR_TFEXPORT_IR_INVALID` listing the first problems
 */
export function validateGraphIR(ir: GraphIR): void {
  const problems = graphIRProblems(ir);
  if (problems.length) {
    throw new FormatError('ERR_TFEXPORT_IR_INVALID', `graph IR breaks ${problems.length} invariant(s): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; ...' : ''}`, {
      problems,
    });
  }
}
