// SPDX-License-Identifier: Apache-2.0
/**
 * The CLI's entry logic, separate from the bin (main.ts) so that it can run in-process:
 * global flags, subcommand dispatch, and the mapping of errors to one message line and an
 * exit status.
 */
import { TfexportError } from '../errors.js';
import { packageInfo } from '../util/package-info.js';
import {
  CommandRegistry,
  closest,
  commandHelp,
  globalHelp,
  parseCommandArgs,
  usageError,
  type CliIo,
} from './args.js';
import { ExitCode } from './exit-codes.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { benchCommand } from './commands/bench.js';

/** The registry of tfexport's subcommands; later releases register more (serve, batch…). */
export function defaultRegistry(): CommandRegistry {
  return new CommandRegistry().register(convertCommand).register(inspectCommand).register(benchCommand);
}

/** The exit status for an error thrown by a command. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof TfexportError) {
    if (e.code === 'ERR_TFEXPORT_BAD_ARGUMENT') return ExitCode.USAGE;
    if (e.code === 'ERR_TFEXPORT_NOT_IMPLEMENTED') return ExitCode.NOT_IMPLEMENTED;
  }
  return ExitCode.FAILURE;
}

/** The one-line (plus hint) message printed on stderr for an error. */
export function errorMessage(e: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (e instanceof TfexportError) {
    const debug = env.TFEXPORT_DEBUG && e.stack ? `\n${e.stack}` : '';
    return `tfexport: ${e.message}${debug}`;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  // An unexpected error is a bug: say so, and keep the stack.
  return `tfexport: ERR_TFEXPORT_INTERNAL: ${err.message}\n${err.stack ?? ''}\nThis is a bug in tfexport; please report it with the command line you ran.`;
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Runs the CLI with `argv` (the arguments after `node main.js`).
 * @param argv the command-line arguments
 * @param io streams, environment and working directory
 * @param registry the subcommands (default: convert, inspect, bench)
 * @returns the exit status (see {@link ExitCode})
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  registry: CommandRegistry = defaultRegistry(),
): Promise<number> {
  const { version } = packageInfo();
  try {
    const first = argv[0];
    if (first === undefined) {
      throw usageError(`missing command (expected one of: ${registry.list().map((c) => c.name).join(', ')}); run 'tfexport --help' for usage`, '<command>');
    }
    if (first === '--help' || first === '-h') {
      write(io.stdout, globalHelp(registry, version));
      return ExitCode.OK;
    }
    if (first === '--version' || first === '-v' || first === '-V') {
      if (argv.length > 1) throw usageError(`${first} takes no arguments`, first);
      write(io.stdout, `tfexport ${version}`);
      return ExitCode.OK;
    }
    if (first === 'help') {
      const name = argv[1];
      if (name === undefined) {
        write(io.stdout, globalHelp(registry, version));
        return ExitCode.OK;
      }
      const spec = registry.get(name);
      if (!spec) throw usageError(`unknown command ${JSON.stringify(name)} (expected one of: ${registry.list().map((c) => c.name).join(', ')})`, '<command>');
      write(io.stdout, commandHelp(spec));
      return ExitCode.OK;
    }
    if (first.startsWith('-')) {
      throw usageError(`unknown global flag ${first} (the global flags are --help and --version; command flags follow the command, e.g. 'tfexport convert --help')`, first);
    }
    const spec = registry.get(first);
    if (!spec) {
      const names = registry.list().map((c) => c.name);
      const hint = closest(first, names);
      throw usageError(`unknown command ${JSON.stringify(first)}${hint ? ` (did you mean ${hint}?)` : ''} (expected one of: ${names.join(', ')})`, '<command>');
    }
    const parsed = parseCommandArgs(spec, argv.slice(1));
    if (parsed.help) {
      write(io.stdout, commandHelp(spec));
      return ExitCode.OK;
    }
    return await spec.run(parsed, io);
  } catch (e) {
    write(io.stderr, errorMessage(e, io.env));
    return exitCodeFor(e);
  }
}
