// SPDX-License-Identifier: Apache-2.0
/**
 * Keras model configs in the "legacy" dialect: the JSON of Keras 2 / tf.keras
 * `model.to_json()` and of tfjs-layers `model.json` (`{class_name, config}` objects,
 * snake_case keys, Functional `inbound_nodes` as `[[layer, node_index, tensor_index,
 * kwargs], …]`, InputLayer `batch_input_shape`, dtypes as strings). This is the dialect
 * tfexport's layers-model IR holds; Keras 3 configs are translated to and from it
 * (see keras3.ts).
 */
import { FormatError } from '../errors.js';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** A serialized Keras object: `{class_name, config}` plus, for layers in a model, `name` and `inbound_nodes`. */
export interface KerasObjectConfig {
  class_name: string;
  config: JsonObject;
  name?: string;
  inbound_nodes?: Json[];
  [key: string]: Json | undefined;
}

/** A legacy inbound-node tensor reference: `[layer_name, node_index, tensor_index, kwargs]`. */
export type LegacyTensorRef = [string, number, number, JsonObject];

/** Class names of model containers. */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Class-name aliases rewritten when reading (tensorflowjs_converter does the same, b1.1):
 * TF 1.x/2.x internal names that Keras and tfjs-layers know under their public name.
 */
export const CLASS_ALIASES: Readonly<Record<string, string>> = {
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  UnifiedGRU: 'GRU',
  UnifiedLSTM: 'LSTM',
  GRUV2: 'GRU',
  LSTMV2: 'LSTM',
};

/** True for a plain JSON object. */
export function isJsonObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True for a `{class_name, config}` object. */
export function isKerasObject(v: unknown): v is KerasObjectConfig {
  return isJsonObject(v) && typeof v.class_name === 'string' && (v.config === undefined || isJsonObject(v.config) || Array.isArray(v.config));
}

/** Deep copy of JSON data. */
export function cloneJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function configError(message: string, field?: string): FormatError {
  return new FormatError('ERR_TFEXPORT_KERAS_CONFIG', message, field ? { field } : {});
}

/**
 * Parses a model config from JSON text, naming where it came from on failure.
 * @throws {FormatError} `ERR_TFEXPORT_KERAS_CONFIG`
 */
export function parseConfigJson(text: string, where: string): KerasObjectConfig {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw configError(`${where} is not valid JSON: ${(e as Error).message}`, where);
  }
  if (!isKerasObject(v)) throw configError(`${where} is not a Keras model config (expected an object with "class_name" and "config")`, where);
  return v;
}

/**
 * Normalizes a legacy model config in place and returns it: class aliases rewritten
 * recursively, and the pre-2.2 Sequential form whose `config` is the list of layers
 * turned into `{name, layers}`.
 */
export function normalizeLegacyModelConfig(model: KerasObjectConfig): KerasObjectConfig {
  const visit = (o: Json): void => {
    if (Array.isArray(o)) {
      o.forEach(visit);
      return;
    }
    if (!isJsonObject(o)) return;
    if (typeof o.class_name === 'string' && CLASS_ALIASES[o.class_name]) o.class_name = CLASS_ALIASES[o.class_name];
    if (o.class_name === 'Sequential' && Array.isArray(o.config)) {
      o.config = { name: 'sequential', layers: o.config };
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(model as unknown as Json);
  return model;
}

/** The `layers` list of a Sequential/Functional config ([] for anything else). */
export function modelLayers(model: KerasObjectConfig): KerasObjectConfig[] {
  const layers = isJsonObject(model.config) ? model.config.layers : undefined;
  if (!Array.isArray(layers)) return [];
  return layers.filter(isKerasObject) as KerasObjectConfig[];
}

/** A layer's name: its config's `name`, else the entry's `name`. */
export function layerName(layer: KerasObjectConfig): string {
  const n = isJsonObject(layer.config) ? layer.config.name : undefined;
  if (typeof n === 'string') return n;
  if (typeof layer.name === 'string') return layer.name;
  throw configError(`a ${layer.class_name} layer has no name in its config`);
}

/**
 * Keras 3's snake_case of a class name (`keras.src.utils.naming.to_snake_case`), which
 * names list members in `.keras` weight files: Conv2DTranspose → conv2d_transpose,
 * SimpleRNN → simple_rnn, BatchNormalization → batch_normalization.
 */
export function toSnakeCase(name: string): string {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  s = s.replace(/([a-z])([A-Z])/g, '$1_$2');
  return s.toLowerCase();
}

/** Reads an integer list (or a single integer repeated `rank` times) from a config value. */
export function intList(v: Json | undefined, rank: number): (number | null)[] {
  if (typeof v === 'number') return new Array<number>(rank).fill(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x : null));
  return new Array<null>(rank).fill(null);
}
