// SPDX-License-Identifier: Apache-2.0
/**
 * Library entry points for layers models: read any of Keras HDF5, Keras 3 `.keras` and
 * tfjs layers models; write any of them; convert between them in one call.
 */
import { FormatError, invalidParameter } from '../errors.js';
import { detectLayersInputFormat, type LayersInputFormat } from '../formats/keras/detect.js';
import { readKerasH5 } from '../formats/keras/read-h5.js';
import { readKerasV3 } from '../formats/keras/read-keras-v3.js';
import { writeKerasH5 } from '../formats/keras/write-h5.js';
import { writeKerasV3 } from '../formats/keras/write-keras-v3.js';
import type { ZipLimits } from '../formats/keras/zip.js';
import type { QuantizeSpec } from '../formats/tfjs/layers-quantize.js';
import { readTfjsLayersModel } from '../formats/tfjs/layers-read.js';
import { writeTfjsLayersModel } from '../formats/tfjs/layers-write.js';
import type { Json, KerasObjectConfig } from '../layers/config.js';
import type { LayersModelArtifacts } from '../layers/model.js';

import { LAYERS_INPUT_FORMATS, LAYERS_OUTPUT_FORMATS, type LayersOutputFormat } from './formats.js';

export type { LayersInputFormat, LayersOutputFormat };
export { LAYERS_INPUT_FORMATS, LAYERS_OUTPUT_FORMATS };

/** Options of {@link readLayersModel}. */
export interface ReadLayersModelOptions {
  /** The input format; detected from the content when omitted. */
  format?: LayersInputFormat;
  /** Topology for a weights-only Keras HDF5 file (model.to_json() text or object). */
  topology?: string | KerasObjectConfig;
  /** Zip-bomb limits for `.keras` inputs. */
  zipLimits?: Partial<ZipLimits>;
}

/**
 * Reads a layers model from disk. Call `close()` on the result when done.
 * @param input a `.h5` / `.keras` file, a `model.json`, or a directory holding one
 * @throws {FormatError} `ERR_TFEXPORT_UNKNOWN_FORMAT` when the content is none of the formats
 */
export async function readLayersModel(input: string, options: ReadLayersModelOptions = {}): Promise<LayersModelArtifacts> {
  if (typeof input !== 'string' || input.length === 0) throw invalidParameter('input', 'a file or directory path', input);
  const format = options.format ?? (await detectLayersInputFormat(input));
  switch (format) {
    case 'keras':
      return readKerasH5(input, { topology: options.topology });
    case 'keras_keras':
      return readKerasV3(input, { zipLimits: options.zipLimits });
    case 'tfjs_layers_model':
      return readTfjsLayersModel(input);
    case null:
    case undefined:
      throw new FormatError(
        'ERR_TFEXPORT_UNKNOWN_FORMAT',
        `${input} is not a Keras HDF5 file, a Keras 3 .keras archive or a tfjs layers model (detected by content)`,
        { file: input },
      );
    default:
      throw invalidParameter('options.format', `one of ${LAYERS_INPUT_FORMATS.join(', ')}`, format);
  }
}

/** Options of {@link writeLayersModel}. */
export interface WriteLayersModelOptions {
  format: LayersOutputFormat;
  /** tfjs only: quantization by dtype (patterns or `true` for the rest). */
  quantize?: QuantizeSpec;
  /** tfjs only: maximum shard size in bytes (default 4 MiB). */
  weightShardSizeBytes?: number;
  /** tfjs only: one weight group per top-level layer. */
  splitWeightsByLayer?: boolean;
  /** tfjs only: `userDefinedMetadata` entries. */
  metadata?: Record<string, Json>;
  /** Replace an existing output (default false). */
  overwrite?: boolean;
  /** fsync outputs (default true). */
  fsync?: boolean;
}

/**
 * Writes a layers model. Outputs are atomic: complete, or nothing at the output path.
 * @param output a directory (tfjs_layers_model) or a file (keras, keras_keras)
 */
export async function writeLayersModel(model: LayersModelArtifacts, output: string, options: WriteLayersModelOptions): Promise<void> {
  if (typeof output !== 'string' || output.length === 0) throw invalidParameter('output', 'a path', output);
  const common = { overwrite: options.overwrite, fsync: options.fsync };
  const tfjsOnly = options.quantize || options.weightShardSizeBytes !== undefined || options.splitWeightsByLayer || options.metadata;
  switch (options.format) {
    case 'tfjs_layers_model':
      await writeTfjsLayersModel(model, output, {
        ...common,
        quantize: options.quantize,
        weightShardSizeBytes: options.weightShardSizeBytes,
        splitWeightsByLayer: options.splitWeightsByLayer,
        metadata: options.metadata,
      });
      return;
    case 'keras':
    case 'keras_keras':
      if (tfjsOnly) throw invalidParameter('options', `no quantize/weightShardSizeBytes/splitWeightsByLayer/metadata with format ${options.format} (they apply to tfjs_layers_model)`, Object.keys(options).join(','));
      if (options.format === 'keras') await writeKerasH5(model, output, common);
      else await writeKerasV3(model, output, common);
      return;
    default:
      throw invalidParameter('options.format', `one of ${LAYERS_OUTPUT_FORMATS.join(', ')}`, options.format);
  }
}

/** Options of {@link convertLayersModel}. */
export interface ConvertLayersModelOptions extends WriteLayersModelOptions {
  /** Input format; detected from the content when omitted. */
  inputFormat?: LayersInputFormat;
  /** Topology for a weights-only HDF5 input. */
  topology?: string | KerasObjectConfig;
  zipLimits?: Partial<ZipLimits>;
}

/** What {@link convertLayersModel} did. */
export interface ConvertLayersModelResult {
  inputFormat: LayersInputFormat | 'tfjs_memory';
  outputFormat: LayersOutputFormat;
  output: string;
  weights: number;
}

/**
 * Converts between Keras HDF5, Keras 3 `.keras` and tfjs layers models.
 * @example
 * await convertLayersModel('model.h5', 'web_model', { format: 'tfjs_layers_model', quantize: { uint8: ['conv*'] } });
 * await convertLayersModel('web_model/model.json', 'model.keras', { format: 'keras_keras' });
 */
export async function convertLayersModel(input: string, output: string, options: ConvertLayersModelOptions): Promise<ConvertLayersModelResult> {
  const model = await readLayersModel(input, { format: options.inputFormat, topology: options.topology, zipLimits: options.zipLimits });
  try {
    await writeLayersModel(model, output, options);
    return { inputFormat: model.format as LayersInputFormat, outputFormat: options.format, output, weights: model.weights.length };
  } finally {
    await model.close();
  }
}
