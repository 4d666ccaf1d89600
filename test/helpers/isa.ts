// SPDX-License-Identifier: Apache-2.0
/** Runs a block once per available ISA, restoring the active one afterwards. */
import { availableIsas, isa, setIsa } from '../../src/index.js';

/** The ISAs to test: every one availableIsas() lists (['js'] under the pure-TS backend). */
export function isasUnderTest(): string[] {
  return availableIsas();
}

/** Calls fn with the ISA selected, then restores the previous one (also on failure). */
export async function withIsa<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = isa();
  setIsa(name);
  try {
    return await fn();
  } finally {
    setIsa(previous);
  }
}
