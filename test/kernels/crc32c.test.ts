// SPDX-License-Identifier: Apache-2.0
/**
 * CRC-32C: published check values, incremental chaining, the TensorBundle/LevelDB mask, and an
 * independent check of the mask against the block trailers of real TensorBundle .index files
 * (LevelDB SSTables) under ../shared/fixtures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { crc32cRef } from '../../src/kernels/reference.js';
import { repoRoot, sharedFixturesDir } from '../helpers/paths.js';
import { Prng } from '../helpers/prng.js';
import { allBlocks, type BlockWithTrailer } from '../helpers/sstable.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** RFC 3720 (iSCSI) B.4 CRC-32C examples, plus the common "123456789" check value. */
const KNOWN: [string, Uint8Array, number][] = [
  ['"123456789"', ascii('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 ascending bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 descending bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ['empty', new Uint8Array(0), 0],
];

describe('crc32c check values', () => {
  it.each(KNOWN)('%s (reference)', (_name, data, expected) => {
    expect(crc32cRef(data)).toBe(expected);
  });

  describe.each(api.availableIsas())('isa %s', (isaName) => {
    let previous = '';
    beforeAll(() => {
      previous = api.isa();
      api.setIsa(isaName);
    });
    afterAll(() => api.setIsa(previous));

    it.each(KNOWN)('%s, sync and async', async (_name, data, expected) => {
      expect(api.crc32cSync(data)).toBe(expected);
      expect(await api.crc32c(data)).toBe(expected);
    });
  });

  it('accepts any view: a Buffer, a DataView and a Uint32Array over the same bytes agree', () => {
    const bytes = new Prng(3).bytes(64);
    const expected = crc32cRef(bytes);
    expect(api.crc32cSync(Buffer.from(bytes))).toBe(expected);
    expect(api.crc32cSync(new DataView(bytes.buffer))).toBe(expected);
    expect(api.crc32cSync(new Uint32Array(bytes.buffer))).toBe(expected);
  });
});

describe('crc32c chaining', () => {
  it('extending with init equals the one-shot CRC at every split point', async () => {
    const data = new Prng(11).bytes(300);
    const whole = api.crc32cSync(data);
    for (let split = 0; split <= data.length; split += 7) {
      const head = api.crc32cSync(data.subarray(0, split));
      expect(api.crc32cSync(data.subarray(split), head), `split ${split}`).toBe(whole);
      expect(crc32cRef(data.subarray(split), crc32cRef(data.subarray(0, split)))).toBe(whole);
    }
    expect(await api.crc32c(ascii('56789'), await api.crc32c(ascii('1234')))).toBe(0xe3069283);
  });
});

describe('crc32c mask', () => {
  it('maskCrc32c / unmaskCrc32c round-trip and differ from the plain CRC', () => {
    const r = new Prng(5);
    for (const crc of [0, 1, 0xffffffff, 0x80000000, 0xe3069283, ...Array.from({ length: 200 }, () => r.u32())]) {
      const masked = api.maskCrc32c(crc);
      expect(masked).toBeGreaterThanOrEqual(0);
      expect(masked).toBeLessThanOrEqual(0xffffffff);
      expect(api.unmaskCrc32c(masked)).toBe(crc);
      expect(api.unmaskCrc32c(api.unmaskCrc32c(api.maskCrc32c(masked)))).toBe(crc);
      expect(masked).not.toBe(crc);
    }
  });

  it('maskedCrc32c is the mask of crc32c; the formula matches by hand', async () => {
    const data = ascii('123456789');
    const crc = 0xe3069283;
    const byHand = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
    expect(api.maskCrc32c(crc)).toBe(byHand);
    expect(api.maskedCrc32cSync(data)).toBe(byHand);
    expect(await api.maskedCrc32c(data)).toBe(byHand);
  });
});

/** Every TensorBundle index file (variables.index, model.index, ckpt.index) under dir. */
function findIndexFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.index')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const haveFixtures = existsSync(sharedFixturesDir);
if (!haveFixtures) {
  console.warn(`crc32c.test: ${sharedFixturesDir} is absent; skipping the TensorBundle trailer checks`);
}
const indexFiles = haveFixtures ? findIndexFiles(sharedFixturesDir) : [];

describe('masked crc32c against real TensorBundle (.index SSTable) block trailers', () => {
  it.skipIf(!haveFixtures)('finds TensorBundle index files in the shared fixtures', () => {
    expect(indexFiles.some((f) => path.basename(f) === 'variables.index')).toBe(true);
  });

  it.skipIf(!haveFixtures).each(indexFiles.map((f) => [path.relative(sharedFixturesDir, f), f]))(
    '%s: every block trailer holds the masked CRC of block + type byte',
    async (_rel, file) => {
      const bytes = new Uint8Array(readFileSync(file));
      const { metaindex, index, data } = allBlocks(bytes);
      const blocks: [string, BlockWithTrailer][] = [
        ['metaindex', metaindex],
        ['index', index],
        ...data.map((b, i) => [`data block ${i}`, b] as [string, BlockWithTrailer]),
      ];
      expect(index.type === 0 ? data.length : 1, 'an uncompressed index lists at least one data block').toBeGreaterThan(0);
      for (const [what, b] of blocks) {
        expect([0, 1], `${what}: compression type`).toContain(b.type);
        expect(api.maskedCrc32cSync(b.covered), `${what} @${b.handle.offset}`).toBe(b.storedMaskedCrc);
        expect(await api.maskedCrc32c(b.covered), `${what} async`).toBe(b.storedMaskedCrc);
        expect(api.unmaskCrc32c(b.storedMaskedCrc), `${what} unmasked`).toBe(crc32cRef(b.covered));
      }
      // A flipped byte must break the check (the comparison can fail).
      const corrupt = Uint8Array.from(index.covered);
      corrupt[0] = corrupt[0]! ^ 0x01;
      expect(api.maskedCrc32cSync(corrupt)).not.toBe(index.storedMaskedCrc);
    },
  );
});

const python = path.join(repoRoot, '.venv', 'bin', 'python');

describe('crc32c against an independent Python implementation (optional)', () => {
  it.skipIf(!existsSync(python))('bitwise Python CRC-32C agrees on random buffers', () => {
    const r = new Prng(17);
    const buffers = [ascii('123456789'), new Uint8Array(0), ...Array.from({ length: 20 }, (_, i) => r.bytes(i * 13 + 1))];
    const script = [
      'import sys',
      'def crc(b):',
      '    c = 0xFFFFFFFF',
      '    for x in b:',
      '        c ^= x',
      '        for _ in range(8):',
      '            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)',
      '    return c ^ 0xFFFFFFFF',
      'for line in sys.stdin.read().split("\\n"):',
      '    if line != "#": print(crc(bytes.fromhex(line[1:])))',
    ].join('\n');
    const input = buffers.map((b) => `x${Buffer.from(b).toString('hex')}`).join('\n');
    const res = spawnSync(python, ['-c', script], { input, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const got = res.stdout.trim().split('\n').map(Number);
    expect(got).toEqual(buffers.map((b) => api.crc32cSync(b)));
  });
});
