// SPDX-License-Identifier: Apache-2.0
/**
 * Translation between Keras 3 model configs (`.keras` config.json, Keras 3 `.h5`
 * model_config) and the legacy Keras 2 / tfjs-layers dialect the IR holds.
 *
 * Keras 3 → legacy: drops `module`, `registered_name`, `shared_object_id`, `build_config`
 * and `compile_config`; DTypePolicy objects become their dtype string; InputLayer
 * `batch_shape` becomes `batch_input_shape`; Functional `inbound_nodes` of the form
 * `{args, kwargs}` with `__keras_tensor__` / `keras_history` become
 * `[[layer, node_index, tensor_index, kwargs], …]` (an RNN's `initial_state` tensors are
 * appended to its inputs, as Keras 2 and tfjs-layers expect).
 *
 * legacy → Keras 3: the reverse, plus an explicit InputLayer at the head of a Sequential
 * whose first layer carries `batch_input_shape`, `module` keys for layers, initializers,
 * regularizers, constraints and dtype policies, and the class renames Keras 3 needs
 * (`Model` → `Functional`, LeakyReLU `alpha` → `negative_slope`).
 */
import {
  MODEL_CLASSES,
  cloneJson,
  isJsonObject,
  isKerasObject,
  modelLayers,
  type Json,
  type JsonObject,
  type KerasObjectConfig,
} from './config.js';

/** Class names of Keras 3 dtype policies. */
const DTYPE_POLICIES = new Set(['DTypePolicy', 'FloatDTypePolicy', 'QuantizedDTypePolicy', 'QuantizedFloat8DTypePolicy', 'DTypePolicyMap', 'GPTQDTypePolicy']);

/** RNN layer classes whose extra inputs are initial states. */
export const RNN_CLASSES: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'SimpleRNN', 'RNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);

const DROPPED_KEYS = new Set(['module', 'registered_name', 'shared_object_id', 'build_config', 'compile_config']);

/** Problems met while translating: each names the layer and what could not be expressed. */
export type TranslationIssues = string[];

/** True when a config (or any object inside it) uses Keras-3-only conventions. */
export function looksLikeKeras3(model: Json): boolean {
  let found = false;
  const visit = (o: Json): void => {
    if (found) return;
    if (Array.isArray(o)) {
      o.forEach(visit);
      return;
    }
    if (!isJsonObject(o)) return;
    if ('module' in o || 'registered_name' in o) found = true;
    else if (typeof o.class_name === 'string' && (DTYPE_POLICIES.has(o.class_name) || o.class_name === '__keras_tensor__')) found = true;
    else if (o.class_name === 'InputLayer' && isJsonObject(o.config) && 'batch_shape' in o.config) found = true;
    else Object.values(o).forEach(visit);
  };
  visit(model);
  return found;
}

function isKerasTensor(v: Json): v is JsonObject {
  return isJsonObject(v) && v.class_name === '__keras_tensor__' && isJsonObject(v.config);
}

function collectTensors(v: Json, out: JsonObject[]): boolean {
  if (isKerasTensor(v)) {
    out.push(v);
    return true;
  }
  if (Array.isArray(v)) {
    let any = false;
    for (const x of v) any = collectTensors(x, out) || any;
    return any;
  }
  if (isJsonObject(v) && v.class_name === '__tuple__' && isJsonObject(v.config)) return collectTensors(v.config.value ?? null, out);
  return false;
}

function historyOf(t: JsonObject): [string, number, number] {
  const h = (t.config as JsonObject).keras_history;
  if (!Array.isArray(h) || typeof h[0] !== 'string') throw new Error('keras tensor without keras_history');
  return [h[0], Number(h[1] ?? 0), Number(h[2] ?? 0)];
}

/** Translates one Keras 3 inbound node into the legacy list of tensor references. */
function nodeToLegacy(node: Json, layer: string, cls: string, issues: TranslationIssues): Json {
  if (Array.isArray(node)) return node; // already legacy
  if (!isJsonObject(node)) return [];
  const tensors: JsonObject[] = [];
  const args = Array.isArray(node.args) ? node.args : [];
  args.forEach((a, i) => {
    if (!collectTensors(a, tensors) && a !== null) {
      issues.push(`layer ${JSON.stringify(layer)} (${cls}) is called with a non-tensor positional argument #${i} (${JSON.stringify(a).slice(0, 60)})`);
    }
  });
  const kwargs: JsonObject = {};
  for (const [k, v] of Object.entries(isJsonObject(node.kwargs) ? node.kwargs : {})) {
    const ts: JsonObject[] = [];
    if (collectTensors(v, ts)) {
      if (k === 'initial_state' && RNN_CLASSES.has(cls)) tensors.push(...ts);
      else issues.push(`layer ${JSON.stringify(layer)} (${cls}) takes tensor argument ${JSON.stringify(k)}, which the legacy node format cannot express`);
      continue;
    }
    if (k === 'training' || k === 'mask' || v === null) continue;
    kwargs[k] = fromKeras3(v, issues);
  }
  return tensors.map((t) => {
    const [name, ni, ti] = historyOf(t);
    return [name, ni, ti, cloneJson(kwargs)];
  });
}

/**
 * Translates a Keras 3 value (config, layer, initializer…) into the legacy dialect.
 * @param v the Keras 3 JSON
 * @param issues receives what could not be translated
 */
export function fromKeras3(v: Json, issues: TranslationIssues): Json {
  if (Array.isArray(v)) return v.map((x) => fromKeras3(x, issues));
  if (!isJsonObject(v)) return v;
  const cls = v.class_name;
  if (typeof cls === 'string') {
    if (DTYPE_POLICIES.has(cls)) {
      const cfg = isJsonObject(v.config) ? v.config : {};
      return typeof cfg.name === 'string' ? cfg.name : 'float32';
    }
    if (cls === '__tuple__' && isJsonObject(v.config)) return fromKeras3(v.config.value ?? null, issues);
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (DROPPED_KEYS.has(k)) continue;
    if (k === 'inbound_nodes' && Array.isArray(x)) {
      const name = typeof v.name === 'string' ? v.name : isJsonObject(v.config) && typeof v.config.name === 'string' ? v.config.name : '?';
      out[k] = x.map((n) => nodeToLegacy(n, name, String(cls), issues));
      continue;
    }
    out[k] = fromKeras3(x, issues);
  }
  if (isJsonObject(out.config) && Array.isArray(out.config.layers)) {
    // Keras 3 writes a single input/output as one [name, node, tensor] triple; the legacy
    // form (and tfjs-layers) always has a list of triples.
    for (const k of ['input_layers', 'output_layers']) {
      const v = out.config[k];
      if (Array.isArray(v) && typeof v[0] === 'string') out.config[k] = [v];
    }
  }
  if (cls === 'InputLayer' && isJsonObject(out.config)) {
    const c = out.config;
    if ('batch_shape' in c) {
      c.batch_input_shape = c.batch_shape;
      delete c.batch_shape;
    } else if (Array.isArray(c.shape)) {
      c.batch_input_shape = [null, ...c.shape];
      delete c.shape;
    }
    delete c.optional;
    delete c.ragged;
    delete c.input_tensor;
  }
  return out;
}

/**
 * Translates a Keras 3 model config into the legacy dialect.
 * @returns the legacy config and the problems met (non-tensor arguments, tensor kwargs)
 */
export function keras3ToLegacy(model: KerasObjectConfig): { config: KerasObjectConfig; issues: TranslationIssues } {
  const issues: TranslationIssues = [];
  const config = fromKeras3(model as unknown as Json, issues) as unknown as KerasObjectConfig;
  return { config, issues };
}

// ---- legacy → Keras 3 -----------------------------------------------------------------

const OBJECT_MODULES: ReadonlyArray<[RegExp, string]> = [
  [/_initializer$/, 'keras.initializers'],
  [/_regularizer$/, 'keras.regularizers'],
  [/_constraint$/, 'keras.constraints'],
];

function moduleFor(cls: string): string {
  if (cls === 'Sequential') return 'keras';
  if (cls === 'Functional') return 'keras.src.models.functional';
  return 'keras.layers';
}

/**
 * An initializer config without null entries (old tfjs files write `mode: null`): Keras
 * then uses its defaults. `seed: null` is kept (it means "random").
 */
export function withoutNulls(config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) if (v !== null || k === 'seed') out[k] = v;
  return out;
}

function dtypePolicy(name: string): JsonObject {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null };
}

function helperObject(v: Json, module: string): Json {
  if (!isKerasObject(v)) return v;
  let cls = v.class_name;
  let config: JsonObject = isJsonObject(v.config) ? cloneJson(v.config) : {};
  // tfjs serializes some initializers under their Keras 2 / camel names.
  if (module === 'keras.initializers' && cls === 'VarianceScaling' && config.distribution === 'normal') {
    config = { ...config, distribution: 'truncated_normal' };
  }
  if (module === 'keras.regularizers' && cls === 'L1L2') {
    const l1 = typeof config.l1 === 'number' ? config.l1 : 0;
    const l2 = typeof config.l2 === 'number' ? config.l2 : 0;
    config = { l1, l2 };
  }
  if (cls === 'Zeros' || cls === 'Ones') config = {};
  if (module === 'keras.initializers') config = withoutNulls(config);
  cls = cls.replace(/^./, (c) => c.toUpperCase());
  return { module, class_name: cls, config, registered_name: null };
}

/** Legacy keys Keras 3 layer constructors refuse, by class ('*' = every layer). */
const KERAS3_DROPPED_LAYER_KEYS: Readonly<Record<string, readonly string[]>> = {
  '*': ['batch_input_shape', 'input_shape', 'input_dim', 'batch_size'],
  LSTM: ['implementation', 'time_major'],
  GRU: ['implementation', 'time_major'],
  SimpleRNN: ['time_major'],
  Embedding: ['input_length'],
};

/** A legacy layer config rewritten for Keras 3 (no module wrapping). */
function layerConfigToKeras3(cls: string, cfg: JsonObject, shapes: Map<string, Json>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(cfg)) {
    const helper = OBJECT_MODULES.find(([re]) => re.test(k));
    if (helper) out[k] = v === null ? null : helperObject(v, helper[1]);
    else if (k === 'layer' || k === 'backward_layer') out[k] = isKerasObject(v) ? layerToKeras3(v, shapes, false) : v;
    else if (k === 'layers' && Array.isArray(v)) continue; // models handled by the caller
    else out[k] = cloneJson(v);
  }
  if (cls === 'InputLayer') {
    if ('batch_input_shape' in out) {
      out.batch_shape = out.batch_input_shape;
      delete out.batch_input_shape;
    }
    return out;
  }
  for (const k of [...(KERAS3_DROPPED_LAYER_KEYS['*'] ?? []), ...(KERAS3_DROPPED_LAYER_KEYS[cls] ?? [])]) {
    if (k === 'input_dim' && cls === 'Embedding') continue; // its own argument, not Keras 2's input_dim
    delete out[k];
  }
  if (typeof out.dtype === 'string') out.dtype = dtypePolicy(out.dtype);
  if (cls === 'LeakyReLU' && 'alpha' in out) {
    out.negative_slope = out.alpha;
    delete out.alpha;
  }
  if ((cls === 'LSTM' || cls === 'LSTMCell') && out.unit_forget_bias === null) out.unit_forget_bias = true;
  return out;
}

function kerasTensor(ref: Json, shapes: Map<string, Json>): JsonObject {
  const r = Array.isArray(ref) ? ref : [];
  const name = String(r[0]);
  const ni = Number(r[1] ?? 0);
  const ti = Number(r[2] ?? 0);
  const shape = shapes.get(`${name}:${ni}:${ti}`) ?? [];
  return { class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, ni, ti] } };
}

/**
 * Translates one legacy inbound node (`[[layer, node, tensor, kwargs], …]`) into Keras 3's
 * `{args, kwargs}` form; an RNN's extra inputs become its `initial_state`.
 */
export function nodeToKeras3(node: Json, cls: string, shapes: Map<string, Json> = new Map()): Json {
  if (!Array.isArray(node)) return node; // already Keras 3
  const refs = node.filter(Array.isArray) as Json[][];
  const tensors = refs.map((r) => kerasTensor(r, shapes));
  const legacyKwargs = refs.length && isJsonObject(refs[0][3]) ? cloneJson(refs[0][3]) : {};
  if (RNN_CLASSES.has(cls) && tensors.length > 1) {
    return { args: [tensors[0]], kwargs: { ...legacyKwargs, initial_state: tensors.slice(1) } };
  }
  return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs: legacyKwargs };
}

function layerToKeras3(layer: KerasObjectConfig, shapes: Map<string, Json>, inModel: boolean): JsonObject {
  const cls = layer.class_name === 'Model' ? 'Functional' : layer.class_name;
  const cfg = isJsonObject(layer.config) ? layer.config : {};
  if (MODEL_CLASSES.has(cls)) return modelToKeras3({ ...layer, class_name: cls }, shapes, inModel);
  const out: JsonObject = { module: moduleFor(cls), class_name: cls, config: layerConfigToKeras3(cls, cfg, shapes), registered_name: null };
  if (inModel) {
    if (typeof layer.name === 'string') out.name = layer.name;
    if (Array.isArray(layer.inbound_nodes)) out.inbound_nodes = layer.inbound_nodes.map((n) => nodeToKeras3(n, cls, shapes));
  }
  return out;
}

function modelToKeras3(model: KerasObjectConfig, shapes: Map<string, Json>, inModel: boolean): JsonObject {
  const cls = model.class_name === 'Model' ? 'Functional' : model.class_name;
  const cfg = isJsonObject(model.config) ? model.config : {};
  const layers = modelLayers(model);
  const outLayers: Json[] = [];
  if (cls === 'Sequential') {
    const first = layers[0];
    const fc = first && isJsonObject(first.config) ? first.config : undefined;
    if (first && first.class_name !== 'InputLayer' && fc && Array.isArray(fc.batch_input_shape)) {
      outLayers.push({
        module: 'keras.layers',
        class_name: 'InputLayer',
        config: { batch_shape: cloneJson(fc.batch_input_shape), dtype: typeof fc.dtype === 'string' ? fc.dtype : 'float32', sparse: false, name: `${String(fc.name ?? 'layer')}_input` },
        registered_name: null,
      });
    }
    for (const l of layers) outLayers.push(layerToKeras3(l, shapes, false));
  } else {
    for (const l of layers) outLayers.push(layerToKeras3(l, shapes, true));
  }
  const config: JsonObject = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'layers') continue;
    config[k] = cloneJson(v);
  }
  if (typeof config.dtype === 'string') config.dtype = dtypePolicy(config.dtype);
  config.layers = outLayers;
  if (config.trainable === undefined) config.trainable = true;
  const out: JsonObject = { module: moduleFor(cls), class_name: cls, config, registered_name: null };
  if (inModel) {
    if (typeof model.name === 'string') out.name = model.name;
    if (Array.isArray(model.inbound_nodes)) out.inbound_nodes = model.inbound_nodes.map((n) => nodeToKeras3(n, cls, shapes));
  }
  return out;
}

/**
 * Translates a legacy model config into Keras 3's `config.json` form.
 * @param model a normalized legacy model config
 * @param shapes known tensor shapes by `layer:node:tensor` (for `__keras_tensor__` entries;
 *   Keras does not use them when loading, unknown ones are written as `[]`)
 */
export function legacyToKeras3(model: KerasObjectConfig, shapes: Map<string, Json> = new Map()): JsonObject {
  return modelToKeras3(model, shapes, false);
}

/**
 * Shapes of the model's input tensors (`name:0:0` → batch shape), from its InputLayers.
 */
export function inputShapes(model: KerasObjectConfig): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const l of modelLayers(model)) {
    if (l.class_name !== 'InputLayer' || !isJsonObject(l.config)) continue;
    const shape = l.config.batch_input_shape ?? l.config.batch_shape;
    if (Array.isArray(shape) && typeof l.config.name === 'string') out.set(`${l.config.name}:0:0`, shape);
  }
  return out;
}
