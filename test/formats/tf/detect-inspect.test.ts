// SPDX-License-Identifier: Apache-2.0
/** Format detection by content and the inspect() report. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, IoError } from '../../../src/errors.js';
import { detectFormat, tryDetectFormat } from '../../../src/formats/detect.js';
import { inspect } from '../../../src/formats/inspect.js';
import { fixture, fixturesDir } from './fixtures.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-detect-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

describe.skipIf(!fixturesDir)('detectFormat', () => {
  it('recognises every fixture family', async () => {
    const cases: [string, string, string?][] = [
      ['savedmodel/tfserving_half_plus_two_cpu', 'tf_saved_model'],
      ['savedmodel/tfserving_half_plus_two_cpu/saved_model.pb', 'tf_saved_model', 'savedmodel/tfserving_half_plus_two_cpu'],
      ['savedmodel/tfserving_half_plus_two_2_versions', 'tf_saved_model', 'savedmodel/tfserving_half_plus_two_2_versions/00000124'],
      ['graphdef/tract_plus3.pb', 'tf_frozen_model'],
      ['graphdef/nnstreamer_mnist', 'tf_frozen_model', 'graphdef/nnstreamer_mnist/mnist.pb'],
      ['checkpoint/tf2onnx_regression_tf1_saver', 'tf_checkpoint'],
      ['checkpoint/tf2onnx_regression_tf1_saver/checkpoint', 'tf_checkpoint', 'checkpoint/tf2onnx_regression_tf1_saver'],
      ['checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt', 'tf_checkpoint'],
      ['checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt.index', 'tf_checkpoint', 'checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt'],
      ['tfjs-graph/tfjs_e2e_matmul', 'tfjs_graph_model'],
      ['tfjs-graph/human_gear_e1_float16', 'tfjs_graph_model'],
      ['tfjs-graph/tensorspace_mnist_graph_model_legacy', 'tfjs_graph_model'],
      ['tfjs-layers/tfjs_examples_abalone_tfjs_node', 'tfjs_layers_model'],
      ['tfjs-layers/tensorspace_mnist_saved_by_tfjs_0.8.3', 'tfjs_layers_model'],
      ['keras-h5/tensorspace_tf_keras_model.h5', 'keras'],
      ['keras-h5/hls4ml_mlp_streaming_hdf5_named.keras', 'keras'],
      ['keras-v3/keras_pre_pr22362_nested_container.keras', 'keras_keras'],
      ['tflite/tfjs_tflite_add4.tflite', 'tflite'],
      ['tflite/litert_testdata/add.bin', 'tflite'],
    ];
    for (const [rel, format, resolved] of cases) {
      const found = await detectFormat(fixture(rel));
      expect(found.format, rel).toBe(format);
      if (resolved) expect(found.path, rel).toBe(fixture(resolved));
      expect(found.reason.length).toBeGreaterThan(0);
    }
  });

  it('decides by content, not by extension', async () => {
    const copies: [string, string, string][] = [
      ['tflite/tfjs_tflite_add4.tflite', 'model.pb', 'tflite'],
      ['graphdef/tf2onnx_regression_frozen.pb', 'frozen.tflite', 'tf_frozen_model'],
      ['keras-h5/tensorspace_tf_keras_model.h5', 'weights.json', 'keras'],
      ['keras-v3/keras_pre_pr22362_nested_container.keras', 'model.h5', 'keras_keras'],
    ];
    for (const [src, name, format] of copies) {
      const file = path.join(tmpRoot, name);
      fs.copyFileSync(src.startsWith('/') ? src : fixture(src), file);
      expect((await detectFormat(file)).format, name).toBe(format);
      fs.rmSync(file);
    }
  });

  it('unknown content is a FormatError naming the path; a missing path an IoError', async () => {
    const junk = path.join(tmpRoot, 'junk.pb');
    fs.writeFileSync(junk, 'this is not a model\n');
    expect(await tryDetectFormat(junk)).toBeNull();
    await expect(detectFormat(junk)).rejects.toThrow(FormatError);
    await expect(detectFormat(junk)).rejects.toThrow(junk);
    await expect(detectFormat(path.join(tmpRoot, 'nope'))).rejects.toThrow(IoError);
    expect(await tryDetectFormat(fixture('tfjs-weights/faceapi_tiny_face_detector_uint8'))).toBeNull();
  });
});

describe.skipIf(!fixturesDir)('inspect', () => {
  it('SavedModel (TF2): producer, tags, signatures, ops of graph and functions, weights, fingerprint', async () => {
    const r = await inspect(fixture('savedmodel/tfserving_half_plus_two_tf2_cpu'));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON
    expect(r.format).toBe('tf_saved_model');
    expect(r.inspected).toBe(true);
    expect(r.producer.tensorflowVersion).toBe('2.14.0');
    expect(r.producer.graphDefVersion).toBe(1569);
    expect(r.savedModel!.tags).toEqual(['serve']);
    expect(r.savedModel!.hasObjectGraph).toBe(true);
    expect(r.savedModel!.fingerprint!.savedModelChecksum).toMatch(/^\d+$/);
    expect(r.signatures.map((s) => s.key)).toContain('serving_default');
    expect(r.ops!.graph).toHaveProperty('StatefulPartitionedCall');
    expect(Object.keys(r.ops!.functions).length).toBeGreaterThan(0);
    expect(r.ops!.functionCount).toBeGreaterThan(0);
    expect(r.weights).toEqual({ source: 'variables', count: 3, bytes: 12, dtypes: { float32: { count: 3, bytes: 12 } } });
    expect(r.variables.map((v) => v.name)).toEqual(['a', 'b', 'c']);
  });

  it('SavedModel (TF1 with two tags): the first MetaGraph is described when none is tagged [serve]', async () => {
    const r = await inspect(fixture('savedmodel/tfrust_regression_model_tf1'));
    expect(r.savedModel!.tags.sort()).toEqual(['serve', 'train']);
    expect(r.ops!.functionCount).toBe(0);
    expect(r.weights.count).toBe(2);
    await expect(inspect(fixture('savedmodel/tfrust_regression_model_tf1'), { tags: ['gpu'] })).rejects.toThrow(/no MetaGraph tagged \[gpu\]/);
  });

  it('frozen GraphDef and checkpoints', async () => {
    const g = await inspect(fixture('graphdef/tf2onnx_regression_frozen.pb'));
    expect(g.format).toBe('tf_frozen_model');
    expect(g.graph!.inputs.map((i) => i.name)).toEqual(['X:0']);
    expect(g.graph!.outputs).toEqual(['pred']);
    expect(g.weights).toMatchObject({ source: 'constants', count: 2, bytes: 8 });
    const c = await inspect(fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded'));
    expect(c.format).toBe('tf_checkpoint');
    expect(c.checkpoint).toMatchObject({ objectBased: true, shards: 2 });
    expect(c.checkpoint!.allCheckpoints).toEqual([fixture('checkpoint/tfkeras_lso_ckpt_tf2.2_sharded/ckpt')]);
    expect(c.optimizerSlots.count).toBeGreaterThan(0);
    expect(c.ops).toBeNull();
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('other formats are detected but not inspected', async () => {
    const r = await inspect(fixture('tflite/tfjs_tflite_add4.tflite'));
    expect(r).toMatchObject({ format: 'tflite', inspected: false, signatures: [], variables: [] });
  });
});
