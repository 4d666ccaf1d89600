// SPDX-License-Identifier: Apache-2.0
/**
 * Reads Keras 3 `.keras` archives (formats.md b6): `config.json`, `metadata.json` and
 * `model.weights.h5`, read from the zip in memory (never extracted). Each weight the
 * config implies is looked up at its storage path (`layers/<snake_class>[_n]/…/vars/<i>`);
 * where Keras recorded the layer's name on the `vars` group, it is used to find the layer
 * even if the list numbering differs. Layers of classes the weight table does not know keep
 * their stored variables under `<layer>/<path>` names.
 */
import { FormatError } from '../../errors.js';
import { normalizeLegacyModelConfig, parseConfigJson, type KerasObjectConfig } from '../../layers/config.js';
import { keras3ToLegacy } from '../../layers/keras3.js';
import { layersDTypeOf, toLayersValues, type LayersModelArtifacts, type LayersModelWeight } from '../../layers/model.js';
import { checkWeightShape, planModelWeights } from '../../layers/weights.js';
import { H5File } from './hdf5.js';
import { ZipReader, type ZipLimits } from './zip.js';

/** Options of {@link readKerasV3}. */
export interface ReadKerasV3Options {
  /** Zip-bomb limits (defaults: 4 GiB total, ratio 1000 above 1 MiB). */
  zipLimits?: Partial<ZipLimits>;
}

const WEIGHTS_ENTRY = 'model.weights.h5';

/**
 * Reads a `.keras` zip archive into the layers-model IR. The weights file is held in
 * memory (one buffer of its uncompressed size) until `close()`.
 * @param file path of the `.keras` file
 * @throws {FormatError} `ERR_TFEXPORT_KERAS_ZIP*` (malformed archive, unsafe entry names,
 *   zip bombs), `ERR_TFEXPORT_KERAS_CONFIG`, `ERR_TFEXPORT_KERAS_WEIGHT_MISSING`,
 *   `ERR_TFEXPORT_KERAS_WEIGHT_SHAPE`, `ERR_TFEXPORT_KERAS_H5`
 */
export async function readKerasV3(file: string, options: ReadKerasV3Options = {}): Promise<LayersModelArtifacts> {
  const zip = await ZipReader.open(file, options.zipLimits);
  let h5: H5File | undefined;
  try {
    if (!zip.has('config.json')) {
      throw new FormatError('ERR_TFEXPORT_KERAS_ZIP', `${file} is a zip archive without config.json (not a Keras 3 .keras file)`, { file, field: 'config.json' });
    }
    const raw = parseConfigJson(Buffer.from(await zip.read('config.json')).toString('utf8'), `${file}!config.json`);
    let kerasVersion: string | undefined;
    if (zip.has('metadata.json')) {
      try {
        const meta = JSON.parse(Buffer.from(await zip.read('metadata.json')).toString('utf8')) as { keras_version?: unknown };
        if (typeof meta.keras_version === 'string') kerasVersion = meta.keras_version;
      } catch (e) {
        if (e instanceof FormatError) throw e;
        // metadata.json is informative only
      }
    }
    if (!zip.has(WEIGHTS_ENTRY)) {
      const other = [...zip.entries.keys()].find((n) => n.startsWith('model.weights'));
      throw new FormatError(
        'ERR_TFEXPORT_KERAS_ZIP',
        other
          ? `${file} stores its weights as ${other}; only ${WEIGHTS_ENTRY} is supported`
          : `${file} has no ${WEIGHTS_ENTRY} entry`,
        { file, field: WEIGHTS_ENTRY },
      );
    }
    const bytes = await zip.read(WEIGHTS_ENTRY);
    await zip.close();
    h5 = await H5File.fromBytes(bytes, `${file}!${WEIGHTS_ENTRY}`);
    const { config, issues } = keras3ToLegacy(raw);
    normalizeLegacyModelConfig(config);
    return buildArtifacts(h5, file, config, issues, kerasVersion);
  } catch (e) {
    await zip.close();
    h5?.close();
    throw e;
  }
}

/** Widens bfloat16 bit patterns (the top half of a float32) to float32. */
function bfloat16ToFloat32(bits: ArrayLike<number>): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = (bits[i] & 0xffff) << 16;
  return new Float32Array(u.buffer);
}

function buildArtifacts(h5: H5File, file: string, config: KerasObjectConfig, issues: string[], kerasVersion?: string): LayersModelArtifacts {
  const label = h5.label;
  const plan = planModelWeights(config);
  const weights: LayersModelWeight[] = [];
  const lazy = (dsPath: string, name: string, layer: string): LayersModelWeight => {
    const info = h5.datasetInfo(dsPath);
    // Keras 3 stores bfloat16 variables as 2-byte opaque elements with a `dtype` attribute.
    const bf16 = (info.dtype === 'opaque16' || info.dtype === 'uint16') && h5.attrNames(dsPath).includes('dtype') && h5.attrString(dsPath, 'dtype') === 'bfloat16';
    if (info.dtype === 'other' || (info.dtype === 'opaque16' && !bf16)) throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${label}: ${dsPath} is not numeric`, { file, field: dsPath });
    const dtype = bf16 ? 'float32' : info.dtype;
    return {
      name,
      layer,
      dtype: layersDTypeOf(dtype),
      shape: info.shape,
      read: async () => {
        const a = h5.readDataset(dsPath);
        if (bf16) return bfloat16ToFloat32(a.data as Uint16Array);
        return toLayersValues(a.dtype, a.data, `${label}: ${dsPath}`).data;
      },
    };
  };
  const datasetsUnder = (root: string): string[] => {
    const out: string[] = [];
    const walk = (p: string) => {
      for (const k of h5.keys(p)) {
        const child = p === '/' ? `/${k}` : `${p}/${k}`;
        const kind = h5.kind(child);
        if (kind === 'group') walk(child);
        else if (kind === 'dataset') out.push(child);
      }
    };
    if (h5.kind(root) === 'group') walk(root);
    return out;
  };

  if (plan.layers.length === 0 && plan.unknownClasses.size > 0) {
    // A subclassed model: keep every stored variable under its storage path.
    for (const ds of datasetsUnder('/')) {
      if (ds.startsWith('/optimizer/')) continue;
      weights.push(lazy(ds, ds.slice(1), ''));
    }
  }

  // Layer name -> storage path, from the `name` attribute Keras writes on `vars` groups.
  const byRecordedName = new Map<string, string>();
  const listRoot = h5.kind('/layers') === 'group' ? '/layers' : h5.kind('/_layer_checkpoint_dependencies') === 'group' ? '/_layer_checkpoint_dependencies' : '/layers';
  if (h5.kind(listRoot) === 'group') {
    for (const k of h5.keys(listRoot)) {
      const vars = `${listRoot}/${k}/vars`;
      if (h5.kind(vars) === 'group') {
        const n = h5.attrString(vars, 'name');
        if (n && !byRecordedName.has(n)) byRecordedName.set(n, `${listRoot}/${k}`);
      }
    }
  }
  for (const lp of plan.layers) {
    let base = `${listRoot}/${lp.v3Path.slice('layers/'.length)}`;
    const recorded = h5.kind(`${base}/vars`) === 'group' ? h5.attrString(`${base}/vars`, 'name') : undefined;
    if (recorded !== undefined && recorded !== lp.name && byRecordedName.has(lp.name)) base = byRecordedName.get(lp.name)!;
    else if (recorded === undefined && byRecordedName.has(lp.name)) base = byRecordedName.get(lp.name)!;
    if (!lp.known) {
      for (const ds of datasetsUnder(base)) weights.push(lazy(ds, `${lp.name}${ds.slice(base.length)}`, lp.name));
      continue;
    }
    for (const w of lp.weights) {
      const dsPath = `${base}/${w.v3Path.slice(lp.v3Path.length + 1)}`;
      if (h5.kind(dsPath) !== 'dataset') {
        throw new FormatError(
          'ERR_TFEXPORT_KERAS_WEIGHT_MISSING',
          `${label}: weight ${JSON.stringify(w.name)} of layer ${JSON.stringify(lp.name)} (${lp.className}) should be stored at ${dsPath}, which does not exist`,
          { file, field: dsPath },
        );
      }
      const lw = lazy(dsPath, w.name, lp.name);
      checkWeightShape(w, lw.shape, label, dsPath);
      weights.push(lw);
    }
  }

  let closed = false;
  return {
    format: 'keras_keras',
    source: file,
    modelConfig: config,
    kerasVersion,
    backend: undefined,
    semantics: 'keras3',
    plan,
    weights,
    translationIssues: issues,
    close: async () => {
      if (closed) return;
      closed = true;
      h5.close();
    },
  };
}
