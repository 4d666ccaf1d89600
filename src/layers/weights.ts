// SPDX-License-Identifier: Apache-2.0
/**
 * Which weights each layer owns, from its config alone: their names in each format, their
 * order, and the shapes the config implies. One table serves every reader and writer:
 *
 * - canonical names, as tensorflowjs_converter writes them for Keras models
 *   (`dense/kernel`, `lstm/lstm_cell/kernel`, `bidirectional/forward_gru/gru_cell/bias`,
 *   `time_distributed/kernel`; layers of a nested model by their own name);
 * - the tfjs-layers variable name (`LayerVariable.originalName`, e.g. `lstm/kernel`);
 * - the Keras 3 `.keras` storage path (`layers/lstm/cell/vars/0`; list members named by the
 *   snake_case class name with a uniqueness suffix, variables numbered trainable-first);
 * - the legacy H5 order (`layer.trainable_weights + layer.non_trainable_weights`, which
 *   Keras 2 and Keras 3's legacy loader use to pair `weight_names` with variables).
 */
import { FormatError } from '../errors.js';
import {
  MODEL_CLASSES,
  intList,
  isJsonObject,
  isKerasObject,
  layerName,
  modelLayers,
  toSnakeCase,
  type Json,
  type JsonObject,
  type KerasObjectConfig,
} from './config.js';

/** One variable a layer object creates itself. */
interface VarSpec {
  name: string;
  /** `trainable` as passed to add_weight. */
  trainable: boolean;
  /** Expected shape; null entries where the config does not fix a dimension, null when not even the rank is known. */
  shape: (number | null)[] | null;
}

/** A layer object: its own variables and its sub-objects. */
interface ObjectSpec {
  className: string;
  vars: VarSpec[];
  children: ChildSpec[];
  trainable: boolean;
  /** The layer's name, for messages. */
  name: string;
}

interface ChildSpec {
  /** Attribute path in the Keras 3 state tree, e.g. `cell`, `forward_layer`, `layers/dense_1`. */
  attr: string;
  /** Segment added to the canonical name (null: none). */
  seg: string | null;
  /** Segment added to the tfjs-layers name (null: none). */
  tfjsSeg: string | null;
  /** For layers of a nested model: names restart at this layer's name. */
  resetName?: string;
  spec: ObjectSpec;
}

/** A weight of the model, placed in every format. */
export interface PlannedWeight {
  /** Canonical (tensorflowjs_converter) name, e.g. `lstm/lstm_cell/kernel`. */
  name: string;
  /** tfjs-layers variable name, e.g. `lstm/kernel`. */
  tfjsName: string;
  /** The top-level layer that owns it. */
  layer: string;
  /** Keras 3 storage path relative to the model, e.g. `layers/lstm/cell/vars/0`. */
  v3Path: string;
  /** Trainable after the `trainable: false` of any enclosing layer is applied. */
  trainable: boolean;
  /** Expected shape (null entries: not fixed by the config; null: rank unknown too). */
  shape: (number | null)[] | null;
  /** Short weight name (`kernel`), for messages. */
  short: string;
}

/** The weights of one top-level layer. */
export interface LayerWeightPlan {
  name: string;
  className: string;
  /** False when the class is not in the table (its weights cannot be placed by config). */
  known: boolean;
  /** Keras 3 storage path of the layer, e.g. `layers/dense_1`. */
  v3Path: string;
  /** In creation order (Keras 3 `layer.weights` / `get_weights()` order). */
  weights: PlannedWeight[];
  /** In legacy H5 order: trainable weights, then non-trainable ones. */
  legacyOrder: PlannedWeight[];
}

/** The weights of a whole model, layer by layer. */
export interface ModelWeightPlan {
  layers: LayerWeightPlan[];
  /** Class names without an entry in the table, with the layers that use them. */
  unknownClasses: Map<string, string[]>;
}

/** Layers known to have no variables. */
const WEIGHTLESS = new Set([
  'InputLayer', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise',
  'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Flatten', 'Reshape', 'Permute', 'RepeatVector',
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'ThresholdedReLU', 'MaxPooling1D', 'MaxPooling2D',
  'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D', 'GlobalAveragePooling1D',
  'GlobalAveragePooling2D', 'GlobalAveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'GlobalMaxPooling3D', 'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D', 'Cropping2D',
  'Cropping3D', 'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'Add', 'Subtract', 'Multiply', 'Average',
  'Maximum', 'Minimum', 'Concatenate', 'Dot', 'Masking', 'Rescaling', 'Resizing', 'CenterCrop', 'Identity',
  'UnitNormalization',
]);

const num = (v: Json | undefined): number | null => (typeof v === 'number' ? v : null);
const flag = (v: Json | undefined, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

function convRank(className: string): number {
  const m = /([123])D/.exec(className);
  return m ? Number(m[1]) : 2;
}

/** Own variables of a layer class, or undefined for a class not in the table. */
function ownVars(className: string, c: JsonObject): VarSpec[] | undefined {
  const v = (name: string, shape: (number | null)[] | null, trainable = true): VarSpec => ({ name, shape, trainable });
  const useBias = flag(c.use_bias, true);
  switch (className) {
    case 'Dense': {
      const units = num(c.units);
      return [v('kernel', [null, units]), ...(useBias ? [v('bias', [units])] : [])];
    }
    case 'Conv1D': case 'Conv2D': case 'Conv3D': {
      const r = convRank(className);
      const f = num(c.filters);
      return [v('kernel', [...intList(c.kernel_size, r), null, f]), ...(useBias ? [v('bias', [f])] : [])];
    }
    case 'Conv1DTranspose': case 'Conv2DTranspose': case 'Conv3DTranspose': {
      const r = convRank(className);
      const f = num(c.filters);
      return [v('kernel', [...intList(c.kernel_size, r), f, null]), ...(useBias ? [v('bias', [f])] : [])];
    }
    case 'DepthwiseConv1D': case 'DepthwiseConv2D': {
      const r = convRank(className);
      const dm = num(c.depth_multiplier) ?? 1;
      return [v('depthwise_kernel', [...intList(c.kernel_size, r), null, dm]), ...(useBias ? [v('bias', [null])] : [])];
    }
    case 'SeparableConv1D': case 'SeparableConv2D': {
      const r = convRank(className);
      const dm = num(c.depth_multiplier) ?? 1;
      const f = num(c.filters);
      return [
        v('depthwise_kernel', [...intList(c.kernel_size, r), null, dm]),
        v('pointwise_kernel', [...new Array<number>(r).fill(1), null, f]),
        ...(useBias ? [v('bias', [f])] : []),
      ];
    }
    case 'BatchNormalization': {
      const out: VarSpec[] = [];
      if (flag(c.scale, true)) out.push(v('gamma', [null]));
      if (flag(c.center, true)) out.push(v('beta', [null]));
      out.push(v('moving_mean', [null], false), v('moving_variance', [null], false));
      return out;
    }
    case 'LayerNormalization': {
      const out: VarSpec[] = [];
      if (flag(c.scale, true)) out.push(v('gamma', [null]));
      if (flag(c.center, true) && !flag(c.rms_scaling, false)) out.push(v('beta', [null]));
      return out;
    }
    case 'Embedding':
      return [v('embeddings', [num(c.input_dim), num(c.output_dim)])];
    case 'PReLU':
      return [v('alpha', null)];
    case 'LSTMCell': {
      const u = num(c.units);
      const u4 = u === null ? null : 4 * u;
      return [v('kernel', [null, u4]), v('recurrent_kernel', [u, u4]), ...(useBias ? [v('bias', [u4])] : [])];
    }
    case 'GRUCell': {
      const u = num(c.units);
      const u3 = u === null ? null : 3 * u;
      const resetAfter = flag(c.reset_after, false);
      return [v('kernel', [null, u3]), v('recurrent_kernel', [u, u3]), ...(useBias ? [v('bias', resetAfter ? [2, u3] : [u3])] : [])];
    }
    case 'SimpleRNNCell': {
      const u = num(c.units);
      return [v('kernel', [null, u]), v('recurrent_kernel', [u, u]), ...(useBias ? [v('bias', [u])] : [])];
    }
    case 'ConvLSTM2DCell': {
      const f = num(c.filters);
      const f4 = f === null ? null : 4 * f;
      const ks = intList(c.kernel_size, 2);
      return [v('kernel', [...ks, null, f4]), v('recurrent_kernel', [...ks, f, f4]), ...(useBias ? [v('bias', [f4])] : [])];
    }
    default:
      return WEIGHTLESS.has(className) ? [] : undefined;
  }
}

/** RNN layers and the cell class and canonical cell name each creates. */
const RNN_CELLS: Readonly<Record<string, { cell: string; seg: string }>> = {
  LSTM: { cell: 'LSTMCell', seg: 'lstm_cell' },
  GRU: { cell: 'GRUCell', seg: 'gru_cell' },
  SimpleRNN: { cell: 'SimpleRNNCell', seg: 'simple_rnn_cell' },
  ConvLSTM2D: { cell: 'ConvLSTM2DCell', seg: 'conv_lstm_cell' },
};

/** Builds the object tree of a layer; undefined when some class in it is unknown. */
function objectSpec(layer: KerasObjectConfig, unknown: (cls: string, name: string) => void): ObjectSpec | undefined {
  const c = isJsonObject(layer.config) ? layer.config : {};
  const name = layerName(layer);
  const trainable = flag(c.trainable, true);
  const cls = layer.class_name;
  if (MODEL_CLASSES.has(cls)) {
    const children: ChildSpec[] = [];
    const used = new Map<string, number>();
    let ok = true;
    for (const sub of modelLayers(layer)) {
      const subName = layerName(sub);
      const spec = objectSpec(sub, unknown);
      if (!spec) {
        ok = false;
        continue;
      }
      children.push({ attr: `layers/${uniqueSnake(used, keras3ClassName(sub.class_name))}`, seg: null, tfjsSeg: null, resetName: subName, spec });
    }
    return ok ? { className: cls, vars: [], children, trainable, name } : undefined;
  }
  const rnn = RNN_CELLS[cls];
  if (rnn) {
    const cellCfg: JsonObject = { ...c };
    const vars = ownVars(rnn.cell, cellCfg)!;
    return {
      className: cls, vars: [], trainable, name,
      children: [{ attr: 'cell', seg: rnn.seg, tfjsSeg: null, spec: { className: rnn.cell, vars, children: [], trainable: true, name: `${name}/${rnn.seg}` } }],
    };
  }
  if (cls === 'Bidirectional' || cls === 'TimeDistributed') {
    const inner = c.layer;
    if (!isKerasObject(inner)) {
      throw new FormatError('ERR_TFEXPORT_KERAS_CONFIG', `layer ${JSON.stringify(name)} (${cls}) has no "layer" config`, { field: name });
    }
    const innerSpec = objectSpec(inner, unknown);
    if (!innerSpec) return undefined;
    if (cls === 'TimeDistributed') {
      return { className: cls, vars: [], trainable, name, children: [{ attr: 'layer', seg: null, tfjsSeg: null, spec: innerSpec }] };
    }
    const innerName = layerName(inner).replace(/^(forward_|backward_)/, '');
    const backward = isKerasObject(c.backward_layer) ? objectSpec(c.backward_layer, unknown) : objectSpec(inner, unknown);
    if (!backward) return undefined;
    const bName = isKerasObject(c.backward_layer) ? layerName(c.backward_layer).replace(/^backward_/, '') : innerName;
    return {
      className: cls, vars: [], trainable, name,
      children: [
        { attr: 'forward_layer', seg: `forward_${innerName}`, tfjsSeg: `forward_${innerName}`, spec: innerSpec },
        { attr: 'backward_layer', seg: `backward_${bName}`, tfjsSeg: `backward_${bName}`, spec: backward },
      ],
    };
  }
  const vars = ownVars(cls, c);
  if (!vars) {
    unknown(cls, name);
    return undefined;
  }
  return { className: cls, vars, children: [], trainable, name };
}

/** The Keras 3 Python class a legacy class name instantiates (names the `.keras` list member). */
export function keras3ClassName(cls: string): string {
  return cls === 'Model' ? 'Functional' : cls;
}

function uniqueSnake(used: Map<string, number>, cls: string): string {
  const base = toSnakeCase(cls);
  const n = used.get(base);
  if (n === undefined) {
    used.set(base, 0);
    return base;
  }
  used.set(base, n + 1);
  return `${base}_${n + 1}`;
}

/**
 * Flattens an object tree into weights in Keras 3 `layer.weights` order: own variables
 * (trainable-created first, then the others, each in creation order), then each child's.
 */
function flatten(
  spec: ObjectSpec,
  top: string,
  names: { canon: string[]; tfjs: string[] },
  v3: string,
  parentTrainable: boolean,
  out: PlannedWeight[],
): void {
  const trainable = parentTrainable && spec.trainable;
  const own = [...spec.vars.filter((x) => x.trainable), ...spec.vars.filter((x) => !x.trainable)];
  own.forEach((x, i) => {
    out.push({
      name: [...names.canon, x.name].join('/'),
      tfjsName: [...names.tfjs, x.name].join('/'),
      layer: top,
      v3Path: `${v3}/vars/${i}`,
      trainable: trainable && x.trainable,
      shape: x.shape,
      short: x.name,
    });
  });
  for (const ch of spec.children) {
    const canon = ch.resetName !== undefined ? [ch.resetName] : ch.seg ? [...names.canon, ch.seg] : names.canon;
    const tfjs = ch.resetName !== undefined ? [ch.resetName] : ch.tfjsSeg ? [...names.tfjs, ch.tfjsSeg] : names.tfjs;
    flatten(ch.spec, top, { canon, tfjs }, `${v3}/${ch.attr}`, trainable, out);
  }
}

/**
 * Plans the weights of a legacy model config (Sequential, Functional/Model, or a single
 * layer treated as a one-layer model).
 * @param model a normalized legacy model config
 */
export function planModelWeights(model: KerasObjectConfig): ModelWeightPlan {
  const unknownClasses = new Map<string, string[]>();
  const noteUnknown = (cls: string, name: string) => {
    const list = unknownClasses.get(cls) ?? [];
    list.push(name);
    unknownClasses.set(cls, list);
  };
  const layers: LayerWeightPlan[] = [];
  const used = new Map<string, number>();
  const entries = MODEL_CLASSES.has(model.class_name) ? modelLayers(model) : [];
  for (const layer of entries) {
    const name = layerName(layer);
    const v3Path = `layers/${uniqueSnake(used, keras3ClassName(layer.class_name))}`;
    const spec = objectSpec(layer, noteUnknown);
    if (!spec) {
      layers.push({ name, className: layer.class_name, known: false, v3Path, weights: [], legacyOrder: [] });
      continue;
    }
    const weights: PlannedWeight[] = [];
    flatten(spec, name, { canon: [name], tfjs: [name] }, v3Path, true, weights);
    layers.push({
      name,
      className: layer.class_name,
      known: true,
      v3Path,
      weights,
      legacyOrder: [...weights.filter((w) => w.trainable), ...weights.filter((w) => !w.trainable)],
    });
  }
  if (!MODEL_CLASSES.has(model.class_name)) noteUnknown(model.class_name, typeof model.config?.name === 'string' ? model.config.name : model.class_name);
  return { layers, unknownClasses };
}

/**
 * Checks a weight's actual shape against the shape its config implies.
 * @throws {FormatError} `ERR_TFEXPORT_KERAS_WEIGHT_SHAPE` naming the file, layer and weight
 */
export function checkWeightShape(w: PlannedWeight, actual: readonly number[], file: string, where: string): void {
  const expected = w.shape;
  if (expected === null) return;
  const ok = actual.length === expected.length && expected.every((d, i) => d === null || d === actual[i]);
  if (!ok) {
    throw new FormatError(
      'ERR_TFEXPORT_KERAS_WEIGHT_SHAPE',
      `${file}: weight ${JSON.stringify(w.name)} of layer ${JSON.stringify(w.layer)} (${where}) has shape [${actual.join(', ')}] but the layer's config implies [${expected.map((d) => (d === null ? '?' : d)).join(', ')}]`,
      { file, field: w.name },
    );
  }
}
