// SPDX-License-Identifier: Apache-2.0
/**
 * Reads tfjs layers models (`model.json` + weight shards, formats.md b1.1-b1.3) into the
 * layers-model IR, from disk or from the in-memory artifacts `model.save()` hands to a
 * save handler. Quantized weights are dequantized on read, as tfjs-core does.
 *
 * Manifest names are matched to the weights the config implies the way tfjs-layers'
 * `loadWeights` matches them (exact variable name, or the name with its cell segment
 * dropped), also accepting tensorflowjs_converter's names and the Keras 3 storage paths
 * its `.keras` path writes (tfjs#8266). A Keras 3 topology that converter passed through
 * untranslated (tfjs#8328) is translated on read.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FormatError } from '../../errors.js';
import { ioError } from '../../util/atomic.js';
import { isJsonObject, normalizeLegacyModelConfig, type Json, type KerasObjectConfig } from '../../layers/config.js';
import { keras3ToLegacy, looksLikeKeras3 } from '../../layers/keras3.js';
import { shiftNestedModelNodeIndices, usesTfjsNestedNodeIndices } from '../../layers/compat.js';
import type { LayersModelArtifacts, LayersModelWeight, LayersSourceFormat, LayersWeightDType } from '../../layers/model.js';
import { planModelWeights, checkWeightShape, type ModelWeightPlan } from '../../layers/weights.js';
import { decodeTfjsWeight } from './layers-quantize.js';
import { entryByteLength, readWeightGroup, type TfjsWeightData, type TfjsWeightEntry, type TfjsWeightGroup } from './shards.js';

/** The parts of a tfjs layers `model.json` this reader uses. */
export interface TfjsLayersModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Json;
  weightsManifest?: TfjsWeightGroup[];
  userDefinedMetadata?: Record<string, Json>;
  [key: string]: unknown;
}

function fmtError(file: string, message: string, field?: string): FormatError {
  return new FormatError('ERR_TFEXPORT_TFJS_LAYERS', `${file}: ${message}`, { file, ...(field ? { field } : {}) });
}

/** Splits a `modelTopology` into the model config and the Keras metadata around it. */
function unpackTopology(topology: Json, file: string): {
  raw: KerasObjectConfig | null;
  kerasVersion?: string;
  backend?: string;
  trainingConfig?: Json;
} {
  if (topology === null || topology === undefined) return { raw: null };
  if (!isJsonObject(topology)) throw fmtError(file, 'modelTopology is not an object', 'modelTopology');
  const t = topology;
  const inner = isJsonObject(t.model_config) ? t.model_config : t;
  if (typeof inner.class_name !== 'string') {
    throw fmtError(file, 'modelTopology is not a layers-model topology (no class_name; a graph model?)', 'modelTopology');
  }
  return {
    raw: inner as unknown as KerasObjectConfig,
    kerasVersion: typeof t.keras_version === 'string' ? t.keras_version : undefined,
    backend: typeof t.backend === 'string' ? t.backend : undefined,
    trainingConfig: t.training_config ?? undefined,
  };
}

/** Pairs manifest weights with the weights a plan expects; returns manifest name → plan weight. */
function matchManifest(
  plan: ModelWeightPlan,
  specs: readonly { name: string; shape: number[] }[],
  file: string,
): { assigned: Map<string, { name: string; layer: string }>; order: string[] } {
  const exact = new Map<string, string>();
  const stripped = new Map<string, string[]>();
  for (const s of specs) {
    exact.set(s.name, s.name);
    const parts = s.name.split('/');
    if (parts.length >= 3) {
      const k = [...parts.slice(0, -2), parts[parts.length - 1]].join('/');
      stripped.set(k, [...(stripped.get(k) ?? []), s.name]);
    }
  }
  const assigned = new Map<string, { name: string; layer: string }>();
  const order: string[] = [];
  const taken = new Set<string>();
  const shapeOf = new Map(specs.map((s) => [s.name, s.shape]));
  for (const lp of plan.layers) {
    if (!lp.known) continue;
    for (const w of lp.weights) {
      let found: string | undefined;
      for (const key of [w.name, w.tfjsName, w.v3Path]) {
        const hit = exact.get(key);
        if (hit && !taken.has(hit)) {
          found = hit;
          break;
        }
      }
      if (!found) {
        for (const key of [w.tfjsName, w.name]) {
          const hits = (stripped.get(key) ?? []).filter((h) => !taken.has(h));
          if (hits.length) {
            found = hits[0];
            break;
          }
        }
      }
      if (!found) {
        throw new FormatError(
          'ERR_TFEXPORT_KERAS_WEIGHT_MISSING',
          `${file}: the weights manifest has no entry for weight ${JSON.stringify(w.name)} of layer ${JSON.stringify(lp.name)} (${lp.className}); looked for ${JSON.stringify(w.name)}, ${JSON.stringify(w.tfjsName)} and ${JSON.stringify(w.v3Path)}`,
          { file, field: w.name },
        );
      }
      taken.add(found);
      checkWeightShape(w, shapeOf.get(found)!, file, `manifest entry ${JSON.stringify(found)}`);
      assigned.set(found, { name: w.name, layer: lp.name });
      order.push(found);
    }
  }
  // Weights of layers the table does not know keep their manifest names.
  const unknownLayers = plan.layers.filter((l) => !l.known).map((l) => l.name);
  for (const s of specs) {
    if (taken.has(s.name)) continue;
    const owner = unknownLayers.find((n) => s.name === n || s.name.startsWith(`${n}/`));
    if (!owner) {
      throw new FormatError(
        'ERR_TFEXPORT_TFJS_WEIGHT_UNMATCHED',
        `${file}: manifest weight ${JSON.stringify(s.name)} belongs to no weight of the model config`,
        { file, field: s.name },
      );
    }
    assigned.set(s.name, { name: s.name, layer: owner });
    order.push(s.name);
  }
  return { assigned, order };
}

/** Builds the IR from a topology and the weights' stored bytes (shared by disk and memory readers). */
export function layersModelFromTfjs(
  topology: Json,
  specs: readonly TfjsWeightEntry[],
  stored: ReadonlyMap<string, TfjsWeightData>,
  source: string,
  format: LayersSourceFormat,
  extras: { userDefinedMetadata?: Record<string, Json>; close?: () => Promise<void> } = {},
): LayersModelArtifacts {
  const { raw, kerasVersion, backend, trainingConfig } = unpackTopology(topology, source);
  let config: KerasObjectConfig | null = null;
  let issues: string[] = [];
  const keras3 = (kerasVersion ?? '').startsWith('3.') || (raw !== null && looksLikeKeras3(raw as unknown as Json));
  if (raw) {
    if (keras3) {
      const t = keras3ToLegacy(raw);
      config = t.config;
      issues = t.issues;
    } else config = JSON.parse(JSON.stringify(raw)) as KerasObjectConfig;
    normalizeLegacyModelConfig(config);
    if (usesTfjsNestedNodeIndices(config)) shiftNestedModelNodeIndices(config, -1);
  }
  const modelSpecs = specs.filter((s) => s.group !== 'optimizer');
  const mk = (stName: string, name: string, layer: string): LayersModelWeight => {
    const w = stored.get(stName)!;
    const dtype: LayersWeightDType = w.dtype === 'int32' ? 'int32' : w.dtype === 'bool' ? 'bool' : 'float32';
    if (w.dtype === 'string' || w.dtype === 'complex64') {
      throw new FormatError('ERR_TFEXPORT_TFJS_LAYERS', `${source}: weight ${JSON.stringify(stName)} has dtype ${w.dtype}, which a layers model cannot hold`, { file: source, field: stName });
    }
    return { name, layer, dtype, shape: [...w.shape], read: async () => decodeTfjsWeight(w) };
  };
  const weights: LayersModelWeight[] = [];
  let plan: ModelWeightPlan | undefined;
  if (config) {
    plan = planModelWeights(config);
    const { assigned, order } = matchManifest(plan, modelSpecs, source);
    for (const stName of order) {
      const a = assigned.get(stName)!;
      weights.push(mk(stName, a.name, a.layer));
    }
  } else {
    for (const s of modelSpecs) weights.push(mk(s.name, s.name, s.name.split('/')[0]));
  }
  let closed = false;
  return {
    format,
    source,
    modelConfig: config,
    kerasVersion,
    backend,
    trainingConfig,
    semantics: keras3 ? 'keras3' : 'keras2',
    plan,
    weights,
    translationIssues: issues,
    userDefinedMetadata: extras.userDefinedMetadata,
    close: async () => {
      if (closed) return;
      closed = true;
      await extras.close?.();
    },
  };
}

/**
 * Reads a tfjs layers model from disk.
 * @param input the `model.json` file, or a directory holding `model.json`
 * @throws {FormatError} `ERR_TFEXPORT_TFJS_LAYERS` (not a layers model), the shard
 *   reader's `ERR_TFEXPORT_TFJS_*` errors, `ERR_TFEXPORT_KERAS_WEIGHT_MISSING` /
 *   `ERR_TFEXPORT_TFJS_WEIGHT_UNMATCHED` (manifest and config disagree)
 */
export async function readTfjsLayersModel(input: string): Promise<LayersModelArtifacts> {
  let file = input;
  try {
    if ((await fsp.stat(input)).isDirectory()) file = path.join(input, 'model.json');
  } catch (e) {
    throw ioError(e, 'stat', input);
  }
  let json: TfjsLayersModelJson;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8')) as TfjsLayersModelJson;
  } catch (e) {
    if (e instanceof SyntaxError) throw fmtError(file, `not valid JSON (${e.message})`);
    throw ioError(e, 'read', file);
  }
  if (!isJsonObject(json as unknown as Json) || !('modelTopology' in json)) throw fmtError(file, 'no modelTopology: not a tfjs model.json');
  if (json.format !== undefined && json.format !== 'layers-model') throw fmtError(file, `format is ${JSON.stringify(json.format)}, not "layers-model"`, 'format');
  const groups = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  const dir = path.dirname(file);
  const stored = new Map<string, TfjsWeightData>();
  const specs: TfjsWeightEntry[] = [];
  for (const g of groups) {
    const m = await readWeightGroup(dir, g);
    for (const [k, v] of m) {
      if (stored.has(k)) throw new FormatError('ERR_TFEXPORT_TFJS_DUPLICATE_WEIGHT', `${file}: weight ${JSON.stringify(k)} appears in two groups`, { file, field: k });
      stored.set(k, v);
    }
    specs.push(...g.weights);
  }
  return layersModelFromTfjs(json.modelTopology, specs, stored, file, 'tfjs_layers_model', { userDefinedMetadata: json.userDefinedMetadata });
}

/**
 * Splits concatenated weight bytes (tfjs `ModelArtifacts.weightData`) by their specs.
 * @param specs the weight specs in order
 * @param data one buffer or the list of buffers tfjs 4.x may hand over
 */
export function splitWeightData(specs: readonly TfjsWeightEntry[], data: ArrayBuffer | ArrayBuffer[] | undefined, source: string): Map<string, TfjsWeightData> {
  const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  let all: Uint8Array;
  if (parts.length === 1) all = new Uint8Array(parts[0]);
  else {
    all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(new Uint8Array(p), at);
      at += p.byteLength;
    }
  }
  const out = new Map<string, TfjsWeightData>();
  let at = 0;
  for (const s of specs) {
    let len = entryByteLength(s);
    if (len === null) {
      const dv = new DataView(all.buffer, all.byteOffset, all.byteLength);
      const n = s.shape.reduce((a, b) => a * b, 1);
      let p = at;
      for (let i = 0; i < n; i++) p += 4 + dv.getUint32(p, true);
      len = p - at;
    }
    if (at + len > all.byteLength) {
      throw new FormatError('ERR_TFEXPORT_TFJS_TRUNCATED', `${source}: weight data holds ${all.byteLength} bytes but weight ${JSON.stringify(s.name)} needs ${len} from offset ${at}`, { file: source, field: s.name });
    }
    const entry: TfjsWeightData = { dtype: s.dtype, shape: [...s.shape], data: all.subarray(at, at + len) };
    if (s.quantization) entry.quantization = { ...s.quantization };
    out.set(s.name, entry);
    at += len;
  }
  return out;
}
