// SPDX-License-Identifier: Apache-2.0
/** Checkpoints: the text state file, TF1 name-based and TF2 object-based checkpoints, legacy V1 refusal. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, IoError } from '../../../src/errors.js';
import { openCheckpoint, parseCheckpointState, resolveCheckpoint } from '../../../src/formats/checkpoint/index.js';
import { DataType } from '../../../src/proto/index.js';
import { bytesOf, writeBundle } from './helpers/bundle-writer.js';
import { copyWritable, fixture, fixturesDir, readJson } from './fixtures.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-ckpt-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

describe('checkpoint state file', () => {
  it('parses fields, repeated values, escapes, comments and adjacent strings', () => {
    const s = parseCheckpointState(
      [
        '# written by TF',
        'model_checkpoint_path: "ckpt-3"',
        'all_model_checkpoint_paths: "ckpt-2"',
        "all_model_checkpoint_paths: 'ckpt-\\x33' ",
        'all_model_checkpoint_timestamps: 1700000000.5',
        'all_model_checkpoint_timestamps: 1.7e9',
        'last_preserved_timestamp: 1699990000.25',
      ].join('\n'),
      'checkpoint',
    );
    expect(s.modelCheckpointPath).toBe('ckpt-3');
    expect(s.allModelCheckpointPaths).toEqual(['ckpt-2', 'ckpt-3']);
    expect(s.allModelCheckpointTimestamps).toEqual([1700000000.5, 1.7e9]);
    expect(s.lastPreservedTimestamp).toBe(1699990000.25);
    const esc = parseCheckpointState('model_checkpoint_path: "a\\"b\\\\c\\n\\303\\251" "d"', 'x');
    expect(esc.modelCheckpointPath).toBe('a"b\\c\né' + 'd');
  });

  it('refuses malformed state files naming the file, line and field', () => {
    const cases: [string, string][] = [
      ['model_checkpoint_path: "unterminated', 'unterminated string'],
      ['bogus_field: "x"', 'bogus_field'],
      ['model_checkpoint_path: 12', 'expected a quoted string'],
      ['model_checkpoint_path: "a"\nmodel_checkpoint_path: "b"', 'more than once'],
      ['all_model_checkpoint_timestamps: "x"', 'expected a number'],
      ['model_checkpoint_path "a" @', 'unexpected character'],
    ];
    for (const [text, fragment] of cases) {
      let err: unknown;
      try {
        parseCheckpointState(text, 'dir/checkpoint');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('ERR_TFEXPORT_CHECKPOINT_STATE');
      expect((err as FormatError).message).toContain('dir/checkpoint');
      expect((err as FormatError).message).toContain(fragment);
    }
  });
});

describe.skipIf(!fixturesDir)('fixture checkpoints', () => {
  it('TF1 Saver checkpoint through its directory, state file, prefix and .index', async () => {
    const dir = fixture('checkpoint/tf2onnx_regression_tf1_saver');
    for (const loc of [dir, path.join(dir, 'checkpoint'), path.join(dir, 'model'), path.join(dir, 'model.index'), path.join(dir, 'model.data-00000-of-00001')]) {
      const ckpt = await openCheckpoint(loc);
      expect(ckpt.prefix).toBe(path.join(dir, 'model'));
      expect(ckpt.objectBased).toBe(false);
      expect(ckpt.variables().map((v) => [v.name, v.dtype, v.shape])).toEqual([
        ['W', 'float32', []],
        ['b', 'float32', []],
      ]);
      const expected = readJson<{ variables: Record<string, { data: number }> }>(path.join(dir, 'expected.json')).variables;
      expect((await ckpt.read('W')).data).toEqual(Float32Array.from([expected.W!.data]));
      expect((await ckpt.read('b')).data).toEqual(Float32Array.from([expected.b!.data]));
      await ckpt.close();
    }
    const resolved = await resolveCheckpoint(dir);
    expect(resolved.state?.allModelCheckpointPaths).toEqual(['model']);
  });

  it('TF2 object-based sharded checkpoint: object graph, readable names, full names, slots', async () => {
    const ckpt = await openCheckpoint(fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded'));
    expect(ckpt.objectBased).toBe(true);
    expect(ckpt.bundle.numShards).toBe(2);
    const graph = ckpt.objectGraph!;
    expect(graph.nodes.length).toBeGreaterThan(5);
    const keys = graph.nodes.flatMap((n) => n.attributes.map((a) => a.checkpointKey));
    expect(keys).toContain('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE');
    const kernel = ckpt.variables().find((v) => v.name === 'layer_with_weights-0/kernel')!;
    expect(kernel).toMatchObject({ dtype: 'float32', shape: [2, 2], optimizerSlot: false, sliced: false });
    expect(kernel.fullName).toBe('sequential/dense/kernel');
    const byFullName = await ckpt.read('sequential/dense/kernel');
    const byName = await ckpt.read('layer_with_weights-0/kernel');
    expect(byFullName.data).toEqual(byName.data);
    const expected = readJson<{ variables: Record<string, { data: number[][] | number[] }> }>(fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/expected.json')).variables;
    const want = (expected['dense/kernel']!.data as number[][]).flat();
    Array.from(byName.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(ckpt.variables().filter((v) => v.optimizerSlot).length).toBeGreaterThanOrEqual(2);
    expect(ckpt.variables().some((v) => v.key === '_CHECKPOINTABLE_OBJECT_GRAPH')).toBe(false);
    await ckpt.close();
  });

  it('a legacy V1 checkpoint (state file with an absolute path from another machine) is refused clearly', async () => {
    let err: unknown;
    try {
      await openCheckpoint(fixture('checkpoint/tfserving_bad_half_plus_two_legacy_v1'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('ERR_TFEXPORT_CHECKPOINT_V1');
    expect((err as FormatError).message).toContain(fixture('checkpoint/tfserving_bad_half_plus_two_legacy_v1/export'));
  });

  it('a state file naming a missing checkpoint is an IoError naming both', async () => {
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'missing'));
    fs.writeFileSync(path.join(dir, 'checkpoint'), 'model_checkpoint_path: "ckpt-9"\n');
    let err: unknown;
    try {
      await openCheckpoint(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).message).toContain('ckpt-9.index');
    expect((err as IoError).message).toContain(path.join(dir, 'checkpoint'));
  });

  it('a corrupt object graph is a FormatError naming _CHECKPOINTABLE_OBJECT_GRAPH', async () => {
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'og'));
    const prefix = path.join(dir, 'ckpt-1');
    const { encodeStringTensor } = await import('./helpers/bundle-writer.js');
    const bad = encodeStringTensor([Uint8Array.from([0x0a, 0x50, 0x01])]);
    writeBundle(prefix, [
      { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: DataType.DT_STRING, shape: [], bytes: bad.bytes, crc32c: bad.crc32c },
      { key: 'v/.ATTRIBUTES/VARIABLE_VALUE', dtype: DataType.DT_FLOAT, shape: [1], bytes: bytesOf(Float32Array.from([1])) },
    ]);
    let err: unknown;
    try {
      await openCheckpoint(prefix);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toContain('_CHECKPOINTABLE_OBJECT_GRAPH');
    expect((err as FormatError).context.field).toBe('_CHECKPOINTABLE_OBJECT_GRAPH');
  });

  it('a moved checkpoint directory whose state file has absolute paths still opens', async () => {
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'moved'));
    copyWritable(fixture('checkpoint/tf2onnx_regression_tf1_saver'), dir);
    fs.writeFileSync(path.join(dir, 'checkpoint'), 'model_checkpoint_path: "/nonexistent/machine/model"\n');
    const ckpt = await openCheckpoint(dir);
    expect(ckpt.prefix).toBe(path.join(dir, 'model'));
    await ckpt.close();
  });
});
