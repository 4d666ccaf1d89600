// SPDX-License-Identifier: Apache-2.0
/**
 * Checks on a frozen graph: no variable ops left, no lookup tables (refused for now), no
 * control-flow v2 when lowering was asked for.
 */
import { FormatError, UnsupportedOpError } from '../../errors.js';
import type { WorkGraph } from '../work-graph.js';

/** Ops of variables that must not survive freezing. */
export const VARIABLE_OPS: ReadonlySet<string> = new Set(['VarHandleOp', '_VarHandlesOp', 'VariableV2', 'Variable', 'TemporaryVariable', 'ReadVariableOp', '_ReadVariablesOp', 'ReadVariableXlaSplitND']);

/** Lookup-table (hash table) ops: their tables are initialized by an init op, not frozen. */
export function isLookupTableOp(op: string): boolean {
  return /HashTable|^LookupTable|^InitializeTable|^AnonymousHashTable|^AnonymousMutable(Dense)?HashTable|^LookupTableRemove/.test(op);
}

/** Control-flow v2 ops (functional If / While / Case). */
export const CONTROL_FLOW_V2_OPS: ReadonlySet<string> = new Set(['If', 'StatelessIf', 'While', 'StatelessWhile', 'Case', 'StatelessCase']);

function list(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

/**
 * Throws when variable or lookup-table ops remain in `g`.
 * @throws UnsupportedOpError `ERR_TFEXPORT_UNSUPPORTED_OP` naming the lookup-table nodes;
 *   FormatError `ERR_TFEXPORT_VARIABLE_NOT_FOUND` naming variable nodes left unresolved
 */
export function checkFrozenGraph(g: WorkGraph): void {
  const tables: string[] = [];
  const vars: string[] = [];
  for (const n of g.nodes.values()) {
    if (isLookupTableOp(n.op)) tables.push(`${n.name} (${n.op})`);
    else if (VARIABLE_OPS.has(n.op)) vars.push(`${n.name} (${n.op})`);
  }
  if (tables.length) {
    throw new UnsupportedOpError(
      'ERR_TFEXPORT_UNSUPPORTED_OP',
      `${g.where}: lookup tables (hash tables filled by an initializer) cannot be frozen yet; nodes: ${list(tables)}`,
      { field: tables[0], nodes: tables },
    );
  }
  if (vars.length) {
    throw new FormatError('ERR_TFEXPORT_VARIABLE_NOT_FOUND', `${g.where}: variables that could not be resolved to checkpoint values remain: ${list(vars)}`, {
      field: vars[0],
      nodes: vars,
    });
  }
}

/**
 * Refuses control-flow v2 nodes: lowering to TF1 Switch/Merge/Enter/Exit is not implemented.
 * @throws UnsupportedOpError `ERR_TFEXPORT_NOT_SUPPORTED_YET` naming the nodes
 */
export function refuseControlFlowV2(g: WorkGraph): void {
  const found = [...g.nodes.values()].filter((n) => CONTROL_FLOW_V2_OPS.has(n.op)).map((n) => `${n.name} (${n.op})`);
  if (found.length) {
    throw new UnsupportedOpError(
      'ERR_TFEXPORT_NOT_SUPPORTED_YET',
      `${g.where}: controlFlow 'lower' (control flow v2 -> v1 Switch/Merge/Enter/Exit) is not supported yet; the graph has ${list(found)}; use controlFlow 'keep'`,
      { field: found[0], nodes: found },
    );
  }
}
