// SPDX-License-Identifier: Apache-2.0
/**
 * Loads a graph model directory with @tensorflow/tfjs 4.22 (cpu backend) through a file
 * IOHandler (validators.md §2) and runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const toAB = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A tfjs IOHandler reading model.json + shards from disk. */
export function fileLoader(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      const dir = path.dirname(modelJsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const bufs: ArrayBuffer[] = [];
        for (const g of manifest) {
          specs.push(...g.weights);
          for (const p of g.paths) bufs.push(toAB(fs.readFileSync(path.join(dir, p))));
        }
        return [specs, tf.io.concatenateArrayBuffers(bufs)];
      });
    },
  };
}

let ready: Promise<void> | undefined;

/** Loads a graph model directory on the cpu backend. */
export async function loadGraphModel(dir: string): Promise<tf.GraphModel> {
  ready ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  await ready;
  return tf.loadGraphModel(fileLoader(path.join(dir, 'model.json')));
}

/** A feed value (`string` feeds hold strings). */
export interface Feed {
  dtype: string;
  shape: number[];
  data: number[] | string[];
}

/**
 * Runs a model with `executeAsync` (needed for control flow and hash tables): feeds by tensor
 * name, fetches by tensor name.
 * @returns output name -> flat values
 */
export async function runGraphModel(model: tf.GraphModel, feeds: Record<string, Feed>, fetches: string[]): Promise<Record<string, number[]>> {
  const inputs: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    const dtype = v.dtype === 'string' ? 'string' : v.dtype === 'float32' || v.dtype === 'float64' ? 'float32' : v.dtype === 'bool' ? 'bool' : 'int32';
    inputs[k] = tf.tensor(v.data, v.shape, dtype);
  }
  const out = (await model.executeAsync(inputs, fetches)) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const res: Record<string, number[]> = {};
  for (const [i, t] of list.entries()) {
    res[fetches[i]] = Array.from(await t.data()) as number[];
    t.dispose();
  }
  for (const t of Object.values(inputs)) t.dispose();
  return res;
}
