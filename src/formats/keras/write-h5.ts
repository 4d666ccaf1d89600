// SPDX-License-Identifier: Apache-2.0
/**
 * Writes a layers-model IR as a Keras HDF5 full-model file, in the layout Keras's
 * `save_model_to_hdf5` writes and `keras.models.load_model` (Keras 3 legacy loader, and
 * Keras 2 / tf.keras) reads: root attributes `keras_version`, `backend`, `model_config`;
 * group `model_weights` with `layer_names`, one group per layer with `weight_names` (legacy
 * order: trainable, then non-trainable) and the datasets at those names. Written with
 * h5wasm to a temporary file renamed into place when complete. No training_config is
 * written (so loading never tries to compile with an optimizer it may not know).
 */
import { FormatError } from '../../errors.js';
import { keras3Issues, unsupportedLayersError } from '../../layers/compat.js';
import { cloneJson, isJsonObject, modelLayers, type Json, type KerasObjectConfig } from '../../layers/config.js';
import { RNN_CLASSES, nodeToKeras3, withoutNulls } from '../../layers/keras3.js';
import type { LayersModelArtifacts, LayersModelWeight } from '../../layers/model.js';
import { planModelWeights, type ModelWeightPlan } from '../../layers/weights.js';
import { atomicOutputFile, type AtomicOutputFileOptions } from './output-file.js';
import { H5File } from './hdf5.js';

/** Options of the Keras writers. */
export type WriteKerasOptions = AtomicOutputFileOptions;

/** Checks that a model can be written for Keras and pairs its weights with the plan. */
export function kerasWritePlan(model: LayersModelArtifacts, target: string): { config: KerasObjectConfig; plan: ModelWeightPlan; byName: Map<string, LayersModelWeight> } {
  const config = model.modelConfig;
  if (!config) {
    throw new FormatError('ERR_TFEXPORT_NO_TOPOLOGY', `${model.source} has no model topology (a weights-only file); ${target} needs one`, { file: model.source, field: 'modelTopology' });
  }
  const issues = [...model.translationIssues, ...keras3Issues(config, model.semantics)];
  const plan = model.plan ?? planModelWeights(config);
  for (const [cls, layers] of plan.unknownClasses) {
    if (!issues.some((i) => i.includes(`class ${cls} `))) issues.push(`layers ${layers.map((l) => JSON.stringify(l)).join(', ')}: class ${cls} is not one tfexport can place weights for`);
  }
  if (issues.length) throw unsupportedLayersError(target, issues, model.source);
  const byName = new Map(model.weights.map((w) => [w.name, w]));
  for (const lp of plan.layers) {
    for (const w of lp.weights) {
      const have = byName.get(w.name);
      if (!have) throw new FormatError('ERR_TFEXPORT_KERAS_WEIGHT_MISSING', `${model.source}: weight ${JSON.stringify(w.name)} of layer ${JSON.stringify(lp.name)} is missing`, { file: model.source, field: w.name });
    }
  }
  return { config, plan, byName };
}

/** Legacy config keys Keras 3's legacy loader refuses, by layer class. */
const H5_DROPPED_KEYS: Readonly<Record<string, readonly string[]>> = {
  LSTM: ['implementation', 'time_major'],
  GRU: ['implementation', 'time_major'],
  SimpleRNN: ['time_major'],
  Embedding: ['input_length'],
};

/** A legacy config in the form both tf.keras and Keras 3's legacy loader accept. */
export function legacyConfigForH5(config: KerasObjectConfig): KerasObjectConfig {
  const out = cloneJson(config);
  const fix = (l: KerasObjectConfig) => {
    const c = isJsonObject(l.config) ? l.config : undefined;
    if (!c) return;
    for (const k of H5_DROPPED_KEYS[l.class_name] ?? []) delete c[k];
    for (const [k, v] of Object.entries(c)) {
      if (k.endsWith('_initializer') && isJsonObject(v) && isJsonObject(v.config)) v.config = withoutNulls(v.config);
    }
    // Keras 3's legacy node reader passes several inputs as one list; an RNN's initial
    // states must arrive as `initial_state`, which only the Keras 3 node form can say.
    if (RNN_CLASSES.has(l.class_name) && Array.isArray(l.inbound_nodes)) {
      l.inbound_nodes = l.inbound_nodes.map((n) => (Array.isArray(n) && n.length > 1 ? nodeToKeras3(n, l.class_name) : n));
    }
    if ((l.class_name === 'LSTM') && c.unit_forget_bias === null) c.unit_forget_bias = true;
    for (const k of ['layer', 'backward_layer']) {
      const inner = c[k];
      if (!isJsonObject(inner)) continue;
      fix(inner as unknown as KerasObjectConfig);
      // Keras 3 deserializes a wrapper's inner layer with its new serializer, which needs
      // the module (legacy files without it fail to load in Keras 3).
      if (!('module' in inner)) c[k] = { module: 'keras.layers', ...inner, registered_name: null };
    }
  };
  const visit = (m: KerasObjectConfig) => {
    if (m.class_name === 'Model') m.class_name = 'Functional';
    const layers = isJsonObject(m.config) && Array.isArray(m.config.layers) ? m.config.layers : undefined;
    const first = layers?.[0];
    if (m.class_name === 'Sequential' && layers && isJsonObject(first) && first.class_name !== 'InputLayer' && isJsonObject(first.config) && Array.isArray(first.config.batch_input_shape)) {
      // Keras 3's legacy loader reads a first layer's batch_input_shape as an input shape
      // (one dimension too many); an explicit InputLayer, as tf.keras >= 2.4 writes, loads
      // the same everywhere.
      const fc = first.config;
      layers.unshift({
        class_name: 'InputLayer',
        config: { batch_input_shape: fc.batch_input_shape, dtype: typeof fc.dtype === 'string' ? fc.dtype : 'float32', sparse: false, name: `${String(fc.name ?? 'layer')}_input` },
      });
      delete fc.batch_input_shape;
      delete fc.input_shape;
      delete fc.input_dim;
    }
    for (const l of modelLayers(m)) {
      fix(l);
      if (l.class_name === 'Sequential' || l.class_name === 'Functional' || l.class_name === 'Model') visit(l);
    }
  };
  visit(out);
  return out;
}

/**
 * Writes `model` as a Keras `.h5` file.
 * @throws {UnsupportedOpError} `ERR_TFEXPORT_UNSUPPORTED_LAYERS` listing everything Keras 3
 *   cannot load or would compute differently
 * @throws {FormatError} `ERR_TFEXPORT_NO_TOPOLOGY` for a weights-only model
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` and file-system errors
 */
export async function writeKerasH5(model: LayersModelArtifacts, output: string, options: WriteKerasOptions = {}): Promise<void> {
  const { config, plan, byName } = kerasWritePlan(model, 'a Keras .h5 file');
  const h5Config = legacyConfigForH5(config);
  const kerasVersion = model.kerasVersion && /^\d/.test(model.kerasVersion) ? model.kerasVersion : '2.15.0';
  await atomicOutputFile(output, async (tmp) => {
    const h5 = await H5File.open(tmp, 'w');
    try {
      h5.setStringAttr('/', 'backend', model.backend && model.backend !== 'tensor_flow.js' ? model.backend : 'tensorflow');
      h5.setStringAttr('/', 'keras_version', kerasVersion);
      h5.setStringAttr('/', 'model_config', JSON.stringify({ class_name: h5Config.class_name, config: h5Config.config } as Json));
      h5.createGroup('/model_weights');
      h5.setStringAttr('/model_weights', 'backend', 'tensorflow');
      h5.setStringAttr('/model_weights', 'keras_version', kerasVersion);
      h5.setStringListAttr('/model_weights', 'layer_names', plan.layers.map((l) => l.name));
      for (const lp of plan.layers) {
        const g = `/model_weights/${lp.name}`;
        h5.createGroup(g);
        h5.setStringListAttr(g, 'weight_names', lp.legacyOrder.map((w) => w.name));
        for (const w of lp.legacyOrder) {
          const path = `${g}/${w.name}`;
          h5.ensureGroup(path.slice(0, path.lastIndexOf('/')));
          const src = byName.get(w.name)!;
          h5.writeDataset(path, src.shape, await src.read());
        }
      }
      h5.flush();
    } finally {
      h5.close();
    }
  }, options);
}
