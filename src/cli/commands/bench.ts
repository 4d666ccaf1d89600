// SPDX-License-Identifier: Apache-2.0
/** `tfexport bench <suite>`: benchmark suites (today: `kernels`). */
import type { CommandSpec, CliIo, ParsedArgs } from '../args.js';
import { usageError } from '../args.js';
import { ExitCode } from '../exit-codes.js';

/** Benchmark suites. */
export const BENCH_SUITES = ['kernels'] as const;

/** The `bench` command. */
export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: 'Run a benchmark suite (kernels: native SIMD, scalar and pure-JS kernels vs memcpy).',
  description:
    'kernels: for each kernel, in one run, measures memcpy of the same N-element float32 buffer ' +
    '(the baseline), the native kernel on the best ISA with 1 thread and with all threads, the ' +
    'native scalar kernel on 1 thread and the pure-JS reference. Reports GB/s of input bytes and ' +
    'ratio = t_memcpy / t_kernel (per element). Median of --runs runs after a warm-up run.',
  positionals: [{ name: 'suite', description: `The suite to run: ${BENCH_SUITES.join(', ')}.` }],
  flags: [
    { name: 'json', type: 'boolean', default: false, description: 'Print one JSON object per line: {name, impl, threads, gbps, ratio, medianMs, n, isa}, after a first {"name":"meta",...} line with the machine.' },
    { name: 'size', type: 'integer', valueName: 'N', min: 4096, default: 16777216, description: 'Elements per buffer (float32 input = 4N bytes; the default 16Mi = 64 MiB is beyond typical L3).' },
    { name: 'runs', type: 'integer', valueName: 'R', min: 1, default: 7, description: 'Timed runs per measurement (the median is reported; use >= 5).' },
    { name: 'js-runs', type: 'integer', valueName: 'R', min: 1, default: 3, description: 'Timed runs of the pure-JS reference kernels (slower).' },
    { name: 'threads', type: 'integer', valueName: 'T', min: 1, description: 'Threads of the "all threads" rows. Default: all available cores.' },
    { name: 'filter', type: 'list', valueName: 'NAMES', description: 'Only these kernels (comma-separated names, e.g. f32-f16,crc32c).' },
    { name: 'js', type: 'boolean', default: true, description: 'Include the pure-JS reference kernels (--no-js to skip).' },
  ],
  examples: ['tfexport bench kernels', 'tfexport bench kernels --json --size 4194304 --runs 9'],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const suite = args.positionals[0];
    if (!(BENCH_SUITES as readonly string[]).includes(suite)) {
      throw usageError(`unknown benchmark suite ${JSON.stringify(suite)} (expected one of: ${BENCH_SUITES.join(', ')})`, '<suite>');
    }
    const { runKernelBench, KERNEL_NAMES } = await import('../../bench/kernels.js');
    const filter = args.flags['filter'] as string[] | undefined;
    if (filter) {
      for (const name of filter) {
        if (!KERNEL_NAMES.includes(name)) {
          throw usageError(`unknown kernel ${JSON.stringify(name)} in --filter (expected some of: ${KERNEL_NAMES.join(', ')})`, '--filter');
        }
      }
    }
    await runKernelBench({
      size: args.flags['size'] as number,
      runs: args.flags['runs'] as number,
      jsRuns: args.flags['js-runs'] as number,
      threads: args.flags['threads'] as number | undefined,
      filter,
      js: args.flags['js'] as boolean,
      json: args.flags['json'] as boolean,
      out: io.stdout,
      err: io.stderr,
    });
    return ExitCode.OK;
  },
};
