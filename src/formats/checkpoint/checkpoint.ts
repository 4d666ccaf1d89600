// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow checkpoints (V2 TensorBundle format): TF1 name-based (`tf.compat.v1.train.Saver`,
 * keys are variable names) and TF2 object-based (`tf.train.Checkpoint`, Keras `save_weights`;
 * keys like `layer/kernel/.ATTRIBUTES/VARIABLE_VALUE` plus `_CHECKPOINTABLE_OBJECT_GRAPH`, a
 * serialized `TrackableObjectGraph`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FormatError, IoError, TfexportError } from '../../errors.js';
import { messageCodec } from '../../proto/schema.js';
import type { CheckpointState, TrackableObjectGraph } from '../../proto/types.generated.js';
import type { DTypeName } from '../../proto/dtypes.js';
import { openTensorBundle, type BundleTensor, type TensorBundle } from '../tensorbundle/bundle.js';
import { SSTABLE_MAGIC } from '../tensorbundle/sstable.js';
import { readCheckpointState } from './state.js';

/** Bundle key holding the TF2 object graph. */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';
/** Suffix of TF2 object-based variable keys. */
export const VARIABLE_VALUE_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE';

/** One variable of a checkpoint. */
export interface CheckpointVariable {
  /** bundle key */
  key: string;
  /**
   * Readable name: the key without `/.ATTRIBUTES/VARIABLE_VALUE` for object-based checkpoints
   * (e.g. `layer_with_weights-0/kernel`), the key itself for name-based ones.
   */
  name: string;
  /** TF1 variable name recorded in the object graph (`full_name`, e.g. `dense/kernel`), if any */
  fullName: string | null;
  /** short dtype name, null for a DataType this reader does not know */
  dtype: DTypeName | null;
  /** TensorFlow DataType enum value */
  dataType: number;
  shape: number[];
  /** bytes stored in the data file */
  byteSize: number;
  /** an optimizer slot (`.OPTIMIZER_SLOT` in the key) */
  optimizerSlot: boolean;
  /** a partitioned variable stored as slices (not readable yet) */
  sliced: boolean;
}

/** An open checkpoint. Call {@link Checkpoint.close} when done. */
export interface Checkpoint {
  /** the bundle prefix, e.g. `/x/ckpt-3` */
  readonly prefix: string;
  /** the parsed `checkpoint` state file when the checkpoint was found through one */
  readonly state: CheckpointState | null;
  /** path of that state file */
  readonly stateFile: string | null;
  /** true for a TF2 object-based checkpoint (has `_CHECKPOINTABLE_OBJECT_GRAPH`) */
  readonly objectBased: boolean;
  /** the TF2 object graph, or null */
  readonly objectGraph: TrackableObjectGraph | null;
  /** the underlying bundle */
  readonly bundle: TensorBundle;
  /** the variables (every key but the object graph), in key order */
  variables(): CheckpointVariable[];
  /**
   * Reads one variable by key or readable name.
   * @throws ValidationError `ERR_TFEXPORT_KEY_NOT_FOUND`; FormatError on corrupt data
   */
  read(keyOrName: string): Promise<BundleTensor>;
  close(): Promise<void>;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** True when the last 8 bytes of `file` are the LevelDB table magic. */
async function hasTableMagic(file: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    if (size < 48) return false;
    const buf = Buffer.alloc(8);
    await handle.read(buf, 0, 8, size - 8);
    return buf.readBigUInt64LE(0) === SSTABLE_MAGIC;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** Resolves a prefix named in a state file: relative to the state file's directory; an absolute path that no longer exists falls back to its base name there (directories get moved). */
async function resolveStatePrefix(dir: string, named: string): Promise<string> {
  if (!path.isAbsolute(named)) return path.join(dir, named);
  if ((await isFile(`${named}.index`)) || (await isFile(named))) return named;
  return path.join(dir, path.basename(named));
}

/** Where a checkpoint path leads. */
export interface ResolvedCheckpoint {
  prefix: string;
  state: CheckpointState | null;
  stateFile: string | null;
}

/**
 * Resolves a checkpoint location: a directory with a `checkpoint` state file (its latest
 * checkpoint), the state file itself, a prefix (`dir/ckpt-3`) or a `.index` / `.data-*` file.
 * @throws IoError `ERR_TFEXPORT_FILE_NOT_FOUND`; FormatError for a legacy V1 checkpoint or a
 *   state file naming no checkpoint
 */
export async function resolveCheckpoint(location: string): Promise<ResolvedCheckpoint> {
  let stateFile: string | null = null;
  if (await isDirectory(location)) {
    stateFile = path.join(location, 'checkpoint');
    if (!(await isFile(stateFile))) {
      // a directory without a state file: accept exactly one bundle in it
      const names = (await fs.readdir(location)).filter((n) => n.endsWith('.index')).sort();
      if (names.length === 1) return { prefix: path.join(location, names[0]!.slice(0, -6)), state: null, stateFile: null };
      throw new IoError('ERR_TFEXPORT_FILE_NOT_FOUND', `${location}: no "checkpoint" state file${names.length ? ` and ${names.length} .index files` : ' and no .index file'}`, {
        file: location,
      });
    }
  } else if ((await isFile(location)) && path.basename(location) === 'checkpoint' && !(await hasTableMagic(location))) {
    stateFile = location;
  }
  let state: CheckpointState | null = null;
  let prefix: string;
  if (stateFile) {
    state = await readCheckpointState(stateFile);
    const named = state.modelCheckpointPath || state.allModelCheckpointPaths.at(-1) || '';
    if (!named) {
      throw new FormatError('ERR_TFEXPORT_CHECKPOINT_STATE', `${stateFile}: names no checkpoint (model_checkpoint_path is empty)`, {
        file: stateFile,
        field: 'model_checkpoint_path',
      });
    }
    prefix = await resolveStatePrefix(path.dirname(stateFile), named);
  } else if (location.endsWith('.index')) {
    prefix = location.slice(0, -'.index'.length);
  } else {
    const m = /^(.*)\.data-\d{5}-of-\d{5}$/.exec(location);
    prefix = m ? m[1]! : location;
  }
  if (!(await isFile(`${prefix}.index`))) {
    if ((await isFile(prefix)) && (await hasTableMagic(prefix))) {
      throw new FormatError(
        'ERR_TFEXPORT_CHECKPOINT_V1',
        `${prefix}: legacy V1 checkpoint (a single SavedSlices table, TF 0.x / early 1.x Saver): not supported; re-save it with TF >= 1.x (tf.compat.v1.train.Saver, V2 format)`,
        { file: prefix },
      );
    }
    throw new IoError('ERR_TFEXPORT_FILE_NOT_FOUND', `${prefix}.index: checkpoint index not found${stateFile ? ` (named by ${stateFile})` : ''}`, {
      file: `${prefix}.index`,
    });
  }
  return { prefix, state, stateFile };
}

class CheckpointReader implements Checkpoint {
  readonly prefix: string;
  readonly state: CheckpointState | null;
  readonly stateFile: string | null;
  readonly objectBased: boolean;
  readonly objectGraph: TrackableObjectGraph | null;
  readonly bundle: TensorBundle;
  private readonly fullNames: Map<string, string>;
  private list: CheckpointVariable[] | null = null;

  constructor(resolved: ResolvedCheckpoint, bundle: TensorBundle, objectGraph: TrackableObjectGraph | null) {
    this.prefix = resolved.prefix;
    this.state = resolved.state;
    this.stateFile = resolved.stateFile;
    this.bundle = bundle;
    this.objectGraph = objectGraph;
    this.objectBased = bundle.has(OBJECT_GRAPH_KEY);
    this.fullNames = new Map();
    for (const node of objectGraph?.nodes ?? []) {
      for (const attr of node.attributes) if (attr.fullName) this.fullNames.set(attr.checkpointKey, attr.fullName);
    }
  }

  variables(): CheckpointVariable[] {
    if (this.list) return this.list;
    this.list = listBundleVariables(this.bundle, this.fullNames);
    return this.list;
  }

  read(keyOrName: string): Promise<BundleTensor> {
    if (this.bundle.has(keyOrName)) return this.bundle.read(keyOrName);
    const byName = this.variables().find((v) => v.name === keyOrName || v.fullName === keyOrName);
    return this.bundle.read(byName ? byName.key : keyOrName);
  }

  close(): Promise<void> {
    return this.bundle.close();
  }
}

/**
 * Decodes the `_CHECKPOINTABLE_OBJECT_GRAPH` entry of a bundle, or returns null when absent.
 * @throws FormatError when the entry is corrupt
 */
/**
 * Lists a bundle's variables in key order (the object graph entry left out), with names stripped
 * of `/.ATTRIBUTES/VARIABLE_VALUE` and the Python full names recorded in `fullNames`.
 */
export function listBundleVariables(bundle: TensorBundle, fullNames: ReadonlyMap<string, string>): CheckpointVariable[] {
  const list: CheckpointVariable[] = [];
  for (const key of bundle.keys()) {
    if (key === OBJECT_GRAPH_KEY) continue;
    const e = bundle.entry(key);
    list.push({
      key,
      name: key.endsWith(VARIABLE_VALUE_SUFFIX) ? key.slice(0, -VARIABLE_VALUE_SUFFIX.length) : key,
      fullName: fullNames.get(key) ?? null,
      dtype: e.dtype,
      dataType: e.dataType,
      shape: e.shape,
      byteSize: e.size,
      optimizerSlot: key.includes('/.OPTIMIZER_SLOT/'),
      sliced: e.sliced,
    });
  }
  return list;
}

export async function readObjectGraph(bundle: TensorBundle): Promise<TrackableObjectGraph | null> {
  if (!bundle.has(OBJECT_GRAPH_KEY)) return null;
  const t = await bundle.read(OBJECT_GRAPH_KEY);
  if (!Array.isArray(t.data) || t.data.length !== 1) {
    throw new FormatError('ERR_TFEXPORT_BUNDLE_ENTRY', `${bundle.indexFile}: ${OBJECT_GRAPH_KEY} is not a scalar string`, {
      file: bundle.indexFile,
      field: OBJECT_GRAPH_KEY,
    });
  }
  try {
    return messageCodec('tensorflow.TrackableObjectGraph').decode(t.data[0]!, { file: `${bundle.prefix}.data (${OBJECT_GRAPH_KEY})` });
  } catch (e) {
    if (e instanceof TfexportError) throw new FormatError(e.code, e.message, { ...e.context, field: OBJECT_GRAPH_KEY });
    throw e;
  }
}

/**
 * Opens a checkpoint: resolves the location (see {@link resolveCheckpoint}), opens its bundle
 * and decodes the TF2 object graph when there is one.
 * @param location checkpoint directory, state file, prefix or `.index` file
 * @returns an open {@link Checkpoint}
 * @throws IoError / FormatError as described for {@link resolveCheckpoint} and `openTensorBundle`
 * @example
 * ```ts
 * const ckpt = await openCheckpoint('training/');   // latest checkpoint of the directory
 * for (const v of ckpt.variables()) console.log(v.name, v.dtype, v.shape);
 * const kernel = await ckpt.read('layer_with_weights-0/kernel');
 * await ckpt.close();
 * ```
 */
export async function openCheckpoint(location: string): Promise<Checkpoint> {
  const resolved = await resolveCheckpoint(location);
  const bundle = await openTensorBundle(resolved.prefix);
  try {
    const objectGraph = await readObjectGraph(bundle);
    return new CheckpointReader(resolved, bundle, objectGraph);
  } catch (e) {
    await bundle.close();
    throw e;
  }
}
