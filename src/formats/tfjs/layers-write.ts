// SPDX-License-Identifier: Apache-2.0
/**
 * Writes a layers-model IR as a tfjs layers model: `model.json` (`format: "layers-model"`,
 * `modelTopology` in the shape tensorflowjs_converter writes for Keras inputs, with the
 * config in the dialect tfjs-layers 4.x loads) plus weight shards written by
 * {@link writeWeightGroup}, one weight read at a time. The whole output directory appears
 * atomically.
 */
import path from 'node:path';
import { packageInfo } from '../../util/package-info.js';
import { atomicOutputDir, writeNewFile } from '../../util/atomic.js';
import { invalidParameter } from '../../errors.js';
import type { Json, JsonObject } from '../../layers/config.js';
import { tfjsIssues, toTfjsDialect, unsupportedLayersError } from '../../layers/compat.js';
import type { LayersModelArtifacts, LayersModelWeight } from '../../layers/model.js';
import { quantizeValues, resolveQuantization, type QuantizeSpec } from './layers-quantize.js';
import { DEFAULT_SHARD_SIZE_BYTES, writeWeightGroup, type TfjsWeightGroup, type TfjsWeightTensor } from './shards.js';

/** Options of {@link writeTfjsLayersModel}. */
export interface WriteTfjsLayersOptions {
  /** Weight quantization (tensorflowjs_converter's --quantize_* semantics). */
  quantize?: QuantizeSpec;
  /** Maximum bytes per shard file (default 4 MiB). */
  weightShardSizeBytes?: number;
  /** One weight group per top-level layer (default: one group). */
  splitWeightsByLayer?: boolean;
  /** Replace a non-empty output directory (default false). */
  overwrite?: boolean;
  /** `userDefinedMetadata` entries to add (key → JSON value). */
  metadata?: Record<string, Json>;
  /** fsync files and directories (default true). */
  fsync?: boolean;
}

/** What {@link writeTfjsLayersModel} wrote. */
export interface WriteTfjsLayersResult {
  /** Path of model.json. */
  modelJson: string;
  weightsManifest: TfjsWeightGroup[];
  /** Total weight bytes written. */
  weightBytes: number;
}

function generatedBy(model: LayersModelArtifacts): string {
  const v = model.kerasVersion;
  if (!v) return `tfexport ${packageInfo().version}`;
  if (/tfjs/i.test(v)) return `TensorFlow.js ${v.replace(/^tfjs-layers\s*/, 'tfjs-layers v')}`;
  return `keras v${v}`;
}

function groupsOf(model: LayersModelArtifacts, split: boolean): LayersModelWeight[][] {
  if (!split) return [model.weights];
  const order: string[] = model.plan ? model.plan.layers.map((l) => l.name) : [];
  const byLayer = new Map<string, LayersModelWeight[]>();
  for (const w of model.weights) {
    const key = w.layer || w.name.split('/')[0];
    if (!byLayer.has(key)) {
      byLayer.set(key, []);
      if (!order.includes(key)) order.push(key);
    }
    byLayer.get(key)!.push(w);
  }
  return order.filter((k) => byLayer.has(k)).map((k) => byLayer.get(k)!);
}

/**
 * Writes `model` as a tfjs layers model in `outDir`.
 * @throws {UnsupportedOpError} `ERR_TFEXPORT_UNSUPPORTED_LAYERS` listing every layer
 *   feature tfjs-layers cannot load (before anything is written)
 * @throws {ValidationError} bad options or quantization patterns
 * @throws {IoError} `ERR_TFEXPORT_OUTPUT_EXISTS` and file-system errors
 */
export async function writeTfjsLayersModel(
  model: LayersModelArtifacts,
  outDir: string,
  options: WriteTfjsLayersOptions = {},
): Promise<WriteTfjsLayersResult> {
  const shardSize = options.weightShardSizeBytes ?? DEFAULT_SHARD_SIZE_BYTES;
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0) throw invalidParameter('weightShardSizeBytes', 'a positive integer', shardSize);
  let topology: JsonObject | null = null;
  if (model.modelConfig) {
    const issues = [...model.translationIssues, ...tfjsIssues(model.modelConfig, model.semantics)];
    if (issues.length) throw unsupportedLayersError('a tfjs layers model', issues, model.source);
    topology = {
      keras_version: model.kerasVersion ?? `tfexport ${packageInfo().version}`,
      backend: model.backend ?? 'tensorflow',
      model_config: toTfjsDialect(model.modelConfig) as unknown as Json,
    };
    if (model.trainingConfig !== undefined && model.trainingConfig !== null) topology.training_config = model.trainingConfig;
  }
  const quant = resolveQuantization(options.quantize ?? {}, model.weights.map((w) => w.name), model.weights.map((w) => w.dtype));
  const groups = groupsOf(model, options.splitWeightsByLayer ?? false);
  const fsync = options.fsync ?? true;
  return atomicOutputDir(outDir, async (tmp) => {
    const manifest: TfjsWeightGroup[] = [];
    let weightBytes = 0;
    for (let g = 0; g < groups.length; g++) {
      async function* tensors(): AsyncGenerator<TfjsWeightTensor> {
        for (const w of groups[g]) {
          const values = await w.read();
          const q = quant.get(w.name);
          if (q && values instanceof Float32Array) {
            const { data, quantization } = quantizeValues(values, q);
            weightBytes += data.byteLength;
            yield { name: w.name, dtype: 'float32', shape: w.shape, data, quantization };
          } else {
            weightBytes += values.byteLength;
            yield { name: w.name, dtype: w.dtype, shape: w.shape, data: values };
          }
        }
      }
      // atomicOutputDir fsyncs the directory once everything is in it
      manifest.push(await writeWeightGroup(tmp, tensors(), { shardSizeBytes: shardSize, groupIndex: g + 1, fsync, syncDir: false }));
    }
    const json: JsonObject = {
      format: 'layers-model',
      generatedBy: generatedBy(model),
      convertedBy: `tfexport ${packageInfo().version}`,
      modelTopology: topology,
      weightsManifest: manifest as unknown as Json,
    };
    const udm = { ...(model.userDefinedMetadata ?? {}), ...(options.metadata ?? {}) };
    if (Object.keys(udm).length) json.userDefinedMetadata = udm;
    await writeNewFile(path.join(tmp, 'model.json'), JSON.stringify(json), { fsync });
    return { modelJson: path.join(path.resolve(outDir), 'model.json'), weightsManifest: manifest, weightBytes };
  }, { overwrite: options.overwrite ?? false, fsync });
}
