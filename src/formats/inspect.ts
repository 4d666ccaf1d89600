// SPDX-License-Identifier: Apache-2.0
/**
 * `inspect(path)`: a JSON-serializable report on a TensorFlow model (SavedModel, frozen
 * GraphDef, checkpoint): format, producer, tags, signatures, op histograms and weights.
 * Other formats are detected and reported with `inspected: false`.
 */
import path from 'node:path';
import type { FingerprintDef } from '../proto/types.generated.js';
import { detectFormat, type ModelFormat } from './detect.js';
import { openSavedModel, type SavedModel, type SignatureInfo } from './savedmodel/read.js';
import { freezeOpenSavedModel } from './savedmodel/freeze.js';
import { irOpHistogram } from '../ir/graphdef.js';
import { TfexportError } from '../errors.js';
import { openCheckpoint, type CheckpointVariable } from './checkpoint/checkpoint.js';
import { readGraphDef } from './graphdef/read.js';
import { readLayersModel } from '../export/layers.js';
import type { Json } from '../layers/config.js';
import {
  constantWeights,
  graphOpHistograms,
  summarizeWeights,
  type GraphOpHistograms,
  type GraphTensorSpec,
  type OpHistogram,
  type WeightsSummary,
} from './graphdef/graph.js';

/** One variable as listed in a report. */
export interface InspectVariable {
  /** bundle key */
  key: string;
  /** key without `/.ATTRIBUTES/VARIABLE_VALUE` */
  name: string;
  /** TF1 / Python variable name when the object graph records one */
  fullName: string | null;
  /** short dtype name (`float32`, `int64`, `string`...), null if unknown */
  dtype: string | null;
  shape: number[];
  /** stored bytes */
  bytes: number;
  optimizerSlot: boolean;
  /** partitioned variable (stored as slices; read assembled) */
  sliced: boolean;
}

/**
 * The report of {@link inspect}. Every value is plain JSON (no bigint, no Map); 64-bit hashes are
 * decimal strings; shapes use -1 for unknown dimensions and null for unknown rank.
 *
 * ```jsonc
 * {
 *   "path": "models/half_plus_two",            // as given
 *   "resolvedPath": "models/half_plus_two/00000123",
 *   "format": "tf_saved_model",                // tensorflowjs_converter vocabulary
 *   "inspected": true,                         // false: format detected only (non-TF formats)
 *   "producer": { "tensorflowVersion": "2.14.0", "tensorflowGitVersion": "v2.14.0-...", "graphDefVersion": 1645, "minConsumer": 12 },
 *   "savedModel": {                            // tf_saved_model only
 *     "schemaVersion": 1, "metaGraphs": [{ "tags": ["serve"] }], "tags": ["serve"],
 *     "hasObjectGraph": true, "objectCount": 12, "concreteFunctionCount": 8,
 *     "initOp": "NoOp", "assets": [{ "filename": "foo.txt", "exists": true }], "assetsExtra": [],
 *     "fingerprint": { "savedModelChecksum": "123...", "graphDefProgramHash": "...", "signatureDefHash": "...",
 *                      "savedObjectGraphHash": "...", "checkpointHash": "...", "uuid": "", "producer": 1 } // or null
 *   },
 *   "checkpoint": { "prefix": "ckpt/ckpt-3", "stateFile": "ckpt/checkpoint", "allCheckpoints": ["ckpt/ckpt-3"],
 *                   "objectBased": true, "shards": 1 },                       // tf_checkpoint only
 *   "graph": { "nodeCount": 12, "inputs": [{ "name": "x:0", "dtype": "float32", "dataType": 1, "shape": [-1, 1] }],
 *              "outputs": ["y"] },                                          // tf_frozen_model only
 *   "signatures": [{ "key": "serving_default", "methodName": "tensorflow/serving/predict",
 *                    "inputs": [{ "key": "x", "name": "x:0", "encoding": "name", "dtype": "float32", "dataType": 1, "shape": [-1, 1] }],
 *                    "outputs": [ ... ] }],
 *   "ops": { "graph": { "Const": 10, "AddV2": 1 }, "functions": { "ReadVariableOp": 4 }, "functionCount": 3 },  // null for checkpoints
 *   "frozenOps": { "Const": 4, "Identity": 3, "MatMul": 2, "Placeholder": 1 },  // SavedModel only: ops of the frozen serving_default
 *                                              // graph (freezeSavedModel); null without serving_default or when freezing fails
 *   "frozenOpsError": "ERR_TFEXPORT_...: ...",  // only when freezing serving_default failed
 *   "weights": { "source": "variables", "count": 3, "bytes": 12, "dtypes": { "float32": { "count": 3, "bytes": 12 } } },
 *   "optimizerSlots": { "count": 0, "bytes": 0 },
 *   "constants": { "source": "constants", "count": 2, "bytes": 8, "dtypes": { ... } },  // Const nodes of the graph
 *   "variables": [{ "key": "a", "name": "a", "fullName": null, "dtype": "float32", "shape": [], "bytes": 4,
 *                   "optimizerSlot": false, "sliced": false }]
 * }
 * ```
 */
export interface InspectReport {
  path: string;
  resolvedPath: string;
  format: ModelFormat;
  inspected: boolean;
  producer: {
    tensorflowVersion: string | null;
    tensorflowGitVersion: string | null;
    /** GraphDef versions.producer */
    graphDefVersion: number | null;
    minConsumer: number | null;
  };
  savedModel?: {
    schemaVersion: number;
    metaGraphs: { tags: string[] }[];
    /** tags of the MetaGraph this report describes */
    tags: string[];
    hasObjectGraph: boolean;
    objectCount: number;
    concreteFunctionCount: number;
    initOp: string | null;
    assets: { filename: string; exists: boolean }[];
    assetsExtra: string[];
    fingerprint: {
      savedModelChecksum: string;
      graphDefProgramHash: string;
      signatureDefHash: string;
      savedObjectGraphHash: string;
      checkpointHash: string;
      uuid: string;
      producer: number | null;
    } | null;
  };
  checkpoint?: {
    prefix: string;
    stateFile: string | null;
    allCheckpoints: string[];
    objectBased: boolean;
    shards: number;
  };
  graph?: {
    nodeCount: number;
    inputs: GraphTensorSpec[];
    outputs: string[];
  };
  signatures: SignatureInfo[];
  ops: GraphOpHistograms | null;
  /**
   * SavedModel only: op histogram of the `serving_default` signature frozen into an inference
   * graph (functions inlined, variables as constants, pruned); null when there is no
   * `serving_default` or freezing failed (see {@link frozenOpsError})
   */
  frozenOps?: OpHistogram | null;
  /** why freezing `serving_default` failed (code: message), when it did */
  frozenOpsError?: string;
  /** model weights: variables (without optimizer slots) or, for frozen graphs, Const nodes */
  weights: WeightsSummary;
  optimizerSlots: { count: number; bytes: number };
  /** Const nodes of the graph (SavedModel only; frozen graphs report them as weights) */
  constants?: WeightsSummary;
  variables: InspectVariable[];
  /** Keras / tfjs layers models only: the model class, its layers and the producer. */
  layers?: {
    /** `Sequential`, `Functional`/`Model`, or null for a weights-only file without topology */
    className: string | null;
    kerasVersion: string | null;
    backend: string | null;
    /** number of top-level layers */
    count: number;
    /** top-level layer class -> count */
    classes: Record<string, number>;
    /** top-level layers in model order: name and class */
    list: { name: string; className: string }[];
  };
}

/** Options of {@link inspect}. */
export interface InspectOptions {
  /**
   * SavedModel MetaGraph tags. Default: `['serve']` when such a MetaGraph exists, else the first
   * MetaGraph. Given explicitly, a missing tag set is an error.
   */
  tags?: readonly string[];
}

function fingerprintReport(f: FingerprintDef | null): NonNullable<InspectReport['savedModel']>['fingerprint'] {
  if (!f) return null;
  return {
    savedModelChecksum: f.savedModelChecksum.toString(),
    graphDefProgramHash: f.graphDefProgramHash.toString(),
    signatureDefHash: f.signatureDefHash.toString(),
    savedObjectGraphHash: f.savedObjectGraphHash.toString(),
    checkpointHash: f.checkpointHash.toString(),
    uuid: f.uuid,
    producer: f.version?.producer ?? null,
  };
}

function variableReport(vars: CheckpointVariable[]): Pick<InspectReport, 'weights' | 'optimizerSlots' | 'variables'> {
  const variables = vars.map((v) => ({
    key: v.key,
    name: v.name,
    fullName: v.fullName,
    dtype: v.dtype,
    shape: v.shape,
    bytes: v.byteSize,
    optimizerSlot: v.optimizerSlot,
    sliced: v.sliced,
  }));
  const slots = variables.filter((v) => v.optimizerSlot);
  return {
    weights: summarizeWeights('variables', variables.filter((v) => !v.optimizerSlot)),
    optimizerSlots: { count: slots.length, bytes: slots.reduce((a, v) => a + v.bytes, 0) },
    variables,
  };
}

/** The frozen serving_default op histogram, or null and why not. */
function frozenOpsOf(sm: SavedModel): Pick<InspectReport, 'frozenOps' | 'frozenOpsError'> {
  if (!sm.signatures.some((s) => s.key === 'serving_default')) return { frozenOps: null };
  try {
    return { frozenOps: irOpHistogram(freezeOpenSavedModel(sm, { signature: 'serving_default' })) };
  } catch (e) {
    if (!(e instanceof TfexportError)) throw e;
    return { frozenOps: null, frozenOpsError: e.message };
  }
}

async function inspectSavedModel(input: string, dir: string, options: InspectOptions): Promise<InspectReport> {
  const sm = await openSavedModel(dir, options.tags ? { tags: options.tags } : { fallbackToFirstMetaGraph: true });
  try {
    const graph = sm.metaGraph.graphDef;
    return {
      path: input,
      resolvedPath: sm.dir,
      format: 'tf_saved_model',
      inspected: true,
      producer: {
        tensorflowVersion: sm.tensorflowVersion || null,
        tensorflowGitVersion: sm.tensorflowGitVersion || null,
        graphDefVersion: graph?.versions?.producer ?? null,
        minConsumer: graph?.versions?.minConsumer ?? null,
      },
      savedModel: {
        schemaVersion: sm.schemaVersion,
        metaGraphs: sm.metaGraphTags.map((tags) => ({ tags })),
        tags: sm.tags,
        hasObjectGraph: sm.objectGraph !== null,
        objectCount: sm.objectGraph?.nodes.length ?? 0,
        concreteFunctionCount: sm.objectGraph?.concreteFunctions.size ?? 0,
        initOp: sm.initOp,
        assets: sm.assets.map((a) => ({ filename: a.filename, exists: a.exists })),
        assetsExtra: sm.assetsExtra,
        fingerprint: fingerprintReport(sm.fingerprint),
      },
      signatures: sm.signatures,
      ops: graphOpHistograms(graph),
      ...frozenOpsOf(sm),
      ...variableReport(sm.variableList()),
      constants: summarizeWeights('constants', constantWeights(graph)),
    };
  } finally {
    await sm.close();
  }
}

async function inspectCheckpoint(input: string, location: string): Promise<InspectReport> {
  const ckpt = await openCheckpoint(location);
  try {
    const dir = ckpt.stateFile ? path.dirname(ckpt.stateFile) : path.dirname(ckpt.prefix);
    return {
      path: input,
      resolvedPath: ckpt.prefix,
      format: 'tf_checkpoint',
      inspected: true,
      producer: { tensorflowVersion: null, tensorflowGitVersion: null, graphDefVersion: null, minConsumer: null },
      checkpoint: {
        prefix: ckpt.prefix,
        stateFile: ckpt.stateFile,
        allCheckpoints: (ckpt.state?.allModelCheckpointPaths ?? [ckpt.prefix]).map((p) => (path.isAbsolute(p) ? p : path.join(dir, p))),
        objectBased: ckpt.objectBased,
        shards: ckpt.bundle.numShards,
      },
      signatures: [],
      ops: null,
      ...variableReport(ckpt.variables()),
    };
  } finally {
    await ckpt.close();
  }
}

async function inspectFrozenGraph(input: string, file: string): Promise<InspectReport> {
  const g = await readGraphDef(file);
  return {
    path: input,
    resolvedPath: file,
    format: 'tf_frozen_model',
    inspected: true,
    producer: { tensorflowVersion: null, tensorflowGitVersion: null, graphDefVersion: g.producer, minConsumer: g.minConsumer },
    graph: { nodeCount: g.nodeCount, inputs: g.inputs, outputs: g.outputs },
    signatures: [],
    ops: g.ops,
    weights: g.weights,
    optimizerSlots: { count: 0, bytes: 0 },
    variables: [],
  };
}

const LAYERS_DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function topLevelLayers(config: Json | undefined): { name: string; className: string }[] {
  // Functional/Model: config.layers; legacy Sequential: config is the list itself (or config.layers).
  const list = Array.isArray(config) ? config : config && typeof config === 'object' ? (config as { layers?: Json }).layers : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((l) => {
    const o = (l ?? {}) as { class_name?: Json; name?: Json; config?: { name?: Json } };
    const name = typeof o.name === 'string' ? o.name : typeof o.config?.name === 'string' ? o.config.name : '';
    return { name, className: typeof o.class_name === 'string' ? o.class_name : '?' };
  });
}

async function inspectLayersModel(input: string, file: string, format: 'keras' | 'keras_keras' | 'tfjs_layers_model'): Promise<InspectReport> {
  const model = await readLayersModel(file, { format });
  try {
    const dtypes: Record<string, { count: number; bytes: number }> = {};
    let bytes = 0;
    for (const w of model.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1) * (LAYERS_DTYPE_BYTES[w.dtype] ?? 4);
      bytes += n;
      const d = (dtypes[w.dtype] ??= { count: 0, bytes: 0 });
      d.count += 1;
      d.bytes += n;
    }
    const list = topLevelLayers(model.modelConfig?.config as Json | undefined);
    const classes: Record<string, number> = {};
    for (const l of list) classes[l.className] = (classes[l.className] ?? 0) + 1;
    return {
      path: input,
      resolvedPath: file,
      format,
      inspected: true,
      producer: { tensorflowVersion: null, tensorflowGitVersion: null, graphDefVersion: null, minConsumer: null },
      signatures: [],
      ops: null,
      weights: { source: model.weights.length ? 'variables' : 'none', count: model.weights.length, bytes, dtypes },
      optimizerSlots: { count: 0, bytes: 0 },
      variables: [],
      layers: {
        className: model.modelConfig?.class_name ?? null,
        kerasVersion: model.kerasVersion ?? null,
        backend: model.backend ?? null,
        count: list.length,
        classes,
        list,
      },
    };
  } finally {
    await model.close();
  }
}

/**
 * Inspects a model: detects its format by content and, for TensorFlow formats (SavedModel,
 * frozen GraphDef, checkpoint), reports producer, tags, signatures, op histograms and weights.
 * @param input path of the model (file, directory or checkpoint prefix)
 * @param options SavedModel tag selection
 * @returns a JSON-serializable {@link InspectReport}
 * @throws IoError when the path does not exist; FormatError when it is not a recognised model or
 *   is corrupt (the error names the file and field)
 * @example
 * ```ts
 * const report = await inspect('models/half_plus_two');
 * console.log(JSON.stringify(report, null, 2));
 * ```
 */
export async function inspect(input: string, options: InspectOptions = {}): Promise<InspectReport> {
  const detected = await detectFormat(input);
  switch (detected.format) {
    case 'tf_saved_model':
      return inspectSavedModel(input, detected.path, options);
    case 'tf_checkpoint':
      return inspectCheckpoint(input, detected.path);
    case 'tf_frozen_model':
      return inspectFrozenGraph(input, detected.path);
    case 'keras':
    case 'keras_keras':
    case 'tfjs_layers_model':
      return inspectLayersModel(input, detected.path, detected.format);
    default:
      return {
        path: input,
        resolvedPath: detected.path,
        format: detected.format,
        inspected: false,
        producer: { tensorflowVersion: null, tensorflowGitVersion: null, graphDefVersion: null, minConsumer: null },
        signatures: [],
        ops: null,
        weights: { source: 'none', count: 0, bytes: 0, dtypes: {} },
        optimizerSlots: { count: 0, bytes: 0 },
        variables: [],
      };
  }
}
