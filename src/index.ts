// SPDX-License-Identifier: Apache-2.0
/**
 * tfexport: the package root. Re-exports the public API; each area adds its own block.
 */
import { packageInfo } from './util/package-info.js';

/** The package version (from package.json). */
export const version: string = packageInfo().version;

// Errors
export {
  TfexportError,
  ValidationError,
  NativeError,
  FormatError,
  UnsupportedOpError,
  IoError,
  type ErrorContext,
} from './errors.js';

// Types
export type * from './types.js';

// Kernels
export * from './kernels/index.js';

// Layers models: Keras HDF5 / Keras 3 .keras / tfjs layers (read, write, convert, export)
// (the functions load their modules on first call: importing the package root stays light)
export {
  readLayersModel,
  writeLayersModel,
  convertLayersModel,
  LAYERS_INPUT_FORMATS,
  LAYERS_OUTPUT_FORMATS,
  exportModel,
  layersModelFromTfjsModel,
} from './export/lazy.js';
export type {
  LayersInputFormat,
  LayersOutputFormat,
  ReadLayersModelOptions,
  WriteLayersModelOptions,
  ConvertLayersModelOptions,
  ConvertLayersModelResult,
} from './export/layers.js';
export type { TfjsLayersModelLike, TfjsModelArtifacts } from './export/export-model.js';
export type { LayersModelArtifacts, LayersModelWeight, LayersWeightDType, LayersWeightValues, LayersSourceFormat } from './layers/model.js';
export type { KerasObjectConfig, Json, JsonObject } from './layers/config.js';
export type { QuantizeSpec } from './formats/tfjs/layers-quantize.js';
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from './formats/keras/zip-limits.js';

// Graph IR and freezing (SavedModel signature / frozen GraphDef -> inference graph)
export {
  fromGraphDef,
  toGraphDef,
  graphDefChunks,
  writeGraphDef,
  validateGraphIR,
  type GraphIR,
  type IrNode,
  type IrInput,
  type IrAttrValue,
  type IrAttrList,
  type IrFunctionRef,
  type IrShape,
  type IrSignature,
  type IrSignatureTensor,
  type IrVersions,
  type IrWeight,
  type IrWeightSource,
  type TensorRef,
  type FromGraphDefOptions,
  type ToGraphDefOptions,
} from './ir/index.js';
export { freezeSavedModel, type FreezeOptions, type FrozenGraphIR, type FrozenVariableInfo } from './formats/savedmodel/index.js';
export {
  convertToGraphModel,
  checkTfjsOps,
  unsupportedTfjsOps,
  type GraphModelOptions,
  type GraphModelResult,
  type GraphModelJson,
  type GraphModelInputFormat,
} from './formats/tfjs/graph-write.js';
export { TFJS_SUPPORTED_OPS, TFJS_OP_CATEGORIES, TFJS_CONVERTER_VERSION } from './graph/tfjs-ops.js';
