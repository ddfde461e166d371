/**
 * Saving where the file system is read-only, which a test running as root cannot cause for
 * real: emulated under one folder by wrapping `node:fs/promises` as Node 20 behaves on a real
 * read-only mount (checked by hand on a read-only tmpfs): a plain `mkdir` or `open(…, 'w')`
 * fails with `EROFS`, but a recursive `mkdir` of a missing folder reports `ENOENT`.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const readOnly = vi.hoisted(() => [] as string[]);

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const nodePath = await import('node:path');
  const underReadOnly = (path: string) =>
    readOnly.some((root) => path === root || path.startsWith(root + nodePath.sep));
  const failure = async (syscall: string, path: string) => {
    const parentExists = await real.stat(nodePath.dirname(path)).then(
      () => true,
      () => false,
    );
    const [code, words] = parentExists
      ? ['EROFS', 'read-only file system']
      : ['ENOENT', 'no such file or directory'];
    return Object.assign(new Error(`${code}: ${words}, ${syscall} '${path}'`), { code, path });
  };
  const mkdir = (async (path: string, options?: { recursive?: boolean }) => {
    if (!underReadOnly(path)) return real.mkdir(path, options);
    const exists = await real.stat(path).then(
      () => true,
      () => false,
    );
    if (exists && options?.recursive) return undefined;
    if (exists) throw Object.assign(new Error(`EEXIST: mkdir '${path}'`), { code: 'EEXIST' });
    if (options?.recursive)
      throw Object.assign(new Error(`ENOENT: mkdir '${path}'`), { code: 'ENOENT', path });
    throw await failure('mkdir', path);
  }) as typeof real.mkdir;
  const open = (async (path: string, flags?: string, mode?: number) => {
    if (flags !== undefined && flags !== 'r' && underReadOnly(path))
      throw await failure('open', path);
    return real.open(path, flags, mode);
  }) as typeof real.open;
  const mocked = { ...real, mkdir, open };
  return { ...mocked, default: mocked };
});

const { saveModel, ModelIoError } = await import('./model-io');

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'slr-model-io-read-only-'));
});
afterAll(async () => {
  readOnly.length = 0;
  await rm(root, { recursive: true, force: true });
});

describe('saveModel on a read-only file system', () => {
  it('says the file system is read-only, for a new folder and for an existing one', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    readOnly.push(root);
    const dir = join(root, 'checkpoints', 'latest');
    const failure = saveModel(model, dir);
    await expect(failure).rejects.toBeInstanceOf(ModelIoError);
    await expect(failure).rejects.toThrow(
      `saveModel: Could not create the folder '${dir}': the file system is read-only (EROFS).`,
    );
    await expect(saveModel(model, root)).rejects.toThrow(
      /^saveModel: Could not write '.*\.bin': the file system is read-only \(EROFS\)\./,
    );
    expect(await readdir(root)).toEqual([]);
    model.dispose();
  });
});
