/**
 * Checkpoints on a read-only file system, which a test running as root cannot cause for real
 * (injected by `@slr/test-utils`): the error comes before the first step and says why.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clearFileSystemFailures,
  type FileSystemFailures,
} from '@slr/test-utils/file-system-failures';
import { tinyTrainOptions } from '../../test/tiny';
import type { NodeTrainOptions } from './train';

const injected = vi.hoisted((): FileSystemFailures => ({ readOnly: [], failingWrites: [] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFileSystemFailures } = await import('@slr/test-utils/file-system-failures');
  return withFileSystemFailures(await importOriginal(), injected);
});

const { train } = await import('./train');
const { saveCheckpoint } = await import('./checkpoint');
const { createOptimizer } = await import('../optimizers');

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slr-checkpoints-read-only-'));
});
afterEach(async () => {
  clearFileSystemFailures(injected);
  await rm(root, { recursive: true, force: true });
});

describe('checkpoints on a read-only file system', () => {
  it('train says so before the first step, naming the folder', async () => {
    injected.readOnly.push(root);
    const checkpointDir = join(root, 'runs', 'a');
    let steps = 0;
    const options = tinyTrainOptions<NodeTrainOptions>({
      checkpointDir,
      callbacks: { onBatchEnd: () => void steps++ },
    });
    await expect(train(options)).rejects.toThrow(
      `Could not write to the checkpoint folder '${checkpointDir}': ` +
        'the file system is read-only (EROFS).',
    );
    expect(steps).toBe(0);
    expect(await readdir(root)).toEqual([]);
  });

  it('saveCheckpoint says so, naming the checkpoint and not a temporary folder', async () => {
    const options = tinyTrainOptions();
    const optimizer = createOptimizer(options.optimizer);
    injected.readOnly.push(root);
    const state = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      seed: 0,
      skippedSteps: 0,
      history: [],
      epochAccumulator: { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 },
      plateau: { best: Infinity, epochsWithoutImprovement: 0 },
      finished: false,
    };
    const saving = saveCheckpoint(root, { model: options.model.model, optimizer, state });
    await expect(saving).rejects.toThrow(
      `Could not write the checkpoint '${join(root, 'checkpoint-0')}': ` +
        'the file system is read-only (EROFS).',
    );
    expect(await readdir(root)).toEqual([]);
    optimizer.dispose();
  });
});
