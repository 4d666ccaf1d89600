// SPDX-License-Identifier: Apache-2.0
/** Unit tests of the layers-model pieces: config translation, weight plans, quantization choice, zip I/O. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync, strToU8 } from 'fflate';
import { keras3ToLegacy, legacyToKeras3 } from '../../../src/layers/keras3.js';
import { normalizeLegacyModelConfig, toSnakeCase, type KerasObjectConfig } from '../../../src/layers/config.js';
import { planModelWeights } from '../../../src/layers/weights.js';
import { shiftNestedModelNodeIndices, toTfjsDialect, tfjsIssues, usesTfjsNestedNodeIndices } from '../../../src/layers/compat.js';
import { fnmatchToRegExp, resolveQuantization } from '../../../src/formats/tfjs/layers-quantize.js';
import { ZipReader, writeZip } from '../../../src/formats/keras/zip.js';
import { ValidationError } from '../../../src/errors.js';

const kt = (name: string, shape: (number | null)[] = [null, 4]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, 0, 0] } });
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

describe('Keras 3 <-> legacy config translation', () => {
  const k3 = {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'm',
      trainable: true,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 5, 3], dtype: 'float32', sparse: false, ragged: false, name: 'x', optional: false }, registered_name: null, name: 'x', inbound_nodes: [] },
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 's' }, registered_name: null, name: 's', inbound_nodes: [] },
        {
          module: 'keras.layers', class_name: 'LSTM', registered_name: null, name: 'lstm', build_config: { input_shape: [null, 5, 3] },
          config: { name: 'lstm', dtype: policy, units: 4, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null } },
          inbound_nodes: [{ args: [kt('x', [null, 5, 3])], kwargs: { training: false, mask: null, initial_state: [kt('s'), kt('s')] } }],
        },
        { module: 'keras.layers', class_name: 'Add', config: { name: 'add', dtype: policy }, registered_name: null, name: 'add', inbound_nodes: [{ args: [[kt('lstm'), kt('s')]], kwargs: {} }] },
      ],
      input_layers: [['x', 0, 0], ['s', 0, 0]],
      output_layers: ['add', 0, 0],
    },
    registered_name: null,
  };

  it('Keras 3 -> legacy: batch_input_shape, dtype strings, no module/registered_name/build_config, legacy nodes, RNN initial_state as inputs', () => {
    const { config, issues } = keras3ToLegacy(k3 as unknown as KerasObjectConfig);
    expect(issues).toEqual([]);
    const layers = (config.config.layers as unknown as KerasObjectConfig[]);
    expect(layers[0].config).toEqual({ batch_input_shape: [null, 5, 3], dtype: 'float32', sparse: false, name: 'x' });
    expect(layers[2]).toEqual({
      class_name: 'LSTM', name: 'lstm',
      config: { name: 'lstm', dtype: 'float32', units: 4, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } } },
      inbound_nodes: [[['x', 0, 0, {}], ['s', 0, 0, {}], ['s', 0, 0, {}]]],
    });
    expect(layers[3].inbound_nodes).toEqual([[['lstm', 0, 0, {}], ['s', 0, 0, {}]]]);
    expect(config.config.output_layers).toEqual([['add', 0, 0]]);
    expect(JSON.stringify(config)).not.toMatch(/module|registered_name|build_config|__keras_tensor__/);
  });

  it('legacy -> Keras 3: module keys, DTypePolicy objects, batch_shape, {args, kwargs} nodes with keras_history', () => {
    const { config } = keras3ToLegacy(k3 as unknown as KerasObjectConfig);
    const back = legacyToKeras3(config) as unknown as KerasObjectConfig;
    const layers = back.config.layers as unknown as Record<string, unknown>[];
    expect(back.module).toBe('keras.src.models.functional');
    expect((layers[0].config as Record<string, unknown>).batch_shape).toEqual([null, 5, 3]);
    expect(layers[2].module).toBe('keras.layers');
    expect((layers[2].config as Record<string, unknown>).dtype).toEqual(policy);
    expect(((layers[2].config as Record<string, unknown>).kernel_initializer as Record<string, unknown>).module).toBe('keras.initializers');
    const node = (layers[2].inbound_nodes as Record<string, unknown>[])[0];
    expect((node.args as { config: { keras_history: unknown } }[])[0].config.keras_history).toEqual(['x', 0, 0]);
    expect(((node.kwargs as Record<string, unknown>).initial_state as unknown[]).length).toBe(2);
    expect(((layers[3].inbound_nodes as Record<string, unknown[]>[])[0].args[0] as unknown[]).length).toBe(2); // merge layers take one list
  });

  it('a legacy Sequential whose first layer has batch_input_shape gets an explicit InputLayer; Model becomes Functional; LeakyReLU alpha', () => {
    const legacy = normalizeLegacyModelConfig({
      class_name: 'Sequential',
      config: [
        { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3], dtype: 'float32' } },
        { class_name: 'LeakyReLU', config: { name: 'l', alpha: 0.2 } },
      ],
    } as unknown as KerasObjectConfig);
    const k = legacyToKeras3(legacy) as unknown as KerasObjectConfig;
    const layers = k.config.layers as unknown as KerasObjectConfig[];
    expect(layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Dense', 'LeakyReLU']);
    expect(layers[0].config.batch_shape).toEqual([null, 3]);
    expect(layers[1].config.batch_input_shape).toBeUndefined();
    expect(layers[2].config).toMatchObject({ negative_slope: 0.2 });
    expect((legacyToKeras3({ class_name: 'Model', config: { name: 'm', layers: [] } } as unknown as KerasObjectConfig)).class_name).toBe('Functional');
  });

  it('nested models: tfjs numbers their nodes from 1, Keras from 0 (shifted both ways)', () => {
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 2] }, inbound_nodes: [] },
          { class_name: 'Sequential', name: 'inner', config: { name: 'inner', layers: [] }, inbound_nodes: [[['x', 0, 0, {}]]] },
          { class_name: 'Dense', name: 'd', config: { name: 'd', units: 1 }, inbound_nodes: [[['inner', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    } as unknown as KerasObjectConfig;
    expect(usesTfjsNestedNodeIndices(cfg)).toBe(false);
    const t = toTfjsDialect(cfg);
    expect((t.config.layers as unknown as KerasObjectConfig[])[2].inbound_nodes).toEqual([[['inner', 1, 0, {}]]]);
    expect(usesTfjsNestedNodeIndices(t)).toBe(true);
    shiftNestedModelNodeIndices(t, -1);
    expect(t).toEqual(cfg);
  });

  it('keras tfjsIssues lists every problem at once', () => {
    const cfg = normalizeLegacyModelConfig({
      class_name: 'Sequential',
      config: { name: 's', layers: [
        { class_name: 'GRU', config: { name: 'g', units: 2, reset_after: true, recurrent_activation: 'sigmoid' } },
        { class_name: 'Lambda', config: { name: 'lam' } },
        { class_name: 'Dense', config: { name: 'd', units: 2, activation: 'hard_silu' } },
        { class_name: 'Dense', config: { name: 'e', units: 2, activation: 'hard_sigmoid' } },
      ] },
    } as unknown as KerasObjectConfig);
    const k3 = tfjsIssues(cfg, 'keras3');
    expect(k3).toHaveLength(4);
    expect(k3.join('\n')).toMatch(/"g".*reset_after[\s\S]*"lam".*Lambda[\s\S]*"d".*hard_silu[\s\S]*"e".*hard_sigmoid/);
    expect(tfjsIssues(cfg, 'keras2')).toHaveLength(3); // Keras 2's hard_sigmoid is tfjs's
  });
});

describe('weight plans', () => {
  const cfg = normalizeLegacyModelConfig({
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 5, 3] }, inbound_nodes: [] },
        { class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 4 }, inbound_nodes: [[['x', 0, 0, {}]]] },
        { class_name: 'Bidirectional', name: 'bi', config: { name: 'bi', layer: { class_name: 'GRU', config: { name: 'forward_gru', units: 2, reset_after: false } } }, inbound_nodes: [] },
        { class_name: 'TimeDistributed', name: 'td', config: { name: 'td', layer: { class_name: 'Dense', config: { name: 'dense', units: 3 } } }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'dense_1', config: { name: 'dense_1', units: 3 }, inbound_nodes: [] },
        {
          class_name: 'Sequential', name: 'inner', config: { name: 'inner', layers: [
            { class_name: 'BatchNormalization', config: { name: 'bn', center: false } },
            { class_name: 'Dense', config: { name: 'frozen', units: 2, trainable: false } },
            { class_name: 'Dense', config: { name: 'live', units: 2, use_bias: false } },
          ] }, inbound_nodes: [],
        },
      ],
    },
  } as unknown as KerasObjectConfig);
  const plan = planModelWeights(cfg);
  const by = (layer: string) => plan.layers.find((l) => l.name === layer)!;

  it('canonical, tfjs and .keras names of RNN, wrapper and nested-model weights', () => {
    expect(by('lstm').weights.map((w) => [w.name, w.tfjsName, w.v3Path, w.shape])).toEqual([
      ['lstm/lstm_cell/kernel', 'lstm/kernel', 'layers/lstm/cell/vars/0', [null, 16]],
      ['lstm/lstm_cell/recurrent_kernel', 'lstm/recurrent_kernel', 'layers/lstm/cell/vars/1', [4, 16]],
      ['lstm/lstm_cell/bias', 'lstm/bias', 'layers/lstm/cell/vars/2', [16]],
    ]);
    expect(by('bi').weights.map((w) => w.name)).toEqual([
      'bi/forward_gru/gru_cell/kernel', 'bi/forward_gru/gru_cell/recurrent_kernel', 'bi/forward_gru/gru_cell/bias',
      'bi/backward_gru/gru_cell/kernel', 'bi/backward_gru/gru_cell/recurrent_kernel', 'bi/backward_gru/gru_cell/bias',
    ]);
    expect(by('bi').weights[3].v3Path).toBe('layers/bidirectional/backward_layer/cell/vars/0');
    expect(by('td').weights.map((w) => [w.name, w.v3Path])).toEqual([['td/kernel', 'layers/time_distributed/layer/vars/0'], ['td/bias', 'layers/time_distributed/layer/vars/1']]);
    expect(by('dense_1').v3Path).toBe('layers/dense');
  });

  it('nested models: names restart at the inner layer, .keras vars numbered trainable-first, legacy H5 order puts non-trainable last', () => {
    const inner = by('inner');
    expect(inner.weights.map((w) => [w.name, w.v3Path, w.trainable])).toEqual([
      ['bn/gamma', 'layers/sequential/layers/batch_normalization/vars/0', true],
      ['bn/moving_mean', 'layers/sequential/layers/batch_normalization/vars/1', false],
      ['bn/moving_variance', 'layers/sequential/layers/batch_normalization/vars/2', false],
      ['frozen/kernel', 'layers/sequential/layers/dense/vars/0', false],
      ['frozen/bias', 'layers/sequential/layers/dense/vars/1', false],
      ['live/kernel', 'layers/sequential/layers/dense_1/vars/0', true],
    ]);
    expect(inner.legacyOrder.map((w) => w.name)).toEqual(['bn/gamma', 'live/kernel', 'bn/moving_mean', 'bn/moving_variance', 'frozen/kernel', 'frozen/bias']);
  });

  it('Keras 3 snake_case class names', () => {
    expect(['Conv2DTranspose', 'SimpleRNN', 'BatchNormalization', 'LSTM', 'DepthwiseConv2D', 'Conv1D', 'GlobalAveragePooling2D'].map(toSnakeCase))
      .toEqual(['conv2d_transpose', 'simple_rnn', 'batch_normalization', 'lstm', 'depthwise_conv2d', 'conv1d', 'global_average_pooling2d']);
  });
});

describe('quantization choice (tensorflowjs_converter semantics)', () => {
  it('fnmatch: * spans slashes, ? one character, [seq] and [!seq]', () => {
    expect(fnmatchToRegExp('conv*').test('conv2d/kernel')).toBe(true);
    expect(fnmatchToRegExp('*/bias').test('dense/bias')).toBe(true);
    expect(fnmatchToRegExp('dense_?/kernel').test('dense_1/kernel')).toBe(true);
    expect(fnmatchToRegExp('dense_[!0]/kernel').test('dense_0/kernel')).toBe(false);
    expect(fnmatchToRegExp('a.b').test('axb')).toBe(false);
  });

  it('patterns, one fallthrough, only float32, and a name matched by two dtypes is an error', () => {
    const names = ['conv/kernel', 'conv/bias', 'dense/kernel', 'emb/ids'];
    const dtypes = ['float32', 'float32', 'float32', 'int32'];
    expect([...resolveQuantization({ uint8: ['conv*'], float16: true }, names, dtypes)]).toEqual([
      ['conv/kernel', 'uint8'], ['conv/bias', 'uint8'], ['dense/kernel', 'float16'],
    ]);
    expect([...resolveQuantization({ uint16: ['*/kernel'] }, names, dtypes)]).toEqual([['conv/kernel', 'uint16'], ['dense/kernel', 'uint16']]);
    expect(() => resolveQuantization({ uint8: true, float16: true }, names, dtypes)).toThrow(ValidationError);
    expect(() => resolveQuantization({ uint8: ['conv*'], uint16: ['*kernel'] }, names, dtypes)).toThrow(/matched by the patterns of both uint8 and uint16/);
  });
});

describe('zip container', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tfexport-zip-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes stored and deflated entries that fflate and our reader read back (CRC checked)', async () => {
    const big = path.join(dir, 'big.bin');
    const payload = Buffer.alloc(3 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
    await fsp.writeFile(big, payload);
    const out = path.join(dir, 'x.zip');
    const fh = await fsp.open(out, 'w');
    await writeZip(fh, out, [
      { name: 'config.json', data: strToU8('{"a":1}'), deflate: true },
      { name: 'dir/big.bin', file: big },
    ]);
    await fh.close();
    const viaFflate = unzipSync(await fsp.readFile(out));
    expect(Buffer.from(viaFflate['config.json']).toString()).toBe('{"a":1}');
    expect(Buffer.compare(Buffer.from(viaFflate['dir/big.bin']), payload)).toBe(0);
    const z = await ZipReader.open(out);
    expect(Buffer.from(await z.read('config.json')).toString()).toBe('{"a":1}');
    expect(Buffer.compare(Buffer.from(await z.read('dir/big.bin')), payload)).toBe(0);
    await z.close();
  });
});
