// SPDX-License-Identifier: Apache-2.0
/**
 * Reads Keras HDF5 files (formats.md b5): full models saved by Keras 2.x, tf.keras and
 * Keras 3's legacy writer (root attributes `model_config`, `keras_version`, `backend`,
 * `training_config`; weights under `model_weights/<layer>/…` listed by the `layer_names`
 * and `weight_names` attributes), and weights-only files from `save_weights` (the root
 * itself has `layer_names`).
 *
 * Each layer's datasets are paired with the weights its config implies in Keras's legacy
 * order (trainable weights, then non-trainable), exactly as Keras's own loader pairs them,
 * and their shapes are checked against the config before anything is read. Values are read
 * lazily, one dataset at a time.
 */
import { FormatError } from '../../errors.js';
import { normalizeLegacyModelConfig, parseConfigJson, type Json, type KerasObjectConfig } from '../../layers/config.js';
import { keras3ToLegacy, looksLikeKeras3 } from '../../layers/keras3.js';
import { layersDTypeOf, toLayersValues, type LayersModelArtifacts, type LayersModelWeight } from '../../layers/model.js';
import { checkWeightShape, planModelWeights } from '../../layers/weights.js';
import { H5File } from './hdf5.js';

/** Options of {@link readKerasH5}. */
export interface ReadKerasH5Options {
  /**
   * Model config for a weights-only file (`model.to_json()` output or its parsed object).
   * Without it a weights-only file is read with the weight names it stores and no topology.
   */
  topology?: string | KerasObjectConfig;
}

function stripSuffix(name: string): string {
  return name.replace(/:\d+$/, '');
}

/**
 * Reads a Keras HDF5 file into the layers-model IR. The file stays open until `close()`.
 * @param file path of the `.h5` (or HDF5 `.keras`) file
 * @throws {FormatError} `ERR_TFEXPORT_KERAS_NOT_HDF5`, `ERR_TFEXPORT_KERAS_TRUNCATED`,
 *   `ERR_TFEXPORT_KERAS_H5` (not a Keras file, missing group/attribute/dataset),
 *   `ERR_TFEXPORT_KERAS_CONFIG` (bad model_config JSON), `ERR_TFEXPORT_KERAS_WEIGHT_COUNT`
 *   and `ERR_TFEXPORT_KERAS_WEIGHT_SHAPE` (datasets contradicting the config)
 */
export async function readKerasH5(file: string, options: ReadKerasH5Options = {}): Promise<LayersModelArtifacts> {
  const h5 = await H5File.open(file, 'r');
  try {
    return buildArtifacts(h5, file, options);
  } catch (e) {
    h5.close();
    throw e;
  }
}

function buildArtifacts(h5: H5File, file: string, options: ReadKerasH5Options): LayersModelArtifacts {
  const rootAttrs = h5.attrNames('/');
  const fullModel = rootAttrs.includes('model_config');
  const weightsOnly = !fullModel && rootAttrs.some((a) => a === 'layer_names' || a === 'layer_names0');
  if (!fullModel && !weightsOnly) {
    throw new FormatError(
      'ERR_TFEXPORT_KERAS_H5',
      `${file} is an HDF5 file but not a Keras model: its root has neither a "model_config" attribute (full model) nor "layer_names" (weights-only file)`,
      { file, field: 'model_config' },
    );
  }
  const weightsRoot = fullModel ? '/model_weights' : '/';
  if (fullModel && h5.kind(weightsRoot) !== 'group') {
    throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file}: full-model file without a "model_weights" group`, { file, field: 'model_weights' });
  }
  const kerasVersion = h5.attrString('/', 'keras_version') ?? h5.attrString(weightsRoot, 'keras_version');
  if (kerasVersion && /^1(\.|$)/.test(kerasVersion)) {
    throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file} was written by Keras ${kerasVersion}; Keras 1.x HDF5 files (other kernel layouts and config keys) are not supported`, { file, field: 'keras_version' });
  }
  const backend = h5.attrString('/', 'backend') ?? h5.attrString(weightsRoot, 'backend');

  let raw: KerasObjectConfig | null = null;
  if (fullModel) raw = parseConfigJson(h5.attrString('/', 'model_config') ?? '', `${file}: attribute model_config`);
  else if (options.topology !== undefined) {
    const t = typeof options.topology === 'string' ? parseConfigJson(options.topology, 'topology') : options.topology;
    raw = (t as { model_config?: KerasObjectConfig }).model_config ?? t;
  }
  let trainingConfig: Json | undefined;
  const tc = fullModel ? h5.attrString('/', 'training_config') : undefined;
  if (tc) {
    try {
      trainingConfig = JSON.parse(tc) as Json;
    } catch {
      trainingConfig = undefined; // only informative; a broken one is dropped
    }
  }
  const keras3 = (kerasVersion ?? '').startsWith('3.') || (raw !== null && looksLikeKeras3(raw as unknown as Json));
  let config: KerasObjectConfig | null = null;
  let translationIssues: string[] = [];
  if (raw) {
    if (keras3) {
      const t = keras3ToLegacy(raw);
      config = t.config;
      translationIssues = t.issues;
    } else {
      config = JSON.parse(JSON.stringify(raw)) as KerasObjectConfig;
    }
    normalizeLegacyModelConfig(config);
  }

  const layerNames = h5.attrStringList(weightsRoot, 'layer_names');
  if (!layerNames) {
    throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file}: ${weightsRoot} has no "layer_names" attribute`, { file, field: `${weightsRoot}@layer_names` });
  }
  const groupOf = (layer: string) => `${weightsRoot === '/' ? '' : weightsRoot}/${layer}`;
  const weightNamesOf = (layer: string): string[] => {
    const g = groupOf(layer);
    if (h5.kind(g) !== 'group') {
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file}: layer ${JSON.stringify(layer)} is listed in layer_names but has no group ${g}`, { file, field: g });
    }
    return h5.attrStringList(g, 'weight_names') ?? [];
  };

  const weights: LayersModelWeight[] = [];
  const lazy = (dsPath: string, name: string, layer: string): LayersModelWeight => {
    const info = h5.datasetInfo(dsPath);
    if (info.dtype === 'other') {
      throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file}: weight ${JSON.stringify(name)} (${dsPath}) is not numeric`, { file, field: dsPath });
    }
    const dtype = info.dtype;
    return {
      name,
      layer,
      dtype: layersDTypeOf(dtype),
      shape: info.shape,
      read: async () => {
        const a = h5.readDataset(dsPath);
        return toLayersValues(a.dtype, a.data, `${file}: ${dsPath}`).data;
      },
    };
  };

  const plan = config ? planModelWeights(config) : undefined;
  if (plan) {
    const planned = new Map(plan.layers.map((l) => [l.name, l]));
    for (const name of layerNames) {
      if (!planned.has(name)) {
        const wn = weightNamesOf(name);
        if (wn.length) {
          throw new FormatError('ERR_TFEXPORT_KERAS_H5', `${file}: layer_names lists ${JSON.stringify(name)} with ${wn.length} weight(s), but the model config has no such layer`, { file, field: name });
        }
      }
    }
    const listed = new Set(layerNames);
    for (const lp of plan.layers) {
      const expected = lp.known ? lp.legacyOrder : undefined;
      if (!listed.has(lp.name)) {
        if (expected && expected.length === 0) continue;
        if (!expected && h5.kind(groupOf(lp.name)) !== 'group') continue;
        throw new FormatError('ERR_TFEXPORT_KERAS_WEIGHT_MISSING', `${file}: layer ${JSON.stringify(lp.name)} (${lp.className}) has weights in the config but is missing from layer_names`, { file, field: lp.name });
      }
      const names = weightNamesOf(lp.name);
      if (!expected) {
        // A class the weight table does not know: keep the stored names and order.
        for (const wn of names) weights.push(lazy(`${groupOf(lp.name)}/${wn}`, stripSuffix(wn), lp.name));
        continue;
      }
      if (names.length !== expected.length) {
        throw new FormatError(
          'ERR_TFEXPORT_KERAS_WEIGHT_COUNT',
          `${file}: layer ${JSON.stringify(lp.name)} (${lp.className}) stores ${names.length} weight(s) [${names.join(', ')}] but its config implies ${expected.length} [${expected.map((w) => w.short).join(', ')}]`,
          { file, field: lp.name },
        );
      }
      const byName = new Map<string, LayersModelWeight>();
      expected.forEach((w, i) => {
        const dsPath = `${groupOf(lp.name)}/${names[i]}`;
        const lw = lazy(dsPath, w.name, lp.name);
        checkWeightShape(w, lw.shape, file, dsPath);
        byName.set(w.name, lw);
      });
      // Model order: creation order within the layer.
      for (const w of lp.weights) weights.push(byName.get(w.name)!);
    }
  } else {
    for (const name of layerNames) {
      for (const wn of weightNamesOf(name)) weights.push(lazy(`${groupOf(name)}/${wn}`, stripSuffix(wn), name));
    }
  }

  let closed = false;
  return {
    format: 'keras',
    source: file,
    modelConfig: config,
    kerasVersion,
    backend,
    trainingConfig,
    semantics: keras3 ? 'keras3' : 'keras2',
    plan,
    weights,
    translationIssues,
    close: async () => {
      if (closed) return;
      closed = true;
      h5.close();
    },
  };
}
