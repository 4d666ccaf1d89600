// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import {
  CommandRegistry,
  canonicalFlagName,
  closest,
  commandHelp,
  globalHelp,
  parseBoolean,
  parseCommandArgs,
  parseFlagValue,
  type CommandSpec,
} from '../../src/cli/args.js';
import { convertCommand, convertOptionsFromArgs } from '../../src/cli/commands/convert.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { ValidationError } from '../../src/errors.js';

const parse = (argv: string[], spec: CommandSpec = convertCommand) => parseCommandArgs(spec, argv);

function usage(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).code).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    return e as ValidationError;
  }
  throw new Error('expected a usage error');
}

describe('parseBoolean', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['1', true], ['yes', true], ['YES', true],
    ['false', false], ['False', false], ['FALSE', false], ['0', false], ['no', false], ['No', false],
  ])('%s -> %s', (text, want) => expect(parseBoolean(text)).toBe(want));
  it.each(['', 'maybe', '2', 'tru', 'on'])('rejects %j', (text) => expect(parseBoolean(text)).toBeUndefined());
});

describe('flag names and hints', () => {
  it('canonicalises underscores to dashes', () => {
    expect(canonicalFlagName('--quantize_uint8')).toBe('quantize-uint8');
    expect(canonicalFlagName('--weight_shard_size_bytes')).toBe('weight-shard-size-bytes');
  });
  it('suggests near misses only', () => {
    expect(closest('inptu-format', ['input-format', 'output-format'])).toBe('input-format');
    expect(closest('zzzzzz', ['input-format'])).toBeUndefined();
  });
});

describe('parseCommandArgs (convert)', () => {
  it('parses positionals and applies defaults', () => {
    const a = parse(['in', 'out']);
    expect(a.positionals).toEqual(['in', 'out']);
    expect(a.flags['weight-shard-size-bytes']).toBe(4194304);
    expect(a.flags['strip-debug-ops']).toBe(true);
    expect(a.flags['control-flow-v2']).toBe(false);
    expect(a.flags['quantize-uint8']).toBeUndefined();
    expect(a.given.size).toBe(0);
  });

  it('accepts --flag=value, --flag value and underscores alike', () => {
    for (const argv of [
      ['in', 'out', '--input-format=keras', '--weight-shard-size-bytes=1024'],
      ['in', 'out', '--input-format', 'keras', '--weight-shard-size-bytes', '1024'],
      ['--input_format', 'keras', 'in', '--weight_shard_size_bytes=1024', 'out'],
    ]) {
      const a = parse(argv);
      expect(a.positionals).toEqual(['in', 'out']);
      expect(a.flags['input-format']).toBe('keras');
      expect(a.flags['weight-shard-size-bytes']).toBe(1024);
      expect(a.given.has('input-format')).toBe(true);
    }
  });

  it('reads enum values with dashes as underscores', () => {
    expect(parse(['in', 'out', '--output-format', 'tfjs-graph-model']).flags['output-format']).toBe('tfjs_graph_model');
  });

  it('parses booleans as real booleans ("False" is false)', () => {
    expect(parse(['in', 'out', '--control-flow-v2=False']).flags['control-flow-v2']).toBe(false);
    expect(parse(['in', 'out', '--control_flow_v2', 'False']).flags['control-flow-v2']).toBe(false);
    expect(parse(['in', 'out', '--control-flow-v2']).flags['control-flow-v2']).toBe(true);
    expect(parse(['in', 'out', '--control-flow-v2=YES']).flags['control-flow-v2']).toBe(true);
    expect(parse(['in', 'out', '--strip-debug-ops=0']).flags['strip-debug-ops']).toBe(false);
    expect(parse(['in', 'out', '--no-strip-debug-ops']).flags['strip-debug-ops']).toBe(false);
    // A bare boolean does not swallow a following positional.
    const a = parse(['--skip-op-check', 'in', 'out']);
    expect(a.flags['skip-op-check']).toBe(true);
    expect(a.positionals).toEqual(['in', 'out']);
    const e = usage(() => parse(['in', 'out', '--control-flow-v2=maybe']));
    expect(e.message).toContain('--control-flow-v2');
    expect(e.message).toContain('"maybe"');
  });

  it('parses optional-value quantize flags: bare = true, value = patterns', () => {
    expect(parse(['in', 'out', '--quantize-uint8']).flags['quantize-uint8']).toBe(true);
    expect(parse(['in', 'out', '--quantize_uint8']).flags['quantize-uint8']).toBe(true);
    expect(parse(['in', 'out', '--quantize-uint8=conv*,dense/kernel']).flags['quantize-uint8']).toEqual(['conv*', 'dense/kernel']);
    expect(parse(['in', 'out', '--quantize-float16', 'conv*']).flags['quantize-float16']).toEqual(['conv*']);
    expect(parse(['--quantize-uint16', '*', 'in', 'out']).flags['quantize-uint16']).toEqual(['*']);
    // The next token stays positional when the command needs it.
    const a = parse(['--quantize-uint8', 'in', 'out']);
    expect(a.flags['quantize-uint8']).toBe(true);
    expect(a.positionals).toEqual(['in', 'out']);
    const b = parse(['in', '--quantize-uint8', 'out']);
    expect(b.flags['quantize-uint8']).toBe(true);
    expect(b.positionals).toEqual(['in', 'out']);
    const c = parse(['--quantize-float16', 'a*', '--quantize-uint8', 'in', 'out']);
    expect(c.flags['quantize-float16']).toEqual(['a*']);
    expect(c.flags['quantize-uint8']).toBe(true);
    expect(c.positionals).toEqual(['in', 'out']);
    // Followed by another flag: bare.
    expect(parse(['in', 'out', '--quantize-uint8', '--skip-op-check']).flags['quantize-uint8']).toBe(true);
    const e = usage(() => parse(['in', 'out', '--quantize-uint8=a,,b']));
    expect(e.message).toContain('--quantize-uint8');
  });

  it('lets the last occurrence of a repeated flag win', () => {
    expect(parse(['in', 'out', '--input-format=keras', '--input-format=tf_hub']).flags['input-format']).toBe('tf_hub');
    expect(parse(['in', 'out', '--quantize-uint8=a*', '--quantize-uint8']).flags['quantize-uint8']).toBe(true);
    expect(parse(['in', 'out', '--quantize-uint8', '--quantize-uint8=a*']).flags['quantize-uint8']).toEqual(['a*']);
  });

  it('parses lists and metadata', () => {
    const a = parse(['in', 'out', '--saved-model-tags', 'serve,gpu', '--output-node-names=a/b, c', '--metadata', 'labels:l.json,x:C:/d/x.json']);
    expect(a.flags['saved-model-tags']).toEqual(['serve', 'gpu']);
    expect(a.flags['output-node-names']).toEqual(['a/b', 'c']);
    expect(a.flags['metadata']).toEqual([{ key: 'labels', path: 'l.json' }, { key: 'x', path: 'C:/d/x.json' }]);
    expect(parse(['in', 'out', '--saved-model-tags=']).flags['saved-model-tags']).toEqual([]);
    expect(usage(() => parse(['in', 'out', '--metadata=nocolon'])).message).toContain('--metadata');
    expect(usage(() => parse(['in', 'out', '--metadata=:x.json'])).message).toContain('key:path');
  });

  it('stops at -- (values after it are positional even if they look like flags)', () => {
    expect(parse(['--', '--weird-in', 'out']).positionals).toEqual(['--weird-in', 'out']);
  });

  it('reports unknown flags with a hint, naming the flag', () => {
    const e = usage(() => parse(['in', 'out', '--inptu-format=keras']));
    expect(e.message).toContain('unknown flag --inptu-format');
    expect(e.message).toContain('did you mean --input-format?');
    expect(e.context.field).toBe('--inptu-format');
    expect(usage(() => parse(['in', 'out', '-x'])).message).toContain('-x');
    expect(usage(() => parse(['in', 'out', '--quantization-bytes=1'])).message).toContain('--quantize-uint8');
    expect(usage(() => parse(['in', 'out', '--no-input-format'])).message).toContain('--no-input-format');
  });

  it('reports missing and bad values, naming the flag', () => {
    expect(usage(() => parse(['in', 'out', '--weight-shard-size-bytes'])).message).toContain('missing value for --weight-shard-size-bytes');
    expect(usage(() => parse(['in', 'out', '--signature-name', '--skip-op-check'])).message).toContain('missing value for --signature-name');
    for (const bad of ['0', '-5', '1.5', '4MB', '', '1e6']) {
      const e = usage(() => parse(['in', 'out', `--weight-shard-size-bytes=${bad}`]));
      expect(e.message).toContain('--weight-shard-size-bytes');
    }
    const e = usage(() => parse(['in', 'out', '--input-format', 'kears']));
    expect(e.message).toContain('--input-format');
    expect(e.message).toContain('did you mean keras?');
  });

  it('reports a wrong number of positionals', () => {
    expect(usage(() => parse(['in'])).message).toContain('missing <output>');
    expect(usage(() => parse([])).message).toContain('missing <input>');
    expect(usage(() => parse(['a', 'b', 'c'])).message).toContain('unexpected extra argument "c"');
  });

  it('returns help without validating anything else', () => {
    expect(parse(['--bogus', '--help']).help).toBe(true);
    expect(parse(['-h']).help).toBe(true);
  });
});

describe('convertOptionsFromArgs', () => {
  const opts = (argv: string[]) => convertOptionsFromArgs(parse(argv), '/cwd');
  it('infers the output format like tensorflowjs_converter', () => {
    expect(opts(['in', 'out', '--input-format=keras']).outputFormat).toBe('tfjs_layers_model');
    expect(opts(['in', 'out', '--input-format=tf_saved_model']).outputFormat).toBe('tfjs_graph_model');
    expect(opts(['in', 'out', '--input-format=tfjs_layers_model']).outputFormat).toBe('keras');
    expect(usage(() => opts(['in', 'out'])).message).toContain('--output-format is required');
    expect(usage(() => opts(['in', 'out', '--input-format=keras_keras'])).message).toContain('--output-format');
  });
  it('maps flags to typed options with absolute paths', () => {
    const o = opts(['in', 'out', '--output-format=tfjs_graph_model', '--quantize-uint8=dense*', '--quantize-float16', '--strip-debug-ops=false']);
    expect(o.input).toBe('/cwd/in');
    expect(o.output).toBe('/cwd/out');
    expect(o.quantizeUint8).toEqual(['dense*']);
    expect(o.quantizeFloat16).toBe(true);
    expect(o.stripDebugOps).toBe(false);
    expect(o.weightShardSizeBytes).toBe(4194304);
  });
  it('refuses two fallthrough quantize flags', () => {
    const e = usage(() => opts(['in', 'out', '--output-format=tfjs_graph_model', '--quantize-uint8', '--quantize-float16']));
    expect(e.message).toContain('--quantize-float16');
    expect(e.message).toContain('--quantize-uint8');
  });
  it('checks flag applicability and required flags', () => {
    expect(usage(() => opts(['in', 'out', '--input-format=keras', '--signature-name=x'])).message).toContain('--signature-name');
    expect(usage(() => opts(['in', 'out', '--input-format=tf_frozen_model'])).message).toContain('--output-node-names');
    expect(usage(() => opts(['in', 'out', '--output-format=tflite', '--split-weights-by-layer'])).message).toContain('--split-weights-by-layer');
    expect(usage(() => opts(['in', 'in/sub', '--output-format=tflite'])).message).toContain('<output>');
    expect(opts(['in', 'out', '--input-format=tf_frozen_model', '--output-node-names=y']).outputNodeNames).toEqual(['y']);
  });
});

describe('other commands and help', () => {
  it('parses inspect and bench flags', () => {
    expect(parse(['m', '--json'], inspectCommand).flags['json']).toBe(true);
    const b = parse(['kernels', '--size', '65536', '--runs=5', '--filter=crc32c,f32-f16', '--no-js'], benchCommand);
    expect(b.flags).toMatchObject({ size: 65536, runs: 5, filter: ['crc32c', 'f32-f16'], js: false, json: false });
    expect(usage(() => parse(['kernels', '--size=100'], benchCommand)).message).toContain('--size');
  });

  it('generates help naming every flag', () => {
    const h = commandHelp(convertCommand);
    for (const f of convertCommand.flags) expect(h).toContain(`--${f.name}`);
    expect(h).toContain('Usage: tfexport convert <input> <output> [flags]');
    const reg = new CommandRegistry().register(convertCommand).register(inspectCommand);
    const g = globalHelp(reg, '9.9.9');
    expect(g).toContain('tfexport 9.9.9');
    expect(g).toContain('convert');
    expect(g).toContain('inspect');
  });

  it('parses values of each flag type directly', () => {
    expect(parseFlagValue({ name: 'n', type: 'integer', description: '', min: 0 }, '0')).toBe(0);
    expect(parseFlagValue({ name: 's', type: 'string', description: '' }, '')).toBe('');
    expect(parseFlagValue({ name: 'l', type: 'list', description: '' }, ' a , b ')).toEqual(['a', 'b']);
  });
});
