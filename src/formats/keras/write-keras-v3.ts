// SPDX-License-Identifier: Apache-2.0
/**
 * Writes a layers-model IR as a Keras 3 `.keras` archive that `keras.models.load_model`
 * loads: `metadata.json`, `config.json` (the legacy config translated to Keras 3's form)
 * and `model.weights.h5` (variables at `layers/<snake_class>[_n]/…/vars/<i>`, each `vars`
 * group carrying the object's name as Keras writes it). The weights file is built in a
 * hidden scratch file beside the output and streamed into the zip (stored), so memory
 * stays at one tensor; the archive is renamed into place when complete.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { inputShapes, legacyToKeras3 } from '../../layers/keras3.js';
import { packageInfo } from '../../util/package-info.js';
import type { LayersModelArtifacts } from '../../layers/model.js';
import type { Json } from '../../layers/config.js';
import { ioError } from '../../util/atomic.js';
import { H5File } from './hdf5.js';
import { atomicOutputFile, scratchFileBeside } from './output-file.js';
import { kerasWritePlan, type WriteKerasOptions } from './write-h5.js';
import { writeZip } from './zip.js';

/** The Keras version whose `.keras` dialect tfexport writes (and is tested against). */
export const KERAS3_DIALECT_VERSION = '3.15.1';

/**
 * Writes `model` as a Keras 3 `.keras` file.
 * @throws {UnsupportedOpError} `ERR_TFEXPORT_UNSUPPORTED_LAYERS`
 * @throws {FormatError} `ERR_TFEXPORT_NO_TOPOLOGY` for a weights-only model
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` and file-system errors
 */
export async function writeKerasV3(model: LayersModelArtifacts, output: string, options: WriteKerasOptions = {}): Promise<void> {
  const { config, plan, byName } = kerasWritePlan(model, 'a Keras 3 .keras file');
  const k3 = legacyToKeras3(config, inputShapes(config));
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const metadata = {
    keras_version: KERAS3_DIALECT_VERSION,
    date_saved: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`,
    generated_by: `tfexport ${packageInfo().version}`,
  };
  try {
    await fsp.mkdir(path.dirname(path.resolve(output)), { recursive: true });
  } catch (e) {
    throw ioError(e, 'create directory', path.dirname(path.resolve(output)));
  }
  const scratch = scratchFileBeside(output, 'weights.h5');
  try {
    const h5 = await H5File.open(scratch.path, 'w');
    try {
      const modelName = typeof config.config?.name === 'string' ? config.config.name : 'model';
      h5.ensureGroup('/layers');
      for (const lp of plan.layers) {
        const vars = `/${lp.v3Path}/vars`;
        h5.ensureGroup(vars);
        h5.setStringAttr(vars, 'name', lp.name);
        for (const w of lp.weights) {
          const dsPath = `/${w.v3Path}`;
          h5.ensureGroup(dsPath.slice(0, dsPath.lastIndexOf('/')));
          const src = byName.get(w.name)!;
          h5.writeDataset(dsPath, src.shape, await src.read());
        }
      }
      h5.ensureGroup('/vars');
      h5.setStringAttr('/vars', 'name', modelName);
      h5.flush();
    } finally {
      h5.close();
    }
    await atomicOutputFile(output, async (tmp) => {
      let fh;
      try {
        fh = await fsp.open(tmp, 'wx', 0o644);
      } catch (e) {
        throw ioError(e, 'create', tmp);
      }
      try {
        await writeZip(fh, output, [
          { name: 'metadata.json', data: Buffer.from(JSON.stringify(metadata)), deflate: true },
          { name: 'config.json', data: Buffer.from(JSON.stringify(k3 as Json)), deflate: true },
          { name: 'model.weights.h5', file: scratch.path },
        ]);
      } catch (e) {
        throw ioError(e, 'write', tmp);
      } finally {
        await fh.close().catch(() => undefined);
      }
    }, options);
  } finally {
    await scratch.release();
  }
}
