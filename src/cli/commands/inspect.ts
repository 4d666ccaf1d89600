// SPDX-License-Identifier: Apache-2.0
/**
 * `tfexport inspect <path> [--json]`: validates the path, then reports through
 * src/formats/inspect.ts (or an implementation plugged in with {@link setInspectImplementation}).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IoError, TfexportError } from '../../errors.js';
import type { CommandSpec, CliIo, ParsedArgs } from '../args.js';

/** The validated options of `inspect`. */
export interface InspectCliOptions {
  /** Absolute path of the model file or directory. */
  path: string;
  json: boolean;
}

/** The function that inspects a model; resolves to the exit status. */
export type InspectImplementation = (options: InspectCliOptions, io: CliIo) => Promise<number>;

/** The built-in implementation: the format readers' report, as text or one JSON object. */
export const defaultInspectImplementation: InspectImplementation = async (options, io) => {
  // Loaded here, not at start-up: inspect reaches every reader (Keras, HDF5, zip...).
  const { inspect } = await import('../../formats/inspect.js');
  const { formatInspectReport } = await import('./inspect-text.js');
  const report = await inspect(options.path);
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
  return 0;
};

let implementation: InspectImplementation | undefined = defaultInspectImplementation;

/** Plugs in (or, with undefined, removes) the implementation behind `tfexport inspect`. */
export function setInspectImplementation(fn: InspectImplementation | undefined): void {
  implementation = fn;
}

/** The `inspect` command. */
export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'Describe a model: format, signatures, ops, weights (sizes, dtypes, quantization).',
  positionals: [{ name: 'path', description: 'A model file or directory in any supported format.' }],
  flags: [{ name: 'json', type: 'boolean', default: false, description: 'Print one JSON object instead of text.' }],
  examples: ['tfexport inspect ./web_model/model.json', 'tfexport inspect ./saved_model --json'],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const target = path.resolve(io.cwd, args.positionals[0]);
    try {
      await fsp.stat(target);
    } catch (e) {
      throw new IoError('ERR_TFEXPORT_INPUT_NOT_FOUND', `<path> ${target} does not exist or cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: target, field: '<path>' });
    }
    const options: InspectCliOptions = { path: target, json: args.flags['json'] === true };
    if (implementation) return implementation(options, io);
    throw new TfexportError('ERR_TFEXPORT_NOT_IMPLEMENTED', `reading models to inspect ${target} arrives with a later release of tfexport`, { file: target });
  },
};
