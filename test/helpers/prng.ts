// SPDX-License-Identifier: Apache-2.0
/** A small seeded PRNG (mulberry32) so that random test data is reproducible. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Float32Array of normals times 10^k with k uniform in [minExp, maxExp]. */
  floats(n: number, minExp = -3, maxExp = 3): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; ++i) a[i] = this.normal() * 10 ** (minExp + (maxExp - minExp) * this.float());
    return a;
  }

  /** Float32Array of uniformly random bit patterns (NaNs, Infs, subnormals included). */
  floatBits(n: number): Float32Array {
    const u = new Uint32Array(n);
    for (let i = 0; i < n; ++i) u[i] = this.u32();
    return new Float32Array(u.buffer);
  }

  /** Random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; ++i) b[i] = this.u32() & 0xff;
    return b;
  }
}
