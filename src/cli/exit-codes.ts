// SPDX-License-Identifier: Apache-2.0
/** Process exit statuses of the tfexport CLI (stable: scripts may test them). */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The command failed (bad input file, I/O error, native error…). */
  FAILURE: 1,
  /** Usage error: unknown flag, missing or bad value, wrong number of arguments. */
  USAGE: 2,
  /** The requested feature arrives with a later release. */
  NOT_IMPLEMENTED: 3,
  /** Interrupted by SIGINT (128 + 2). */
  SIGINT: 130,
  /** Terminated by SIGTERM (128 + 15). */
  SIGTERM: 143,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
