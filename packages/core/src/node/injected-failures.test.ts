/**
 * The atomic writer and `createFolder` on a read-only file system and a full disk, failures a
 * test running as root cannot cause for real (injected by `@slr/test-utils`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clearFileSystemFailures,
  type FileSystemFailures,
} from '@slr/test-utils/file-system-failures';

const injected = vi.hoisted((): FileSystemFailures => ({ readOnly: [], failingWrites: [] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFileSystemFailures } = await import('@slr/test-utils/file-system-failures');
  return withFileSystemFailures(await importOriginal(), injected);
});

const { createFolder, writeFileAtomic, FileSystemError } = await import('./index');

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'slr-core-injected-'));
});
afterEach(async () => {
  clearFileSystemFailures(injected);
  await rm(folder, { recursive: true, force: true });
});

describe('on a read-only file system', () => {
  it('createFolder says the file system is read-only, not that a folder is missing', async () => {
    injected.readOnly.push(folder);
    const target = join(folder, 'runs', 'a');
    const failure = createFolder(target);
    await expect(failure).rejects.toBeInstanceOf(FileSystemError);
    await expect(failure).rejects.toThrow(
      `Could not create the folder '${target}': the file system is read-only (EROFS).`,
    );
    // An existing folder is fine: nothing needs writing.
    await expect(createFolder(folder)).resolves.toBeUndefined();
  });

  it('writeFileAtomic with createFolder says read-only, naming the file asked for', async () => {
    injected.readOnly.push(folder);
    const path = join(folder, 'runs', 'a', 'history.json');
    await expect(writeFileAtomic(path, '{}', { createFolder: true })).rejects.toThrow(
      `Could not create the folder of '${path}': the file system is read-only (EROFS).`,
    );
    const direct = join(folder, 'model.json');
    await expect(writeFileAtomic(direct, '{}')).rejects.toThrow(
      `Could not write '${direct}': the file system is read-only (EROFS).`,
    );
    expect(await readdir(folder)).toEqual([]);
  });
});

describe('on a full disk', () => {
  it('writeFileAtomic says the disk is full, names the file asked for and leaves no temporary file', async () => {
    injected.failingWrites.push({
      root: folder,
      code: 'ENOSPC',
    });
    const path = join(folder, 'weights.bin');
    const failure = writeFileAtomic(path, new Uint8Array(16));
    await expect(failure).rejects.toMatchObject({ code: 'ENOSPC', path, operation: 'write' });
    await expect(failure).rejects.toThrow(`Could not write '${path}': the disk is full (ENOSPC).`);
    expect(await readdir(folder)).toEqual([]);
  });

  it('names the file asked for, never the temporary one, whatever the code', async () => {
    injected.failingWrites.push({
      root: folder,
      code: 'EFBIG',
    });
    const path = join(folder, 'huge.bin');
    const error = await writeFileAtomic(path, new Uint8Array(16)).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as Error).message).toBe(`Could not write '${path}': file too large (EFBIG).`);
    expect((error as Error).message).not.toContain('.tmp-');
    expect(existsSync(path)).toBe(false);
  });
});
