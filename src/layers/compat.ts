// SPDX-License-Identifier: Apache-2.0
/**
 * What each target can express, checked over the whole model at once so that a refusal
 * lists every problem in one {@link UnsupportedOpError}; and the small dialect rewrites a
 * legacy config needs to load in tfjs-layers 4.x.
 */
import { UnsupportedOpError } from '../errors.js';
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

/** Layer classes tfjs-layers 4.22 can deserialize (its serialization registry). */
export const TFJS_LAYER_CLASSES: ReadonlySet<string> = new Set([
  'InputLayer', 'Model', 'Functional', 'Sequential', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
  'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv2D', 'DepthwiseConv2D', 'Cropping2D',
  'UpSampling2D', 'SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D', 'Dropout', 'SpatialDropout1D', 'Dense',
  'Flatten', 'Activation', 'RepeatVector', 'Reshape', 'Permute', 'Masking', 'Embedding', 'Add', 'Multiply', 'Average',
  'Maximum', 'Minimum', 'Concatenate', 'Dot', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'BatchNormalization',
  'LayerNormalization', 'ZeroPadding2D', 'MaxPooling1D', 'AveragePooling1D', 'MaxPooling2D', 'AveragePooling2D',
  'MaxPooling3D', 'AveragePooling3D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'TimeDistributed', 'Bidirectional', 'Rescaling', 'CenterCrop', 'CategoryEncoding', 'Resizing',
]);

/** Activation names tfjs-layers accepts (pythonic spelling, as in model.json). */
export const TFJS_ACTIVATIONS: ReadonlySet<string> = new Set([
  'elu', 'selu', 'relu', 'relu6', 'linear', 'sigmoid', 'hard_sigmoid', 'softplus', 'softsign', 'tanh', 'softmax',
  'log_softmax', 'gelu', 'gelu_new', 'mish', 'swish',
]);

/** Keras 3 spellings of activations tfjs knows under another name. */
const TFJS_ACTIVATION_ALIASES: Readonly<Record<string, string>> = { silu: 'swish' };

/** Layer classes Keras 3.15 provides (for configs written to .keras / .h5). */
export const KERAS3_LAYER_CLASSES: ReadonlySet<string> = new Set([
  ...[...TFJS_LAYER_CLASSES].filter((c) => c !== 'ThresholdedReLU' && c !== 'Model'),
  'Subtract', 'Conv1DTranspose', 'SeparableConv1D', 'DepthwiseConv1D', 'ZeroPadding1D', 'ZeroPadding3D', 'Cropping1D',
  'Cropping3D', 'UpSampling1D', 'UpSampling3D', 'SpatialDropout2D', 'SpatialDropout3D', 'GlobalAveragePooling3D',
  'GlobalMaxPooling3D', 'Identity', 'UnitNormalization', 'ActivityRegularization', 'RNN',
]);

/** Activation names Keras 3 accepts with the same meaning as tfjs-layers / Keras 2. */
const KERAS3_ACTIVATIONS: ReadonlySet<string> = new Set([
  'elu', 'selu', 'relu', 'relu6', 'linear', 'sigmoid', 'softplus', 'softsign', 'tanh', 'softmax', 'log_softmax', 'gelu',
  'mish', 'swish', 'silu', 'exponential', 'leaky_relu', 'hard_silu', 'hard_swish', 'celu', 'glu', 'sparse_plus',
  'soft_shrink', 'hard_shrink', 'tanh_shrink', 'squareplus', 'sparsemax', 'threshold', 'hard_tanh',
]);

/** Initializer classes tfjs-layers knows, with Keras 3 spellings mapped. */
const TFJS_INITIALIZERS: Readonly<Record<string, string>> = {
  Zeros: 'Zeros', Ones: 'Ones', Constant: 'Constant', RandomUniform: 'RandomUniform', RandomNormal: 'RandomNormal',
  TruncatedNormal: 'TruncatedNormal', Identity: 'Identity', IdentityInitializer: 'Identity', VarianceScaling: 'VarianceScaling',
  GlorotUniform: 'GlorotUniform', GlorotNormal: 'GlorotNormal', HeNormal: 'HeNormal', HeUniform: 'HeUniform',
  LecunNormal: 'LeCunNormal', LeCunNormal: 'LeCunNormal', LecunUniform: 'LeCunUniform', LeCunUniform: 'LeCunUniform',
  Orthogonal: 'Orthogonal',
};

/** Whose definition of `hard_sigmoid` a model was trained with. */
export type ActivationSemantics = 'keras2' | 'keras3';

/** Calls `fn` on every layer of a model config, descending into nested models and wrappers. */
export function forEachLayer(model: KerasObjectConfig, fn: (layer: KerasObjectConfig, path: string) => void, prefix = ''): void {
  for (const l of modelLayers(model)) {
    const name = isJsonObject(l.config) && typeof l.config.name === 'string' ? l.config.name : String(l.name ?? l.class_name);
    const path = prefix ? `${prefix}/${name}` : name;
    fn(l, path);
    if (MODEL_CLASSES.has(l.class_name)) forEachLayer(l, fn, path);
    const c = isJsonObject(l.config) ? l.config : {};
    for (const k of ['layer', 'backward_layer']) {
      const inner = c[k];
      if (isKerasObject(inner)) {
        const innerName = isJsonObject(inner.config) && typeof inner.config.name === 'string' ? inner.config.name : inner.class_name;
        fn(inner, `${path}/${innerName}`);
      }
    }
  }
}

function activationIssues(c: JsonObject, where: string, ok: (a: string) => string | null): string[] {
  const out: string[] = [];
  for (const key of ['activation', 'recurrent_activation']) {
    const a = c[key];
    if (a === undefined || a === null) continue;
    const name = typeof a === 'string' ? a : isKerasObject(a) ? a.class_name : JSON.stringify(a);
    const why = ok(name);
    if (why) out.push(`${where}: ${key} ${JSON.stringify(name)} ${why}`);
  }
  return out;
}

/**
 * Everything in a legacy model config that tfjs-layers 4.22 cannot load or would compute
 * differently, one line per problem.
 * @param semantics whose `hard_sigmoid` the model means (Keras 3's is relu6(x+3)/6)
 */
export function tfjsIssues(model: KerasObjectConfig, semantics: ActivationSemantics): string[] {
  const issues: string[] = [];
  if (!MODEL_CLASSES.has(model.class_name)) {
    issues.push(`model class ${model.class_name} is not a Sequential or Functional model (subclassed models have no layer graph tfjs-layers can rebuild)`);
    return issues;
  }
  forEachLayer(model, (l, where) => {
    const cls = l.class_name;
    const c = isJsonObject(l.config) ? l.config : {};
    const at = `layer ${JSON.stringify(where)} (${cls})`;
    if (!TFJS_LAYER_CLASSES.has(cls)) {
      issues.push(`${at}: class ${cls} does not exist in tfjs-layers`);
      return;
    }
    issues.push(...activationIssues(c, at, (a) => {
      const name = TFJS_ACTIVATION_ALIASES[a] ?? a;
      if (!TFJS_ACTIVATIONS.has(name)) return 'is not a tfjs-layers activation';
      if (name === 'hard_sigmoid' && semantics === 'keras3') return "means relu6(x+3)/6 in Keras 3 but clip(0.2x+0.5) in tfjs-layers";
      return null;
    }));
    if (cls === 'GRU' && c.reset_after === true) issues.push(`${at}: reset_after=True (tfjs-layers GRU only implements reset_after=False)`);
    if (typeof c.groups === 'number' && c.groups > 1) issues.push(`${at}: groups=${c.groups} (tfjs-layers has no grouped convolution)`);
    if (cls === 'LayerNormalization' && c.rms_scaling === true) issues.push(`${at}: rms_scaling=True`);
    if (cls === 'BatchNormalization' && c.renorm === true) issues.push(`${at}: renorm=True`);
    if (/^Global(Average|Max)Pooling/.test(cls) && c.keepdims === true) issues.push(`${at}: keepdims=True`);
    if (cls === 'ReLU' && ((typeof c.negative_slope === 'number' && c.negative_slope !== 0) || (typeof c.threshold === 'number' && c.threshold !== 0))) {
      issues.push(`${at}: negative_slope/threshold (tfjs-layers ReLU only has max_value)`);
    }
    if (c.quantization_config !== undefined && c.quantization_config !== null) issues.push(`${at}: Keras quantized layer (quantization_config)`);
    if (typeof c.dtype === 'string' && /int8|float8|int4/.test(c.dtype)) issues.push(`${at}: quantized dtype policy ${c.dtype}`);
    if (typeof c.lora_rank === 'number' && c.lora_rank > 0) issues.push(`${at}: LoRA (lora_rank=${c.lora_rank})`);
  });
  return issues;
}

/**
 * Everything in a legacy model config that Keras 3.15 cannot load or would compute
 * differently.
 * @param semantics whose `hard_sigmoid` the model means
 */
export function keras3Issues(model: KerasObjectConfig, semantics: ActivationSemantics): string[] {
  const issues: string[] = [];
  if (!MODEL_CLASSES.has(model.class_name)) {
    issues.push(`model class ${model.class_name} is not a Sequential or Functional model`);
    return issues;
  }
  forEachLayer(model, (l, where) => {
    const cls = l.class_name;
    const c = isJsonObject(l.config) ? l.config : {};
    const at = `layer ${JSON.stringify(where)} (${cls})`;
    if (!KERAS3_LAYER_CLASSES.has(cls) && !MODEL_CLASSES.has(cls)) {
      issues.push(`${at}: class ${cls} does not exist in Keras 3`);
      return;
    }
    issues.push(...activationIssues(c, at, (a) => {
      if (a === 'hard_sigmoid') return semantics === 'keras3' ? null : 'means clip(0.2x+0.5) here but relu6(x+3)/6 in Keras 3';
      if (a === 'gelu_new') return 'has no Keras 3 activation name (tanh-approximated gelu)';
      return KERAS3_ACTIVATIONS.has(a) ? null : 'is not a Keras 3 activation';
    }));
  });
  return issues;
}

/**
 * The single error that refuses a conversion, listing every problem.
 * @param target the format being written (for the message)
 * @param issues one line per problem
 */
export function unsupportedLayersError(target: string, issues: readonly string[], file?: string): UnsupportedOpError {
  const list = issues.map((i) => `  - ${i}`).join('\n');
  return new UnsupportedOpError(
    'ERR_TFEXPORT_UNSUPPORTED_LAYERS',
    `the model cannot be written as ${target}: ${issues.length} unsupported layer feature(s):\n${list}`,
    { field: 'layers', issues: [...issues], ...(file ? { file } : {}) },
  );
}

function tfjsInitializer(v: Json): Json {
  if (!isKerasObject(v)) return v;
  const cls = TFJS_INITIALIZERS[v.class_name];
  // Initializers only matter for training from scratch; one tfjs lacks is replaced by
  // zeros so that the layer can be built (its weights are loaded right after).
  if (!cls) return { class_name: 'Zeros', config: {} };
  const config: JsonObject = isJsonObject(v.config) ? cloneJson(v.config) : {};
  delete config.input_axes;
  delete config.output_axes;
  if (cls === 'VarianceScaling' && config.distribution === 'untruncated_normal') config.distribution = 'normal';
  return { class_name: cls, config };
}

function tfjsRegularizer(v: Json): Json {
  if (!isKerasObject(v)) return v;
  const c = isJsonObject(v.config) ? v.config : {};
  const n = (x: Json | undefined) => (typeof x === 'number' ? x : 0);
  if (v.class_name === 'L1L2') return { class_name: 'L1L2', config: { l1: n(c.l1), l2: n(c.l2) } };
  if (v.class_name === 'L1') return { class_name: 'L1L2', config: { l1: n(c.l1), l2: 0 } };
  if (v.class_name === 'L2') return { class_name: 'L1L2', config: { l1: 0, l2: n(c.l2) } };
  return null; // a regularizer tfjs lacks only matters for training
}

const TFJS_DTYPES = new Set(['float32', 'int32', 'bool', 'complex64', 'string']);

function tfjsLayerConfig(l: KerasObjectConfig): void {
  const c = isJsonObject(l.config) ? l.config : undefined;
  if (!c) return;
  for (const [k, v] of Object.entries(c)) {
    if (k.endsWith('_initializer')) c[k] = tfjsInitializer(v);
    else if (k.endsWith('_regularizer')) c[k] = tfjsRegularizer(v);
    else if ((k === 'activation' || k === 'recurrent_activation') && typeof v === 'string' && TFJS_ACTIVATION_ALIASES[v]) c[k] = TFJS_ACTIVATION_ALIASES[v];
  }
  if (typeof c.dtype === 'string' && !TFJS_DTYPES.has(c.dtype)) c.dtype = /int/.test(c.dtype) ? 'int32' : 'float32';
  if (l.class_name === 'LeakyReLU' && 'negative_slope' in c) {
    c.alpha = c.negative_slope;
    delete c.negative_slope;
  }
  if (l.class_name === 'Bidirectional' && isKerasObject(c.layer) && isJsonObject(c.layer.config) && typeof c.layer.config.name === 'string') {
    // tfjs names the wrapped layers 'forward_' + name and 'backward_' + name itself.
    c.layer.config.name = c.layer.config.name.replace(/^forward_/, '');
  }
}

/**
 * Visits every reference to a nested model inside each container of `model`: inbound-node
 * entries and `output_layers` triples that name a Sequential/Functional layer of the same
 * container. `fn` gets the reference (mutable) and the number of times the nested model is
 * called in that container.
 */
function forEachNestedModelRef(model: KerasObjectConfig, fn: (ref: Json[], calls: number) => void): void {
  const layers = modelLayers(model);
  const nested = new Map<string, number>();
  for (const l of layers) {
    if (!MODEL_CLASSES.has(l.class_name)) continue;
    const name = isJsonObject(l.config) && typeof l.config.name === 'string' ? l.config.name : String(l.name);
    nested.set(name, Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0);
  }
  const visitRef = (r: Json) => {
    if (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' && nested.has(r[0])) fn(r, nested.get(r[0])!);
  };
  if (nested.size) {
    for (const l of layers) {
      for (const node of Array.isArray(l.inbound_nodes) ? l.inbound_nodes : []) {
        if (Array.isArray(node)) node.forEach(visitRef);
      }
    }
    const outs = isJsonObject(model.config) ? model.config.output_layers : undefined;
    if (Array.isArray(outs)) outs.forEach(visitRef);
  }
  for (const l of layers) if (MODEL_CLASSES.has(l.class_name)) forEachNestedModelRef(l, fn);
}

/**
 * tfjs-layers numbers the nodes of a nested model from 1 (node 0 is the model's own
 * internal node) where Keras numbers the calls from 0. Detects tfjs numbering: some nested
 * model is referenced with an index equal to its number of calls.
 */
export function usesTfjsNestedNodeIndices(model: KerasObjectConfig): boolean {
  let tfjs = false;
  forEachNestedModelRef(model, (ref, calls) => {
    if ((ref[1] as number) >= calls && calls > 0) tfjs = true;
  });
  return tfjs;
}

/** Adds `delta` to the node index of every reference to a nested model (in place). */
export function shiftNestedModelNodeIndices(model: KerasObjectConfig, delta: number): void {
  forEachNestedModelRef(model, (ref) => {
    ref[1] = Math.max(0, (ref[1] as number) + delta);
  });
}

/**
 * A copy of a legacy model config in the exact dialect tfjs-layers 4.22 loads: initializer
 * and regularizer classes it knows, `silu` as `swish`, LeakyReLU `alpha`, dtypes it has,
 * Bidirectional inner names without Keras 3's `forward_` prefix, and references to nested
 * models numbered the tfjs way (from 1).
 */
export function toTfjsDialect(model: KerasObjectConfig): KerasObjectConfig {
  const out = cloneJson(model);
  const visit = (m: KerasObjectConfig) => {
    if (isJsonObject(m.config) && typeof m.config.dtype === 'string' && !TFJS_DTYPES.has(m.config.dtype)) m.config.dtype = 'float32';
    for (const l of modelLayers(m)) {
      tfjsLayerConfig(l);
      const c = isJsonObject(l.config) ? l.config : {};
      for (const k of ['layer', 'backward_layer']) if (isKerasObject(c[k])) tfjsLayerConfig(c[k] as KerasObjectConfig);
      if (MODEL_CLASSES.has(l.class_name)) visit(l);
    }
  };
  visit(out);
  shiftNestedModelNodeIndices(out, 1);
  return out;
}
