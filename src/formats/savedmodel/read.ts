// SPDX-License-Identifier: Apache-2.0
/**
 * SavedModel reader (`tf_saved_model`): `saved_model.pb`, MetaGraph selection by tags,
 * SignatureDefs, assets, `fingerprint.pb`, the TF2 object graph and the `variables/` bundle.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FormatError, IoError, TfexportError, ValidationError } from '../../errors.js';
import { messageCodec } from '../../proto/schema.js';
import type {
  AssetFileDef,
  FingerprintDef,
  MetaGraphDef,
  SavedModel as SavedModelProto,
  SavedObjectGraph,
  SignatureDef,
  TensorInfo,
  TrackableObjectGraph,
} from '../../proto/types.generated.js';
import { dtypeName, type DTypeName } from '../../proto/dtypes.js';
import { openTensorBundle, type BundleTensor, type TensorBundle } from '../tensorbundle/bundle.js';
import { OBJECT_GRAPH_KEY, listBundleVariables, readObjectGraph, type CheckpointVariable } from '../checkpoint/checkpoint.js';
import { shapeFromProto, type ReportedShape } from '../graphdef/graph.js';
import { readProtoFile } from '../graphdef/read.js';

/** Default MetaGraph tags (what TF Serving and tensorflowjs_converter load). */
export const DEFAULT_TAGS: readonly string[] = ['serve'];
/** Key of the TF2 initializer pseudo-signature, not a user signature. */
export const INIT_OP_SIGNATURE_KEY = '__saved_model_init_op';

/** Options of {@link openSavedModel}. */
export interface SavedModelOptions {
  /** Tag set of the MetaGraph to use, matched as a set (default `['serve']`). */
  tags?: readonly string[];
  /** When no MetaGraph has `tags`, use the first MetaGraph instead of throwing (default false). */
  fallbackToFirstMetaGraph?: boolean;
  /**
   * Decode each library FunctionDef's body (nodes, attrs, return maps, argument lists) and
   * each graph node's attrs only when first read (default true): conversions read the
   * signature's functions and nodes, never e.g. the `__inference__traced_save` /
   * `__inference__traced_restore` bodies, which are often half the file. Signature defs are
   * always decoded. With false, the whole file is decoded (and validated) at once; with true,
   * malformed bytes inside a function or node attr throw the same `ERR_TFEXPORT_PROTO_DECODE`
   * error when first read.
   */
  lazyFunctions?: boolean;
}

/** One input or output of a signature. */
export interface SignatureTensor {
  /** the key in the SignatureDef's inputs / outputs map */
  key: string;
  /** graph tensor name (`op:0`), or for a COO sparse tensor its values tensor; null for composites */
  name: string | null;
  /** how TensorInfo encodes the tensor */
  encoding: 'name' | 'coo_sparse' | 'composite_tensor' | 'none';
  dtype: DTypeName | null;
  /** TensorFlow DataType enum value */
  dataType: number;
  /** dims with -1 for unknown, null for unknown rank */
  shape: ReportedShape;
}

/** A SignatureDef as reported. */
export interface SignatureInfo {
  key: string;
  /** `tensorflow/serving/predict`, `.../classify`, `.../regress` (may be empty) */
  methodName: string;
  /** sorted by key */
  inputs: SignatureTensor[];
  /** sorted by key */
  outputs: SignatureTensor[];
}

/** An asset file of the MetaGraph. */
export interface AssetInfo {
  /** file name under `assets/` */
  filename: string;
  /** graph tensor that receives the asset's path (TF1), if any */
  tensorName: string | null;
  /** absolute path under the SavedModel's `assets/` */
  path: string;
  exists: boolean;
}

/** An open SavedModel. Call {@link SavedModel.close} when done. */
export interface SavedModel {
  /** the SavedModel directory */
  readonly dir: string;
  /** path of `saved_model.pb` */
  readonly file: string;
  /** the decoded SavedModel proto */
  readonly proto: SavedModelProto;
  readonly schemaVersion: number;
  /** tag sets of every MetaGraph, in file order */
  readonly metaGraphTags: string[][];
  /** tags of the selected MetaGraph */
  readonly tags: string[];
  /** index of the selected MetaGraph */
  readonly metaGraphIndex: number;
  readonly metaGraph: MetaGraphDef;
  readonly tensorflowVersion: string;
  readonly tensorflowGitVersion: string;
  /** GraphDef versions.producer */
  readonly graphProducer: number;
  /** user signatures sorted by key (without `__saved_model_init_op`) */
  readonly signatures: SignatureInfo[];
  /** the initializer op (`__saved_model_init_op` output or the TF1 main/legacy init op), if any */
  readonly initOp: string | null;
  readonly assets: AssetInfo[];
  /** files under `assets.extra/` (e.g. TF Serving warm-up records) */
  readonly assetsExtra: string[];
  /** `fingerprint.pb`, when present */
  readonly fingerprint: FingerprintDef | null;
  /** TF2 object graph (MetaGraphDef.object_graph_def), null for TF1 SavedModels */
  readonly objectGraph: SavedObjectGraph | null;
  /** the `variables/variables` bundle, null when the SavedModel has no variables */
  readonly variables: TensorBundle | null;
  /** the checkpoint's TrackableObjectGraph (TF2 SavedModels) */
  readonly checkpointObjectGraph: TrackableObjectGraph | null;
  /** variables of the bundle in key order (empty without variables) */
  variableList(): CheckpointVariable[];
  /**
   * Reads one variable by bundle key or readable name.
   * @throws ValidationError `ERR_TFEXPORT_KEY_NOT_FOUND`; FormatError on corrupt data
   */
  readVariable(keyOrName: string): Promise<BundleTensor>;
  close(): Promise<void>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory holding `saved_model.*`: `dir` itself, or for a TF-Serving base directory
 * (numeric version subdirectories) its highest version. Returns null when neither.
 */
export async function resolveSavedModelDir(dir: string): Promise<string | null> {
  for (const name of ['saved_model.pb', 'saved_model.pbtxt', 'saved_model.cpb']) {
    if (await exists(path.join(dir, name))) return dir;
  }
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return null;
  }
  const versions = entries.filter((e) => /^\d+$/.test(e)).sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0));
  for (const v of versions) {
    const sub = path.join(dir, v);
    if (await exists(path.join(sub, 'saved_model.pb'))) return sub;
  }
  return null;
}

function tensorSpec(key: string, info: TensorInfo): SignatureTensor {
  let name: string | null = null;
  let encoding: SignatureTensor['encoding'] = 'none';
  if (info.name !== undefined) {
    name = info.name;
    encoding = 'name';
  } else if (info.cooSparse) {
    name = info.cooSparse.valuesTensorName;
    encoding = 'coo_sparse';
  } else if (info.compositeTensor) {
    encoding = 'composite_tensor';
  }
  return { key, name, encoding, dtype: dtypeName(info.dtype), dataType: info.dtype, shape: shapeFromProto(info.tensorShape) };
}

function sortedSpecs(map: Map<string, TensorInfo>): SignatureTensor[] {
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => tensorSpec(k, v));
}

/** Reports a SignatureDef. */
export function signatureInfo(key: string, def: SignatureDef): SignatureInfo {
  return { key, methodName: def.methodName, inputs: sortedSpecs(def.inputs), outputs: sortedSpecs(def.outputs) };
}

function sameTagSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((t) => sb.has(t));
}

/**
 * Picks the MetaGraph whose tag set equals `tags` (as TF's loader does).
 * @throws ValidationError `ERR_TFEXPORT_TAGS_NOT_FOUND` listing the available tag sets
 */
export function selectMetaGraph(proto: SavedModelProto, tags: readonly string[], file: string): number {
  const index = proto.metaGraphs.findIndex((m) => sameTagSet(m.metaInfoDef?.tags ?? [], tags));
  if (index < 0) {
    const available = proto.metaGraphs.map((m) => `[${(m.metaInfoDef?.tags ?? []).join(', ')}]`).join(', ');
    throw new ValidationError('ERR_TFEXPORT_TAGS_NOT_FOUND', `${file}: no MetaGraph tagged [${tags.join(', ')}]; available tag sets: ${available}`, {
      file,
      field: 'meta_graphs.meta_info_def.tags',
    });
  }
  return index;
}

function initOpOf(meta: MetaGraphDef): string | null {
  const sig = meta.signatureDef.get(INIT_OP_SIGNATURE_KEY);
  const out = sig?.outputs.get(INIT_OP_SIGNATURE_KEY) ?? [...(sig?.outputs.values() ?? [])][0];
  if (out?.name) return out.name;
  for (const c of ['saved_model_main_op', 'legacy_init_op']) {
    const nodes = meta.collectionDef.get(c)?.nodeList?.value;
    if (nodes?.length) return nodes[0]!;
  }
  return null;
}

/** Asset file defs: MetaGraphDef.asset_file_def, or (TF1 before 1.x) the `saved_model_assets` collection of Any-wrapped AssetFileDefs. */
function assetFileDefs(meta: MetaGraphDef, file: string): AssetFileDef[] {
  if (meta.assetFileDef.length) return meta.assetFileDef;
  const anys = meta.collectionDef.get('saved_model_assets')?.anyList?.value ?? [];
  const codec = messageCodec('tensorflow.AssetFileDef');
  return anys
    .filter((a) => a.typeUrl.endsWith('/tensorflow.AssetFileDef'))
    .map((a) => codec.decode(a.value, { file: `${file} (collection saved_model_assets)` }));
}

async function listDir(dir: string): Promise<string[]> {
  try {
    const out: string[] = [];
    for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
    }
    return out.sort();
  } catch {
    return [];
  }
}

function rethrowWithField(e: unknown, field: string): never {
  if (e instanceof TfexportError && !(e instanceof ValidationError)) throw new FormatError(e.code, e.message, { ...e.context, field: e.context.field ?? field });
  throw e;
}

/**
 * Messages whose bodies openSavedModel decodes on first access: library functions (their
 * signatures' argument lists too: the save / restore functions take every variable), and the
 * graph's nodes (their inputs and attrs; a signature reaches a fraction of a TF2 graph, mostly
 * variable handles and the ops of other signatures and of the saver).
 */
const LAZY_TYPES: readonly string[] = ['tensorflow.FunctionDef', 'tensorflow.FunctionDef.signature', 'tensorflow.GraphDef.node'];

class SavedModelReader implements SavedModel {
  readonly dir: string;
  readonly file: string;
  readonly proto: SavedModelProto;
  readonly schemaVersion: number;
  readonly metaGraphTags: string[][];
  readonly tags: string[];
  readonly metaGraphIndex: number;
  readonly metaGraph: MetaGraphDef;
  readonly tensorflowVersion: string;
  readonly tensorflowGitVersion: string;
  readonly graphProducer: number;
  readonly signatures: SignatureInfo[];
  readonly initOp: string | null;
  readonly assets: AssetInfo[];
  readonly assetsExtra: string[];
  readonly fingerprint: FingerprintDef | null;
  readonly objectGraph: SavedObjectGraph | null;
  readonly variables: TensorBundle | null;
  readonly checkpointObjectGraph: TrackableObjectGraph | null;
  private list: CheckpointVariable[] | null = null;
  private readonly fullNames = new Map<string, string>();

  constructor(init: Omit<SavedModel, 'variableList' | 'readVariable' | 'close'>) {
    this.dir = init.dir;
    this.file = init.file;
    this.proto = init.proto;
    this.schemaVersion = init.schemaVersion;
    this.metaGraphTags = init.metaGraphTags;
    this.tags = init.tags;
    this.metaGraphIndex = init.metaGraphIndex;
    this.metaGraph = init.metaGraph;
    this.tensorflowVersion = init.tensorflowVersion;
    this.tensorflowGitVersion = init.tensorflowGitVersion;
    this.graphProducer = init.graphProducer;
    this.signatures = init.signatures;
    this.initOp = init.initOp;
    this.assets = init.assets;
    this.assetsExtra = init.assetsExtra;
    this.fingerprint = init.fingerprint;
    this.objectGraph = init.objectGraph;
    this.variables = init.variables;
    this.checkpointObjectGraph = init.checkpointObjectGraph;
    for (const node of this.checkpointObjectGraph?.nodes ?? []) {
      for (const a of node.attributes) if (a.fullName) this.fullNames.set(a.checkpointKey, a.fullName);
    }
    // TF2: SavedVariable.name of the object-graph node with the same id as the checkpoint node
    const objNodes = this.objectGraph?.nodes ?? [];
    (this.checkpointObjectGraph?.nodes ?? []).forEach((node, id) => {
      const v = objNodes[id]?.variable;
      if (!v?.name) return;
      for (const a of node.attributes) if (a.name === 'VARIABLE_VALUE' && !this.fullNames.has(a.checkpointKey)) this.fullNames.set(a.checkpointKey, v.name);
    });
  }

  variableList(): CheckpointVariable[] {
    if (this.list) return this.list;
    this.list = this.variables ? listBundleVariables(this.variables, this.fullNames) : [];
    return this.list;
  }

  readVariable(keyOrName: string): Promise<BundleTensor> {
    const bundle = this.variables;
    if (!bundle) {
      return Promise.reject(
        new ValidationError('ERR_TFEXPORT_KEY_NOT_FOUND', `${this.dir}: SavedModel has no variables (no variables/variables.index)`, { file: this.dir, field: keyOrName }),
      );
    }
    if (bundle.has(keyOrName)) return bundle.read(keyOrName);
    const v = this.variableList().find((x) => x.name === keyOrName || x.fullName === keyOrName);
    return bundle.read(v ? v.key : keyOrName);
  }

  async close(): Promise<void> {
    await this.variables?.close();
  }
}

/**
 * Opens a SavedModel directory: decodes `saved_model.pb`, selects the MetaGraph by tags, reads
 * `fingerprint.pb` when present and opens the variables bundle's index.
 * @param dir SavedModel directory (or a TF-Serving base directory: its highest version is used)
 * @param options MetaGraph tags (default `['serve']`)
 * @returns an open {@link SavedModel}
 * @throws IoError `ERR_TFEXPORT_FILE_NOT_FOUND` when there is no SavedModel;
 *   FormatError `ERR_TFEXPORT_UNSUPPORTED_FORMAT` for `saved_model.pbtxt` / `saved_model.cpb`,
 *   `ERR_TFEXPORT_PROTO_DECODE` and others naming the file and field for corrupt files;
 *   ValidationError `ERR_TFEXPORT_TAGS_NOT_FOUND` when no MetaGraph has the tags
 * @example
 * ```ts
 * const sm = await openSavedModel('half_plus_two/00000123');
 * console.log(sm.signatures.map((s) => s.key));
 * const a = await sm.readVariable('a'); // Float32Array [0.5]
 * await sm.close();
 * ```
 */
export async function openSavedModel(dir: string, options: SavedModelOptions = {}): Promise<SavedModel> {
  const resolved = await resolveSavedModelDir(dir);
  if (!resolved) {
    throw new IoError('ERR_TFEXPORT_FILE_NOT_FOUND', `${dir}: no saved_model.pb (not a SavedModel directory)`, { file: dir });
  }
  const file = path.join(resolved, 'saved_model.pb');
  if (!(await exists(file))) {
    const pbtxt = path.join(resolved, 'saved_model.pbtxt');
    if (await exists(pbtxt)) {
      throw new FormatError('ERR_TFEXPORT_UNSUPPORTED_FORMAT', `${pbtxt}: text-format SavedModel (saved_model.pbtxt) is not supported yet; re-save it in binary form`, {
        file: pbtxt,
      });
    }
    const cpb = path.join(resolved, 'saved_model.cpb');
    throw new FormatError('ERR_TFEXPORT_UNSUPPORTED_FORMAT', `${cpb}: chunked SavedModel (saved_model.cpb, written for protos over 2 GB) is not supported yet`, { file: cpb });
  }
  const lazy = options.lazyFunctions === false ? undefined : LAZY_TYPES;
  const bytes = await readProtoFile(file);
  // The side files are read while saved_model.pb decodes (their I/O overlaps the decode);
  // every one is awaited below, and an opened bundle is closed if anything fails.
  const fingerprintFile = path.join(resolved, 'fingerprint.pb');
  const fingerprintBytes = exists(fingerprintFile).then((yes) => (yes ? readProtoFile(fingerprintFile) : null));
  const prefix = path.join(resolved, 'variables', 'variables');
  const bundle = exists(`${prefix}.index`).then((yes) => (yes ? openTensorBundle(prefix) : null));
  const assetsExtra = listDir(path.join(resolved, 'assets.extra'));
  const settled = Promise.allSettled([fingerprintBytes, bundle, assetsExtra]);
  try {
    const proto = messageCodec('tensorflow.SavedModel').decode(bytes, { file, lazy });
    if (proto.metaGraphs.length === 0) throw new FormatError('ERR_TFEXPORT_SAVED_MODEL', `${file}: SavedModel has no MetaGraphs`, { file, field: 'meta_graphs' });
    const tags = [...(options.tags ?? DEFAULT_TAGS)];
    let metaGraphIndex: number;
    try {
      metaGraphIndex = selectMetaGraph(proto, tags, file);
    } catch (e) {
      if (!options.fallbackToFirstMetaGraph) throw e;
      metaGraphIndex = 0;
    }
    const metaGraph = proto.metaGraphs[metaGraphIndex]!;

    const signatures = [...metaGraph.signatureDef]
      .filter(([k]) => k !== INIT_OP_SIGNATURE_KEY)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => signatureInfo(k, v));

    const assetsDir = path.join(resolved, 'assets');
    const assets: AssetInfo[] = [];
    for (const def of assetFileDefs(metaGraph, file)) {
      const p = path.join(assetsDir, def.filename);
      if (path.relative(assetsDir, p).startsWith('..') || path.isAbsolute(def.filename)) {
        throw new FormatError('ERR_TFEXPORT_SAVED_MODEL', `${file}: asset file name ${JSON.stringify(def.filename)} escapes the assets/ directory`, {
          file,
          field: 'asset_file_def.filename',
        });
      }
      assets.push({ filename: def.filename, tensorName: def.tensorInfo?.name ?? null, path: p, exists: await exists(p) });
    }

    const fpBytes = await fingerprintBytes;
    const fingerprint: FingerprintDef | null = fpBytes ? messageCodec('tensorflow.FingerprintDef').decode(fpBytes, { file: fingerprintFile }) : null;

    const variables = await bundle;
    let checkpointObjectGraph: TrackableObjectGraph | null = null;
    if (variables) {
      try {
        checkpointObjectGraph = await readObjectGraph(variables);
      } catch (e) {
        rethrowWithField(e, OBJECT_GRAPH_KEY);
      }
    }

    return new SavedModelReader({
      dir: resolved,
      file,
      proto,
      schemaVersion: Number(proto.savedModelSchemaVersion),
      metaGraphTags: proto.metaGraphs.map((m) => [...(m.metaInfoDef?.tags ?? [])]),
      tags: [...(metaGraph.metaInfoDef?.tags ?? tags)],
      metaGraphIndex,
      metaGraph,
      tensorflowVersion: metaGraph.metaInfoDef?.tensorflowVersion ?? '',
      tensorflowGitVersion: metaGraph.metaInfoDef?.tensorflowGitVersion ?? '',
      graphProducer: metaGraph.graphDef?.versions?.producer ?? 0,
      signatures,
      initOp: initOpOf(metaGraph),
      assets,
      assetsExtra: await assetsExtra,
      fingerprint,
      objectGraph: metaGraph.objectGraphDef ?? null,
      variables,
      checkpointObjectGraph,
    });
  } catch (e) {
    // wait for the side reads (no unhandled rejection), then release an opened bundle
    const [, b] = await settled;
    if (b.status === 'fulfilled') await b.value?.close();
    throw e;
  }
}
