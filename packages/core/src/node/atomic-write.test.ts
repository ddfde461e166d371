import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { temporaryPathBeside, writeFileAtomic } from './atomic-write';
import { createFolder } from './create-folder';
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

describe('createFolder', () => {
  it('creates a folder and its parents, accepts an existing one, and names a file in the way', async () => {
    const target = join(folder, 'a', 'b', 'c');
    await createFolder(target);
    await createFolder(target);
    expect(await readdir(join(folder, 'a', 'b'))).toEqual(['c']);
    await writeFile(join(folder, 'file'), 'x');
    await expect(createFolder(join(folder, 'file', 'inner'))).rejects.toThrow(
      `Could not create the folder '${join(folder, 'file', 'inner')}': a part of the path is not a folder (ENOTDIR).`,
    );
    await expect(createFolder(join(folder, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('FileSystemError', () => {
  it("words any system code, dropping the path of Node's message", () => {
    const nodeError = (code: string, message: string) =>
      Object.assign(new Error(message), { code });
    const path = join(folder, 'x.bin');
    expect(
      new FileSystemError(
        'write',
        path,
        nodeError(
          'EXDEV',
          "EXDEV: cross-device link not permitted, rename '/t/.x.tmp-1' -> '/u/x'",
        ),
      ).message,
    ).toBe(`Could not write '${path}': cross-device link not permitted (EXDEV).`);
    expect(new FileSystemError('read', path, nodeError('ECUSTOM', 'something odd')).message).toBe(
      `Could not read '${path}': something odd.`,
    );
    expect(new FileSystemError('read', path, 'a string').message).toBe(
      `Could not read '${path}': a string.`,
    );
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
