// SPDX-License-Identifier: Apache-2.0
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fsp, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  atomicOutputDir,
  checkOutputDir,
  cleanupPendingSync,
  pendingTempPaths,
  tempSiblingPath,
  writeFileAtomic,
  writeNewFile,
} from '../../src/util/atomic.js';
import { IoError, ValidationError } from '../../src/errors.js';

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tfexport-atomic-'));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('tempSiblingPath', () => {
  it('names a hidden sibling with pid, call counter and random suffix, never the same twice', () => {
    const p = tempSiblingPath(path.join(root, 'out'));
    expect(path.dirname(p)).toBe(root);
    expect(path.basename(p)).toMatch(new RegExp(`^\\.out\\.tmp-${process.pid}-\\d+-[0-9a-f]{8}$`));
    const names = new Set(Array.from({ length: 1000 }, () => tempSiblingPath(path.join(root, 'out'))));
    expect(names.size).toBe(1000);
    expect(names.has(p)).toBe(false);
    expect(path.basename(tempSiblingPath(path.join(root, 'out'), 'old'))).toMatch(/^\.out\.old-/);
  });
});

describe('writeNewFile', () => {
  it('writes strings, views and lists of views in place, and refuses an existing file without touching it', async () => {
    const f = path.join(root, 'model.json');
    await writeNewFile(f, '{"a":1}');
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}');
    const g = path.join(root, 'w.bin');
    await writeNewFile(g, [Uint8Array.of(1, 2), new Uint16Array([0x0403]).subarray(0, 1)], { fsync: false });
    expect([...readFileSync(g)]).toEqual([1, 2, 3, 4]);
    expect(readdirSync(root).sort()).toEqual(['model.json', 'w.bin']);
    const err = await writeNewFile(f, 'other').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).message).toContain(f);
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}');
  });
});

describe('writeFileAtomic', () => {
  it('writes strings, views and lists of views, replacing an existing file', async () => {
    const f = path.join(root, 'model.json');
    await writeFileAtomic(f, '{"a":1}');
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}');
    await writeFileAtomic(f, new Float32Array([1.5]));
    expect([...readFileSync(f)]).toEqual([...new Uint8Array(new Float32Array([1.5]).buffer)]);
    await writeFileAtomic(f, [new Uint8Array([1, 2]), new Uint16Array([0x0403]), Buffer.from('xy')]);
    expect([...readFileSync(f)]).toEqual([1, 2, 3, 4, 0x78, 0x79]);
    expect(readdirSync(root)).toEqual(['model.json']);
  });

  it('writes a view at an offset into a larger buffer', async () => {
    const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const f = path.join(root, 'x.bin');
    await writeFileAtomic(f, big.subarray(2, 5), { fsync: false });
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
  });

  it('fails with a typed IoError naming the file and leaves no temporary file', async () => {
    const f = path.join(root, 'missing-dir', 'x.json');
    const err = await writeFileAtomic(f, 'x').catch((e) => e);
    expect(err).toBeInstanceOf(IoError);
    expect(err.code).toBe('ERR_TFEXPORT_IO');
    expect(err.message).toContain(f);
    expect(err.context.file).toBe(f);
    expect(readdirSync(root)).toEqual([]);

    // Renaming onto a non-empty directory fails: the temp file is removed, the dir kept.
    const d = path.join(root, 'taken');
    mkdirSync(d);
    writeFileSync(path.join(d, 'keep'), 'k');
    const err2 = await writeFileAtomic(d, 'x').catch((e) => e);
    expect(err2).toBeInstanceOf(IoError);
    expect(readdirSync(root)).toEqual(['taken']);
    expect(pendingTempPaths().filter((p) => p.startsWith(root))).toEqual([]);
  });

  it('validates its path argument', async () => {
    await expect(writeFileAtomic('', 'x')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('atomicOutputDir', () => {
  it('builds in a hidden sibling and renames into place (creating parents)', async () => {
    const out = path.join(root, 'a', 'b', 'model');
    let seen = '';
    const result = await atomicOutputDir(out, async (tmp) => {
      seen = tmp;
      expect(path.dirname(tmp)).toBe(path.dirname(out));
      expect(path.basename(tmp)).toMatch(/^\.model\.tmp-\d+-\d+-[0-9a-f]{8}$/);
      expect(existsSync(out)).toBe(false);
      await writeFileAtomic(path.join(tmp, 'model.json'), '{}');
      await fsp.mkdir(path.join(tmp, 'sub'));
      await fsp.writeFile(path.join(tmp, 'sub', 'w.bin'), 'w');
      return 42;
    });
    expect(result).toBe(42);
    expect(existsSync(seen)).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'sub']);
    expect(readdirSync(path.dirname(out))).toEqual(['model']);
  });

  it('removes the temporary directory and leaves no output when the build fails', async () => {
    const out = path.join(root, 'model');
    let tmpSeen = '';
    const err = await atomicOutputDir(out, async (tmp) => {
      tmpSeen = tmp;
      await fsp.writeFile(path.join(tmp, 'group1-shard1of2.bin'), 'partial');
      throw new Error('writer failed');
    }).catch((e) => e);
    expect(err.message).toBe('writer failed'); // rethrown unchanged
    expect(existsSync(tmpSeen)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
    expect(pendingTempPaths()).not.toContain(tmpSeen);
  });

  it('refuses a non-empty output directory unless overwrite is set, before building', async () => {
    const out = path.join(root, 'model');
    mkdirSync(out);
    writeFileSync(path.join(out, 'old.json'), 'old');
    let built = false;
    const err = await atomicOutputDir(out, () => {
      built = true;
    }).catch((e) => e);
    expect(err).toBeInstanceOf(IoError);
    expect(err.code).toBe('ERR_TFEXPORT_OUTPUT_EXISTS');
    expect(err.message).toContain(out);
    expect(err.message).toContain('overwrite');
    expect(built).toBe(false);
    expect(readdirSync(out)).toEqual(['old.json']);
    expect(readdirSync(root)).toEqual(['model']);
  });

  it('replaces a non-empty directory with overwrite, leaving no .old/.tmp siblings', async () => {
    const out = path.join(root, 'model');
    mkdirSync(out);
    writeFileSync(path.join(out, 'old.json'), 'old');
    await atomicOutputDir(out, (tmp) => fsp.writeFile(path.join(tmp, 'new.json'), 'new'), { overwrite: true });
    expect(readdirSync(out)).toEqual(['new.json']);
    expect(readdirSync(root)).toEqual(['model']);
  });

  it('keeps the previous output intact when an overwriting build fails', async () => {
    const out = path.join(root, 'model');
    mkdirSync(out);
    writeFileSync(path.join(out, 'old.json'), 'old');
    await expect(atomicOutputDir(out, async (tmp) => {
      await fsp.writeFile(path.join(tmp, 'new.json'), 'new');
      throw new Error('boom');
    }, { overwrite: true })).rejects.toThrow('boom');
    expect(readdirSync(out)).toEqual(['old.json']);
    expect(readdirSync(root)).toEqual(['model']);
  });

  it('replaces an existing empty directory without overwrite', async () => {
    const out = path.join(root, 'model');
    mkdirSync(out);
    await atomicOutputDir(out, (tmp) => fsp.writeFile(path.join(tmp, 'a'), 'a'));
    expect(readdirSync(out)).toEqual(['a']);
  });

  it('refuses an output path that is a file, even with overwrite', async () => {
    const out = path.join(root, 'model');
    writeFileSync(out, 'file');
    for (const overwrite of [false, true]) {
      const err = await atomicOutputDir(out, () => undefined, { overwrite }).catch((e) => e);
      expect(err).toBeInstanceOf(IoError);
      expect(err.code).toBe('ERR_TFEXPORT_OUTPUT_NOT_DIRECTORY');
    }
    expect(readFileSync(out, 'utf8')).toBe('file');
  });

  it('refuses when the output appears (non-empty) while building', async () => {
    const out = path.join(root, 'model');
    const err = await atomicOutputDir(out, async () => {
      mkdirSync(out);
      writeFileSync(path.join(out, 'racer'), 'r');
    }).catch((e) => e);
    expect(err.code).toBe('ERR_TFEXPORT_OUTPUT_EXISTS');
    expect(readdirSync(root)).toEqual(['model']);
    expect(readdirSync(out)).toEqual(['racer']);
  });

  it('validates its arguments', async () => {
    await expect(atomicOutputDir('', () => undefined)).rejects.toBeInstanceOf(ValidationError);
    await expect(atomicOutputDir(path.join(root, 'x'), 'nope' as never)).rejects.toBeInstanceOf(ValidationError);
  });

  it('cleanupPendingSync removes an in-progress temporary directory (signal handler path)', async () => {
    const out = path.join(root, 'model');
    let tmpSeen = '';
    const err = await atomicOutputDir(out, async (tmp) => {
      tmpSeen = tmp;
      await fsp.writeFile(path.join(tmp, 'partial.bin'), 'x');
      expect(pendingTempPaths()).toContain(tmp);
      const removed = cleanupPendingSync();
      expect(removed).toContain(tmp);
      expect(existsSync(tmp)).toBe(false);
      throw new Error('interrupted');
    }).catch((e) => e);
    expect(err.message).toBe('interrupted');
    expect(existsSync(tmpSeen)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('checkOutputDir', () => {
  it('classifies absent, empty and full directories', async () => {
    expect(await checkOutputDir(path.join(root, 'nope'))).toBe('absent');
    mkdirSync(path.join(root, 'e'));
    expect(await checkOutputDir(path.join(root, 'e'))).toBe('empty');
    writeFileSync(path.join(root, 'e', 'f'), '');
    expect(await checkOutputDir(path.join(root, 'e'), true)).toBe('full');
    await expect(checkOutputDir(path.join(root, 'e'))).rejects.toMatchObject({ code: 'ERR_TFEXPORT_OUTPUT_EXISTS' });
  });
});
