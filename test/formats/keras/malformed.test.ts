// SPDX-License-Identifier: Apache-2.0
/**
 * Corrupt and hostile inputs give clear typed errors, and a failed conversion leaves
 * nothing at (or beside) the output path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import * as h5wasm from 'h5wasm/node';
import { convertLayersModel, readLayersModel, writeLayersModel, FormatError, IoError, UnsupportedOpError, TfexportError } from '../../../src/index.js';
import { pendingTempPaths } from '../../../src/util/atomic.js';
import { sharedFixturesDir } from './helpers.js';

const haveFixtures = existsSync(sharedFixturesDir);
if (!haveFixtures) console.warn(`\n!!! SKIPPED parts of test/formats/keras/malformed: ${sharedFixturesDir} is absent !!!\n`);
const F = (...p: string[]) => path.join(sharedFixturesDir, ...p);
const MNIST_H5 = F('keras-h5', 'tensorspace_mnist_keras2.1.6_with_optimizer.h5');
const TFJS_DENSE = F('tfjs-layers', 'tfjs_examples_abalone_tfjs_node', 'model.json');

let work = '';
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tfexport-keras-bad-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Asserts the conversion rejects with `code` and leaves nothing at or beside `out`. */
async function expectRefused(input: string, out: string, format: 'tfjs_layers_model' | 'keras' | 'keras_keras', code: string, cls: new (...a: never[]) => TfexportError, opts: object = {}): Promise<TfexportError> {
  const before = readdirSync(path.dirname(out));
  const err = await convertLayersModel(input, out, { format, ...opts }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(cls);
  expect((err as TfexportError).code).toBe(code);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(path.dirname(out))).toEqual(before);
  expect(pendingTempPaths()).toEqual([]);
  return err as TfexportError;
}

/** A copy of an HDF5 file with its model_config rewritten by `edit`. */
async function withEditedConfig(src: string, dst: string, edit: (cfg: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => void): Promise<string> {
  copyFileSync(src, dst);
  await h5wasm.ready;
  const f = new h5wasm.File(dst, 'a');
  const cfg = JSON.parse(String(f.attrs.model_config.value));
  if (Array.isArray(cfg.config)) cfg.config = { name: 'sequential', layers: cfg.config };
  edit(cfg);
  f.delete_attribute('model_config');
  f.create_attribute('model_config', JSON.stringify(cfg));
  f.close();
  return dst;
}

describe.skipIf(!haveFixtures)('corrupt Keras HDF5', () => {
  it('a truncated .h5 is ERR_TFEXPORT_KERAS_TRUNCATED naming the file, for every target', async () => {
    const bytes = readFileSync(MNIST_H5);
    const cut = path.join(work, 'truncated.h5');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    for (const format of ['tfjs_layers_model', 'keras_keras'] as const) {
      const err = await expectRefused(cut, path.join(work, `trunc-out-${format}`), format, 'ERR_TFEXPORT_KERAS_TRUNCATED', FormatError);
      expect(err.message).toContain(cut);
      expect(err.message).toMatch(/truncated/);
    }
  });

  it('an .h5 corrupted in the middle is ERR_TFEXPORT_KERAS_H5, and the next file still reads', async () => {
    const bytes = Buffer.from(readFileSync(F('keras-h5', 'mlcommons_pretrainedResnet.h5')));
    bytes.fill(0xff, 2000, 5000);
    const bad = path.join(work, 'corrupt.h5');
    writeFileSync(bad, bytes);
    const err = await expectRefused(bad, path.join(work, 'corrupt-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_H5', FormatError);
    expect(err.message).toContain(bad);
    const ok = await readLayersModel(F('keras-h5', 'mlcommons_pretrainedResnet.h5'));
    expect((await ok.weights[0].read()).length).toBeGreaterThan(0);
    await ok.close();
  });

  it('a file that is no model at all is ERR_TFEXPORT_UNKNOWN_FORMAT (by content), or NOT_HDF5 when named keras', async () => {
    const junk = path.join(work, 'junk.h5');
    writeFileSync(junk, Buffer.from('definitely not an HDF5 file, whatever its name says'));
    await expectRefused(junk, path.join(work, 'junk-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_UNKNOWN_FORMAT', FormatError);
    await expectRefused(junk, path.join(work, 'junk-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_NOT_HDF5', FormatError, { inputFormat: 'keras' });
  });

  it('dataset shapes contradicting the config are ERR_TFEXPORT_KERAS_WEIGHT_SHAPE naming layer, weight and dataset', async () => {
    const f = await withEditedConfig(MNIST_H5, path.join(work, 'shape.h5'), (cfg) => {
      const dense = cfg.config.layers.find((l) => l.class_name === 'Dense')!;
      dense.config.units = 11;
    });
    const err = await expectRefused(f, path.join(work, 'shape-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_WEIGHT_SHAPE', FormatError);
    expect(err.message).toContain(`${f}: weight "Dense_1/kernel" of layer "Dense_1" (/model_weights/Dense_1/Dense_1/kernel:0) has shape [256, 120] but the layer's config implies [?, 11]`);
    expect(err.context.file).toBe(f);
  });

  it('a weight count contradicting the config is ERR_TFEXPORT_KERAS_WEIGHT_COUNT', async () => {
    const f = await withEditedConfig(MNIST_H5, path.join(work, 'count.h5'), (cfg) => {
      cfg.config.layers.find((l) => l.class_name === 'Dense')!.config.use_bias = false;
    });
    const err = await expectRefused(f, path.join(work, 'count-out'), 'keras_keras', 'ERR_TFEXPORT_KERAS_WEIGHT_COUNT', FormatError);
    expect(err.message).toContain('stores 2 weight(s)');
  });

  it('unknown layer classes: the file reads, and conversion is refused with ONE error listing all of them', async () => {
    const f = await withEditedConfig(MNIST_H5, path.join(work, 'unknown.h5'), (cfg) => {
      cfg.config.layers.find((l) => l.class_name === 'Dense')!.class_name = 'FancyDense';
      cfg.config.layers.find((l) => l.class_name === 'Flatten')!.class_name = 'MagicFlatten';
    });
    const m = await readLayersModel(f);
    expect(m.weights.map((w) => w.name)).toEqual(expect.arrayContaining(['Dense_1/kernel', 'Dense_1/bias']));
    await m.close();
    for (const format of ['tfjs_layers_model', 'keras', 'keras_keras'] as const) {
      const err = await expectRefused(f, path.join(work, `unknown-out.${format}`), format, 'ERR_TFEXPORT_UNSUPPORTED_LAYERS', UnsupportedOpError);
      expect(err.message).toContain('FancyDense');
      expect(err.message).toContain('MagicFlatten');
    }
  });
});

describe('hostile .keras zips', () => {
  const config = new TextEncoder().encode(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [] } }));

  function patchCentral(zip: Uint8Array, name: string, patch: (dv: DataView, at: number) => void): Uint8Array {
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let i = 0; i + 46 < zip.length; i++) {
      if (dv.getUint32(i, true) !== 0x02014b50) continue;
      const n = dv.getUint16(i + 28, true);
      if (Buffer.from(zip.subarray(i + 46, i + 46 + n)).toString() === name) patch(dv, i);
    }
    return zip;
  }

  it.each([['../evil.txt'], ['/etc/evil.txt'], ['assets/../../evil.txt'], ['C:/evil.txt']])('an entry named %s is ERR_TFEXPORT_KERAS_ZIP_PATH; nothing is extracted', async (name) => {
    const f = path.join(work, 'traversal.keras');
    writeFileSync(f, zipSync({ 'config.json': config, [name]: new Uint8Array([1, 2, 3]) }));
    const err = await expectRefused(f, path.join(work, 'traversal-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP_PATH', FormatError);
    expect(err.message).toContain(JSON.stringify(name));
    expect(existsSync(path.join(work, 'evil.txt'))).toBe(false);
    expect(existsSync('/etc/evil.txt')).toBe(false);
  });

  it('a real zip bomb (32 MiB of zeros deflated over 1000:1) is ERR_TFEXPORT_KERAS_ZIP_BOMB before inflating', async () => {
    const f = path.join(work, 'bomb.keras');
    writeFileSync(f, zipSync({ 'config.json': config, 'model.weights.h5': [new Uint8Array(32 << 20), { level: 9 }] }));
    const err = await expectRefused(f, path.join(work, 'bomb-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP_BOMB', FormatError);
    expect(err.message).toMatch(/ratio over 1000/);
  });

  it('declared sizes over 4 GiB in total are ERR_TFEXPORT_KERAS_ZIP_BOMB', async () => {
    const f = path.join(work, 'big-declared.keras');
    const zip = zipSync({ 'config.json': config, 'a.bin': [new Uint8Array(4096), { level: 0 }], 'b.bin': [new Uint8Array(4096), { level: 0 }] });
    for (const n of ['a.bin', 'b.bin']) patchCentral(zip, n, (dv, at) => dv.setUint32(at + 24, 3 * 2 ** 30, true));
    writeFileSync(f, zip);
    const err = await expectRefused(f, path.join(work, 'bd-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP_BOMB', FormatError);
    expect(err.message).toMatch(/declare 644245\d{4} uncompressed bytes in total, more than 4294967296/);
  });

  it('an entry that inflates past its declared size is ERR_TFEXPORT_KERAS_ZIP_BOMB', async () => {
    const f = path.join(work, 'liar.keras');
    const zip = zipSync({ 'config.json': config, 'model.weights.h5': [new Uint8Array(4 << 20).fill(7), { level: 9 }] });
    patchCentral(zip, 'model.weights.h5', (dv, at) => dv.setUint32(at + 24, 1000, true));
    writeFileSync(f, zip);
    const err = await expectRefused(f, path.join(work, 'liar-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP_BOMB', FormatError);
    expect(err.message).toMatch(/inflates past its declared size of 1000 bytes/);
  });

  it('a corrupted stored entry is caught by its CRC-32; a zip without config.json is not a .keras', async () => {
    const f = path.join(work, 'crc.keras');
    const zip = zipSync({ 'config.json': [config, { level: 0 }], 'model.weights.h5': [new Uint8Array(100), { level: 0 }] });
    const at = Buffer.from(zip).indexOf(Buffer.from('{"class_name"'));
    zip[at + 3] ^= 0xff;
    writeFileSync(f, zip);
    const err = await expectRefused(f, path.join(work, 'crc-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP', FormatError);
    expect(err.message).toMatch(/CRC-32 mismatch/);
    const g = path.join(work, 'noconfig.keras');
    writeFileSync(g, zipSync({ 'hello.txt': new Uint8Array(3) }));
    await expectRefused(g, path.join(work, 'nc-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP', FormatError, { inputFormat: 'keras_keras' });
  });

  it.skipIf(!haveFixtures)('zip limits are configurable (a valid .keras over maxTotalBytes is refused)', async () => {
    const good = path.join(work, 'good.keras');
    await convertLayersModel(TFJS_DENSE, good, { format: 'keras_keras' });
    await expectRefused(good, path.join(work, 'lim-out'), 'tfjs_layers_model', 'ERR_TFEXPORT_KERAS_ZIP_BOMB', FormatError, { zipLimits: { maxTotalBytes: 1000 } });
    await convertLayersModel(good, path.join(work, 'lim-ok'), { format: 'tfjs_layers_model' });
    expect(existsSync(path.join(work, 'lim-ok', 'model.json'))).toBe(true);
  });
});

describe.skipIf(!haveFixtures)('atomic outputs', () => {
  it.each(['tfjs_layers_model', 'keras', 'keras_keras'] as const)('a failure while writing %s leaves nothing at or beside the output', async (format) => {
    const m = await readLayersModel(MNIST_H5);
    const w = m.weights[m.weights.length - 1];
    w.read = async () => {
      throw new FormatError('ERR_TFEXPORT_TEST', 'injected read failure');
    };
    const dir = path.join(work, `atomic-${format}`);
    mkdirSync(dir);
    const out = path.join(dir, format === 'tfjs_layers_model' ? 'web' : 'model.out');
    const err = await writeLayersModel(m, out, { format }).catch((e) => e);
    await m.close();
    expect(err.code).toBe('ERR_TFEXPORT_TEST');
    expect(readdirSync(dir)).toEqual([]);
    expect(pendingTempPaths()).toEqual([]);
  });

  it('an existing output is refused without overwrite (and left untouched), replaced with it', async () => {
    const out = path.join(work, 'exists.keras');
    writeFileSync(out, 'keep me');
    const err = await convertLayersModel(MNIST_H5, out, { format: 'keras_keras' }).catch((e) => e);
    expect(err).toBeInstanceOf(IoError);
    expect(err.code).toBe('ERR_TFEXPORT_OUTPUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    await convertLayersModel(MNIST_H5, out, { format: 'keras_keras', overwrite: true });
    expect(readFileSync(out).subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 3, 4]));
  });
});
