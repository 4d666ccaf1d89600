// SPDX-License-Identifier: Apache-2.0
/**
 * Conformance of the TensorFlow readers against real TensorFlow 2.21: one Python process
 * (test/fixtures/generators/tf_models.py) builds SavedModels (Keras CNN via model.export, a
 * tf.Module with 3 signatures, a TF1 SavedModelBuilder graph, tf.cond + tf.while_loop) and
 * checkpoints (several shards, sliced tensors (assembled from their slices), CheckpointManager, TF1 Saver), and dumps what TF itself reads from them;
 * every tensor we read must equal TF's bit for bit, every signature TF's structured specs, our
 * .proto schema TF's compiled descriptors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs/light.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, readCheckpointState } from '../../src/formats/checkpoint/index.js';
import { inspect } from '../../src/formats/inspect.js';
import { openSavedModel } from '../../src/formats/savedmodel/index.js';
import { openTensorBundle } from '../../src/formats/tensorbundle/index.js';
import { messageCodec, tensorflowProtoRoot } from '../../src/proto/index.js';
import { oraclePython, repoRoot, runOracle } from './oracle.js';

interface OracleTensor {
  dtype: string;
  shape: number[];
  file?: string;
  strings?: string[];
}
interface OracleSpec {
  dtype: string;
  shape: number[] | null;
}
interface OracleField {
  name: string;
  number: number;
  type: string;
  label: string;
  type_name: string;
  oneof: string | null;
}
interface Manifest {
  tensorflow_version: string;
  models: Record<string, { path: string; signatures: Record<string, { inputs: Record<string, OracleSpec>; outputs: Record<string, OracleSpec> }>; fingerprint: Record<string, string> | null }>;
  bundles: Record<string, { prefix: string; entries: Record<string, OracleTensor> }>;
  checkpoint_states: Record<string, { dir: string; model_checkpoint_path: string; all_model_checkpoint_paths: string[]; all_model_checkpoint_timestamps: number[]; last_preserved_timestamp: number }>;
  protos: { messages: Record<string, { syntax: string; map_entry: boolean; fields: OracleField[] }>; enums: Record<string, Record<string, number>> };
}

const python = oraclePython();
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-oracle-'));
let manifest: Manifest;

beforeAll(async () => {
  if (!python) return;
  await runOracle(path.join(repoRoot, 'test/fixtures/generators/tf_models.py'), [outDir], 150_000);
  manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
}, 160_000);
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!python)('TF 2.21 oracle', () => {
  it('our .proto schema has exactly the fields, numbers, types, labels and oneofs of TF 2.21', () => {
    // By shape, not instanceof: the runtime root comes from protobufjs' single-file build.
    const root = tensorflowProtoRoot();
    const scalarOf = (f: protobuf.Field): string => {
      if (f.resolvedType && 'fieldsArray' in f.resolvedType) return 'message';
      if (f.resolvedType && 'valuesById' in f.resolvedType) return 'enum';
      return f.type;
    };
    let checked = 0;
    for (const [name, msg] of Object.entries(manifest.protos.messages)) {
      if (msg.map_entry) continue;
      const type = root.lookupType(name);
      const ours = [...type.fieldsArray].sort((a, b) => a.id - b.id);
      const theirs = [...msg.fields].sort((a, b) => a.number - b.number);
      expect(ours.map((f) => [f.name, f.id]), name).toEqual(theirs.map((f) => [f.name, f.number]));
      for (const [i, f] of ours.entries()) {
        const t = theirs[i]!;
        const where = `${name}.${t.name}`;
        f.resolve();
        if (f instanceof protobuf.MapField || 'keyType' in f) {
          const entry = manifest.protos.messages[t.type_name]!;
          expect(entry?.map_entry, where).toBe(true);
          const [k, v] = [entry.fields.find((x) => x.number === 1)!, entry.fields.find((x) => x.number === 2)!];
          expect(f.keyType, where).toBe(k.type);
          expect(scalarOf(f), where).toBe(v.type);
          if (v.type_name) expect(f.resolvedType!.fullName.replace(/^\./, ''), where).toBe(v.type_name);
          continue;
        }
        expect(scalarOf(f), where).toBe(t.type);
        expect(f.repeated ? 'repeated' : 'optional', where).toBe(t.label);
        if (t.type_name) expect(f.resolvedType!.fullName.replace(/^\./, ''), where).toBe(t.type_name);
        expect(f.partOf?.name ?? null, where).toBe(t.oneof);
        if (msg.syntax === 'proto2' && !f.repeated && scalarOf(f) !== 'message') expect(f.hasPresence, where).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(250);
    for (const [name, values] of Object.entries(manifest.protos.enums)) {
      expect(root.lookupEnum(name).values, name).toEqual(values);
    }
  });

  it('every tensor of every bundle equals tf.train.load_checkpoint(...).get_tensor(...) bit for bit', async () => {
    let compared = 0;
    let sliced = 0;
    for (const [name, bundleInfo] of Object.entries(manifest.bundles)) {
      const bundle = await openTensorBundle(bundleInfo.prefix);
      try {
        expect(bundle.keys().sort(), name).toEqual(Object.keys(bundleInfo.entries).sort());
        for (const [key, want] of Object.entries(bundleInfo.entries)) {
          if (bundle.entry(key).sliced) {
            // partitioned tensors (MaxShardSizePolicy splits tensors larger than a shard): assembled from their slices
            expect(name).toBe('ckpt_sliced');
            expect(bundle.entry(key).proto.slices.length, `${name}:${key}`).toBeGreaterThan(1);
            sliced++;
          }
          const t = await bundle.read(key);
          expect(t.dtype, `${name}:${key}`).toBe(want.dtype);
          expect(t.shape, `${name}:${key}`).toEqual(want.shape);
          if (want.strings) {
            expect((t.data as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')), `${name}:${key}`).toEqual(want.strings);
          } else {
            const expected = fs.readFileSync(path.join(outDir, want.file!));
            const view = t.data as ArrayBufferView;
            const got = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
            expect(got.equals(expected), `${name}:${key}`).toBe(true);
          }
          compared++;
        }
      } finally {
        await bundle.close();
      }
    }
    expect(compared).toBeGreaterThan(40);
    expect(sliced).toBe(2); // big and mid of ckpt/sliced, read bit-exactly
    const dtypes = new Set(Object.values(manifest.bundles).flatMap((b) => Object.values(b.entries).map((e) => e.dtype)));
    for (const d of ['float16', 'bfloat16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'complex64', 'complex128', 'bool', 'string']) {
      expect(dtypes, d).toContain(d);
    }
  });

  it('every variable of the snappy-compressed fixture indexes equals tf.train.load_checkpoint(...).get_tensor(...) bit for bit', async (ctx) => {
    // The two fixtures whose variables.index has snappy-compressed blocks (native/wire/snappy.cc
    // when the addon loads, else the TS decoder). A separate small Python call: TF only reads here.
    const fixtures = path.resolve(repoRoot, '../shared/fixtures/savedmodel');
    const names = ['tfserving_half_plus_two_cpu', 'tfserving_half_plus_two_tf2_cpu'];
    const prefixes = names.map((n) => path.join(fixtures, n, 'variables', 'variables'));
    if (!prefixes.every((p) => fs.existsSync(`${p}.index`))) {
      console.warn(`\n*** snappy-index conformance test skipped: ${fixtures} not found (clone shared/ beside the repository) ***\n`);
      ctx.skip();
      return;
    }
    const dir = fs.mkdtempSync(path.join(outDir, 'snappy-'));
    const script = path.join(dir, 'dump.py');
    fs.writeFileSync(
      script,
      [
        'import base64, json, os, sys',
        'import numpy as np',
        'import tensorflow as tf',
        'out, prefixes = sys.argv[1], sys.argv[2:]',
        'result = {}',
        'for i, prefix in enumerate(prefixes):',
        '    r = tf.train.load_checkpoint(prefix)',
        '    entries = {}',
        '    for j, key in enumerate(sorted(r.get_variable_to_shape_map())):',
        '        v = r.get_tensor(key)',
        '        # a DT_STRING scalar comes back as bytes (np.asarray would strip trailing NULs)',
        '        t = np.empty((), dtype=object) if isinstance(v, bytes) else np.asarray(v)',
        '        if isinstance(v, bytes):',
        '            t[()] = v',
        '        e = {"shape": list(t.shape)}',
        '        if t.dtype == object:',
        '            e["dtype"] = "string"',
        '            e["strings"] = [base64.b64encode(bytes(x)).decode() for x in t.reshape(-1)]',
        '        else:',
        '            e["dtype"] = tf.as_dtype(t.dtype).name',
        '            e["file"] = f"t{i}_{j}.bin"',
        '            with open(os.path.join(out, e["file"]), "wb") as f:',
        '                f.write(np.ascontiguousarray(t).tobytes())',
        '        entries[key] = e',
        '    result[prefix] = entries',
        'with open(os.path.join(out, "snappy.json"), "w") as f:',
        '    json.dump(result, f)',
      ].join('\n'),
    );
    await runOracle(script, [dir, ...prefixes], 120_000);
    const want = JSON.parse(fs.readFileSync(path.join(dir, 'snappy.json'), 'utf8')) as Record<string, Record<string, OracleTensor>>;
    let compared = 0;
    for (const prefix of prefixes) {
      const bundle = await openTensorBundle(prefix);
      try {
        expect(bundle.keys().sort(), prefix).toEqual(Object.keys(want[prefix]!).sort());
        for (const [key, w] of Object.entries(want[prefix]!)) {
          const t = await bundle.read(key);
          expect(t.dtype, `${prefix}:${key}`).toBe(w.dtype);
          expect(t.shape, `${prefix}:${key}`).toEqual(w.shape);
          if (w.strings) {
            expect((t.data as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')), `${prefix}:${key}`).toEqual(w.strings);
          } else {
            const view = t.data as ArrayBufferView;
            const got = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
            expect(got.equals(fs.readFileSync(path.join(dir, w.file!))), `${prefix}:${key}`).toBe(true);
          }
          compared++;
        }
      } finally {
        await bundle.close();
      }
    }
    expect(compared).toBeGreaterThanOrEqual(6);
  }, 130_000);

  it('signatures match tf.saved_model.load(...).signatures structured specs', async () => {
    for (const [name, model] of Object.entries(manifest.models)) {
      const sm = await openSavedModel(model.path);
      try {
        expect(sm.signatures.map((s) => s.key).sort(), name).toEqual(Object.keys(model.signatures).sort());
        for (const sig of sm.signatures) {
          const want = model.signatures[sig.key]!;
          const conv = (xs: typeof sig.inputs) => Object.fromEntries(xs.map((x) => [x.key, { dtype: x.dtype, shape: x.shape }]));
          expect(conv(sig.inputs), `${name}.${sig.key} inputs`).toEqual(want.inputs);
          expect(conv(sig.outputs), `${name}.${sig.key} outputs`).toEqual(want.outputs);
        }
      } finally {
        await sm.close();
      }
    }
  });

  it('saved_model.pb written by TF 2.21 re-encodes byte-identically; fingerprint.pb decodes to TF`s values', async () => {
    const codec = messageCodec('tensorflow.SavedModel');
    for (const [name, model] of Object.entries(manifest.models)) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(model.path, 'saved_model.pb')));
      expect(Buffer.from(codec.encode(codec.decode(bytes))).equals(Buffer.from(bytes)), name).toBe(true);
      const sm = await openSavedModel(model.path);
      if (model.fingerprint) {
        const f = sm.fingerprint!;
        expect(
          {
            saved_model_checksum: f.savedModelChecksum.toString(),
            graph_def_program_hash: f.graphDefProgramHash.toString(),
            signature_def_hash: f.signatureDefHash.toString(),
            saved_object_graph_hash: f.savedObjectGraphHash.toString(),
            checkpoint_hash: f.checkpointHash.toString(),
          },
          name,
        ).toEqual(model.fingerprint);
      } else {
        expect(sm.fingerprint, name).toBeNull();
      }
      await sm.close();
    }
  });

  it('checkpoint state files and checkpoints (several shards, CheckpointManager, TF1 Saver)', async () => {
    for (const [name, st] of Object.entries(manifest.checkpoint_states)) {
      const ours = await readCheckpointState(path.join(st.dir, 'checkpoint'));
      const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(st.dir, p));
      expect(abs(ours.modelCheckpointPath), name).toBe(st.model_checkpoint_path);
      expect(ours.allModelCheckpointPaths.map(abs), name).toEqual(st.all_model_checkpoint_paths);
      expect(ours.allModelCheckpointTimestamps, name).toEqual(st.all_model_checkpoint_timestamps);
      expect(ours.lastPreservedTimestamp, name).toBe(st.last_preserved_timestamp);
      const ckpt = await openCheckpoint(st.dir);
      expect(ckpt.prefix, name).toBe(st.model_checkpoint_path);
      await ckpt.close();
    }
    const sharded = await openCheckpoint(manifest.bundles.ckpt_sharded!.prefix);
    expect(sharded.bundle.numShards).toBeGreaterThan(1);
    expect(new Set(sharded.bundle.entries().map((e) => e.shardId)).size).toBeGreaterThan(1);
    expect(sharded.objectBased).toBe(true);
    expect(sharded.variables().map((v) => v.name).sort()).toEqual(['big', 'mid', 'save_counter', 'small', 'words'].filter((n) => sharded.bundle.has(`${n}/.ATTRIBUTES/VARIABLE_VALUE`)).sort());
    await sharded.close();
    const saver = await openCheckpoint(path.dirname(manifest.bundles.ckpt_tf1_saver!.prefix));
    expect(saver.objectBased).toBe(false);
    expect(saver.variables().map((v) => v.name)).toEqual(['counter', 'layer/a']);
    expect(Array.from((await saver.read('counter')).data as BigInt64Array)).toEqual([-7n]);
    await saver.close();
  });

  it('inspect() describes the generated models', async () => {
    const cnn = await inspect(manifest.models.keras_cnn!.path);
    expect(cnn.producer.tensorflowVersion).toBe(manifest.tensorflow_version);
    expect(cnn.ops!.functions).toHaveProperty('Conv2D');
    expect(cnn.weights.dtypes).toHaveProperty('float32');
    const cf = await inspect(manifest.models.control_flow!.path);
    const fnOps = Object.keys(cf.ops!.functions);
    expect(fnOps.some((op) => /While$/.test(op))).toBe(true);
    expect(fnOps.some((op) => /If$/.test(op))).toBe(true);
    const tf1 = await inspect(manifest.models.tf1_builder!.path);
    expect(tf1.savedModel!.assets).toEqual([{ filename: 'vocab.txt', exists: true }]);
    expect(tf1.savedModel!.hasObjectGraph).toBe(false);
    expect(tf1.ops!.graph).toHaveProperty('MatMul', 1);
    const sigs = await inspect(manifest.models.module_sigs!.path);
    expect(sigs.signatures.map((s) => s.key)).toEqual(['count', 'lengths', 'serving_default']);
    expect(sigs.weights.dtypes).toHaveProperty('string');
  });
});
