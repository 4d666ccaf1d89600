// SPDX-License-Identifier: Apache-2.0
/**
 * A small, dependency-free command-line parser for tfexport's subcommands.
 *
 * Each subcommand is a {@link CommandSpec} (positionals, flag specs, a `run` function)
 * registered in a {@link CommandRegistry}; later releases plug in by registering or
 * replacing a command. Parsing rules, shared by every command:
 *
 * - Flags are kebab-case; underscores are accepted and mean the same
 *   (`--quantize_uint8` == `--quantize-uint8`), so tensorflowjs_converter command lines work.
 * - `--flag=value` and `--flag value` are equivalent for flags that take a value.
 * - Boolean flags are real booleans: bare `--flag` is true; a value may follow (`=` or a
 *   separate token) and must be one of true/false/1/0/yes/no, case-insensitive (`False`
 *   is false, unlike tensorflowjs_converter's `type=bool`). `--no-flag` is false.
 * - Optional-value flags (`--quantize-uint8 [patterns]`): bare is `true` (every weight
 *   not matched elsewhere); a value is a comma-separated list of fnmatch patterns. With
 *   the space form the next token is taken as the value unless it is needed as a
 *   positional (`convert --quantize-uint8 in out` leaves both paths positional); use `=`
 *   to be explicit.
 * - `--` ends the flags; `-h`/`--help` anywhere prints the command's help.
 * - The last occurrence of a repeated flag wins.
 *
 * Every usage error is a {@link ValidationError} with code `ERR_TFEXPORT_BAD_ARGUMENT`
 * naming the flag (the CLI exits with status 2).
 */
import { ValidationError } from '../errors.js';

/** How a flag's value is parsed. */
export type FlagType =
  /** true/false; bare = true. */
  | 'boolean'
  /** any string (may be empty). */
  | 'string'
  /** an integer >= `min` (default 1). */
  | 'integer'
  /** one of `choices` (hyphens in the value are read as underscores). */
  | 'enum'
  /** comma-separated list of non-empty items; `''` is the empty list. */
  | 'list'
  /** optional value: bare = true, else a comma-separated list of fnmatch patterns. */
  | 'patterns'
  /** `key:path.json,key2:path2.json` (tensorflowjs_converter `--metadata`). */
  | 'metadata';

/** A `--metadata` item. */
export interface MetadataItem {
  key: string;
  path: string;
}

/** A parsed flag value. */
export type FlagValue = boolean | string | number | string[] | true | MetadataItem[];

/** Declares one flag of a command. */
export interface FlagSpec {
  /** Canonical kebab-case name without the dashes, e.g. `input-format`. */
  name: string;
  type: FlagType;
  /** One-line help text. */
  description: string;
  /** Placeholder in help, e.g. `FORMAT`. */
  valueName?: string;
  /** Allowed values of an `enum` flag. */
  choices?: readonly string[];
  /** Value when the flag is absent (omitted: the flag is absent from the result). */
  default?: FlagValue;
  /** Smallest allowed value of an `integer` flag (default 1). */
  min?: number;
  /** Single-letter alias (`-x`). */
  short?: string;
}

/** Declares one positional argument. */
export interface PositionalSpec {
  name: string;
  description: string;
}

/** Streams and environment a command runs with (injectable for tests). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Result of parsing a command line for one command. */
export interface ParsedArgs {
  positionals: string[];
  /** Flag values by canonical name, defaults applied. */
  flags: Record<string, FlagValue>;
  /** Canonical names of the flags given on the command line (not defaulted). */
  given: Set<string>;
  /** True when `-h`/`--help` was given (nothing else was validated). */
  help: boolean;
}

/** A subcommand: its interface and its implementation. */
export interface CommandSpec {
  name: string;
  /** One line for the global help. */
  summary: string;
  /** Paragraphs printed after the usage line in the command's help. */
  description?: string;
  positionals: readonly PositionalSpec[];
  flags: readonly FlagSpec[];
  /** Flags that no longer exist, with the advice to print when they are used. */
  removedFlags?: Readonly<Record<string, string>>;
  examples?: readonly string[];
  /** Runs the command; resolves to the process exit status. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Builds the usage error (code `ERR_TFEXPORT_BAD_ARGUMENT`, field = the flag or argument). */
export function usageError(message: string, field?: string): ValidationError {
  return new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', message, field ? { field } : {});
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/**
 * Parses a boolean flag value: true/false/1/0/yes/no, case-insensitive.
 * @returns the boolean, or undefined when `text` is not a boolean literal
 */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return undefined;
}

/** Canonical flag name: drops leading dashes, reads `_` as `-`. */
export function canonicalFlagName(raw: string): string {
  return raw.replace(/^-+/, '').replace(/_/g, '-');
}

function shown(v: string): string {
  return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate within a small edit distance (for "did you mean" hints). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Parses one flag's text value according to its spec.
 * @throws {ValidationError} `ERR_TFEXPORT_BAD_ARGUMENT` naming the flag
 */
export function parseFlagValue(spec: FlagSpec, text: string): FlagValue {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'boolean': {
      const b = parseBoolean(text);
      if (b === undefined) throw usageError(`Expected true/false, 1/0 or yes/no for ${flag} but received ${shown(text)}`, flag);
      return b;
    }
    case 'string':
      return text;
    case 'integer': {
      const min = spec.min ?? 1;
      const t = text.trim();
      const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n) || n < min) {
        throw usageError(`Expected an integer >= ${min} for ${flag} but received ${shown(text)}`, flag);
      }
      return n;
    }
    case 'enum': {
      const choices = spec.choices ?? [];
      const v = text.trim().replace(/-/g, '_');
      if (!choices.includes(v)) {
        const hint = closest(v, choices);
        throw usageError(
          `Expected one of ${choices.join(', ')} for ${flag} but received ${shown(text)}${hint ? ` (did you mean ${hint}?)` : ''}`,
          flag,
        );
      }
      return v;
    }
    case 'list': {
      if (text.trim() === '') return [];
      const items = text.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) throw usageError(`Expected a comma-separated list without empty items for ${flag} but received ${shown(text)}`, flag);
      return items;
    }
    case 'patterns': {
      const items = text.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) {
        throw usageError(`Expected comma-separated weight name patterns (e.g. "conv*,dense/kernel") for ${flag} but received ${shown(text)}; give the flag without a value to select every weight`, flag);
      }
      return items;
    }
    case 'metadata': {
      const items: MetadataItem[] = [];
      for (const part of text.split(',')) {
        const p = part.trim();
        const colon = p.indexOf(':');
        if (colon <= 0 || colon === p.length - 1) {
          throw usageError(`Expected key:path.json items (comma-separated) for ${flag} but received ${shown(part)}`, flag);
        }
        items.push({ key: p.slice(0, colon), path: p.slice(colon + 1) });
      }
      return items;
    }
  }
}

function looksLikeFlag(tok: string): boolean {
  return tok.length > 1 && tok.startsWith('-') && !/^-\d/.test(tok);
}

/**
 * Parses the arguments that follow a subcommand's name.
 * @param spec the command
 * @param argv the arguments after the command name
 * @returns positionals, flags (defaults applied), which flags were given, and the help request
 * @throws {ValidationError} `ERR_TFEXPORT_BAD_ARGUMENT` for an unknown flag, a missing or
 *   bad value, or a wrong number of positionals; the message names the flag or argument
 */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const f of spec.flags) {
    byName.set(f.name, f);
    if (f.short) byShort.set(f.short, f);
  }
  const ddash = argv.indexOf('--');
  const flagPart = ddash < 0 ? argv : argv.slice(0, ddash);
  if (flagPart.includes('--help') || flagPart.includes('-h')) {
    return { positionals: [], flags: {}, given: new Set(), help: true };
  }

  const bare: { value: string; at: number }[] = [];
  // Optional-value flags followed by a separate token: resolved once positionals are counted.
  const candidates: { spec: FlagSpec; value: string; at: number }[] = [];
  const values = new Map<string, { value: FlagValue; at: number }>();
  const set = (f: FlagSpec, value: FlagValue, at: number) => {
    values.delete(f.name); // last occurrence wins, and keeps its position
    values.set(f.name, { value, at });
  };
  const cmd = `tfexport ${spec.name}`;

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (ddash >= 0 && i > ddash) {
      bare.push({ value: tok, at: i });
      continue;
    }
    if (i === ddash) continue;
    if (!looksLikeFlag(tok)) {
      bare.push({ value: tok, at: i });
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let f: FlagSpec | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = canonicalFlagName(eq < 0 ? tok : tok.slice(0, eq));
      inline = eq < 0 ? undefined : tok.slice(eq + 1);
      f = byName.get(name);
      if (!f && name.startsWith('no-')) {
        const neg = byName.get(name.slice(3));
        if (neg && neg.type === 'boolean') {
          if (inline !== undefined) throw usageError(`--${name} takes no value (use --${neg.name}=${inline} instead)`, `--${name}`);
          set(neg, false, i);
          continue;
        }
      }
    } else {
      name = tok.slice(1);
      if (name.length === 1) f = byShort.get(name);
      if (!f) {
        throw usageError(`unknown option -${name} for '${cmd}' (flags are spelled --name); run '${cmd} --help' for the list`, `-${name}`);
      }
    }
    if (!f) {
      const removed = spec.removedFlags?.[name];
      if (removed) throw usageError(`--${name} is not supported: ${removed}`, `--${name}`);
      const hint = closest(name, [...byName.keys()]);
      throw usageError(
        `unknown flag --${name} for '${cmd}'${hint ? ` (did you mean --${hint}?)` : ''}; run '${cmd} --help' for the list`,
        `--${name}`,
      );
    }
    const next = i + 1 < argv.length && i + 1 !== ddash ? argv[i + 1] : undefined;
    switch (f.type) {
      case 'boolean':
        if (inline !== undefined) set(f, parseFlagValue(f, inline), i);
        else if (next !== undefined && parseBoolean(next) !== undefined) {
          set(f, parseBoolean(next)!, i);
          i++;
        } else set(f, true, i);
        break;
      case 'patterns':
        if (inline !== undefined) set(f, parseFlagValue(f, inline), i);
        else if (next !== undefined && !looksLikeFlag(next)) {
          values.delete(f.name);
          candidates.push({ spec: f, value: next, at: i + 1 });
          i++;
        } else set(f, true, i);
        break;
      default:
        if (inline !== undefined) set(f, parseFlagValue(f, inline), i);
        else if (next !== undefined && !(next.startsWith('--') && next.length > 2)) {
          set(f, parseFlagValue(f, next), i);
          i++;
        } else {
          throw usageError(`missing value for --${f.name} (expected ${f.valueName ?? f.type}); write --${f.name}=VALUE or --${f.name} VALUE`, `--${f.name}`);
        }
    }
  }

  // Give tentatively consumed optional values back to the positionals when they are needed.
  let need = spec.positionals.length - bare.length;
  for (let k = candidates.length - 1; k >= 0; k--) {
    const c = candidates[k];
    // A later plain occurrence of the same flag overrides this one anyway.
    const later = values.get(c.spec.name);
    if (need > 0) {
      bare.push({ value: c.value, at: c.at });
      if (!later || later.at < c.at) set(c.spec, true, c.at - 1);
      need--;
    } else if (!later || later.at < c.at) {
      set(c.spec, parseFlagValue(c.spec, c.value), c.at - 1);
    }
  }
  bare.sort((a, b) => a.at - b.at);

  const positionals = bare.map((b) => b.value);
  if (positionals.length !== spec.positionals.length) {
    const names = spec.positionals.map((p) => `<${p.name}>`).join(' ');
    const expected = spec.positionals.length === 1 ? '1 argument' : `${spec.positionals.length} arguments`;
    const field = positionals.length < spec.positionals.length
      ? `<${spec.positionals[positionals.length].name}>`
      : positionals[spec.positionals.length];
    const detail = positionals.length < spec.positionals.length
      ? `missing ${field}`
      : `unexpected extra argument ${shown(positionals[spec.positionals.length])}`;
    throw usageError(`'${cmd}' expects ${expected} (${names}) but received ${positionals.length}: ${detail}`, field);
  }

  const flags: Record<string, FlagValue> = {};
  const given = new Set<string>();
  for (const f of spec.flags) {
    const v = values.get(f.name);
    if (v) {
      flags[f.name] = v.value;
      given.add(f.name);
    } else if (f.default !== undefined) {
      flags[f.name] = f.default;
    }
  }
  return { positionals, flags, given, help: false };
}

/** A set of subcommands, looked up by name. Later releases register more. */
export class CommandRegistry {
  private readonly commands = new Map<string, CommandSpec>();

  /** Adds (or replaces) a command. */
  register(spec: CommandSpec): this {
    this.commands.set(spec.name, spec);
    return this;
  }

  /** The command named `name`, if registered. */
  get(name: string): CommandSpec | undefined {
    return this.commands.get(name);
  }

  /** All commands in registration order. */
  list(): CommandSpec[] {
    return [...this.commands.values()];
  }
}

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && (indent + line + ' ' + word).length > width) {
        out.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(indent + line);
  }
  return out.join('\n');
}

function flagLabel(f: FlagSpec): string {
  const short = f.short ? `-${f.short}, ` : '';
  if (f.name === 'help') return `${short}--help`;
  const v = f.valueName ?? f.type.toUpperCase();
  switch (f.type) {
    case 'boolean':
      return `${short}--${f.name}[=BOOL]`;
    case 'patterns':
      return `${short}--${f.name}[=${f.valueName ?? 'PATTERNS'}]`;
    default:
      return `${short}--${f.name} ${v}`;
  }
}

function flagDescription(f: FlagSpec): string {
  let d = f.description;
  if (f.type === 'enum' && f.choices) d += ` One of: ${f.choices.join(', ')}.`;
  if (f.default !== undefined && !(f.type === 'boolean' && f.default === false)) {
    d += ` Default: ${Array.isArray(f.default) ? f.default.join(',') || "''" : String(f.default)}.`;
  }
  return d;
}

/** The `--help` text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines: string[] = [];
  const pos = spec.positionals.map((p) => `<${p.name}>`).join(' ');
  lines.push(`Usage: tfexport ${spec.name}${pos ? ` ${pos}` : ''} [flags]`, '');
  lines.push(wrap(spec.summary, 88, ''));
  if (spec.description) lines.push('', wrap(spec.description, 88, ''));
  if (spec.positionals.length) {
    lines.push('', 'Arguments:');
    for (const p of spec.positionals) lines.push(`  <${p.name}>`, wrap(p.description, 88, '      '));
  }
  lines.push('', 'Flags:');
  const all: FlagSpec[] = [...spec.flags, { name: 'help', short: 'h', type: 'boolean', description: 'Show this help.' }];
  for (const f of all) lines.push(`  ${flagLabel(f)}`, wrap(flagDescription(f), 88, '      '));
  lines.push(
    '',
    'Flag names accept underscores for dashes (--quantize_uint8). Booleans take',
    'true/false/1/0/yes/no (any case); a bare boolean flag means true, --no-<flag> false.',
  );
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n') + '\n';
}

/** The global `tfexport --help` text. */
export function globalHelp(registry: CommandRegistry, version: string): string {
  const cmds = registry.list();
  const width = Math.max(...cmds.map((c) => c.name.length));
  return [
    `tfexport ${version}: read TensorFlow/Keras models and export them to deployment formats.`,
    '',
    'Usage: tfexport <command> [arguments] [flags]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags:',
    '  -h, --help       Show help (also: tfexport <command> --help, tfexport help <command>).',
    '  -v, --version    Print the version.',
    '',
    'Exit status: 0 success, 1 failure, 2 usage error, 3 not implemented yet.',
  ].join('\n') + '\n';
}
