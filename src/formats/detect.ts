// SPDX-License-Identifier: Apache-2.0
/**
 * Detects the format of a model path BY CONTENT (never by extension alone), answering with a
 * tensorflowjs_converter format name.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FormatError, IoError } from '../errors.js';
import { MAX_PROTO_FILE_BYTES, decodeGraphDef } from './graphdef/read.js';
import { resolveSavedModelDir } from './savedmodel/read.js';
import { parseCheckpointState } from './checkpoint/state.js';
import { SSTABLE_MAGIC } from './tensorbundle/sstable.js';

/** Format names, in tensorflowjs_converter vocabulary. */
export type ModelFormat =
  | 'tf_saved_model'
  | 'tf_frozen_model'
  | 'tf_checkpoint'
  | 'tfjs_graph_model'
  | 'tfjs_layers_model'
  | 'keras'
  | 'keras_keras'
  | 'tflite';

/** What {@link detectFormat} found. */
export interface DetectedFormat {
  format: ModelFormat;
  /**
   * The path to read: the SavedModel directory (for a TF-Serving base directory, its latest
   * version), the checkpoint prefix, the model.json file, or the input file itself.
   */
  path: string;
  /** one line on the evidence, e.g. `saved_model.pb present` */
  reason: string;
}

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest JSON file parsed for detection. */
const MAX_JSON_BYTES = 256 << 20;

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/** Names of the members of a zip archive (from its central directory), or null if not a zip. */
async function zipMemberNames(handle: fs.FileHandle, size: number): Promise<string[] | null> {
  // End of central directory record: 22 bytes + comment (<= 65535) at the end of the file.
  const tailLength = Math.min(size, 22 + 65535);
  const tail = await readAt(handle, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  let entries = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || entries === 0xffff) {
    // zip64: locator just before the EOCD
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) return null;
    const z64At = Number(tail.readBigUInt64LE(loc + 8));
    if (z64At > size - 56) return null;
    const z64 = await readAt(handle, z64At, 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) return null;
    entries = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > size || cdSize > 64 << 20) return null;
  const cd = await readAt(handle, cdOffset, cdSize);
  const names: string[] = [];
  let pos = 0;
  for (let i = 0; i < entries && pos + 46 <= cd.length; i++) {
    if (cd.readUInt32LE(pos) !== 0x02014b50) break;
    const nameLen = cd.readUInt16LE(pos + 28);
    const extraLen = cd.readUInt16LE(pos + 30);
    const commentLen = cd.readUInt16LE(pos + 32);
    if (pos + 46 + nameLen > cd.length) break;
    names.push(cd.toString('utf8', pos + 46, pos + 46 + nameLen));
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

/** Classifies a parsed model.json object. */
function tfjsKind(json: unknown): ModelFormat | null {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  if (o.format === 'graph-model') return 'tfjs_graph_model';
  if (o.format === 'layers-model') return 'tfjs_layers_model';
  const topo = o.modelTopology;
  if (!topo || typeof topo !== 'object') return null;
  const t = topo as Record<string, unknown>;
  if (Array.isArray(t.node) || 'library' in t || 'versions' in t) return 'tfjs_graph_model';
  if ('class_name' in t || 'model_config' in t || 'config' in t || 'keras_version' in t) return 'tfjs_layers_model';
  return null;
}

async function hasTableMagicAt(handle: fs.FileHandle, size: number): Promise<boolean> {
  if (size < 48) return false;
  const tail = await readAt(handle, size - 8, 8);
  return tail.length === 8 && tail.readBigUInt64LE(0) === SSTABLE_MAGIC;
}

async function detectFile(file: string, size: number): Promise<DetectedFormat | null> {
  const handle = await fs.open(file, 'r');
  try {
    const head = await readAt(handle, 0, Math.min(size, 64));
    if (head.length >= 8 && head.toString('latin1', 4, 8) === 'TFL3') return { format: 'tflite', path: file, reason: 'TFLite file identifier "TFL3" at byte 4' };
    for (const at of [0, 512, 1024, 2048]) {
      const sig = at === 0 ? head.subarray(0, 8) : await readAt(handle, at, 8);
      if (sig.equals(HDF5_MAGIC)) return { format: 'keras', path: file, reason: `HDF5 superblock signature at byte ${at}` };
    }
    if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) {
      const names = await zipMemberNames(handle, size);
      if (names?.includes('config.json')) return { format: 'keras_keras', path: file, reason: 'zip archive with config.json (Keras 3 .keras)' };
      return null;
    }
    if (await hasTableMagicAt(handle, size)) {
      const prefix = file.endsWith('.index') ? file.slice(0, -6) : file;
      return { format: 'tf_checkpoint', path: prefix, reason: 'LevelDB table magic at the end of the file (checkpoint index)' };
    }
    const firstChar = head.toString('latin1').trimStart()[0];
    if (firstChar === '{' && size <= MAX_JSON_BYTES) {
      try {
        const kind = tfjsKind(JSON.parse(await fs.readFile(file, 'utf8')));
        if (kind) return { format: kind, path: file, reason: kind === 'tfjs_graph_model' ? 'model.json of a graph model' : 'model.json of a layers model' };
      } catch {
        // not JSON
      }
      return null;
    }
    if (size <= 16 << 20 && /^\s*(model_checkpoint_path|all_model_checkpoint_paths)\b/.test(head.toString('latin1'))) {
      try {
        const state = parseCheckpointState(await fs.readFile(file, 'utf8'), file);
        if (state.modelCheckpointPath || state.allModelCheckpointPaths.length) {
          return { format: 'tf_checkpoint', path: path.dirname(file), reason: 'checkpoint state file' };
        }
      } catch {
        // not a state file
      }
    }
    if (size > 0 && size <= MAX_PROTO_FILE_BYTES) {
      const bytes = new Uint8Array(await fs.readFile(file));
      if (bytes[0] === 0x08) {
        // field 1 varint: SavedModel.saved_model_schema_version
        const dir = path.dirname(file);
        if (path.basename(file) === 'saved_model.pb' || (await resolveSavedModelDir(dir)) === dir) {
          return { format: 'tf_saved_model', path: dir, reason: 'saved_model.pb' };
        }
      }
      try {
        const g = decodeGraphDef(bytes, file);
        if (g.node.length > 0) return { format: 'tf_frozen_model', path: file, reason: `parses as a GraphDef with ${g.node.length} nodes` };
      } catch {
        // not a GraphDef
      }
    }
    return null;
  } finally {
    await handle.close();
  }
}

async function detectDirectory(dir: string): Promise<DetectedFormat | null> {
  const sm = await resolveSavedModelDir(dir);
  if (sm) return { format: 'tf_saved_model', path: sm, reason: sm === dir ? 'saved_model.* present' : `TF-Serving version directory ${path.basename(sm)}` };
  const names = await fs.readdir(dir);
  if (names.includes('checkpoint')) {
    const st = await statOrNull(path.join(dir, 'checkpoint'));
    if (st?.isFile()) {
      const found = await detectFile(path.join(dir, 'checkpoint'), st.size);
      if (found?.format === 'tf_checkpoint') return { format: 'tf_checkpoint', path: dir, reason: 'checkpoint state file present' };
    }
  }
  if (names.includes('model.json')) {
    const file = path.join(dir, 'model.json');
    const st = await statOrNull(file);
    if (st?.isFile()) {
      const found = await detectFile(file, st.size);
      if (found) return found;
    }
  }
  const indexes = names.filter((n) => n.endsWith('.index'));
  if (indexes.length === 1) {
    const file = path.join(dir, indexes[0]!);
    const st = await statOrNull(file);
    if (st?.isFile()) {
      const found = await detectFile(file, st.size);
      if (found?.format === 'tf_checkpoint') return found;
    }
  }
  // A directory holding exactly one model file (e.g. frozen.pb next to test data, or a tfjs
  // model.json under another name). Candidates are picked by extension, confirmed by content.
  const hits: DetectedFormat[] = [];
  for (const name of names.filter((n) => DIRECTORY_CANDIDATE.test(n)).sort().slice(0, 64)) {
    const file = path.join(dir, name);
    const st = await statOrNull(file);
    if (!st?.isFile()) continue;
    const found = await detectFile(file, st.size);
    if (found) hits.push(found);
  }
  return hits.length === 1 ? { ...hits[0]!, reason: `${hits[0]!.reason} (the only model file in the directory)` } : null;
}

/** File names a directory scan looks at (content decides; weight shards are never parsed). */
const DIRECTORY_CANDIDATE = /\.(pb|json|tflite|lite|h5|hdf5|keras)$/i;

/**
 * Detects a model's format by content, or returns null when nothing matches.
 * @param input a file, a directory, or a checkpoint prefix (`dir/ckpt-3`, whose `.index` exists)
 * @throws IoError `ERR_TFEXPORT_FILE_NOT_FOUND` when the path does not exist
 */
export async function tryDetectFormat(input: string): Promise<DetectedFormat | null> {
  const st = await statOrNull(input);
  if (!st) {
    const idx = await statOrNull(`${input}.index`);
    if (idx?.isFile()) {
      const found = await detectFile(`${input}.index`, idx.size);
      if (found?.format === 'tf_checkpoint') return { ...found, path: input, reason: 'checkpoint prefix (its .index is a table)' };
    }
    throw new IoError('ERR_TFEXPORT_FILE_NOT_FOUND', `${input}: no such file or directory`, { file: input });
  }
  if (st.isDirectory()) return detectDirectory(input);
  if (st.isFile()) return detectFile(input, st.size);
  return null;
}

/**
 * Detects a model's format by content.
 * @param input a file, a directory, or a checkpoint prefix
 * @returns the format (tensorflowjs_converter name), the path to read, and the evidence
 * @throws IoError when the path does not exist; FormatError `ERR_TFEXPORT_UNKNOWN_FORMAT` naming
 *   the path when no known format matches
 * @example
 * ```ts
 * await detectFormat('models/half_plus_two'); // { format: 'tf_saved_model', path: 'models/half_plus_two/00000123', ... }
 * ```
 */
export async function detectFormat(input: string): Promise<DetectedFormat> {
  const found = await tryDetectFormat(input);
  if (!found) {
    throw new FormatError(
      'ERR_TFEXPORT_UNKNOWN_FORMAT',
      `${input}: not a recognised model (expected a SavedModel directory, a frozen GraphDef .pb, a checkpoint, a tfjs model.json, a Keras .h5/.keras file or a .tflite file)`,
      { file: input },
    );
  }
  return found;
}
