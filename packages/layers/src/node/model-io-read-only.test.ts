/**
 * Saving where the file system is read-only, which a test running as root cannot cause for
 * real (injected by `@slr/test-utils`).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  clearFileSystemFailures,
  type FileSystemFailures,
} from '@slr/test-utils/file-system-failures';

const injected = vi.hoisted((): FileSystemFailures => ({ readOnly: [], failingWrites: [] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFileSystemFailures } = await import('@slr/test-utils/file-system-failures');
  return withFileSystemFailures(await importOriginal(), injected);
});

const { saveModel, ModelIoError } = await import('./model-io');

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'slr-model-io-read-only-'));
});
afterAll(async () => {
  clearFileSystemFailures(injected);
  await rm(root, { recursive: true, force: true });
});

describe('saveModel on a read-only file system', () => {
  it('says the file system is read-only, for a new folder and for an existing one', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    injected.readOnly.push(root);
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
