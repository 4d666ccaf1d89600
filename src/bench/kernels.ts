// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel benchmark behind `tfexport bench kernels` (and bench/kernels.mjs).
 *
 * For each kernel, in one process: the native kernel on the best ISA with 1 thread and with
 * all threads, the native scalar kernel (setIsa('scalar')) on 1 thread, and the pure-JS
 * reference (src/kernels/reference.ts), against a memcpy of the same N-element float32
 * buffer measured in the same run (Float32Array.prototype.set into a preallocated
 * Float32Array, which V8 performs as one memmove). Buffers are allocated and pre-faulted
 * once and reused; each measurement is one warm-up run plus the median of R timed runs.
 *
 * Reported per row: GB/s of *input* bytes, and ratio = t_memcpy / t_kernel for the same
 * element count (1.0 = as fast as copying the float32 input; above 1 is faster than the copy,
 * which kernels with narrower inputs or outputs can be).
 */
import os from 'node:os';
import { requireBenchBinding, defaultThreads, type BenchBinding } from '../kernels/bench-binding.js';
import {
  crc32cRef,
  dequantizeAffineRef,
  f16ToF32Ref,
  f32ToF16Ref,
  minMaxRef,
  quantizeAffineRangeRef,
  quantizeAffineRef,
  quantizeInt8PerChannelRef,
  scalePerChannelRef,
} from '../kernels/reference.js';

/** Kernel names accepted by `--filter`, in report order. */
export const KERNEL_NAMES: readonly string[] = [
  'f32-f16',
  'f16-f32',
  'quantize-u8',
  'quantize-u16',
  'quantize-u8-range',
  'dequantize-u8',
  'dequantize-u16',
  'int8-perchannel-axis-last',
  'int8-perchannel-axis0',
  'int8-perchannel-hwio-3x3x256x256',
  'scale-perchannel-axis-last',
  'crc32c',
];

/** One measured row. */
export interface BenchRow {
  /** Kernel name (or `memcpy`). */
  name: string;
  /** `memcpy`, `native` (best ISA), `native-scalar` or `js` (pure-TS reference). */
  impl: string;
  threads: number;
  /** Input bytes per second / 1e9. */
  gbps: number;
  /** t_memcpy(n float32 elements) / t_kernel(n elements), memcpy measured in this run. */
  ratio: number;
  medianMs: number;
  /** Elements processed per run. */
  n: number;
  /** ISA the native kernel ran on (`js` for the reference, `-` for memcpy). */
  isa: string;
}

/** Machine and run description (the table header; its cpu/node/bestIsa are on every JSON line). */
export interface BenchMeta {
  name: 'meta';
  cpu: string;
  logicalCores: number;
  node: string;
  platform: string;
  bestIsa: string | null;
  availableIsas: string[];
  threads: number;
  n: number;
  runs: number;
  jsRuns: number;
  memcpy: string;
  nativeError?: string;
}

/** Options of {@link runKernelBench}. */
export interface KernelBenchOptions {
  /** Elements per buffer (rounded down to a multiple of 256; default 16Mi). */
  size?: number;
  /** Timed runs per native/memcpy measurement (default 7). */
  runs?: number;
  /** Timed runs per pure-JS measurement (default 3). */
  jsRuns?: number;
  /** Threads of the "all threads" rows (default: all available cores). */
  threads?: number;
  /** Only these kernels. */
  filter?: readonly string[];
  /** Include the pure-JS rows (default true). */
  js?: boolean;
  /** JSON lines instead of a table. */
  json?: boolean;
  /** Where results go (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Where notes go (default process.stderr). */
  err?: NodeJS.WritableStream;
}

const MEMCPY_METHOD = 'Float32Array.prototype.set(Float32Array) into a preallocated Float32Array (V8: one memmove)';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One warm-up call, then the median wall time of `runs` calls, in milliseconds. */
export function timeMedian(fn: () => void, runs: number): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** Fills with deterministic finite floats in [-2, 2) (xorshift32). */
function fillRandom(a: Float32Array, seed = 0x9e3779b9): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 4 - 2;
  }
}

interface KernelCase {
  name: string;
  /** Elements processed. */
  n: number;
  inputBytes: number;
  /** Native call with a thread count (null when the binding has no thread parameter). */
  native: ((b: BenchBinding, threads: number) => void) | null;
  threaded: boolean;
  js: () => void;
}

const COLS = [
  ['kernel', 34],
  ['impl', 14],
  ['isa', 7],
  ['thr', 4],
  ['elements', 10],
  ['median ms', 10],
  ['GB/s in', 8],
  ['ratio', 7],
] as const;

function tableLine(cells: string[]): string {
  return cells
    .map((c, i) => (i < 3 ? c.padEnd(COLS[i][1]) : c.padStart(COLS[i][1])))
    .join(' ')
    .trimEnd();
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/**
 * Runs the kernel benchmark and writes its rows (table or JSON lines) as they are measured.
 * @param options sizes, runs, threads, filter, output format and streams
 * @returns the machine description and every row
 */
export async function runKernelBench(options: KernelBenchOptions = {}): Promise<{ meta: BenchMeta; rows: BenchRow[] }> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const n = Math.max(256, Math.floor((options.size ?? 16 * 1024 * 1024) / 256) * 256);
  const runs = options.runs ?? 7;
  const jsRuns = options.jsRuns ?? 3;
  const allThreads = options.threads ?? defaultThreads();
  const wanted = (name: string) => !options.filter || options.filter.includes(name);

  let native: BenchBinding | null = null;
  let nativeError: string | undefined;
  try {
    native = requireBenchBinding();
  } catch (e) {
    nativeError = (e as Error).message.split('\n')[0];
  }
  const originalIsa = native?.isa();
  const best = native ? native.bestIsa() : null;

  const meta: BenchMeta = {
    name: 'meta',
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown',
    logicalCores: os.cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    bestIsa: best,
    availableIsas: native ? native.availableIsas() : [],
    threads: allThreads,
    n,
    runs,
    jsRuns,
    memcpy: MEMCPY_METHOD,
    ...(nativeError ? { nativeError } : {}),
  };

  const rows: BenchRow[] = [];
  const emit = (row: BenchRow) => {
    rows.push(row);
    // Every JSON line is one measurement {name, impl, threads, gbps, ...} that also carries the
    // machine it was taken on, so lines can be filtered or merged on their own.
    if (options.json) out.write(`${JSON.stringify({ ...row, cpu: meta.cpu, node: meta.node, bestIsa: meta.bestIsa, ...(nativeError ? { nativeError } : {}) })}\n`);
    else {
      out.write(`${tableLine([
        row.name, row.impl, row.isa, String(row.threads), String(row.n), fmt(row.medianMs, row.medianMs < 0.1 ? 4 : row.medianMs < 10 ? 3 : 2), fmt(row.gbps, 2), fmt(row.ratio, 2),
      ])}\n`);
    }
  };

  if (!options.json) {
    out.write(
      [
        'tfexport bench kernels',
        `CPU:     ${meta.cpu} (${meta.logicalCores} logical cores), ${meta.platform}`,
        `Node:    ${meta.node}`,
        `ISA:     best ${best ?? 'n/a'} (available: ${meta.availableIsas.join(', ') || 'none'})${nativeError ? ` [native addon unavailable: ${nativeError}]` : ''}`,
        `Threads: 1 and ${allThreads} (all)`,
        `N:       ${n} elements (float32 input ${(n * 4 / 2 ** 20).toFixed(1)} MiB); median of ${runs} runs after a warm-up (pure JS: ${jsRuns})`,
        `memcpy:  ${MEMCPY_METHOD}`,
        'ratio = t_memcpy / t_kernel for the same element count; GB/s counts input bytes.',
        '',
        tableLine(COLS.map((c) => c[0])),
        tableLine(COLS.map((c) => '-'.repeat(c[1]))),
      ].join('\n') + '\n',
    );
  }

  // ---- buffers: allocated once, pre-faulted, reused by every run -----------------------
  const src = new Float32Array(n);
  fillRandom(src);
  const srcBytes = new Uint8Array(src.buffer);
  const memDst = new Float32Array(n).fill(0);
  const f16 = new Uint16Array(n).fill(0); // f32->f16 output, f16->f32 input
  const f32Out = new Float32Array(n).fill(0);
  const u8 = new Uint8Array(n).fill(0); // quantize-u8 output, dequantize-u8 input
  const u16 = new Uint16Array(n).fill(0);
  const i8 = new Int8Array(n).fill(0);
  const scales = new Float32Array(256).fill(0);
  const bnScale = Float64Array.from({ length: 256 }, (_, c) => 0.5 + c / 256);

  // Inputs of the decode kernels: produced once, by native when available.
  let p8: { scale: number; min: number };
  let p16: { scale: number; min: number };
  let range: { min: number; max: number };
  if (native) {
    range = native.minMaxSync(src, allThreads);
    native.f32ToF16Sync(src, f16, allThreads);
    p8 = native.quantizeAffineSync(src, u8, allThreads);
    p16 = native.quantizeAffineSync(src, u16, allThreads);
  } else {
    range = minMaxRef(src);
    f32ToF16Ref(src, f16);
    p8 = quantizeAffineRef(src, u8);
    p16 = quantizeAffineRef(src, u16);
  }

  const hwioN = 3 * 3 * 256 * 256;
  const allCases: KernelCase[] = [
    {
      name: 'f32-f16', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => b.f32ToF16Sync(src, f16, t),
      js: () => f32ToF16Ref(src, f16),
    },
    {
      name: 'f16-f32', n, inputBytes: 2 * n, threaded: true,
      native: (b, t) => b.f16ToF32Sync(f16, f32Out, t),
      js: () => f16ToF32Ref(f16, f32Out),
    },
    {
      name: 'quantize-u8', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => void b.quantizeAffineSync(src, u8, t),
      js: () => void quantizeAffineRef(src, u8),
    },
    {
      name: 'quantize-u16', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => void b.quantizeAffineSync(src, u16, t),
      js: () => void quantizeAffineRef(src, u16),
    },
    {
      // A chunk of a larger tensor: codes with a given range (no min/max pass).
      name: 'quantize-u8-range', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => void b.quantizeAffineRangeSync(src, range.min, range.max, u8, t),
      js: () => void quantizeAffineRangeRef(src, range.min, range.max, u8),
    },
    {
      name: 'dequantize-u8', n, inputBytes: n, threaded: true,
      native: (b, t) => b.dequantizeAffineSync(u8, p8.scale, p8.min, f32Out, t),
      js: () => dequantizeAffineRef(u8, p8.scale, p8.min, f32Out),
    },
    {
      name: 'dequantize-u16', n, inputBytes: 2 * n, threaded: true,
      native: (b, t) => b.dequantizeAffineSync(u16, p16.scale, p16.min, f32Out, t),
      js: () => dequantizeAffineRef(u16, p16.scale, p16.min, f32Out),
    },
    {
      // HWIO-like [n/256, 256] with the channel axis last (outer = n/256, inner = 1).
      name: 'int8-perchannel-axis-last', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => b.quantizeInt8PerChannelSync(src, n / 256, 256, 1, i8, scales, t),
      js: () => quantizeInt8PerChannelRef(src, n / 256, 256, 1, i8, scales),
    },
    {
      // [256, n/256] with the channel axis first (outer = 1, inner = n/256).
      name: 'int8-perchannel-axis0', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => b.quantizeInt8PerChannelSync(src, 1, 256, n / 256, i8, scales, t),
      js: () => quantizeInt8PerChannelRef(src, 1, 256, n / 256, i8, scales),
    },
    {
      // A real conv kernel, HWIO [3,3,256,256], channel last: 2.25 MiB, cache-resident.
      name: 'int8-perchannel-hwio-3x3x256x256', n: Math.min(hwioN, n), inputBytes: 4 * Math.min(hwioN, n), threaded: true,
      native: (b, t) => b.quantizeInt8PerChannelSync(src.subarray(0, hwioN), hwioN / 256, 256, 1, i8.subarray(0, hwioN), scales, t),
      js: () => quantizeInt8PerChannelRef(src.subarray(0, hwioN), hwioN / 256, 256, 1, i8.subarray(0, hwioN), scales),
    },
    {
      // Batch-norm folding into an HWIO-like filter [n/256, 256] (channel last).
      name: 'scale-perchannel-axis-last', n, inputBytes: 4 * n, threaded: true,
      native: (b, t) => b.scalePerChannelSync(src, n / 256, 256, 1, bnScale, f32Out, t),
      js: () => scalePerChannelRef(src, n / 256, 256, 1, bnScale, f32Out),
    },
    {
      name: 'crc32c', n, inputBytes: 4 * n, threaded: false,
      native: (b) => void b.crc32cSync(srcBytes),
      js: () => void crc32cRef(srcBytes),
    },
  ];
  const cases = allCases.filter((c) => wanted(c.name) && !(c.name === 'int8-perchannel-hwio-3x3x256x256' && n < hwioN));

  // ---- the baseline, measured in this run ---------------------------------------------
  const memcpyMs = timeMedian(() => memDst.set(src), Math.max(runs, 5));
  const memcpyPerElem = memcpyMs / n;
  emit({ name: 'memcpy', impl: 'memcpy', threads: 1, gbps: (4 * n) / (memcpyMs / 1e3) / 1e9, ratio: 1, medianMs: memcpyMs, n, isa: '-' });

  const row = (c: KernelCase, impl: string, isa: string, threads: number, ms: number): BenchRow => ({
    name: c.name,
    impl,
    threads,
    gbps: c.inputBytes / (ms / 1e3) / 1e9,
    ratio: (memcpyPerElem * c.n) / ms,
    medianMs: ms,
    n: c.n,
    isa,
  });

  try {
    for (const c of cases) {
      // Yield to the event loop between kernels so output streams flush.
      await new Promise((r) => setImmediate(r));
      if (native && c.native && best) {
        const b = native;
        const k = c.native;
        b.setIsa(best);
        emit(row(c, 'native', best, 1, timeMedian(() => k(b, 1), runs)));
        if (c.threaded) emit(row(c, 'native', best, allThreads, timeMedian(() => k(b, allThreads), runs)));
        b.setIsa('scalar');
        emit(row(c, 'native-scalar', 'scalar', 1, timeMedian(() => k(b, 1), runs)));
        b.setIsa(best);
      }
      if (options.js ?? true) emit(row(c, 'js', 'js', 1, timeMedian(c.js, jsRuns)));
    }
  } finally {
    if (native && originalIsa) native.setIsa(originalIsa);
  }
  if (!native) err.write(`tfexport bench: native rows skipped (${nativeError}); only memcpy and pure-JS were measured\n`);
  return { meta, rows };
}
