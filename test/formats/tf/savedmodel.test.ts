// SPDX-License-Identifier: Apache-2.0
/**
 * SavedModel reader: every fixture SavedModel opens; signatures match the TF-Serving metadata
 * oracles and the expected.json files; variables match their documented values; tags, assets,
 * fingerprint, object graph; pbtxt / cpb / corrupt files give typed errors naming the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, IoError, ValidationError } from '../../../src/errors.js';
import { openSavedModel, type SignatureInfo } from '../../../src/formats/savedmodel/index.js';
import { dataTypeEnumName } from '../../../src/proto/index.js';
import { copyWritable, fixture, fixturesDir, readJson, savedModelDirs } from './fixtures.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-sm-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

interface ServingTensor {
  dtype: string;
  tensor_shape: { dim?: { size: string }[]; unknown_rank: boolean };
  name: string;
}
interface ServingSignature {
  inputs: Record<string, ServingTensor>;
  outputs: Record<string, ServingTensor>;
  method_name: string;
}

/** Our signature listing in TF Serving's GetModelMetadata JSON shape. */
function asServing(sig: SignatureInfo): ServingSignature {
  const conv = (ts: SignatureInfo['inputs']): Record<string, ServingTensor> =>
    Object.fromEntries(
      ts.map((t) => [
        t.key,
        {
          dtype: dataTypeEnumName(t.dataType),
          tensor_shape: t.shape === null ? { unknown_rank: true } : { dim: t.shape.map((d) => ({ size: String(d) })), unknown_rank: false },
          name: t.name ?? '',
        },
      ]),
    );
  return { inputs: conv(sig.inputs), outputs: conv(sig.outputs), method_name: sig.methodName };
}

function normalizeServing(sig: ServingSignature): ServingSignature {
  const conv = (m: Record<string, ServingTensor>): Record<string, ServingTensor> =>
    Object.fromEntries(
      Object.entries(m).map(([k, t]) => [
        k,
        {
          dtype: t.dtype,
          tensor_shape: t.tensor_shape.unknown_rank ? { unknown_rank: true } : { dim: (t.tensor_shape.dim ?? []).map((d) => ({ size: d.size })), unknown_rank: false },
          name: t.name,
        },
      ]),
    );
  return { inputs: conv(sig.inputs), outputs: conv(sig.outputs), method_name: sig.method_name };
}

describe.skipIf(!fixturesDir)('fixture SavedModels', () => {
  it.each(savedModelDirs().map((d) => [path.relative(fixturesDir ?? '', d), d]))('%s opens; signatures and variables are listed', async (_n, dir) => {
    const twoTags = dir.includes('tfrust_regression_model_tf1');
    const sm = await openSavedModel(dir, twoTags ? { tags: ['train', 'serve'] } : {});
    try {
      expect(sm.schemaVersion).toBe(1);
      expect(sm.signatures.length).toBeGreaterThan(0);
      expect(sm.signatures.some((s) => s.key === '__saved_model_init_op')).toBe(false);
      for (const v of sm.variableList()) await sm.readVariable(v.key);
      const expectedFile = path.join(dir.replace(/\/0000012[34]$/, ''), 'expected.json');
      if (fs.existsSync(expectedFile)) {
        const expected = readJson<{ cases?: { signature?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] }>(expectedFile);
        for (const c of expected.cases ?? []) {
          if (!c.signature || c.signature.includes('/ ')) continue; // "a / b / c" notes
          const sig = sm.signatures.find((s) => s.key === c.signature);
          expect(sig, `${c.signature} in ${dir}`).toBeDefined();
          expect(sig!.inputs.map((i) => i.key)).toEqual(Object.keys(c.inputs ?? {}).sort());
          expect(sig!.outputs.map((o) => o.key)).toEqual(Object.keys(c.outputs ?? {}).sort());
        }
      }
    } finally {
      await sm.close();
    }
  });

  it('variable values documented in the expected.json files match', async () => {
    let checked = 0;
    for (const dir of savedModelDirs()) {
      const expectedFile = path.join(dir.replace(/\/0000012[34]$/, ''), 'expected.json');
      if (!fs.existsSync(expectedFile)) continue;
      const vars = readJson<{ variables?: Record<string, number | { data: unknown }> }>(expectedFile).variables ?? {};
      const sm = await openSavedModel(dir, dir.includes('tfrust_regression_model_tf1') ? { tags: ['train', 'serve'] } : {});
      try {
        for (const [rawName, value] of Object.entries(vars)) {
          const name = rawName.replace(/\s*\(.*\)$/, '');
          const v = sm.variableList().find((x) => x.name === name || x.fullName === name || x.fullName?.endsWith(`/${name}`));
          if (!v) continue; // descriptive entries such as "momentum slot of kernel"
          const want = (typeof value === 'number' ? [value] : [value.data].flat(3)) as number[];
          const got = Array.from((await sm.readVariable(v.key)).data as Float32Array, Number);
          expect(got.length, `${dir} ${name}`).toBe(want.length);
          got.forEach((g, i) => expect(g, `${dir} ${name}[${i}]`).toBeCloseTo(want[i]!, 5));
          checked++;
        }
      } finally {
        await sm.close();
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('TF1 half_plus_two signatures equal the TF Serving GetModelMetadata oracle', async () => {
    const meta = readJson<{ metadata: { signature_def: { signature_def: Record<string, ServingSignature> } } }>(
      fixture('savedmodel/tfserving_half_plus_two_2_versions_metadata.json'),
    );
    const oracle = meta.metadata.signature_def.signature_def;
    const sm = await openSavedModel(fixture('savedmodel/tfserving_half_plus_two_2_versions'));
    expect(path.basename(sm.dir)).toBe('00000124'); // the highest version of a TF-Serving base directory
    const ours = Object.fromEntries(sm.signatures.map((s) => [s.key, asServing(s)]));
    const theirs = Object.fromEntries(Object.entries(oracle).map(([k, v]) => [k, normalizeServing(v)]));
    expect(ours).toEqual(theirs);
    await sm.close();
  });

  it('TF2 half_plus_two signatures equal the TF Serving oracle; fingerprint and object graph are read', async () => {
    const meta = readJson<{ metadata: { signature_def: { signature_def: Record<string, ServingSignature> } } }>(
      fixture('savedmodel/tfserving_half_plus_two_tf2_2_versions_metadata.json'),
    );
    const sm = await openSavedModel(fixture('savedmodel/tfserving_half_plus_two_tf2_cpu'));
    const theirs = Object.fromEntries(
      Object.entries(meta.metadata.signature_def.signature_def)
        .filter(([k]) => k !== '__saved_model_init_op')
        .map(([k, v]) => [k, normalizeServing(v)]),
    );
    const ours = Object.fromEntries(sm.signatures.map((s) => [s.key, asServing(s)]));
    expect(ours).toEqual(theirs);
    expect(sm.tensorflowVersion).toBe('2.14.0');
    expect(sm.fingerprint).not.toBeNull();
    expect(sm.fingerprint!.savedModelChecksum).toBeGreaterThan(0n);
    expect(sm.objectGraph!.nodes.length).toBeGreaterThan(5);
    expect(sm.initOp).toBeTruthy();
    expect(sm.assets).toEqual([expect.objectContaining({ filename: 'foo.txt', exists: true })]);
    const vars = sm.variableList();
    expect(vars.map((v) => v.name)).toEqual(['a', 'b', 'c']);
    expect(Array.from((await sm.readVariable('b')).data as Float32Array)).toEqual([2]);
    await sm.close();
  });

  it('TF1 half_plus_two: assets, variables, DT_STRING classify inputs', async () => {
    const sm = await openSavedModel(fixture('savedmodel/tfserving_half_plus_two_cpu'));
    expect(sm.objectGraph).toBeNull();
    expect(sm.fingerprint).toBeNull();
    expect(sm.assets.map((a) => [a.filename, a.exists])).toEqual([['foo.txt', true]]);
    expect(sm.assets[0]!.tensorName).toMatch(/:0$/);
    const classify = sm.signatures.find((s) => s.key === 'classify_x_to_y')!;
    expect(classify.methodName).toBe('tensorflow/serving/classify');
    expect(classify.inputs[0]!.dtype).toBe('string');
    const serving = sm.signatures.find((s) => s.key === 'serving_default')!;
    expect(serving.inputs).toEqual([{ key: 'x', name: 'x:0', encoding: 'name', dtype: 'float32', dataType: 1, shape: [-1, 1] }]);
    const expected = readJson<{ variables: Record<string, number> }>(fixture('savedmodel/tfserving_half_plus_two_cpu/expected.json')).variables;
    for (const name of ['a', 'b', 'c']) expect((await sm.readVariable(name)).data).toEqual(Float32Array.from([expected[name]!]));
    await sm.close();
  });

  it('MetaGraph selection by tags (exact set match, like TF)', async () => {
    const dir = fixture('savedmodel/tfrust_regression_model_tf1');
    let err: unknown;
    try {
      await openSavedModel(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('ERR_TFEXPORT_TAGS_NOT_FOUND');
    expect((err as ValidationError).message).toContain('[train, serve]');
    const sm = await openSavedModel(dir, { tags: ['serve', 'train'] });
    expect(sm.tags.sort()).toEqual(['serve', 'train']);
    expect(sm.signatures.map((s) => s.key)).toEqual(['tensorflow/serving/regress']);
    expect((await sm.readVariable('w')).data).toEqual(Float32Array.from([Math.fround(-0.85786223)]));
    await sm.close();
  });

  it('unknown-rank inputs, signatures without inputs, REF dtypes', async () => {
    const java = await openSavedModel(fixture('savedmodel/tfjava_saved_model_using_python'));
    const add = java.signatures.find((s) => s.key === 'add')!;
    expect(add.inputs.map((i) => [i.key, i.shape])).toEqual([['a', null], ['b', null]]);
    expect((await java.readVariable('variable')).data).toEqual(Float32Array.from([2]));
    await java.close();
    const counter = await openSavedModel(fixture('savedmodel/tfserving_counter'));
    const get = counter.signatures.find((s) => s.key === 'get_counter')!;
    expect(get.inputs).toEqual([]);
    expect(get.outputs[0]!.dtype).toBe('float32');
    expect(dataTypeEnumName(get.outputs[0]!.dataType)).toBe('DT_FLOAT_REF');
    await counter.close();
  });

  it('TF2 Keras variables are named from the object graph', async () => {
    const sm = await openSavedModel(fixture('savedmodel/tfkeras_lso_savedmodel_tf2.2'));
    const kernel = sm.variableList().find((v) => v.shape.join() === '2,2' && !v.optimizerSlot)!;
    expect(kernel.fullName).toMatch(/kernel/);
    const t = await sm.readVariable(kernel.key);
    expect((t.data as Float32Array)[0]).toBeCloseTo(9.229685, 5);
    expect(sm.checkpointObjectGraph!.nodes.length).toBeGreaterThan(3);
    await sm.close();
  });

  it('a SavedModel without variables/ (graph only)', async () => {
    const sm = await openSavedModel(fixture('savedmodel/litert_control_flow_v1_saved_model'));
    expect(sm.variables).toBeNull();
    expect(sm.variableList()).toEqual([]);
    expect(sm.signatures[0]!.inputs.map((i) => i.key)).toEqual(['a', 'b', 'c', 'd']);
    await expect(sm.readVariable('x')).rejects.toThrow(ValidationError);
    await sm.close();
  });
});

describe('unsupported and corrupt SavedModels', () => {
  it('saved_model.pbtxt and saved_model.cpb are refused by name', async () => {
    for (const name of ['saved_model.pbtxt', 'saved_model.cpb']) {
      const dir = fs.mkdtempSync(path.join(tmpRoot, 'x'));
      fs.writeFileSync(path.join(dir, name), 'saved_model_schema_version: 1\n');
      let err: unknown;
      try {
        await openSavedModel(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('ERR_TFEXPORT_UNSUPPORTED_FORMAT');
      expect((err as FormatError).message).toContain(path.join(dir, name));
      expect((err as FormatError).message).toContain('not supported yet');
    }
  });

  it.skipIf(!fixturesDir || !fs.existsSync('/proc/self/fd'))('a failed open leaves no file open (the variables read alongside the decode are closed)', async () => {
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const src = fixture('savedmodel/tfserving_half_plus_two_tf2_cpu');
    // decodes, then fails on the tags: the bundle was opened meanwhile
    const before = openFds();
    await expect(openSavedModel(src, { tags: ['no-such-tag'] })).rejects.toThrow(/no MetaGraph tagged/);
    expect(openFds()).toBe(before);
    // fails in the decode
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'fds'));
    copyWritable(src, dir);
    const pb = path.join(dir, 'saved_model.pb');
    fs.writeFileSync(pb, fs.readFileSync(pb).subarray(0, 100));
    await expect(openSavedModel(dir)).rejects.toThrow(FormatError);
    expect(openFds()).toBe(before);
    // and a successful open holds the data shard only until close()
    const sm = await openSavedModel(src);
    await sm.readVariable(sm.variableList()[0]!.key);
    expect(openFds()).toBeGreaterThan(before);
    await sm.close();
    expect(openFds()).toBe(before);
  });

  it('a directory without a SavedModel is an IoError', async () => {
    await expect(openSavedModel(fs.mkdtempSync(path.join(tmpRoot, 'empty')))).rejects.toThrow(IoError);
  });

  it.skipIf(!fixturesDir)('a truncated or corrupted saved_model.pb is a FormatError naming the file and field', async () => {
    const src = fixture('savedmodel/tfjs_node_times_three_float');
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'trunc'));
    copyWritable(src, dir);
    const file = path.join(dir, 'saved_model.pb');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    let err: unknown;
    try {
      await openSavedModel(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toContain(file);
    expect((err as FormatError).context.field).toMatch(/^meta_graphs/);
    // an asset path escaping assets/ is refused
    const asset = fs.mkdtempSync(path.join(tmpRoot, 'asset'));
    copyWritable(fixture('savedmodel/tfserving_half_plus_two_tf2_cpu'), asset);
    const pb = fs.readFileSync(path.join(asset, 'saved_model.pb'));
    const { messageCodec } = await import('../../../src/proto/index.js');
    const codec = messageCodec('tensorflow.SavedModel');
    const sm = codec.decode(new Uint8Array(pb));
    sm.metaGraphs[0]!.assetFileDef[0]!.filename = '../../etc/passwd';
    fs.writeFileSync(path.join(asset, 'saved_model.pb'), codec.encode(sm));
    await expect(openSavedModel(asset)).rejects.toThrow(/escapes the assets\/ directory/);
  });
});
