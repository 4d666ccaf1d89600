// SPDX-License-Identifier: Apache-2.0
/**
 * Checks on a frozen graph: no variable ops left, no lookup tables (unless the static hash-table
 * ops are allowed: their tables get an initializer graph), no control-flow v2 when lowering was
 * asked for.
 */
import { FormatError, UnsupportedOpError } from '../../errors.js';
import type { WorkGraph } from '../work-graph.js';

/** Ops of variables that must not survive freezing. */
export const VARIABLE_OPS: ReadonlySet<string> = new Set(['VarHandleOp', '_VarHandlesOp', 'VariableV2', 'Variable', 'TemporaryVariable', 'ReadVariableOp', '_ReadVariablesOp', 'ReadVariableXlaSplitND']);

/** Lookup-table (hash table) ops: their tables are initialized by an init op, not frozen. */
export function isLookupTableOp(op: string): boolean {
  return /HashTable|^LookupTable|^InitializeTable|^AnonymousHashTable|^AnonymousMutable(Dense)?HashTable|^LookupTableRemove/.test(op);
}

/**
 * Static hash-table ops TensorFlow.js runs in an inference graph: table creation, lookups and
 * size (the table is filled by the model initializer).
 */
export const STATIC_TABLE_OPS: ReadonlySet<string> = new Set(['HashTable', 'HashTableV2', 'LookupTableFind', 'LookupTableFindV2', 'LookupTableSize', 'LookupTableSizeV2']);

/** Ops creating a static hash table. */
export const STATIC_TABLE_CREATE_OPS: ReadonlySet<string> = new Set(['HashTable', 'HashTableV2']);

/** Ops filling a static hash table from key and value tensors (tfjs runs them in a model initializer). */
export const STATIC_TABLE_INIT_OPS: ReadonlySet<string> = new Set(['LookupTableImport', 'LookupTableImportV2', 'InitializeTable', 'InitializeTableV2']);

/** Options of {@link checkFrozenGraph}. */
export interface FrozenGraphCheckOptions {
  /** let {@link STATIC_TABLE_OPS} stay (other lookup-table ops are still refused) */
  allowStaticTables?: boolean;
  /** also let {@link STATIC_TABLE_INIT_OPS} stay (a table initializer graph) */
  allowTableInitializers?: boolean;
}

/** Control-flow v2 ops (functional If / While / Case). */
export const CONTROL_FLOW_V2_OPS: ReadonlySet<string> = new Set(['If', 'StatelessIf', 'While', 'StatelessWhile', 'Case', 'StatelessCase']);

function list(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

/**
 * Throws when variable or lookup-table ops remain in `g`.
 * @param options `allowStaticTables` lets the static hash-table ops stay
 * @throws UnsupportedOpError `ERR_TFEXPORT_UNSUPPORTED_OP` naming the lookup-table nodes;
 *   FormatError `ERR_TFEXPORT_VARIABLE_NOT_FOUND` naming variable nodes left unresolved
 */
export function checkFrozenGraph(g: WorkGraph, options: FrozenGraphCheckOptions = {}): void {
  const tables: string[] = [];
  const vars: string[] = [];
  for (const n of g.nodes.values()) {
    if (isLookupTableOp(n.op)) {
      const allowed = (options.allowStaticTables && STATIC_TABLE_OPS.has(n.op)) || (options.allowTableInitializers && STATIC_TABLE_INIT_OPS.has(n.op));
      if (!allowed) tables.push(`${n.name} (${n.op})`);
    } else if (VARIABLE_OPS.has(n.op)) vars.push(`${n.name} (${n.op})`);
  }
  if (tables.length) {
    const msg = options.allowStaticTables
      ? `lookup-table ops other than static hash tables (HashTableV2 filled once by LookupTableImportV2 / InitializeTableV2, read by LookupTableFindV2 / LookupTableSizeV2) cannot be converted; nodes: ${list(tables)}`
      : `lookup tables (hash tables filled by an initializer) cannot be frozen into a plain graph; nodes: ${list(tables)}`;
    throw new UnsupportedOpError('ERR_TFEXPORT_UNSUPPORTED_OP', `${g.where}: ${msg}`, { field: tables[0], nodes: tables });
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
