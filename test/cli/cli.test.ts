// SPDX-License-Identifier: Apache-2.0
/**
 * Spawns the built bin (package.json's `bin`, the bundle) and checks stdout, stderr and exit
 * codes. dist/ and the bundle are (re)built once in beforeAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildPackage, packageBin as bin, repoRoot } from '../helpers/paths.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
let work: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Result {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? work,
    env: { ...process.env, TFEXPORT_DEBUG: '', ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exactly one stderr line: `tfexport: CODE: ...`. */
function expectOneError(r: Result, code: string, exit: number): string {
  expect(r.code).toBe(exit);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`tfexport: ${code}: `)).toBe(true);
  return lines[0];
}

beforeAll(() => {
  const failed = buildPackage();
  // Type errors elsewhere in the tree still emit JS; only a missing bin is fatal here.
  if (failed) console.warn(failed);
  if (!existsSync(bin)) throw new Error(`build failed: ${bin} missing\n${failed}`);
  work = mkdtempSync(path.join(os.tmpdir(), 'tfexport-cli-'));
  mkdirSync(path.join(work, 'model'));
  writeFileSync(path.join(work, 'model', 'saved_model.pb'), 'x');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tfexport bin', () => {
  it('keeps the shebang in the compiled bin', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help / -h / help print the global help', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = run(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('Usage: tfexport <command>');
      for (const c of ['convert', 'inspect', 'bench']) expect(r.stdout).toContain(`  ${c}`);
    }
  });

  it('--version / -v print the package.json version', () => {
    for (const flag of ['--version', '-v']) {
      const r = run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`tfexport ${pkg.version}\n`);
    }
  });

  it.each(['convert', 'inspect', 'bench'])('%s --help documents the command', (cmd) => {
    const r = run([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: tfexport ${cmd}`);
    expect(run(['help', cmd]).stdout).toBe(r.stdout);
  });

  it('convert --help lists the tensorflowjs_converter flags', () => {
    const out = run(['convert', '--help']).stdout;
    for (const f of [
      '--input-format', '--output-format', '--signature-name', '--saved-model-tags', '--quantize-float16',
      '--quantize-uint8', '--quantize-uint16', '--weight-shard-size-bytes', '--strip-debug-ops',
      '--control-flow-v2', '--metadata', '--use-structured-outputs-names', '--skip-op-check',
      '--output-node-names', '--split-weights-by-layer',
    ]) expect(out).toContain(f);
  });

  it('usage errors exit 2 with one message naming the flag', () => {
    expect(expectOneError(run([]), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('missing command');
    expect(expectOneError(run(['frobnicate']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('"frobnicate"');
    expect(expectOneError(run(['--json']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--json');
    expect(expectOneError(run(['convert', 'model', 'out', '--bogus-flag']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--bogus-flag');
    expect(expectOneError(run(['convert', 'model', 'out', '--weight_shard_size_bytes']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--weight-shard-size-bytes');
    expect(expectOneError(run(['convert', 'model', 'out', '--weight-shard-size-bytes=-1']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--weight-shard-size-bytes');
    expect(expectOneError(run(['convert', 'model', 'out', '--output-format=tfjs', '--input-format=keras']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--output-format');
    expect(expectOneError(run(['convert', 'model', 'out', '--strip-debug-ops=nah']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--strip-debug-ops');
    expect(expectOneError(run(['convert', 'model']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('<output>');
    expect(expectOneError(run(['inspect']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('<path>');
    expect(expectOneError(run(['inspect', 'a', 'b']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('"b"');
    expect(expectOneError(run(['bench', 'nope']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('"nope"');
    expect(expectOneError(run(['bench', 'kernels', '--filter=bogus']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--filter');
    expect(expectOneError(run(['convert', 'model', 'out', '--input-format=tf_saved_model', '--quantize-uint8', '--quantize-uint16']), 'ERR_TFEXPORT_BAD_ARGUMENT', 2)).toContain('--quantize-uint16');
  });

  it('convert parses every tensorflowjs_converter flag, then the reader names the broken file (exit 1, no output)', () => {
    const r = run([
      'convert', '--input_format=tf_saved_model', '--quantize_uint8', 'model', 'out',
      '--control_flow_v2=False', '--weight_shard_size_bytes', '1048576', '--saved_model_tags=serve',
      '--signature_name', 'serving_default', '--skip_op_check', '--strip_debug_ops=0',
    ]);
    const line = expectOneError(r, 'ERR_TFEXPORT_PROTO_DECODE', 1);
    expect(line).toContain('saved_model.pb');
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(work, 'out'))).toBe(false);
    const d = run(['convert', 'model', 'out', '--output-format', 'tflite']);
    expect(expectOneError(d, 'ERR_TFEXPORT_NOT_IMPLEMENTED', 3)).toContain('detecting the format');
  });

  it('convert reports a missing input and an existing output (exit 1)', () => {
    expect(expectOneError(run(['convert', 'nope', 'out', '--input-format=keras']), 'ERR_TFEXPORT_INPUT_NOT_FOUND', 1)).toContain('nope');
    mkdirSync(path.join(work, 'full'), { recursive: true });
    writeFileSync(path.join(work, 'full', 'model.json'), '{}');
    const line = expectOneError(run(['convert', 'model', 'full', '--input-format=keras']), 'ERR_TFEXPORT_OUTPUT_EXISTS', 1);
    expect(line).toContain('--overwrite');
    // 'model' is a SavedModel directory: the Keras reader refuses it (and touches no output).
    expectOneError(run(['convert', 'model', 'full', '--input-format=keras', '--overwrite']), 'ERR_TFEXPORT_KERAS_NOT_HDF5', 1);
    expect(readFileSync(path.join(work, 'full', 'model.json'), 'utf8')).toBe('{}');
  });

  it('inspect validates its path and names the broken file', () => {
    expect(expectOneError(run(['inspect', 'model', '--json']), 'ERR_TFEXPORT_PROTO_DECODE', 1)).toContain('saved_model.pb');
    expectOneError(run(['inspect', 'missing']), 'ERR_TFEXPORT_INPUT_NOT_FOUND', 1);
  });

  it('inspect reports the bundled example SavedModel (text and --json)', () => {
    const example = path.join(repoRoot, 'examples', 'mlp_savedmodel');
    const text = run(['inspect', example]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('format:    tf_saved_model');
    expect(text.stdout).toMatch(/in +x: float32 \[\?, 4\]/);
    const json = run(['inspect', example, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.format).toBe('tf_saved_model');
    const sig = report.signatures.find((s: { key: string }) => s.key === 'serving_default');
    expect(sig.inputs.map((t: { key: string; shape: number[] }) => [t.key, t.shape])).toEqual([['x', [-1, 4]]]);
    expect(sig.outputs.map((t: { key: string; shape: number[] }) => [t.key, t.shape])).toEqual([['probs', [-1, 3]]]);
    // 4 float32 variables: 4x8 + 8 + 8x3 + 3 = 67 elements.
    expect(report.weights).toMatchObject({ source: 'variables', count: 4, bytes: 67 * 4 });
  });

  it('bench kernels --json prints one JSON object per line', () => {
    const r = run(['bench', 'kernels', '--json', '--size', '65536', '--runs', '5', '--js-runs', '1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const rows = lines;
    const meta = rows[0];
    for (const row of rows) {
      expect(row).toMatchObject({ n: 65536, node: process.version });
      expect(typeof row.cpu).toBe('string');
    }
    expect(rows[0]).toMatchObject({ name: 'memcpy', impl: 'memcpy', ratio: 1, n: 65536 });
    for (const row of rows) {
      for (const k of ['name', 'impl', 'threads', 'gbps', 'ratio', 'medianMs', 'n']) expect(row).toHaveProperty(k);
      expect(row.gbps).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
      expect(row.medianMs).toBeGreaterThan(0);
    }
    const names = new Set(rows.map((x: { name: string }) => x.name));
    for (const k of ['f32-f16', 'f16-f32', 'quantize-u8', 'quantize-u16', 'dequantize-u8', 'dequantize-u16',
      'int8-perchannel-axis-last', 'int8-perchannel-axis0', 'crc32c']) expect(names.has(k)).toBe(true);
    const impls = new Set(rows.map((x: { impl: string }) => x.impl));
    expect(impls.has('js')).toBe(true);
    if (!meta.nativeError) {
      expect(impls.has('native')).toBe(true);
      expect(impls.has('native-scalar')).toBe(true);
    }
  });

  it('bench kernels prints an aligned table with a machine header', () => {
    const r = run(['bench', 'kernels', '--size', '8192', '--runs', '5', '--filter', 'crc32c,f32-f16', '--no-js']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CPU: +\S/m);
    expect(r.stdout).toMatch(/^ISA: +best /m);
    expect(r.stdout).toMatch(/^Node: +v\d+/m);
    expect(r.stdout).toMatch(/^kernel +impl +isa +thr +elements +median ms +GB\/s in +ratio$/m);
    const rows = r.stdout.split('\n').filter((l) => /^(memcpy|crc32c|f32-f16) /.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const width = rows[0].length;
    for (const l of rows) expect(l.length).toBe(width);
  });

  it('ends quietly when stdout is closed early (| head -1)', async () => {
    const child = spawn(process.execPath, [bin, 'bench', 'kernels', '--json', '--size', '262144', '--runs', '5', '--js-runs', '1'], { cwd: work });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).not.toContain('Error');
  });

  it('exits 130 on SIGINT', async () => {
    const child = spawn(process.execPath, [bin, 'bench', 'kernels', '--size', '4194304', '--runs', '9'], { cwd: work });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('memcpy ')) resolve();
    }));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted by SIGINT');
  });
});
