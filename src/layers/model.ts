// SPDX-License-Identifier: Apache-2.0
/**
 * The layers-model IR every Keras / tfjs-layers reader produces and every writer consumes:
 * a legacy-dialect model config plus the weights under their canonical names, each read
 * lazily so that a conversion holds one tensor at a time.
 */
import { FormatError } from '../errors.js';
import { f16ToF32Sync } from '../kernels/index.js';
import type { ActivationSemantics } from './compat.js';
import type { Json, KerasObjectConfig } from './config.js';
import type { ModelWeightPlan } from './weights.js';

/** Dtypes of layers-model weights (as tfjs manifests and Keras writers store them). */
export type LayersWeightDType = 'float32' | 'int32' | 'bool';

/** Values of a weight: Float32Array, Int32Array, or Uint8Array (bool, 0/1). */
export type LayersWeightValues = Float32Array | Int32Array | Uint8Array;

/** One weight of a layers model. */
export interface LayersModelWeight {
  /** Canonical name, as tensorflowjs_converter writes it (`dense/kernel`, `lstm/lstm_cell/kernel`). */
  name: string;
  /** Top-level layer owning it (empty for weights-only files read without a topology). */
  layer: string;
  dtype: LayersWeightDType;
  shape: number[];
  /** Reads the values (from the source file; not cached). */
  read(): Promise<LayersWeightValues>;
}

/** Input formats of layers models. */
export type LayersSourceFormat = 'keras' | 'keras_keras' | 'tfjs_layers_model' | 'tfjs_memory';

/** A layers model read from any source. */
export interface LayersModelArtifacts {
  /** Where it came from. */
  format: LayersSourceFormat;
  /** The file or directory read (or a label for in-memory models). */
  source: string;
  /** Legacy-dialect model config, or null for a weights-only file read without topology. */
  modelConfig: KerasObjectConfig | null;
  /** Keras version of the producer (`2.4.0`, `3.15.1`, `tfjs-layers 4.22.0`), when recorded. */
  kerasVersion?: string;
  /** Backend recorded by the producer. */
  backend?: string;
  /** `training_config` as recorded (kept for tfjs `modelTopology`). */
  trainingConfig?: Json;
  /** Whose `hard_sigmoid` the model means (Keras 3 changed it). */
  semantics: ActivationSemantics;
  /** The config's weights, layer by layer, when the config is known. */
  plan?: ModelWeightPlan;
  /** Weights in model order. */
  weights: LayersModelWeight[];
  /** Problems met translating a Keras 3 config (listed when a target refuses the model). */
  translationIssues: string[];
  /** `userDefinedMetadata` of a tfjs model.json, kept when writing tfjs. */
  userDefinedMetadata?: Record<string, Json>;
  /** Releases the source (open HDF5 file, zip, buffers). Idempotent. */
  close(): Promise<void>;
}

/**
 * Converts numeric values read from a file to the dtype a layers model stores: float16,
 * float64 → float32; 8/16/32/64-bit integers → int32 (64-bit values must fit).
 * @param where names the weight and file for errors
 * @throws {FormatError} `ERR_TFEXPORT_KERAS_DTYPE` for int64 values outside int32
 */
export function toLayersValues(dtype: string, data: ArrayBufferView, where: string): { dtype: LayersWeightDType; data: LayersWeightValues } {
  switch (dtype) {
    case 'float32':
      return { dtype: 'float32', data: data as Float32Array };
    case 'float16':
      return { dtype: 'float32', data: f16ToF32Sync(data as Uint16Array) };
    case 'float64':
      return { dtype: 'float32', data: Float32Array.from(data as Float64Array) };
    case 'int32':
      return { dtype: 'int32', data: data as Int32Array };
    case 'int8': case 'int16': case 'uint8': case 'uint16':
      return { dtype: 'int32', data: Int32Array.from(data as Int8Array) };
    case 'uint32': case 'int64': case 'uint64': {
      const src = data as unknown as ArrayLike<number | bigint>;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = Number(src[i]);
        if (v > 2147483647 || v < -2147483648) {
          throw new FormatError('ERR_TFEXPORT_KERAS_DTYPE', `${where}: ${dtype} value ${String(src[i])} at index ${i} does not fit in int32`, { field: where });
        }
        out[i] = v;
      }
      return { dtype: 'int32', data: out };
    }
    default:
      throw new FormatError('ERR_TFEXPORT_KERAS_DTYPE', `${where}: unsupported weight dtype ${dtype}`, { field: where });
  }
}

/** The layers-model dtype a stored dtype converts to (see {@link toLayersValues}). */
export function layersDTypeOf(dtype: string): LayersWeightDType {
  return dtype.startsWith('float') ? 'float32' : 'int32';
}
