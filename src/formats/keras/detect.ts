// SPDX-License-Identifier: Apache-2.0
/**
 * Content-based detection of layers-model inputs (never by extension): HDF5 signature →
 * Keras HDF5 (`keras`, even when named `.keras`); zip with `config.json` → Keras 3
 * (`keras_keras`); a `model.json` (or a directory holding one) whose topology is a Keras
 * model config → `tfjs_layers_model`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isHdf5Signature } from './hdf5.js';
import { ZipReader, isZipSignature } from './zip.js';

/** Layers-model input formats. */
export type LayersInputFormat = 'keras' | 'keras_keras' | 'tfjs_layers_model';

async function head(file: string, n: number): Promise<Uint8Array> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function isLayersModelJson(text: string): boolean {
  try {
    const j = JSON.parse(text) as { format?: unknown; modelTopology?: unknown };
    if (j === null || typeof j !== 'object' || !('modelTopology' in j)) return false;
    if (j.format === 'layers-model') return true;
    if (j.format !== undefined) return false;
    const t = j.modelTopology as { model_config?: unknown; class_name?: unknown; node?: unknown } | null;
    return t !== null && typeof t === 'object' && (t.model_config !== undefined || typeof t.class_name === 'string');
  } catch {
    return false;
  }
}

/**
 * Detects the layers-model format of `input` from its content.
 * @returns the format, or null when `input` is none of them (or unreadable)
 */
export async function detectLayersInputFormat(input: string): Promise<LayersInputFormat | null> {
  let st;
  try {
    st = await fsp.stat(input);
  } catch {
    return null;
  }
  if (st.isDirectory()) {
    const mj = path.join(input, 'model.json');
    try {
      return isLayersModelJson(await fsp.readFile(mj, 'utf8')) ? 'tfjs_layers_model' : null;
    } catch {
      return null;
    }
  }
  let h: Uint8Array;
  try {
    h = await head(input, 64);
  } catch {
    return null;
  }
  if (isHdf5Signature(h)) return 'keras';
  if (isZipSignature(h)) {
    try {
      const z = await ZipReader.open(input);
      const ok = z.has('config.json');
      await z.close();
      return ok ? 'keras_keras' : null;
    } catch {
      // A malformed or hostile zip: let the reader report it when asked to read it.
      return 'keras_keras';
    }
  }
  const first = Buffer.from(h).toString('utf8').trimStart()[0];
  if (first === '{' && st.size < 512 * 1024 * 1024) {
    try {
      return isLayersModelJson(await fsp.readFile(input, 'utf8')) ? 'tfjs_layers_model' : null;
    } catch {
      return null;
    }
  }
  return null;
}
