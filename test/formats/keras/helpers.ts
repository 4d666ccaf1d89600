// SPDX-License-Identifier: Apache-2.0
/** Helpers of the layers-model tests: a tfjs file loader, the Keras oracle, raw arrays. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { repoRoot, sharedFixturesDir } from '../../helpers/paths.js';

export { sharedFixturesDir };

/** The Keras zoo / oracle script. */
export const zooScript = path.join(repoRoot, 'test', 'fixtures', 'generators', 'keras', 'make_keras_zoo.py');

/** The oracle Python (TFEXPORT_ORACLE_PYTHON, else <repo>/.venv/bin/python), or undefined. */
export function oraclePython(): string | undefined {
  const env = process.env.TFEXPORT_ORACLE_PYTHON;
  if (env && existsSync(env)) return env;
  const venv = path.join(repoRoot, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : undefined;
}

/** Runs the zoo script with `args` in one Python process; resolves to its stdout. */
export function runOracle(python: string, args: string[], timeoutMs = 280_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'nice',
      ['-n', '5', python, zooScript, ...args],
      { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', OMP_NUM_THREADS: '1', TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`oracle ${args[0]} failed: ${err.message}\n${stderr.slice(-4000)}`));
        else resolve(stdout);
      },
    );
  });
}

const toAB = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A tfjs IOHandler reading a model.json and its shards from disk (validators.md §2). */
export function fileLoader(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      const dir = path.dirname(modelJsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const bufs: ArrayBuffer[] = [];
        for (const g of manifest) {
          specs.push(...g.weights);
          for (const p of g.paths) bufs.push(toAB(readFileSync(path.join(dir, p))));
        }
        return [specs, tf.io.concatenateArrayBuffers(bufs)];
      });
    },
  };
}

/** Reads a raw little-endian array file written by the zoo script. */
export function readRaw(file: string, dtype: string): Float32Array | Int32Array {
  const ab = toAB(readFileSync(file));
  return dtype === 'int32' ? new Int32Array(ab) : new Float32Array(ab);
}

/** Largest |a - b| (Infinity on a length mismatch or NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Predicts with a tfjs model and returns each output's values. */
export function predictAll(model: tf.LayersModel, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const ys = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    return (Array.isArray(ys) ? ys : [ys]).map((y) => y.dataSync() as Float32Array);
  });
}

/** Silences tfjs's Node banner once. */
export function quietTfjs(): void {
  const warn = console.warn;
  const log = console.log;
  const skip = (a: unknown) => typeof a === 'string' && (a.includes('Hi, looks like you are running TensorFlow.js') || a.includes('=========='));
  console.warn = (...a: unknown[]) => (skip(a[0]) ? undefined : warn(...a));
  console.log = (...a: unknown[]) => (skip(a[0]) ? undefined : log(...a));
}
