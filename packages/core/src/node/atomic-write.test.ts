import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { temporaryPathBeside, writeFileAtomic } from './atomic-write';
import { FileSystemError, withFileSystemError } from './file-system-error';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'slr-core-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes text and bytes, replaces an existing file and leaves no temporary file', async () => {
    const path = join(folder, 'a.json');
    await writeFileAtomic(path, '{"v":1}');
    await writeFileAtomic(path, new Uint8Array([123, 125]));
    expect(await readFile(path, 'utf8')).toBe('{}');
    expect(await readdir(folder)).toEqual(['a.json']);
  });

  it('creates the folder when asked, and otherwise names the missing folder in words', async () => {
    const path = join(folder, 'x', 'y', 'b.txt');
    await expect(writeFileAtomic(path, 'b')).rejects.toThrow(
      `Could not write '${path}': no such file or folder (ENOENT).`,
    );
    await writeFileAtomic(path, 'b', { createFolder: true });
    expect(await readFile(path, 'utf8')).toBe('b');
  });

  it('names the user path, not the temporary one, when the write fails', async () => {
    await writeFile(join(folder, 'file.txt'), 'old');
    const path = join(folder, 'file.txt', 'c.txt');
    const failure = writeFileAtomic(path, 'new');
    await expect(failure).rejects.toBeInstanceOf(FileSystemError);
    await expect(failure).rejects.toThrow(
      `Could not write '${path}': a part of the path is not a folder (ENOTDIR).`,
    );
    expect(await readdir(folder)).toEqual(['file.txt']);
  });

  it('removes its temporary file when the rename fails (the target is a folder)', async () => {
    const path = join(folder, 'taken');
    await writeFileAtomic(join(path, 'inside'), 'x', { createFolder: true });
    const failure = writeFileAtomic(path, 'y');
    await expect(failure).rejects.toMatchObject({ code: 'EISDIR', path, operation: 'write' });
    expect(await readdir(folder)).toEqual(['taken']);
  });

  it('puts the temporary file beside the target, hidden', () => {
    const temporary = temporaryPathBeside(join(folder, 'latest.json'));
    expect(temporary.startsWith(join(folder, '.latest.json.tmp-'))).toBe(true);
  });
});

describe('withFileSystemError', () => {
  it('words file-system errors and lets other errors through', async () => {
    const missing = join(folder, 'missing.json');
    await expect(withFileSystemError('read', missing, () => readFile(missing))).rejects.toThrow(
      `Could not read '${missing}': no such file or folder (ENOENT).`,
    );
    const other = new TypeError('not a file-system error');
    await expect(withFileSystemError('read', missing, () => Promise.reject(other))).rejects.toBe(
      other,
    );
  });
});
