/**
 * File-system failures that a test running as root cannot cause for real (a read-only file
 * system, a full disk, a missing permission), injected under one folder by wrapping
 * `node:fs/promises`. The read-only emulation does what Node 20 does on a real read-only mount
 * (checked by hand on a read-only tmpfs): a plain `mkdir` or `open(…, 'w')` fails with `EROFS`,
 * but a recursive `mkdir` of a missing folder reports `ENOENT` (Node stats the folder after the
 * `EROFS` and reports the stat's error).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const injected = vi.hoisted(() => ({
  /** Folders under which the file system is read-only. */
  readOnly: [] as string[],
  /** Folders under which writing data fails with this code (ENOSPC: a full disk). */
  failingWrites: [] as Array<{ root: string; code: string; errno: number; words: string }>,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const nodePath = await import('node:path');
  const under = (roots: string[], path: string) =>
    roots.some((root) => path === root || path.startsWith(root + nodePath.sep));
  const systemError = (code: string, errno: number, words: string, syscall: string, path: string) =>
    Object.assign(new Error(`${code}: ${words}, ${syscall} '${path}'`), {
      code,
      errno: -errno,
      syscall,
      path,
    });
  const exists = (path: string) =>
    real.stat(path).then(
      () => true,
      () => false,
    );
  const readOnlyError = async (syscall: string, path: string) =>
    (await exists(nodePath.dirname(path)))
      ? systemError('EROFS', 30, 'read-only file system', syscall, path)
      : systemError('ENOENT', 2, 'no such file or directory', syscall, path);

  const mkdir: typeof real.mkdir = (async (path: string, options?: { recursive?: boolean }) => {
    if (!under(injected.readOnly, String(path))) return real.mkdir(path, options);
    if (await exists(String(path))) {
      if (options?.recursive) return undefined;
      throw systemError('EEXIST', 17, 'file already exists', 'mkdir', String(path));
    }
    if (options?.recursive)
      throw systemError('ENOENT', 2, 'no such file or directory', 'mkdir', String(path));
    throw await readOnlyError('mkdir', String(path));
  }) as typeof real.mkdir;

  const open: typeof real.open = (async (path: string, flags?: string, mode?: number) => {
    const file = String(path);
    const writing = flags !== undefined && flags !== 'r';
    if (writing && under(injected.readOnly, file)) throw await readOnlyError('open', file);
    const handle = await real.open(path, flags, mode);
    const failure = injected.failingWrites.find(({ root }) => under([root], file));
    if (!writing || failure === undefined) return handle;
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'writeFile' || key === 'write')
          return () =>
            Promise.reject(systemError(failure.code, failure.errno, failure.words, 'write', file));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }) as typeof real.open;

  const writeFile: typeof real.writeFile = (async (path: string, ...rest: unknown[]) => {
    const file = String(path);
    if (under(injected.readOnly, file)) throw await readOnlyError('open', file);
    const failure = injected.failingWrites.find(({ root }) => under([root], file));
    if (failure !== undefined)
      throw systemError(failure.code, failure.errno, failure.words, 'write', file);
    return (real.writeFile as (...args: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof real.writeFile;

  const rename: typeof real.rename = async (from, to) => {
    if (under(injected.readOnly, String(to))) throw await readOnlyError('rename', String(to));
    return real.rename(from, to);
  };

  const mocked = { ...real, mkdir, open, writeFile, rename };
  return { ...mocked, default: mocked };
});

const { createFolder, writeFileAtomic, FileSystemError } = await import('./index');

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'slr-core-injected-'));
});
afterEach(async () => {
  injected.readOnly.length = 0;
  injected.failingWrites.length = 0;
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
      errno: 28,
      words: 'no space left on device',
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
      errno: 27,
      words: 'file too large',
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
