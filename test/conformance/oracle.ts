// SPDX-License-Identifier: Apache-2.0
/**
 * The TensorFlow oracle for conformance tests: a Python with real TensorFlow 2.21, named by the
 * env var TFEXPORT_ORACLE_PYTHON, else `<repo>/.venv/bin/python` when that venv has TensorFlow.
 * Tests that need it skip, with one loud warning, when neither exists. The product itself never
 * needs Python.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What is printed when the oracle is missing. */
export const ORACLE_SKIP_MESSAGE =
  'conformance tests skipped: no TensorFlow venv; run bash .ci/run or python3 -m venv .venv && .venv/bin/pip install tensorflow-cpu==2.21.0';

function venvHasTensorFlow(python: string): boolean {
  const lib = path.resolve(path.dirname(python), '..', 'lib');
  try {
    return fs.readdirSync(lib).some((d) => d.startsWith('python') && fs.existsSync(path.join(lib, d, 'site-packages', 'tensorflow')));
  } catch {
    return false;
  }
}

let cached: { python: string | null } | undefined;

/**
 * Path of the oracle Python, or null (after printing {@link ORACLE_SKIP_MESSAGE} once) when there
 * is none. TFEXPORT_ORACLE_PYTHON wins when set; it must exist.
 */
export function oraclePython(): string | null {
  if (cached) return cached.python;
  const fromEnv = process.env.TFEXPORT_ORACLE_PYTHON;
  let python: string | null = null;
  if (fromEnv) {
    python = fs.existsSync(fromEnv) ? fromEnv : null;
    if (!python) console.warn(`TFEXPORT_ORACLE_PYTHON=${fromEnv} does not exist`);
  } else {
    const venv = path.join(repoRoot, '.venv', 'bin', 'python');
    if (fs.existsSync(venv) && venvHasTensorFlow(venv)) python = venv;
  }
  if (!python) console.warn(`\n*** ${ORACLE_SKIP_MESSAGE} ***\n`);
  cached = { python };
  return python;
}

/** Environment for oracle runs: quiet TF logs, CPU only, few threads (CI machines have 2 cores). */
export function oracleEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CPP_MIN_LOG_LEVEL: '2',
    CUDA_VISIBLE_DEVICES: '',
    TF_NUM_INTRAOP_THREADS: '1',
    TF_NUM_INTEROP_THREADS: '1',
    OMP_NUM_THREADS: '1',
    PYTHONHASHSEED: '0',
  };
}

/**
 * Runs a Python script with the oracle (one process: importing TensorFlow takes seconds, so batch
 * all the work of a test file into one call).
 * @param script path of the script (e.g. under test/fixtures/generators/)
 * @param args its arguments
 * @param timeoutMs kill it after this long (default 150 s)
 * @throws Error with the script's stderr tail when it fails, or when there is no oracle
 */
export function runOracle(script: string, args: string[], timeoutMs = 150_000): Promise<{ stdout: string; stderr: string }> {
  const python = oraclePython();
  if (!python) return Promise.reject(new Error(ORACLE_SKIP_MESSAGE));
  return new Promise((resolve, reject) => {
    execFile(python, [script, ...args], { env: oracleEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(script)} failed: ${err.message}\n${stderr.slice(-4000)}`));
      else resolve({ stdout, stderr });
    });
  });
}
