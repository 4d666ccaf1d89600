// SPDX-License-Identifier: Apache-2.0
/** The bounds-checked raw Snappy decompressor. */
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { snappyDecompress } from '../../../src/formats/tensorbundle/snappy.js';

const ctx = { file: 'test.index', field: 'data block 0' };
const dec = (bytes: number[]): string => Buffer.from(snappyDecompress(Uint8Array.from(bytes), ctx)).toString('latin1');

function expectSnappyError(bytes: number[], fragment: string): void {
  let err: unknown;
  try {
    snappyDecompress(Uint8Array.from(bytes), ctx);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as FormatError).code).toBe('ERR_TFEXPORT_SNAPPY');
  expect((err as FormatError).message).toContain('test.index');
  expect((err as FormatError).message).toContain('data block 0');
  expect((err as FormatError).message).toContain(fragment);
}

describe('snappyDecompress', () => {
  it('decodes literals and all three copy kinds, including overlapping copies', () => {
    // "abc" literal then copy-1 (len 4, offset 3) -> "abcabca"
    expect(dec([7, 2 << 2, 0x61, 0x62, 0x63, 0x01 | (0 << 2) | (0 << 5), 3])).toBe('abcabca');
    // "ab" literal then copy-2 of length 6 offset 2 (overlap) -> "abababab"
    expect(dec([8, 1 << 2, 0x61, 0x62, 0x02 | ((6 - 1) << 2), 2, 0])).toBe('abababab');
    // "x" then copy-4 length 3 offset 1 -> "xxxx"
    expect(dec([4, 0, 0x78, 0x03 | ((3 - 1) << 2), 1, 0, 0, 0])).toBe('xxxx');
    // long literal with a 1-byte length extension (tag 60 << 2): 61 bytes
    const lit = Array.from({ length: 61 }, (_, i) => 65 + (i % 26));
    expect(dec([61, 60 << 2, 60, ...lit])).toBe(String.fromCharCode(...lit));
    // empty
    expect(dec([0])).toBe('');
  });

  it('refuses malformed streams with a FormatError naming the file and block', () => {
    expectSnappyError([], 'truncated length preamble');
    expectSnappyError([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'longer than 5 bytes');
    expectSnappyError([5, 4 << 2, 0x61], 'runs past the input');
    expectSnappyError([2, 4 << 2, 1, 2, 3, 4, 5], 'runs past the declared length');
    expectSnappyError([4, 0x01, 0], 'copy offset 0');
    expectSnappyError([8, 0, 0x61, 0x01 | (3 << 2), 5], 'copy offset 5 outside the 1 bytes written');
    expectSnappyError([3, 0, 0x61], 'produced 1 bytes, the preamble declared 3');
    expectSnappyError([4, 0, 0x61, 0x02], 'truncated copy');
  });

  it('refuses declared sizes no valid stream of that length can reach (no allocation bomb)', () => {
    // declares 100000 bytes from a 4-byte stream
    expectSnappyError([0xa0, 0x8d, 0x06, 0], 'more than 4 compressed bytes can hold');
    expectSnappyError([0xff, 0xff, 0xff, 0xff, 0x0f, 0], 'exceeds the limit');
    expect(() => snappyDecompress(Uint8Array.from([0x80, 0x80, 0x04, 0]), ctx, 1024)).toThrow(/exceeds the limit of 1024 bytes/);
  });
});
