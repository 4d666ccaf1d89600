// SPDX-License-Identifier: Apache-2.0
/**
 * The binding and the public API's guard rails: exports, argument validation (every bad
 * argument is a ValidationError ERR_TFEXPORT_BAD_ARGUMENT raised in TS, never a crash),
 * stack grafting on async rejections, ISA selection (setIsa, TFEXPORT_FORCE_ISA) and the
 * pure-TS fallback (TFEXPORT_BACKEND=js, or an addon that fails to load), the latter in
 * child processes running the built dist/index.js.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { ValidationError } from '../../src/index.js';
import { loadNative } from '../../src/native.js';
import { EDGE_F32_BITS, f32FromBits } from '../helpers/edge-values.js';
import { distEntry, repoRoot } from '../helpers/paths.js';
import { Prng } from '../helpers/prng.js';

const native = loadNative().binding;
const TEMPLATE = /^ERR_TFEXPORT_BAD_ARGUMENT: Expected .+ for \S+.* but received .* of type \w+$/s;
const ALL_ISA_NAMES = ['scalar', 'sse41', 'avx2', 'avx512', 'neon'];

function expectBadArgument(e: unknown, label: string): void {
  expect(e, `${label}: did not throw`).toBeInstanceOf(ValidationError);
  const err = e as ValidationError;
  expect(err.code, label).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
  expect(err.message, label).toMatch(TEMPLATE);
}

function detachedFloat32(): Float32Array {
  const f = new Float32Array(4);
  structuredClone(f.buffer, { transfer: [f.buffer] });
  return f;
}

describe('exports', () => {
  it.skipIf(!native)('the raw binding exports every kernel and ISA function src/native.ts types', () => {
    const kernels = [
      'f32ToF16', 'f16ToF32', 'minMax', 'quantizeAffine', 'quantizeAffineRange', 'dequantizeAffine', 'quantizeInt8PerChannel',
      'quantizeInt8Asymmetric', 'dequantizeInt8', 'scalePerChannel', 'crc32c', 'transpose2d',
    ];
    const expected = [
      'init', 'napiVersion', 'isa', 'bestIsa', 'availableIsas', 'setIsa', 'affineParams', 'int8AsymmetricParams',
      ...kernels.flatMap((k) => [k, `${k}Sync`]),
    ];
    // A subset check: other areas add their own exports to the same addon.
    expect(Object.keys(native!)).toEqual(expect.arrayContaining(expected));
    for (const k of expected) if (k !== 'napiVersion') expect(typeof (native as unknown as Record<string, unknown>)[k], k).toBe('function');
    expect(native!.napiVersion).toBe(8);
  });

  it('the package root exports the kernel API, the error classes and the version', () => {
    const fns = [
      'isa', 'availableIsas', 'setIsa', 'maskCrc32c', 'unmaskCrc32c', 'kernelBackend',
      ...[
        'f32ToF16', 'f16ToF32', 'quantizeAffine', 'quantizeAffineRange', 'dequantizeAffine', 'quantizeInt8PerChannel', 'quantizeInt8',
        'dequantizeInt8', 'scalePerChannel', 'crc32c', 'maskedCrc32c', 'transpose2d', 'hwioToOhwi', 'nhwcToNchw', 'nchwToNhwc',
      ].flatMap((k) => [k, `${k}Sync`]),
      'TfexportError', 'ValidationError', 'NativeError', 'FormatError', 'UnsupportedOpError', 'IoError',
    ];
    const root = api as unknown as Record<string, unknown>;
    for (const f of fns) expect(typeof root[f], f).toBe('function');
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(api.version).toBe(pkg.version);
  });

  it('isa() is one of availableIsas(), which starts with scalar (or is just js)', () => {
    const list = api.availableIsas();
    expect(list).toContain(api.isa());
    expect(list[0] === 'scalar' || (list.length === 1 && list[0] === 'js')).toBe(true);
  });
});

describe('argument validation (TS, before native)', () => {
  const f4 = new Float32Array(4);
  const u8 = new Uint8Array(4);
  const i8 = new Int8Array(4);
  const shared = new Float32Array(8);
  const overlapU16 = new Uint16Array(shared.buffer, 4, 4);
  const overlapF32 = new Float32Array(shared.buffer, 8, 4);
  const srcInShared = shared.subarray(0, 4);
  /** [label, kernel name (async name; `${name}Sync` is the twin), args] */
  const cases: [string, string, unknown[]][] = [
    ['f32ToF16 Float64Array', 'f32ToF16', [new Float64Array(4)]],
    ['f32ToF16 plain array', 'f32ToF16', [[1, 2, 3]]],
    ['f32ToF16 null', 'f32ToF16', [null]],
    ['f32ToF16 detached src', 'f32ToF16', [detachedFloat32()]],
    ['f32ToF16 out too short', 'f32ToF16', [f4, { out: new Uint16Array(3) }]],
    ['f32ToF16 zero-length out for 4 elements', 'f32ToF16', [f4, { out: new Uint16Array(0) }]],
    ['f32ToF16 out wrong type', 'f32ToF16', [f4, { out: new Float32Array(4) }]],
    ['f32ToF16 out overlaps src', 'f32ToF16', [srcInShared, { out: overlapU16 }]],
    ['f32ToF16 threads 0', 'f32ToF16', [f4, { threads: 0 }]],
    ['f32ToF16 threads 1.5', 'f32ToF16', [f4, { threads: 1.5 }]],
    ['f32ToF16 threads "2"', 'f32ToF16', [f4, { threads: '2' }]],
    ['f32ToF16 opts string', 'f32ToF16', [f4, 'fast']],
    ['f16ToF32 Int16Array', 'f16ToF32', [new Int16Array(2)]],
    ['f16ToF32 out detached', 'f16ToF32', [new Uint16Array(0), { out: (() => { const d = detachedFloat32(); return d; })() }]],
    ['quantizeAffine dtype int8', 'quantizeAffine', [f4, 'int8']],
    ['quantizeAffine dtype missing', 'quantizeAffine', [f4]],
    ['quantizeAffine out dtype mismatch', 'quantizeAffine', [f4, 'uint8', { out: new Uint16Array(4) }]],
    ['quantizeAffineRange dtype int8', 'quantizeAffineRange', [f4, 'int8', { min: 0, max: 1 }]],
    ['quantizeAffineRange range missing', 'quantizeAffineRange', [f4, 'uint8']],
    ['quantizeAffineRange range array', 'quantizeAffineRange', [f4, 'uint8', [0, 1]]],
    ['quantizeAffineRange min NaN', 'quantizeAffineRange', [f4, 'uint8', { min: NaN, max: 1 }]],
    ['quantizeAffineRange max Infinity', 'quantizeAffineRange', [f4, 'uint16', { min: 0, max: Infinity }]],
    ['quantizeAffineRange max missing', 'quantizeAffineRange', [f4, 'uint16', { min: 0 }]],
    ['quantizeAffineRange min string', 'quantizeAffineRange', [f4, 'uint8', { min: '0', max: 1 }]],
    ['quantizeAffineRange min > max', 'quantizeAffineRange', [f4, 'uint8', { min: 1, max: 0.5 }]],
    ['quantizeAffineRange beyond float32', 'quantizeAffineRange', [f4, 'uint8', { min: -1e39, max: 1 }]],
    ['quantizeAffineRange out dtype mismatch', 'quantizeAffineRange', [f4, 'uint16', { min: 0, max: 1 }, { out: new Uint8Array(4) }]],
    ['quantizeAffineRange out length', 'quantizeAffineRange', [f4, 'uint8', { min: 0, max: 1 }, { out: new Uint8Array(3) }]],
    ['quantizeAffineRange out overlaps src', 'quantizeAffineRange', [srcInShared, 'uint16', { min: 0, max: 1 }, { out: overlapU16 }]],
    ['quantizeAffineRange threads 0', 'quantizeAffineRange', [f4, 'uint8', { min: 0, max: 1 }, { threads: 0 }]],
    ['dequantizeAffine Int8Array', 'dequantizeAffine', [i8, { min: 0, scale: 1 }]],
    ['dequantizeAffine min NaN', 'dequantizeAffine', [u8, { min: NaN, scale: 1 }]],
    ['dequantizeAffine scale Infinity', 'dequantizeAffine', [u8, { min: 0, scale: Infinity }]],
    ['dequantizeAffine params null', 'dequantizeAffine', [u8, null]],
    ['dequantizeAffine out length', 'dequantizeAffine', [u8, { min: 0, scale: 1 }, { out: new Float32Array(5) }]],
    ['perChannel shape product', 'quantizeInt8PerChannel', [f4, [2, 3], 0]],
    ['perChannel axis too large', 'quantizeInt8PerChannel', [f4, [2, 2], 2]],
    ['perChannel axis too small', 'quantizeInt8PerChannel', [f4, [2, 2], -3]],
    ['perChannel axis fractional', 'quantizeInt8PerChannel', [f4, [2, 2], 0.5]],
    ['perChannel scalar shape', 'quantizeInt8PerChannel', [new Float32Array(1), [], 0]],
    ['perChannel negative dim', 'quantizeInt8PerChannel', [f4, [2, -2], 0]],
    ['perChannel shape not array', 'quantizeInt8PerChannel', [f4, 4, 0]],
    ['perChannel outScales length', 'quantizeInt8PerChannel', [f4, [4], 0, { outScales: new Float32Array(2) }]],
    ['quantizeInt8 min > max', 'quantizeInt8', [f4, { min: 1, max: 0 }]],
    ['quantizeInt8 min NaN', 'quantizeInt8', [f4, { min: NaN, max: 1 }]],
    ['quantizeInt8 scale 0', 'quantizeInt8', [f4, { scale: 0, zeroPoint: 0 }]],
    ['quantizeInt8 scale float32-underflow', 'quantizeInt8', [f4, { scale: 1e-50, zeroPoint: 0 }]],
    ['quantizeInt8 zeroPoint 200', 'quantizeInt8', [f4, { scale: 1, zeroPoint: 200 }]],
    ['quantizeInt8 range [0, 0]', 'quantizeInt8', [f4, { min: 0, max: 0 }]],
    ['quantizeInt8 range beyond float32', 'quantizeInt8', [f4, { min: -1e39, max: 1e39 }]],
    ['quantizeInt8 params number', 'quantizeInt8', [f4, 5]],
    ['dequantizeInt8 scale NaN', 'dequantizeInt8', [i8, { scale: NaN }]],
    ['dequantizeInt8 per-channel without shape', 'dequantizeInt8', [i8, { scale: [1, 2] }]],
    ['dequantizeInt8 zeroPoints length', 'dequantizeInt8', [i8, { scale: [1, 2], shape: [2, 2], axis: 0, zeroPoint: [1] }]],
    ['dequantizeInt8 channels vs shape', 'dequantizeInt8', [i8, { scale: [1, 2, 3], shape: [2, 2], axis: 0 }]],
    ['dequantizeInt8 empty scale', 'dequantizeInt8', [i8, { scale: [] }]],
    ['dequantizeInt8 zeroPoint 1.5', 'dequantizeInt8', [i8, { scale: 1, zeroPoint: 1.5 }]],
    ['dequantizeInt8 Uint8Array', 'dequantizeInt8', [u8, { scale: 1 }]],
    ['scalePerChannel Float64Array src', 'scalePerChannel', [new Float64Array(4), { scale: [1, 2], shape: [2, 2], axis: 1 }]],
    ['scalePerChannel params null', 'scalePerChannel', [f4, null]],
    ['scalePerChannel scale count', 'scalePerChannel', [f4, { scale: [1, 2, 3], shape: [2, 2], axis: 1 }]],
    ['scalePerChannel scale strings', 'scalePerChannel', [f4, { scale: ['1', '2'], shape: [2, 2], axis: 1 }]],
    ['scalePerChannel shape product', 'scalePerChannel', [f4, { scale: [1, 2], shape: [2, 3], axis: 1 }]],
    ['scalePerChannel axis', 'scalePerChannel', [f4, { scale: [1, 2], shape: [2, 2], axis: 2 }]],
    ['scalePerChannel out is src', 'scalePerChannel', [f4, { scale: [1, 2], shape: [2, 2], axis: 1 }, { out: f4 }]],
    ['crc32c string', 'crc32c', ['abc']],
    ['crc32c init -1', 'crc32c', [u8, -1]],
    ['crc32c init 2^32', 'crc32c', [u8, 2 ** 32]],
    ['crc32c init 1.5', 'crc32c', [u8, 1.5]],
    ['maskedCrc32c array', 'maskedCrc32c', [[1, 2, 3]]],
    ['transpose2d volume', 'transpose2d', [f4, 2, 2, 2]],
    ['transpose2d negative', 'transpose2d', [f4, 1, 2, -2]],
    ['transpose2d object', 'transpose2d', [{}, 1, 1, 1]],
    ['transpose2d out type', 'transpose2d', [f4, 1, 2, 2, { out: new Int32Array(4) }]],
    ['transpose2d out overlaps', 'transpose2d', [srcInShared, 1, 2, 2, { out: overlapF32 }]],
    ['transpose2d out is src', 'transpose2d', [f4, 1, 2, 2, { out: f4 }]],
    ['hwioToOhwi rank 3', 'hwioToOhwi', [f4, [1, 2, 2]]],
    ['hwioToOhwi product', 'hwioToOhwi', [f4, [1, 1, 2, 3]]],
    ['nhwcToNchw no shape', 'nhwcToNchw', [f4]],
    ['nchwToNhwc string src', 'nchwToNhwc', ['x', [1, 1, 1, 1]]],
  ];
  const root = api as unknown as Record<string, (...a: unknown[]) => unknown>;

  it.each(cases)('%s: sync throws a ValidationError', (label, name, args) => {
    let caught: unknown;
    try {
      root[`${name}Sync`]!(...args);
    } catch (e) {
      caught = e;
    }
    expectBadArgument(caught, label);
  });

  it.each(cases)('%s: async rejects (never throws synchronously) with a ValidationError', async (label, name, args) => {
    let p: unknown;
    expect(() => {
      p = root[name]!(...args);
    }).not.toThrow();
    expect(p).toBeInstanceOf(Promise);
    expectBadArgument(await (p as Promise<unknown>).catch((e: unknown) => e), label);
  });

  it('mask helpers and setIsa validate their argument', () => {
    for (const [label, f] of [
      ['maskCrc32c(-1)', () => api.maskCrc32c(-1)],
      ['maskCrc32c(2^32)', () => api.maskCrc32c(2 ** 32)],
      ['unmaskCrc32c(1.5)', () => api.unmaskCrc32c(1.5)],
      ['setIsa(5)', () => api.setIsa(5 as never)],
    ] as const) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expectBadArgument(caught, label);
    }
  });

  it('zero-length inputs and views at byte offsets are valid, not errors', async () => {
    expect(api.f32ToF16Sync(new Float32Array(0))).toEqual(new Uint16Array(0));
    expect((await api.quantizeAffine(new Float32Array(0), 'uint8')).scale).toBe(1);
    expect(await api.quantizeAffineRange(new Float32Array(0), 'uint16', { min: -1, max: 1 })).toMatchObject({ scale: 2 / 65535 });
    expect(api.crc32cSync(new Uint8Array(0))).toBe(0);
    expect(api.transpose2dSync(new Float32Array(0), 0, 3, 3)).toHaveLength(0);
    expect(api.quantizeInt8PerChannelSync(new Float32Array(0), [0, 3], 1).scales).toEqual(new Float32Array(3));
    const big = new Float32Array(16).fill(1.5);
    expect([...api.f32ToF16Sync(big.subarray(3, 7))]).toEqual([0x3e00, 0x3e00, 0x3e00, 0x3e00]);
  });

  it('a ValidationError names the parameter and what was received', () => {
    let caught: unknown;
    try {
      api.f32ToF16Sync(f4, { out: new Uint16Array(3) });
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).message).toBe(
      'ERR_TFEXPORT_BAD_ARGUMENT: Expected a Uint16Array of length 4 for opts.out but received Uint16Array(3) of type object',
    );
  });
});

describe.skipIf(!native)('the raw binding re-checks memory safety and never crashes', () => {
  it('bad raw calls throw ValidationError ERR_TFEXPORT_BAD_ARGUMENT (sync and async entry points)', () => {
    const b = native!;
    const f4 = new Float32Array(4);
    const calls: [string, () => unknown][] = [
      ['f32ToF16Sync(1, 2)', () => b.f32ToF16Sync(1 as never, 2 as never)],
      ['f32ToF16 length mismatch', () => b.f32ToF16(f4, new Uint16Array(3))],
      ['f16ToF32Sync wrong type', () => b.f16ToF32Sync(new Int16Array(4) as never, f4)],
      ['quantizeAffineSync dst Int8Array', () => b.quantizeAffineSync(f4, new Int8Array(4) as never)],
      ['quantizeAffineRangeSync dst Int8Array', () => b.quantizeAffineRangeSync(f4, 0, 1, new Int8Array(4) as never)],
      ['quantizeAffineRangeSync length mismatch', () => b.quantizeAffineRangeSync(f4, 0, 1, new Uint8Array(3))],
      ['quantizeAffineRangeSync min NaN', () => b.quantizeAffineRangeSync(f4, NaN, 1, new Uint8Array(4))],
      ['quantizeAffineRangeSync max beyond float32', () => b.quantizeAffineRangeSync(f4, 0, 1e39, new Uint16Array(4))],
      ['quantizeAffineRangeSync min > max', () => b.quantizeAffineRangeSync(f4, 2, 1, new Uint8Array(4))],
      ['quantizeAffineRangeSync max missing', () => (b.quantizeAffineRangeSync as (...a: unknown[]) => unknown)(f4, 0)],
      ['quantizeInt8PerChannelSync volume', () => b.quantizeInt8PerChannelSync(f4, 2, 3, 1, new Int8Array(4), new Float32Array(3))],
      ['quantizeInt8PerChannelSync overflow', () => b.quantizeInt8PerChannelSync(f4, 2 ** 40, 2 ** 40, 2 ** 10, new Int8Array(4), new Float32Array(2 ** 10))],
      ['quantizeInt8AsymmetricSync scale 0', () => b.quantizeInt8AsymmetricSync(f4, 0, 0, new Int8Array(4))],
      ['quantizeInt8AsymmetricSync zp 300', () => b.quantizeInt8AsymmetricSync(f4, 1, 300, new Int8Array(4))],
      ['dequantizeInt8Sync zeroPoints length', () => b.dequantizeInt8Sync(new Int8Array(4), 1, 2, 2, new Float32Array(2), new Int32Array(1), f4)],
      ['crc32cSync init -1', () => b.crc32cSync(new Uint8Array(1), -1)],
      ['transpose2dSync overlap', () => b.transpose2dSync(f4, 1, 2, 2, f4)],
      ['transpose2dSync element sizes', () => b.transpose2dSync(f4, 1, 2, 2, new Uint16Array(4))],
      ['affineParams qmax 7', () => b.affineParams(0, 1, 7 as never)],
      ['setIsa(1)', () => b.setIsa(1 as never)],
    ];
    for (const [label, f] of calls) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught, label).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).code, label).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    }
  });
});

describe('async errors carry the caller stack', () => {
  async function userCallSiteForStackTest(): Promise<unknown> {
    return api.quantizeAffine(new Float32Array([1, NaN, 2]), 'uint8');
  }
  async function userValidationSiteForStackTest(): Promise<unknown> {
    return api.transpose2d(new Float32Array(4), 3, 3, 3);
  }

  it('a native rejection (raised on the worker pool) points at the user function', async () => {
    const err = (await userCallSiteForStackTest().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('ERR_TFEXPORT_NON_FINITE');
    const lines = err.stack!.split('\n');
    expect(lines[0]).toContain('ERR_TFEXPORT_NON_FINITE');
    expect(lines[1]).toContain('userCallSiteForStackTest');
    expect(err.stack).toContain('binding.test.ts');
    expect(err.stack).not.toContain('nativeErrorFactory');
  });

  it('a validation rejection points at the user function too', async () => {
    const err = (await userValidationSiteForStackTest().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.stack!.split('\n')[1]).toContain('userValidationSiteForStackTest');
  });
});

describe('ISA selection', () => {
  let previous = '';
  beforeAll(() => {
    previous = api.isa();
  });
  afterEach(() => api.setIsa(previous));

  it('setIsa("foo") throws ERR_TFEXPORT_UNKNOWN_ISA and leaves the ISA unchanged', () => {
    expect(() => api.setIsa('foo')).toThrowError(expect.objectContaining({ code: 'ERR_TFEXPORT_UNKNOWN_ISA' }));
    expect(api.isa()).toBe(previous);
  });

  it('setIsa of an ISA this machine lacks throws ERR_TFEXPORT_UNAVAILABLE_ISA', () => {
    const missing = ALL_ISA_NAMES.find((n) => !api.availableIsas().includes(n))!;
    expect(() => api.setIsa(missing)).toThrowError(expect.objectContaining({ code: 'ERR_TFEXPORT_UNAVAILABLE_ISA' }));
  });

  it('setIsa switches isa() for each available ISA', () => {
    for (const n of api.availableIsas()) {
      api.setIsa(n);
      expect(api.isa()).toBe(n);
    }
  });
});

// ---- child processes against the built package ---------------------------------------------

interface ChildResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runChild(env: Record<string, string | undefined>, code: string, input = ''): ChildResult {
  const prelude = `import * as t from ${JSON.stringify(pathToFileURL(distEntry).href)};\n`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.TFEXPORT_FORCE_ISA;
  delete childEnv.TFEXPORT_BACKEND;
  delete childEnv.TFEXPORT_PREBUILD;
  delete childEnv.NODE_OPTIONS;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', prelude + code], {
    env: childEnv,
    input,
    encoding: 'utf8',
    cwd: repoRoot,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Child code: reads a float32 pool (hex on stdin), prints hex of several kernels' outputs. */
const COMPUTE = `
const hex = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const bytes = Buffer.from(require_stdin(), 'hex');
const pool = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const finite = pool.map((x) => (Number.isFinite(x) ? x : 0.25));
const qa = await t.quantizeAffine(finite, 'uint8');
const qb = t.quantizeAffineSync(finite, 'uint16');
const pc = await t.quantizeInt8PerChannel(finite.subarray(0, 64 * 8), [64, 8], -1);
const qi = t.quantizeInt8Sync(pool, { min: -3, max: 5 });
const out = {
  isa: t.isa(),
  available: t.availableIsas(),
  f16: hex(await t.f32ToF16(pool)),
  f32: hex(t.f16ToF32Sync(t.f32ToF16Sync(pool))),
  u8: hex(qa.data), u8min: qa.min, u8scale: qa.scale,
  u16: hex(qb.data), u16min: qb.min, u16scale: qb.scale,
  deq: hex(await t.dequantizeAffine(qa.data, qa)),
  pc: hex(pc.data), pcScales: hex(pc.scales),
  qi: hex(qi.data), qiScale: qi.scale, qiZp: qi.zeroPoint,
  di: hex(t.dequantizeInt8Sync(qi.data, qi)),
  crc: await t.crc32c(pool), masked: t.maskedCrc32cSync(pool),
  tr: hex(await t.transpose2d(pool.subarray(0, 40 * 25), 1, 40, 25)),
};
console.log(JSON.stringify(out));
`;
const STDIN_HELPER = `import { readFileSync } from 'node:fs';\nconst require_stdin = () => readFileSync(0, 'utf8');\n`;

function makePool(): Float32Array {
  const r = new Prng(2024);
  const pool = r.floats(1000, -3, 3);
  pool.set(f32FromBits(EDGE_F32_BITS), 100);
  return pool;
}

describe('child processes (built dist/index.js)', () => {
  beforeAll(() => {
    if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`npx tsc -p .\` before these tests`);
  });

  const poolHex = Buffer.from(makePool().buffer).toString('hex');

  it.skipIf(!native)('TFEXPORT_FORCE_ISA=scalar makes isa() report scalar', () => {
    const r = runChild({ TFEXPORT_FORCE_ISA: 'scalar' }, 'console.log(JSON.stringify([t.isa(), t.crc32cSync(new TextEncoder().encode("123456789"))]));');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['scalar', 0xe3069283]);
  });

  it.skipIf(!native)('TFEXPORT_FORCE_ISA=bogus: kernel calls throw a clear ERR_TFEXPORT_UNKNOWN_ISA; setIsa recovers', () => {
    const code = `
const report = (f) => { try { f(); return 'no error'; } catch (e) { return { code: e.code, message: e.message, name: e.name }; } };
const sync = report(() => t.f32ToF16Sync(new Float32Array(2)));
const isaErr = report(() => t.isa());
const asyncErr = await t.crc32c(new Uint8Array(3)).then(() => 'no error', (e) => ({ code: e.code, message: e.message }));
t.setIsa('scalar');
console.log(JSON.stringify({ sync, isaErr, asyncErr, after: t.isa(), works: t.f32ToF16Sync(new Float32Array([1]))[0] }));
`;
    const r = runChild({ TFEXPORT_FORCE_ISA: 'bogus' }, code);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const e of [out.sync, out.isaErr, out.asyncErr]) {
      expect(e.code).toBe('ERR_TFEXPORT_UNKNOWN_ISA');
      expect(e.message).toContain('TFEXPORT_FORCE_ISA="bogus"');
      expect(e.message).toMatch(/scalar/);
    }
    expect(out.sync.name).toBe('NativeError');
    expect(out.after).toBe('scalar');
    expect(out.works).toBe(0x3c00);
  });

  it.skipIf(!native)('TFEXPORT_FORCE_ISA naming an ISA this machine lacks: ERR_TFEXPORT_UNAVAILABLE_ISA', () => {
    const missing = ALL_ISA_NAMES.find((n) => !api.availableIsas().includes(n))!;
    const r = runChild(
      { TFEXPORT_FORCE_ISA: missing },
      `try { t.f16ToF32Sync(new Uint16Array(1)); console.log('no error'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_TFEXPORT_UNAVAILABLE_ISA');
    expect(out.message).toContain(missing);
  });

  it('TFEXPORT_BACKEND=js computes the same bytes as this process, isa() is js, and warns nothing', () => {
    const r = runChild({ TFEXPORT_BACKEND: 'js' }, STDIN_HELPER + COMPUTE, poolHex);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning|TFEXPORT_NATIVE_FALLBACK/);
    const js = JSON.parse(r.stdout);
    expect(js.isa).toBe('js');
    expect(js.available).toEqual(['js']);
    const here = runChild({}, STDIN_HELPER + COMPUTE, poolHex);
    expect(here.status, here.stderr).toBe(0);
    const ref = JSON.parse(here.stdout);
    if (native) expect(ref.isa).not.toBe('js');
    for (const k of Object.keys(ref)) if (k !== 'isa' && k !== 'available') expect(js[k], k).toEqual(ref[k]);
  });

  it('an addon that fails to load falls back to the pure-TS kernels with exactly one warning', () => {
    const code = `
const a = t.f32ToF16Sync(new Float32Array([1, 2]));
const b = await t.crc32c(new Uint8Array([1, 2, 3]));
const c = t.quantizeAffineSync(new Float32Array([0, -0.1, 1.2]), 'uint8');
console.log(JSON.stringify({ isa: t.isa(), a: [...a], b, c: [...c.data] }));
`;
    const r = runChild({ TFEXPORT_PREBUILD: path.join(repoRoot, 'test', 'does-not-exist.node') }, code);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ isa: 'js', a: [0x3c00, 0x4000], b: api.crc32cSync(new Uint8Array([1, 2, 3])), c: [20, 0, 255] });
    expect(r.stderr.match(/TFEXPORT_NATIVE_FALLBACK/g)).toHaveLength(1);
    expect(r.stderr).toContain('Possible solutions');
  });

  it('TFEXPORT_BACKEND=native makes a load failure an error instead of a fallback', () => {
    const r = runChild(
      { TFEXPORT_BACKEND: 'native', TFEXPORT_PREBUILD: path.join(repoRoot, 'test', 'does-not-exist.node') },
      `try { t.isa(); console.log('no error'); } catch (e) { console.log(JSON.stringify({ code: e.code })); }`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ code: 'ERR_TFEXPORT_NATIVE_LOAD' });
  });

  it('an unknown TFEXPORT_BACKEND value is a ValidationError naming the variable', () => {
    const r = runChild(
      { TFEXPORT_BACKEND: 'gpu' },
      `try { t.f32ToF16Sync(new Float32Array(1)); console.log('no error'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_TFEXPORT_BAD_ARGUMENT');
    expect(out.message).toContain('for TFEXPORT_BACKEND but received "gpu"');
  });

  it.skipIf(!native || api.availableIsas().length < 2)('setIsa is per thread: a worker_thread keeps the default ISA', async () => {
    const before = api.isa();
    const other = api.availableIsas().find((n) => n !== before)!;
    api.setIsa(other);
    try {
      const worker = new Worker(
        `import(${JSON.stringify(pathToFileURL(distEntry).href)}).then((t) => require('node:worker_threads').parentPort.postMessage(t.isa()));`,
        { eval: true },
      );
      const workerIsa = await new Promise<string>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      expect(workerIsa).toBe(before);
      expect(api.isa()).toBe(other);
    } finally {
      api.setIsa(before);
    }
  });
});
