/**
 * A read-only corpus, a full disk: failures a test running as root cannot cause for real,
 * injected under one folder by wrapping `node:fs/promises` (for this package and for
 * `@slr/core/node`'s writer). The read-only emulation does what Node 20 does on a real
 * read-only mount (checked by hand on a read-only tmpfs): a plain `mkdir` or `open(…, 'w')`
 * fails with `EROFS`, but a recursive `mkdir` of a missing folder reports `ENOENT`.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SignSample } from '../../types';

const injected = vi.hoisted(() => ({
  /** Folders under which the file system is read-only. */
  readOnly: [] as string[],
  /** Where writing data fails, the disk being full: the paths under these folders… */
  full: [] as string[],
  /** …and the temporary files of `writeFileAtomic` for these files. */
  fullFiles: [] as string[],
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const nodePath = await import('node:path');
  const under = (roots: string[], path: string) =>
    roots.some((root) => path === root || path.startsWith(root + nodePath.sep));
  const full = (path: string) =>
    under(injected.full, path) ||
    injected.fullFiles.some(
      (file) =>
        nodePath.dirname(file) === nodePath.dirname(path) &&
        nodePath.basename(path).startsWith(`.${nodePath.basename(file)}.tmp-`),
    );
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
  const fullError = (path: string) =>
    systemError('ENOSPC', 28, 'no space left on device', 'write', path);

  const mkdir = (async (path: string, options?: { recursive?: boolean }) => {
    if (!under(injected.readOnly, path)) return real.mkdir(path, options);
    if (await exists(path)) {
      if (options?.recursive) return undefined;
      throw systemError('EEXIST', 17, 'file already exists', 'mkdir', path);
    }
    if (options?.recursive)
      throw systemError('ENOENT', 2, 'no such file or directory', 'mkdir', path);
    throw await readOnlyError('mkdir', path);
  }) as typeof real.mkdir;

  const open = (async (path: string, flags?: string, mode?: number) => {
    const writing = flags !== undefined && flags !== 'r';
    if (writing && under(injected.readOnly, path)) throw await readOnlyError('open', path);
    const handle = await real.open(path, flags, mode);
    if (!writing || !full(path)) return handle;
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'writeFile' || key === 'write') return () => Promise.reject(fullError(path));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }) as typeof real.open;

  const writeFile = (async (path: string, ...rest: unknown[]) => {
    if (under(injected.readOnly, path)) throw await readOnlyError('open', path);
    if (full(path)) throw fullError(path);
    return (real.writeFile as (...args: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof real.writeFile;

  const rename: typeof real.rename = async (from, to) => {
    if (under(injected.readOnly, String(to))) throw await readOnlyError('rename', String(to));
    return real.rename(from, to);
  };

  const rm: typeof real.rm = async (path, options) => {
    if (under(injected.readOnly, String(path)) && (await exists(String(path))))
      throw await readOnlyError('rm', String(path));
    return real.rm(path, options);
  };

  const mocked = { ...real, mkdir, open, writeFile, rename, rm };
  return { ...mocked, default: mocked };
});

const { loadOrBuildVocabulary, phoenixPaths, readPhoenixSplit, writePhoenixCorpus } =
  await import('../index');

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
afterEach(() => {
  injected.readOnly.length = 0;
  injected.full.length = 0;
  injected.fullFiles.length = 0;
});
function temporaryDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'slr-phoenix-injected-'));
  roots.push(root);
  return root;
}

function sample(id: string, glosses: string[], keypoints = false): SignSample {
  const frames = 2;
  const values = Float32Array.from({ length: frames * 4 * 4 * 3 }, (_, index) => (index % 7) / 7);
  return {
    id,
    signer: 'Signer01',
    frameShape: [frames, 4, 4, 3],
    frames: values,
    glosses,
    glossIds: glosses.map(() => 1),
    ...(keypoints ? { keypoints: new Float32Array(frames * 2 * 2).fill(0.5) } : {}),
  };
}

const quiet = { progress: 'off' } as const;

/** Every file and folder under `dir` (relative paths, sorted). */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('a read-only corpus', () => {
  it('is read without writing, even without vocabulary.json', async () => {
    const dir = temporaryDir();
    await writePhoenixCorpus(dir, { train: [sample('t0', ['WIND', 'REGEN'])] }, quiet);
    const paths = phoenixPaths(dir);
    rmSync(paths.vocabulary);
    const before = listing(dir);
    injected.readOnly.push(dir);

    const read: SignSample[] = [];
    for await (const item of readPhoenixSplit(dir, 'train')) read.push(item);
    expect(read.map((item) => item.glossIds)).toEqual([[2, 1]]);
    expect((await loadOrBuildVocabulary(dir)).glosses).toEqual(['REGEN', 'WIND']);
    // Saving, when asked, says what it tried and why it could not.
    await expect(loadOrBuildVocabulary(dir, { save: true })).rejects.toThrow(
      `Could not save the vocabulary built from the train split to '${paths.vocabulary}': ` +
        'the file system is read-only (EROFS).',
    );
    expect(listing(dir)).toEqual(before);
  });

  it('refuses a write saying the file system is read-only, naming the folder', async () => {
    const root = temporaryDir();
    injected.readOnly.push(root);
    const dir = join(root, 'corpus');
    await expect(writePhoenixCorpus(dir, { train: [sample('t0', ['A'])] }, quiet)).rejects.toThrow(
      `Could not create the folder '${join(dir, 'annotations', 'manual')}': ` +
        'the file system is read-only (EROFS).',
    );

    // An existing corpus: the first folder to make is the sample's.
    const existing = temporaryDir();
    await writePhoenixCorpus(existing, { train: [sample('t0', ['A'])] }, quiet);
    const before = listing(existing);
    injected.readOnly.push(existing);
    await expect(
      writePhoenixCorpus(existing, { dev: [sample('d0', ['A'])] }, quiet),
    ).rejects.toThrow(
      `Could not create the folder '${phoenixPaths(existing).frameDir('dev', 'd0')}': ` +
        'the file system is read-only (EROFS).',
    );
    expect(listing(existing)).toEqual(before);
  });
});

describe('a full disk during writePhoenixCorpus', () => {
  it('is named as such, with the file asked for, for frames, keypoints, CSVs and the vocabulary', async () => {
    const cases: Array<[(dir: string) => void, (dir: string) => string]> = [
      [
        (dir) => injected.full.push(join(dir, 'features')),
        (dir) => phoenixPaths(dir).frameFile('train', 't0', 0),
      ],
      [
        (dir) => injected.full.push(join(dir, 'features', 'keypoints')),
        (dir) => phoenixPaths(dir).keypoints('train', 't0'),
      ],
      [
        (dir) => injected.full.push(join(dir, 'annotations', 'manual')),
        (dir) => phoenixPaths(dir).corpusCsv('train'),
      ],
      [
        (dir) => injected.fullFiles.push(phoenixPaths(dir).vocabulary),
        (dir) => phoenixPaths(dir).vocabulary,
      ],
    ];
    for (const [fill, file] of cases) {
      const dir = temporaryDir();
      injected.full.length = 0;
      injected.fullFiles.length = 0;
      fill(dir);
      const error = await writePhoenixCorpus(
        dir,
        { train: [sample('t0', ['A'], true)] },
        quiet,
      ).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      // Frames are encoded a few at a time: any of them may be the first to fail.
      const second = file(dir).replace('images0001.png', 'images0002.png');
      expect([
        `Could not write '${file(dir)}': the disk is full (ENOSPC).`,
        `Could not write '${second}': the disk is full (ENOSPC).`,
      ]).toContain(error?.message);
      expect(listing(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    }
  });
});
