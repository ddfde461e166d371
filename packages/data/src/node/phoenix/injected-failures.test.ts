/**
 * A read-only corpus, a full disk: failures a test running as root cannot cause for real,
 * injected by `@slr/test-utils` (for this package and for `@slr/core/node`'s writer).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  clearFileSystemFailures,
  type FileSystemFailures,
} from '@slr/test-utils/file-system-failures';
import type { SignSample } from '../../types';

const injected = vi.hoisted((): FileSystemFailures => ({ readOnly: [], failingWrites: [] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFileSystemFailures } = await import('@slr/test-utils/file-system-failures');
  return withFileSystemFailures(await importOriginal(), injected);
});

const { loadOrBuildVocabulary, phoenixPaths, readPhoenixSplit, writePhoenixCorpus } =
  await import('../index');

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
afterEach(() => {
  clearFileSystemFailures(injected);
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
        (dir) => injected.failingWrites.push({ code: 'ENOSPC', root: join(dir, 'features') }),
        (dir) => phoenixPaths(dir).frameFile('train', 't0', 0),
      ],
      [
        (dir) =>
          injected.failingWrites.push({ code: 'ENOSPC', root: join(dir, 'features', 'keypoints') }),
        (dir) => phoenixPaths(dir).keypoints('train', 't0'),
      ],
      [
        (dir) =>
          injected.failingWrites.push({ code: 'ENOSPC', root: join(dir, 'annotations', 'manual') }),
        (dir) => phoenixPaths(dir).corpusCsv('train'),
      ],
      [
        (dir) =>
          injected.failingWrites.push({ code: 'ENOSPC', file: phoenixPaths(dir).vocabulary }),
        (dir) => phoenixPaths(dir).vocabulary,
      ],
    ];
    for (const [fill, file] of cases) {
      const dir = temporaryDir();
      clearFileSystemFailures(injected);
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
