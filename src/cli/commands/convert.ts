// SPDX-License-Identifier: Apache-2.0
/**
 * `tfexport convert <input> <output>`: flags in tensorflowjs_converter's vocabulary
 * (formats.md b1.5), validated here; the conversion itself plugs in through
 * {@link setConvertImplementation} once readers and writers exist.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IoError, TfexportError } from '../../errors.js';
import { checkOutputDir } from '../../util/atomic.js';
import { usageError, type CommandSpec, type CliIo, type FlagSpec, type MetadataItem, type ParsedArgs } from '../args.js';

/** Input format names (tensorflowjs_converter's, plus tfexport's own). */
export const INPUT_FORMATS = [
  'tf_saved_model',
  'tf_hub',
  'tf_frozen_model',
  'keras',
  'keras_saved_model',
  'keras_keras',
  'tfjs_layers_model',
  'tfjs_graph_model',
  'tflite',
  'tf_checkpoint',
  'onnx',
] as const;

/** Output format names. */
export const OUTPUT_FORMATS = [
  'tfjs_graph_model',
  'tfjs_layers_model',
  'keras',
  'keras_saved_model',
  'keras_keras',
  'tf_saved_model',
  'tflite',
  'onnx',
] as const;

/** An input format name. */
export type InputFormat = (typeof INPUT_FORMATS)[number];
/** An output format name. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Weight selection of one quantization dtype: every other weight (`true`) or patterns. */
export type QuantizeSelection = true | string[];

/** The validated options of a conversion, as the CLI passes them on. */
export interface ConvertCliOptions {
  input: string;
  output: string;
  /** Absent: detect from the content. */
  inputFormat?: InputFormat;
  outputFormat: OutputFormat;
  signatureName?: string;
  savedModelTags?: string[];
  quantizeFloat16?: QuantizeSelection;
  quantizeUint8?: QuantizeSelection;
  quantizeUint16?: QuantizeSelection;
  weightShardSizeBytes: number;
  stripDebugOps: boolean;
  controlFlowV2: boolean;
  metadata?: MetadataItem[];
  useStructuredOutputsNames: boolean;
  skipOpCheck: boolean;
  outputNodeNames?: string[];
  splitWeightsByLayer: boolean;
  overwrite: boolean;
  json: boolean;
}

/** The function that performs a validated conversion; resolves to the exit status. */
export type ConvertImplementation = (options: ConvertCliOptions, io: CliIo) => Promise<number>;

let implementation: ConvertImplementation | undefined;

/** Plugs in (or, with undefined, removes) the conversion behind `tfexport convert`. */
export function setConvertImplementation(fn: ConvertImplementation | undefined): void {
  implementation = fn;
}

/** tensorflowjs_converter's output format inference (b1.5). */
const INFERRED_OUTPUT: Partial<Record<InputFormat, OutputFormat>> = {
  keras: 'tfjs_layers_model',
  keras_saved_model: 'tfjs_layers_model',
  tf_saved_model: 'tfjs_graph_model',
  tf_hub: 'tfjs_graph_model',
  tf_frozen_model: 'tfjs_graph_model',
  tfjs_layers_model: 'keras',
};

const flags: FlagSpec[] = [
  { name: 'input-format', type: 'enum', valueName: 'FORMAT', choices: INPUT_FORMATS, description: 'Format of <input>. Default: detected from the content (never from the extension).' },
  { name: 'output-format', type: 'enum', valueName: 'FORMAT', choices: OUTPUT_FORMATS, description: 'Format to write. Inferred as tensorflowjs_converter does when omitted: keras/keras_saved_model -> tfjs_layers_model, tf_saved_model/tf_hub/tf_frozen_model -> tfjs_graph_model, tfjs_layers_model -> keras.' },
  { name: 'signature-name', type: 'string', valueName: 'NAME', description: 'SignatureDef to convert (tf_saved_model, tf_hub). Default: serving_default (tf_hub: default).' },
  { name: 'saved-model-tags', type: 'list', valueName: 'TAGS', description: "MetaGraph tags, comma-separated; '' for none. Default: serve." },
  { name: 'quantize-float16', type: 'patterns', description: 'Store matching float32 weights as float16. Bare: every weight not matched by another --quantize-* flag.' },
  { name: 'quantize-uint8', type: 'patterns', description: 'Affine-quantize matching float32 weights to uint8 (tfjs min/scale). Bare: every weight not matched elsewhere.' },
  { name: 'quantize-uint16', type: 'patterns', description: 'Affine-quantize matching float32 weights to uint16. Bare: every weight not matched elsewhere.' },
  { name: 'weight-shard-size-bytes', type: 'integer', valueName: 'BYTES', default: 4194304, description: 'Maximum size of each tfjs weight shard file.' },
  { name: 'strip-debug-ops', type: 'boolean', default: true, description: 'Remove Assert, CheckNumerics and Print ops (graph outputs).' },
  { name: 'control-flow-v2', type: 'boolean', default: false, description: 'Keep If/While (v2 control flow) instead of lowering to Switch/Merge (graph outputs).' },
  { name: 'metadata', type: 'metadata', valueName: 'KEY:FILE[,...]', description: 'Attach JSON files as userDefinedMetadata, e.g. labels:labels.json.' },
  { name: 'use-structured-outputs-names', type: 'boolean', default: false, description: 'Name outputs by the model\'s structured (dict) output keys.' },
  { name: 'skip-op-check', type: 'boolean', default: false, description: 'Do not refuse ops the target runtime does not support.' },
  { name: 'output-node-names', type: 'list', valueName: 'NAMES', description: 'Output nodes, comma-separated (required for tf_frozen_model).' },
  { name: 'split-weights-by-layer', type: 'boolean', default: false, description: 'One weight group per layer (keras -> tfjs_layers_model).' },
  { name: 'overwrite', type: 'boolean', default: false, description: 'Replace a non-empty <output> directory (the new output is still swapped in atomically).' },
  { name: 'json', type: 'boolean', default: false, description: 'Report progress and the result as JSON lines.' },
];

/** Output formats written as one file (the others are directories). */
const SINGLE_FILE_OUTPUTS: readonly OutputFormat[] = ['keras', 'keras_keras', 'tflite', 'onnx'];

async function checkOutputFile(output: string, overwrite: boolean): Promise<void> {
  let st;
  try {
    st = await fsp.stat(output);
  } catch {
    return; // absent: fine
  }
  if (st.isFile() && !overwrite) {
    throw new IoError('ERR_TFEXPORT_OUTPUT_EXISTS', `output file ${output} exists; pass --overwrite to replace it`, { file: output, field: '<output>' });
  }
}

const SIGNATURE_INPUTS: readonly InputFormat[] = ['tf_saved_model', 'tf_hub'];
const TAG_INPUTS: readonly InputFormat[] = ['tf_saved_model', 'tf_hub', 'keras_saved_model'];

/**
 * Turns parsed arguments into {@link ConvertCliOptions}, checking the combinations the
 * parser cannot see (format pairs, flag applicability, one fallthrough quantization).
 * @throws {ValidationError} `ERR_TFEXPORT_BAD_ARGUMENT` naming the flag
 */
export function convertOptionsFromArgs(args: ParsedArgs, cwd: string): ConvertCliOptions {
  const f = args.flags;
  const inputFormat = f['input-format'] as InputFormat | undefined;
  let outputFormat = f['output-format'] as OutputFormat | undefined;
  if (!outputFormat) {
    outputFormat = inputFormat ? INFERRED_OUTPUT[inputFormat] : undefined;
    if (!outputFormat) {
      throw usageError(
        inputFormat
          ? `--output-format is required with --input-format ${inputFormat} (expected one of ${OUTPUT_FORMATS.join(', ')})`
          : `--output-format is required (expected one of ${OUTPUT_FORMATS.join(', ')})`,
        '--output-format',
      );
    }
  }
  if (inputFormat && args.given.has('signature-name') && !SIGNATURE_INPUTS.includes(inputFormat)) {
    throw usageError(`--signature-name applies to --input-format ${SIGNATURE_INPUTS.join(' or ')}, not ${inputFormat}`, '--signature-name');
  }
  if (inputFormat && args.given.has('saved-model-tags') && !TAG_INPUTS.includes(inputFormat)) {
    throw usageError(`--saved-model-tags applies to --input-format ${TAG_INPUTS.join(', ')}, not ${inputFormat}`, '--saved-model-tags');
  }
  if (inputFormat === 'tf_frozen_model' && !(f['output-node-names'] as string[] | undefined)?.length) {
    throw usageError('--output-node-names is required with --input-format tf_frozen_model', '--output-node-names');
  }
  if (f['split-weights-by-layer'] === true && outputFormat !== 'tfjs_layers_model') {
    throw usageError(`--split-weights-by-layer applies to --output-format tfjs_layers_model, not ${outputFormat}`, '--split-weights-by-layer');
  }
  const fallthrough = (['quantize-float16', 'quantize-uint8', 'quantize-uint16'] as const).filter((n) => f[n] === true);
  if (fallthrough.length > 1) {
    throw usageError(
      `only one of --${fallthrough.join(' and --')} may be given without patterns (a bare flag selects every remaining weight)`,
      `--${fallthrough[1]}`,
    );
  }
  const input = String(args.positionals[0]);
  const output = String(args.positionals[1]);
  if (input === '') throw usageError('<input> must not be empty', '<input>');
  if (output === '') throw usageError('<output> must not be empty', '<output>');
  const absIn = path.resolve(cwd, input);
  const absOut = path.resolve(cwd, output);
  const rel = path.relative(absIn, absOut);
  if (rel === '' || path.relative(absOut, absIn) === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw usageError(`<output> ${output} must not be <input> or lie inside it`, '<output>');
  }
  return {
    input: absIn,
    output: absOut,
    inputFormat,
    outputFormat,
    signatureName: f['signature-name'] as string | undefined,
    savedModelTags: f['saved-model-tags'] as string[] | undefined,
    quantizeFloat16: f['quantize-float16'] as QuantizeSelection | undefined,
    quantizeUint8: f['quantize-uint8'] as QuantizeSelection | undefined,
    quantizeUint16: f['quantize-uint16'] as QuantizeSelection | undefined,
    weightShardSizeBytes: f['weight-shard-size-bytes'] as number,
    stripDebugOps: f['strip-debug-ops'] as boolean,
    controlFlowV2: f['control-flow-v2'] as boolean,
    metadata: f['metadata'] as MetadataItem[] | undefined,
    useStructuredOutputsNames: f['use-structured-outputs-names'] as boolean,
    skipOpCheck: f['skip-op-check'] as boolean,
    outputNodeNames: f['output-node-names'] as string[] | undefined,
    splitWeightsByLayer: f['split-weights-by-layer'] as boolean,
    overwrite: f['overwrite'] as boolean,
    json: f['json'] as boolean,
  };
}

/** The `convert` command. */
export const convertCommand: CommandSpec = {
  name: 'convert',
  summary: 'Convert a model to another format (tensorflowjs_converter-compatible flags).',
  description:
    'Reads <input> (a file or directory), converts it and writes <output> atomically: the output ' +
    'directory appears complete or not at all. An existing non-empty <output> is refused unless ' +
    '--overwrite is given.',
  positionals: [
    { name: 'input', description: 'The model to read: a SavedModel directory, .h5/.keras file, model.json, .tflite, ...' },
    { name: 'output', description: 'The directory (or file, for single-file formats) to write.' },
  ],
  flags,
  removedFlags: {
    'quantization-bytes': 'it is deprecated in tensorflowjs_converter; use --quantize-uint8 (1 byte) or --quantize-uint16 (2 bytes)',
    experiments: 'experimental converter options are not supported',
  },
  examples: [
    'tfexport convert ./saved_model ./web_model --output-format tfjs_graph_model',
    'tfexport convert model.h5 ./web_model --input-format keras --quantize-uint8 "conv*,dense*"',
    'tfexport convert ./saved_model ./web_model --quantize_float16 --weight_shard_size_bytes=8388608',
  ],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const options = convertOptionsFromArgs(args, io.cwd);
    try {
      await fsp.stat(options.input);
    } catch (e) {
      throw new IoError('ERR_TFEXPORT_INPUT_NOT_FOUND', `<input> ${options.input} does not exist or cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: options.input, field: '<input>' });
    }
    if (options.metadata) {
      for (const m of options.metadata) {
        try {
          await fsp.access(path.resolve(io.cwd, m.path));
        } catch {
          throw new IoError('ERR_TFEXPORT_INPUT_NOT_FOUND', `--metadata ${m.key}: file ${path.resolve(io.cwd, m.path)} does not exist or cannot be read`, { file: m.path, field: '--metadata' });
        }
      }
    }
    if (SINGLE_FILE_OUTPUTS.includes(options.outputFormat)) await checkOutputFile(options.output, options.overwrite);
    else await checkOutputDir(options.output, options.overwrite);
    // Layers models (Keras .h5 / .keras <-> tfjs layers) are converted by src/export/cli.ts.
    const layers = await import('../../export/cli.js');
    if (await layers.handlesLayersConversion(options)) return layers.runLayersConversion(options, io);
    // TF graph inputs -> tfjs graph models are converted by src/formats/tfjs/graph-cli.ts.
    const graph = await import('../../formats/tfjs/graph-cli.js');
    if (await graph.handlesGraphConversion(options)) return graph.runGraphConversion(options, io);
    if (implementation) return implementation(options, io);
    const what = options.inputFormat
      ? `reading ${options.inputFormat} (and writing ${options.outputFormat})`
      : `detecting the format of ${options.input} (and writing ${options.outputFormat})`;
    throw new TfexportError('ERR_TFEXPORT_NOT_IMPLEMENTED', `${what} arrives with a later release of tfexport`, { file: options.input });
  },
};
