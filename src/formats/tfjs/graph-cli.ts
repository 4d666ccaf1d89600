// SPDX-License-Identifier: Apache-2.0
/**
 * The `tfexport convert ... --output-format tfjs_graph_model` route: SavedModel (or TF-Hub
 * module, default signature `default`) or frozen GraphDef input, converted by {@link convertToGraphModel}.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../errors.js';
import type { CliIo } from '../../cli/args.js';
import type { ConvertCliOptions } from '../../cli/commands/convert.js';
import type { JsonValue } from './graph-json.js';
import type { QuantizeSpec } from './layers-quantize.js';
import { convertToGraphModel, detectGraphInputFormat, type GraphModelInputFormat } from './graph-write.js';

/**
 * True when the CLI conversion writes a graph model from a TF input: `--input-format`
 * tf_saved_model / tf_hub / tf_frozen_model, or no input format and the content is one of them.
 */
export async function handlesGraphConversion(options: ConvertCliOptions): Promise<boolean> {
  if (options.outputFormat !== 'tfjs_graph_model') return false;
  if (options.inputFormat !== undefined) return ['tf_saved_model', 'tf_hub', 'tf_frozen_model'].includes(options.inputFormat);
  return (await detectGraphInputFormat(options.input)) !== null;
}

/** Runs a graph-model conversion for the CLI; resolves to the exit status. */
export async function runGraphConversion(options: ConvertCliOptions, io: CliIo): Promise<number> {
  const quantize: QuantizeSpec = {};
  if (options.quantizeFloat16 !== undefined) quantize.float16 = options.quantizeFloat16;
  if (options.quantizeUint8 !== undefined) quantize.uint8 = options.quantizeUint8;
  if (options.quantizeUint16 !== undefined) quantize.uint16 = options.quantizeUint16;
  let metadata: Record<string, JsonValue> | undefined;
  if (options.metadata?.length) {
    metadata = {};
    for (const m of options.metadata) {
      const file = path.resolve(io.cwd, m.path);
      try {
        metadata[m.key] = JSON.parse(await fsp.readFile(file, 'utf8')) as JsonValue;
      } catch (e) {
        throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `--metadata ${m.key}: ${file} is not readable JSON (${(e as Error).message})`, { field: '--metadata', file });
      }
    }
  }
  const started = Date.now();
  const r = await convertToGraphModel(options.input, options.output, {
    // A TF-Hub module is a SavedModel whose default signature is `default`.
    inputFormat: (options.inputFormat === 'tf_hub' ? 'tf_saved_model' : options.inputFormat) as GraphModelInputFormat | undefined,
    signatureName: options.signatureName ?? (options.inputFormat === 'tf_hub' ? 'default' : undefined),
    tags: options.savedModelTags,
    outputNodeNames: options.outputNodeNames,
    quantize,
    weightShardSizeBytes: options.weightShardSizeBytes,
    skipOpCheck: options.skipOpCheck,
    stripDebugOps: options.stripDebugOps,
    controlFlowV2: options.controlFlowV2,
    metadata,
    useStructuredOutputsNames: options.useStructuredOutputsNames,
    overwrite: options.overwrite,
  });
  const ms = Date.now() - started;
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ event: 'done', input: options.input, inputFormat: r.inputFormat, output: r.output, outputFormat: 'tfjs_graph_model', weights: r.weights, nodes: r.nodes, shards: r.shards.length, ms })}\n`);
  } else {
    io.stdout.write(`tfexport: wrote ${r.output} (tfjs_graph_model, ${r.nodes} nodes, ${r.weights} weights in ${r.shards.length} shard(s)) from ${r.inputFormat} in ${ms} ms\n`);
  }
  return 0;
}
