// SPDX-License-Identifier: Apache-2.0
/**
 * The layers-model entry points as the package root exports them: each loads its module on
 * first call, so that `import 'tfexport'` for graph conversion or the kernels does not load the
 * Keras / HDF5 / zip readers and writers (about a third of the package). Same signatures and
 * behaviour as the functions in layers.ts and export-model.ts.
 */
import type * as ExportModel from './export-model.js';
import type * as Layers from './layers.js';

export { LAYERS_INPUT_FORMATS, LAYERS_OUTPUT_FORMATS } from './formats.js';

let layers: Promise<typeof Layers> | undefined;
let exporter: Promise<typeof ExportModel> | undefined;
const layersModule = (): Promise<typeof Layers> => (layers ??= import('./layers.js'));
const exportModule = (): Promise<typeof ExportModel> => (exporter ??= import('./export-model.js'));

/** See {@link Layers.readLayersModel}. */
export async function readLayersModel(...args: Parameters<typeof Layers.readLayersModel>): ReturnType<typeof Layers.readLayersModel> {
  return (await layersModule()).readLayersModel(...args);
}

/** See {@link Layers.writeLayersModel}. */
export async function writeLayersModel(...args: Parameters<typeof Layers.writeLayersModel>): ReturnType<typeof Layers.writeLayersModel> {
  return (await layersModule()).writeLayersModel(...args);
}

/** See {@link Layers.convertLayersModel}. */
export async function convertLayersModel(...args: Parameters<typeof Layers.convertLayersModel>): ReturnType<typeof Layers.convertLayersModel> {
  return (await layersModule()).convertLayersModel(...args);
}

/** See {@link ExportModel.exportModel}. */
export async function exportModel(...args: Parameters<typeof ExportModel.exportModel>): ReturnType<typeof ExportModel.exportModel> {
  return (await exportModule()).exportModel(...args);
}

/** See {@link ExportModel.layersModelFromTfjsModel}. */
export async function layersModelFromTfjsModel(
  ...args: Parameters<typeof ExportModel.layersModelFromTfjsModel>
): ReturnType<typeof ExportModel.layersModelFromTfjsModel> {
  return (await exportModule()).layersModelFromTfjsModel(...args);
}
