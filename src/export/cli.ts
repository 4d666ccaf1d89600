// SPDX-License-Identifier: Apache-2.0
/**
 * The `tfexport convert` implementation for layers models: Keras HDF5, Keras 3 `.keras`
 * and tfjs layers models in any direction. `convert` asks {@link handlesLayersConversion}
 * first and runs {@link runLayersConversion} when it says yes.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import type { CliIo } from '../cli/args.js';
import type { ConvertCliOptions, QuantizeSelection } from '../cli/commands/convert.js';
import type { QuantizeSpec } from '../formats/tfjs/layers-quantize.js';
import type { Json } from '../layers/config.js';
import type { LayersInputFormat } from '../formats/keras/detect.js';
import { LAYERS_INPUT_FORMATS, LAYERS_OUTPUT_FORMATS, type LayersOutputFormat } from './formats.js';

// The Keras/HDF5/zip readers and writers load on first use: a graph-model conversion, which
// also passes through here, never needs them.
const detectLayersInputFormat = async (input: string): Promise<LayersInputFormat | null> => (await import('../formats/keras/detect.js')).detectLayersInputFormat(input);

const isInput = (f: string | undefined): f is LayersInputFormat => (LAYERS_INPUT_FORMATS as readonly string[]).includes(f ?? '');
const isOutput = (f: string): f is LayersOutputFormat => (LAYERS_OUTPUT_FORMATS as readonly string[]).includes(f);

/**
 * True when the conversion is between layers-model formats (the input format given, or
 * detected from the content when omitted).
 */
export async function handlesLayersConversion(options: ConvertCliOptions): Promise<boolean> {
  if (!isOutput(options.outputFormat)) return false;
  if (options.inputFormat) return isInput(options.inputFormat);
  return (await detectLayersInputFormat(options.input)) !== null;
}

function quantizeSpec(o: ConvertCliOptions): QuantizeSpec {
  const spec: QuantizeSpec = {};
  const put = (k: 'float16' | 'uint8' | 'uint16', v: QuantizeSelection | undefined) => {
    if (v !== undefined) spec[k] = v;
  };
  put('float16', o.quantizeFloat16);
  put('uint8', o.quantizeUint8);
  put('uint16', o.quantizeUint16);
  return spec;
}

/** Runs a layers-model conversion for the CLI; resolves to the exit status. */
export async function runLayersConversion(options: ConvertCliOptions, io: CliIo): Promise<number> {
  const inputFormat = options.inputFormat ?? (await detectLayersInputFormat(options.input)) ?? undefined;
  if (inputFormat !== undefined && !isInput(inputFormat)) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `--input-format ${inputFormat} is not a layers-model format`, { field: '--input-format' });
  const out = options.outputFormat as LayersOutputFormat;
  const tfjs = out === 'tfjs_layers_model';
  const quantize = quantizeSpec(options);
  if (!tfjs && Object.keys(quantize).length) {
    throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `--quantize-* applies to --output-format tfjs_layers_model, not ${out}`, { field: '--quantize-uint8' });
  }
  let metadata: Record<string, Json> | undefined;
  if (options.metadata?.length) {
    if (!tfjs) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `--metadata applies to --output-format tfjs_layers_model, not ${out}`, { field: '--metadata' });
    metadata = {};
    for (const m of options.metadata) {
      const file = path.resolve(io.cwd, m.path);
      try {
        metadata[m.key] = JSON.parse(await fsp.readFile(file, 'utf8')) as Json;
      } catch (e) {
        throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `--metadata ${m.key}: ${file} is not readable JSON (${(e as Error).message})`, { field: '--metadata', file });
      }
    }
  }
  const started = Date.now();
  const { convertLayersModel } = await import('./layers.js');
  const result = await convertLayersModel(options.input, options.output, {
    format: out,
    inputFormat: inputFormat as LayersInputFormat | undefined,
    overwrite: options.overwrite,
    ...(tfjs
      ? {
          quantize,
          weightShardSizeBytes: options.weightShardSizeBytes,
          splitWeightsByLayer: options.splitWeightsByLayer,
          metadata,
        }
      : {}),
  });
  const ms = Date.now() - started;
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ event: 'done', input: options.input, inputFormat: result.inputFormat, output: result.output, outputFormat: result.outputFormat, weights: result.weights, ms })}\n`);
  } else {
    io.stdout.write(`tfexport: wrote ${result.output} (${result.outputFormat}, ${result.weights} weights) from ${result.inputFormat} in ${ms} ms\n`);
  }
  return 0;
}
