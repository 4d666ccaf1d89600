// SPDX-License-Identifier: Apache-2.0
/**
 * Export of in-memory tfjs-layers models (`tf.LayersModel` / `tf.Sequential` from
 * `@tensorflow/tfjs` 4.x) to Keras HDF5, Keras 3 `.keras` or a tfjs layers model on disk.
 * The model is read through its own `save()` with an in-memory save handler (the object
 * `tf.io.withSaveHandler` would build), so tfexport never imports TensorFlow.js itself.
 */
import { invalidParameter } from '../errors.js';
import type { Json } from '../layers/config.js';
import type { LayersModelArtifacts } from '../layers/model.js';
import { layersModelFromTfjs, splitWeightData } from '../formats/tfjs/layers-read.js';
import type { TfjsWeightEntry } from '../formats/tfjs/shards.js';
import { writeLayersModel, type WriteLayersModelOptions } from './layers.js';

/** The artifacts tfjs hands to a save handler (the fields tfexport uses). */
export interface TfjsModelArtifacts {
  modelTopology?: Json | ArrayBuffer;
  weightSpecs?: TfjsWeightEntry[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  userDefinedMetadata?: Record<string, Json>;
  [key: string]: unknown;
}

/** The part of a `tf.LayersModel` tfexport relies on. */
export interface TfjsLayersModelLike {
  save(handler: { save(artifacts: TfjsModelArtifacts): Promise<unknown> }, config?: { includeOptimizer?: boolean }): Promise<unknown>;
}

/**
 * Reads an in-memory tfjs-layers model into the layers-model IR.
 * @param model a `tf.LayersModel` (anything with tfjs's `save(handler)`)
 */
export async function layersModelFromTfjsModel(model: TfjsLayersModelLike, label = 'in-memory tfjs model'): Promise<LayersModelArtifacts> {
  if (model === null || typeof model !== 'object' || typeof (model as { save?: unknown }).save !== 'function') {
    throw invalidParameter('model', 'a tf.LayersModel (an object with a save(handler) method)', model);
  }
  let captured: TfjsModelArtifacts | undefined;
  await model.save({
    save: async (artifacts: TfjsModelArtifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  }, { includeOptimizer: false });
  if (!captured) throw invalidParameter('model', 'a model whose save() calls the save handler', model);
  if (captured.modelTopology instanceof ArrayBuffer) {
    throw invalidParameter('model', 'a layers model (its save() produced a binary topology, as graph models do)', 'GraphModel');
  }
  const specs = captured.weightSpecs ?? [];
  const stored = splitWeightData(specs, captured.weightData, label);
  return layersModelFromTfjs((captured.modelTopology ?? null) as Json, specs, stored, label, 'tfjs_memory', { userDefinedMetadata: captured.userDefinedMetadata });
}

/**
 * Exports an in-memory tfjs-layers model.
 * @param model a `tf.LayersModel` / `tf.Sequential`
 * @param output a directory (tfjs_layers_model) or a file (keras → .h5, keras_keras → .keras)
 * @param options the format and its options (see {@link writeLayersModel})
 * @example
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
 * await exportModel(model, 'model.keras', { format: 'keras_keras' });
 */
export async function exportModel(model: TfjsLayersModelLike, output: string, options: WriteLayersModelOptions): Promise<void> {
  const ir = await layersModelFromTfjsModel(model);
  try {
    await writeLayersModel(ir, output, options);
  } finally {
    await ir.close();
  }
}
