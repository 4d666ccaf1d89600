#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
/**
 * The `tfexport` bin. Installs the process-level handlers (interrupts remove pending
 * temporary output; a closed stdout pipe ends quietly) and runs {@link runCli}.
 */
import { cleanupPendingSync } from '../util/atomic.js';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run.js';

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  // A conversion interrupted half-way must leave no partial output behind.
  cleanupPendingSync();
  process.stderr.write(`tfexport: interrupted by ${signal}\n`);
  process.exit(signal === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM);
}
process.once('SIGINT', () => onSignal('SIGINT'));
process.once('SIGTERM', () => onSignal('SIGTERM'));
process.on('exit', () => {
  cleanupPendingSync();
});
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `tfexport bench kernels --json | head -1`: the reader went away; stop quietly.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.OK);
  throw e;
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// Exit as soon as stdout and stderr are flushed: a natural exit first tears down the whole
// heap and the isolate, which after a conversion costs a few milliseconds for nothing.
// (The 'exit' handler above still runs.)
let unflushed = 2;
const flushed = (): void => {
  if (--unflushed === 0) process.exit(code);
};
for (const s of [process.stdout, process.stderr]) {
  if (s.writableEnded || s.destroyed) flushed();
  else s.write('', flushed);
}
