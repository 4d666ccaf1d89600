// SPDX-License-Identifier: Apache-2.0
/**
 * tfjs graph models of SavedModels with lookup tables and debug ops, against real TensorFlow 2.21
 * (test/fixtures/generators/tfjs_tables.py builds them and records the signature outputs):
 * static hash tables get a `modelInitializer` (HashTableV2 + LookupTableImportV2 over constant
 * keys and values, its constants in the single weight group) and an `initializerSignature` whose
 * output's `resourceId` matches the main graph's `DT_RESOURCE` signature input; the converted
 * models load in @tensorflow/tfjs 4.22 and give TF's outputs exactly for known and unknown keys.
 * Mutable tables and tables filled from a text file asset are refused with one typed error
 * naming the node and op. `stripDebugOps: false` keeps Assert / CheckNumerics (which the op check
 * then reports). Skipped loudly when there is no oracle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { convertToGraphModel, type GraphModelOptions, type GraphModelResult } from '../../src/formats/tfjs/graph-write.js';
import { freezeSavedModel } from '../../src/formats/savedmodel/freeze.js';
import { loadGraphModel, runGraphModel, type Feed } from '../formats/tfjs-graph/tfjs-run.js';
import { oraclePython, repoRoot, runOracle } from './oracle.js';

const python = oraclePython();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-tfjs-tables-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Case {
  inputs: Record<string, Feed>;
  outputs: Record<string, Feed>;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sm = (name: string) => path.join(tmp, name, 'saved_model');
const caseOf = (name: string) => JSON.parse(fs.readFileSync(path.join(tmp, name, 'case.json'), 'utf8')) as Case;

async function convert(name: string, out: string, options: GraphModelOptions = {}): Promise<{ r: GraphModelResult; json: Json; dir: string }> {
  const dir = path.join(tmp, name, out);
  const r = await convertToGraphModel(sm(name), dir, options);
  return { r, json: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Json, dir };
}

async function run(dir: string, r: GraphModelResult, c: Case): Promise<Record<string, number[]>> {
  const feeds: Record<string, Feed> = {};
  for (const t of r.signature.inputs) feeds[t.name] = c.inputs[t.key]!;
  const got = await runGraphModel(await loadGraphModel(dir), feeds, r.signature.outputs.map((o) => o.name));
  return Object.fromEntries(r.signature.outputs.map((o) => [o.key, got[o.name]!]));
}

const ops = (nodes: { op: string }[]) => nodes.map((n) => n.op);

describe.skipIf(!python)('tfjs graph models with hash tables / debug ops vs TensorFlow 2.21', () => {
  beforeAll(async () => {
    await runOracle(path.join(repoRoot, 'test', 'fixtures', 'generators', 'tfjs_tables.py'), [tmp], 170_000);
  }, 180_000);

  it('static_table: modelInitializer + initializerSignature paired with the resource input by resourceId; exact lookups (known, unknown, UTF-8, empty keys) and size', async () => {
    const { r, json, dir } = await convert('static_table', 'tfjs');
    const init = json.modelInitializer;
    expect(ops(init.node)).toEqual(expect.arrayContaining(['HashTableV2', 'LookupTableImportV2', 'Const', 'Identity']));
    const table = init.node.find((n: Json) => n.op === 'HashTableV2');
    const importNode = init.node.find((n: Json) => n.op === 'LookupTableImportV2');
    expect(parseInt(init.versions.producer, 10)).toBeGreaterThan(0);
    // the main graph reads the table from a DT_RESOURCE placeholder of the same name
    const main = json.modelTopology.node as Json[];
    expect(main.find((n) => n.name === table.name)).toMatchObject({ op: 'Placeholder', attr: { dtype: { type: 'DT_RESOURCE' } } });
    expect(ops(main)).toEqual(expect.arrayContaining(['LookupTableFindV2', 'LookupTableSizeV2']));
    expect(ops(main)).not.toContain('LookupTableImportV2');
    expect(ops(main)).not.toContain('HashTableV2');
    const resourceInput = json.signature.inputs[`${table.name}:0`];
    expect(resourceInput).toMatchObject({ name: `${table.name}:0`, dtype: 'DT_RESOURCE', tensorShape: {} });
    const outs = Object.entries(json.initializerSignature.outputs) as [string, Json][];
    expect(outs).toHaveLength(1);
    expect(outs[0]![1]).toMatchObject({ name: outs[0]![0], dtype: 'DT_RESOURCE', resourceId: resourceInput.resourceId });
    const outNode = init.node.find((n: Json) => `${n.name}:0` === outs[0]![0]);
    expect(outNode.input).toEqual([table.name, `^${importNode.name}`]);
    // keys and values are constants in the one weight group, values cleared from the GraphDef
    expect(json.weightsManifest).toHaveLength(1);
    const names = json.weightsManifest[0].weights.map((w: Json) => w.name);
    for (const input of importNode.input.slice(1)) {
      expect(names).toContain(input);
      expect(init.node.find((n: Json) => n.name === input).attr.value.tensor).not.toHaveProperty('stringVal');
    }
    expect(new Set(names).size).toBe(names.length);
    expect(r.signature.inputs.map((t) => t.key)).toEqual(['words']);
    const c = caseOf('static_table');
    const got = await run(dir, r, c);
    expect(got.ids).toEqual(c.outputs.ids!.data);
    expect(got.size).toEqual(c.outputs.size!.data);
    // positional predictAsync: the resource input is filled by the initializer output
    const model = await loadGraphModel(dir);
    const p = (await model.predictAsync(tf.tensor(['cherry', 'nope'], [2], 'string'))) as tf.Tensor[];
    const ids = p.find((t) => t.shape.length === 1)!;
    expect(Array.from(await ids.data())).toEqual([90, -3]);
  });

  it('int_table: int64 keys -> float32 values in a cond, lowered (default) and with controlFlowV2', async () => {
    const c = caseOf('int_table');
    for (const [out, v2] of [['tfjs', false], ['tfjs-cf2', true]] as const) {
      const { r, json, dir } = await convert('int_table', out, { controlFlowV2: v2 });
      expect(ops(json.modelTopology.node)).toContain(v2 ? 'StatelessIf' : 'Switch');
      expect(ops(json.modelInitializer.node)).toContain('LookupTableImportV2');
      expect((await run(dir, r, c)).out).toEqual(c.outputs.out!.data);
    }
  });

  it('cond_table: lookups inside cond branches run when control flow is lowered (default); kept as v2 functions they are refused (tfjs has no hash tables there)', async () => {
    const c = caseOf('cond_table');
    const { r, json, dir } = await convert('cond_table', 'tfjs');
    expect(json.modelTopology.library?.function ?? []).toEqual([]);
    expect(ops(json.modelTopology.node).filter((o: string) => o === 'LookupTableFindV2')).toHaveLength(2);
    expect((await run(dir, r, c)).out).toEqual(c.outputs.out!.data);
    // --control-flow-v2: the branch functions look the table up, which tfjs 4.22 cannot run
    const out = path.join(tmp, 'cond_table', 'tfjs-cf2');
    let err: unknown;
    try {
      await convertToGraphModel(sm('cond_table'), out, { controlFlowV2: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_UNSUPPORTED_OP');
    expect((err as Error).message).toMatch(/LookupTableFindV2 \(inside a function: .*--control-flow-v2\): \S+\/\S+, \S+\/\S+/);
    expect(fs.existsSync(out)).toBe(false);
    // written anyway with skipOpCheck
    await convertToGraphModel(sm('cond_table'), out, { controlFlowV2: true, skipOpCheck: true });
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
  });

  it('tf1_table: a TF1 SavedModel whose main_op (tables_initializer) fills the table', async () => {
    const { r, json, dir } = await convert('tf1_table', 'tfjs');
    expect(ops(json.modelInitializer.node)).toEqual(expect.arrayContaining(['HashTableV2', 'LookupTableImportV2']));
    const c = caseOf('tf1_table');
    expect((await run(dir, r, c)).ids).toEqual(c.outputs.ids!.data);
  });

  it('Keras 3 StringLookup and IntegerLookup export through the same tables and match', async () => {
    const s = await convert('string_lookup', 'tfjs');
    expect(ops(s.json.modelInitializer.node)).toContain('LookupTableImportV2');
    const cs = caseOf('string_lookup');
    const got = (await run(s.dir, s.r, cs)).output_0!;
    const want = cs.outputs.output_0!.data as number[];
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]!)));
    const ii = await convert('integer_lookup', 'tfjs');
    expect(ops(ii.json.modelInitializer.node)).toContain('LookupTableImportV2');
    const ci = caseOf('integer_lookup');
    expect((await run(ii.dir, ii.r, ci)).output_0).toEqual(ci.outputs.output_0!.data);
  });

  it('mutable tables and tables filled from a text file asset: one typed error naming the node and op, nothing written', async () => {
    for (const [name, re] of [
      ['mutable_table', /"MutableHashTable[^"]* \(MutableHashTableV2\)"/],
      ['text_file_table', /"hash_table" \(HashTableV2\) is filled by node ".*InitializeTableFromTextFileV2" \(InitializeTableFromTextFileV2\) from a text file asset/],
    ] as const) {
      const out = path.join(tmp, name, 'tfjs');
      const err = await convertToGraphModel(sm(name), out).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedOpError);
      expect((err as UnsupportedOpError).code).toBe('ERR_TFEXPORT_UNSUPPORTED_OP');
      expect((err as Error).message).toMatch(re);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('freezeSavedModel still refuses tables by default (no initializer to carry them)', async () => {
    await expect(freezeSavedModel(sm('static_table'))).rejects.toThrow(/lookup tables .*HashTableV2/);
    const ir = await freezeSavedModel(sm('static_table'), { tables: 'initializer' });
    try {
      expect(ir.tables).toHaveLength(1);
      expect(ir.initializer!.outputs).toEqual([{ tensor: 'Identity:0', table: ir.tables[0]!.node, resourceId: ir.tables[0]!.resourceId }]);
    } finally {
      await ir.close();
    }
  });

  it('debug ops: stripped by default; stripDebugOps false keeps Assert / CheckNumerics, which the op check reports', async () => {
    const c = caseOf('debug_ops');
    const d = await convert('debug_ops', 'tfjs');
    expect(ops(d.json.modelTopology.node)).not.toContain('Assert');
    expect(ops(d.json.modelTopology.node)).not.toContain('CheckNumerics');
    const got = (await run(d.dir, d.r, c)).y!;
    got.forEach((v, i) => expect(Math.abs(v - (c.outputs.y!.data[i] as number))).toBeLessThanOrEqual(1e-6));
    const err = await convertToGraphModel(sm('debug_ops'), path.join(tmp, 'debug_ops', 'kept'), { stripDebugOps: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/2 op\(s\) are not supported .*Assert: .*CheckNumerics: /);
    const kept = await convert('debug_ops', 'kept-skip', { stripDebugOps: false, skipOpCheck: true });
    expect(ops(kept.json.modelTopology.node)).toEqual(expect.arrayContaining(['Assert', 'CheckNumerics']));
    const frozen = await freezeSavedModel(sm('debug_ops'), { stripDebugOps: false, controlFlow: 'lower' });
    try {
      expect([...frozen.nodes.values()].map((n) => n.op)).toEqual(expect.arrayContaining(['Assert', 'CheckNumerics', 'Switch']));
    } finally {
      await frozen.close();
    }
  });
});
