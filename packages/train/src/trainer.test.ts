import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GlossVocabulary } from '@slr/data';
import { Trainer } from './trainer';
import type { TrainOptions } from './train-options';
import { train, type NodeTrainOptions } from './node/train';
import {
  loadCheckpoint,
  loadLatestValidCheckpoint,
  saveCheckpoint,
  CheckpointError,
} from './node/checkpoint';
import { createOptimizer } from './optimizers';
import {
  tinySamples,
  tinySequenceModel,
  tinyTrainOptions,
  useTemporaryFolders,
  weightsOf,
} from '../test/tiny';

const tempDir = useTemporaryFolders('slr-train-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base = (over: Partial<NodeTrainOptions> = {}): NodeTrainOptions =>
  tinyTrainOptions<NodeTrainOptions>({ callbacks: { onWarning: () => undefined }, ...over });

describe('configuration errors name the field before training', () => {
  it.each([
    [{ optimizer: { name: 'adagrad', learningRate: 0.1 } }, 'optimizer.name'],
    [{ optimizer: { name: 'adam', learningRate: -1 } }, 'optimizer.learningRate'],
    [{ schedule: { base: 'cosine', warmupEpochs: 5 } }, 'schedule.warmupEpochs'],
    [{ schedule: { base: 'cosine', warmupSteps: 100 } }, 'schedule.warmupSteps'],
    [{ vocabulary: GlossVocabulary.ordered(['A', 'B']) }, 'mismatched vocabulary'],
    [{ earlyStop: { werZero: true } }, 'evalSamples'],
    [
      { augment: { timeScale: 2 } },
      "Argument 'options.augment.timeScale' passed to 'train' must be a finite number in [0, 1), but got 2.",
    ],
  ] as [Partial<TrainOptions>, string][])('%j', (over, field) => {
    let stepped = false;
    const o = base({
      ...over,
      callbacks: {
        onBatchEnd: () => {
          stepped = true;
        },
      },
    });
    expect(() => new Trainer(o)).toThrow(field);
    expect(stepped).toBe(false);
  });
  it('accepts a matching vocabulary', () => {
    expect(
      () => new Trainer(base({ vocabulary: GlossVocabulary.ordered(['A', 'B', 'C', 'D']) })),
    ).not.toThrow();
  });
});

describe('train', () => {
  it('keeps tf.memory().numTensors flat over 50 steps', async () => {
    const o = base({
      epochs: 25,
      labelSmoothing: 0.1,
      clipNorm: 1,
      schedule: { base: 'cosine', warmupEpochs: 1 },
    });
    // Counted at epoch ends (mid-epoch counts include the prefetched next batch); from epoch 1
    // on, the optimizer's slots exist and nothing else may accumulate.
    const counts: number[] = [];
    let steps = 0;
    o.callbacks = {
      onBatchEnd: () => {
        steps++;
      },
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    };
    await train(o);
    expect(steps).toBe(50);
    expect(counts).toHaveLength(25);
    expect(new Set(counts).size).toBe(1);
  });

  it("sets the rate of @slr/layers' Dropout with options.dropout", async () => {
    const o = base({ model: tinySequenceModel({ features: 12, numClasses: 5, dropout: 0.5 }) });
    await train({ ...o, dropout: 0.1, epochs: 1 });
    expect((o.model.model.getLayer('drop') as unknown as { rate: number }).rate).toBe(0.1);
  });

  it('overfits 3 samples to 0% WER (integration)', async () => {
    const three = tinySamples([[1, 2], [3, 4, 1], [2]]);
    const o = base({
      trainSamples: three,
      evalSamples: three,
      epochs: 300,
      batchSize: 3,
      optimizer: { name: 'adam', learningRate: 0.03 },
      earlyStop: { werZero: true, lossBelow: 0.5 },
      evalEvery: 5,
      evalBeamWidth: 4,
      initialization: { xavier: { gain: 1 } },
      dropout: 0,
    });
    const evaluations: number[] = [];
    o.callbacks = {
      onEvaluation: (e) => {
        evaluations.push(e.wer);
      },
    };
    o.evalEvery = 1;
    const result = await train(o);
    expect(result.stoppedEarly).toBe(true);
    expect(result.lastEvaluation?.wer).toBe(0);
    expect(result.lastEvaluation?.hypotheses).toEqual([[1, 2], [3, 4, 1], [2]]);
    expect(result.history.at(-1)?.beamWer).toBe(0);
    expect(evaluations[0]).toBeGreaterThan(0); // not solved before training
    expect(result.history.length).toBeLessThan(300);
  });

  it('skips steps with non-finite gradients, counts and warns', async () => {
    const bad = tinySamples([[1, 2]]);
    bad[0].frames[0] = NaN;
    const warnings: string[] = [];
    const o = base({
      trainSamples: bad,
      epochs: 2,
      batchSize: 1,
      callbacks: {
        onWarning: (w) => {
          warnings.push(w);
        },
      },
    });
    const before = weightsOf(o);
    const result = await train(o);
    expect(result.state.skippedSteps).toBe(2);
    expect(result.history[1].skippedSteps).toBe(2);
    expect(warnings.some((w) => w.includes('skipped'))).toBe(true);
    expect(weightsOf(o)).toEqual(before);
  });

  it('freezes, unfreezes progressively and writes a JSON-lines history', async () => {
    const dir = tempDir();
    const o = base({
      epochs: 3,
      freeze: 'hidden',
      progressiveUnfreezing: [{ epoch: 2, pattern: 'hidden' }],
      historyFile: join(dir, 'h.jsonl'),
    });
    const hiddenBefore = Array.from(o.model.model.getLayer('hidden').getWeights()[0].dataSync());
    const hiddenAfterEpoch: number[][] = [];
    o.callbacks = {
      onEpochEnd: () => {
        hiddenAfterEpoch.push(
          Array.from(o.model.model.getLayer('hidden').getWeights()[0].dataSync()),
        );
      },
    };
    await train(o);
    expect(hiddenAfterEpoch[1]).toEqual(hiddenBefore); // frozen for epochs 1–2
    expect(hiddenAfterEpoch[2]).not.toEqual(hiddenBefore); // unfrozen at epoch index 2
    const lines = readFileSync(join(dir, 'h.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    for (const l of lines)
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining([
          'epoch',
          'step',
          'loss',
          'lr',
          'gradNorm',
          'skippedSteps',
          'seconds',
        ]),
      );
  });

  it('resumes exactly: N steps straight = N/2 + checkpoint + reload + N/2', async () => {
    const straight = base({
      epochs: 4,
      schedule: { base: 'cosine', warmupSteps: 2 },
      optimizer: { name: 'adamw', learningRate: 0.02, weightDecay: 0.01 },
    });
    await train(straight);
    const dir = tempDir();
    const first = base({
      ...straight,
      model: tinySequenceModel({ features: 12, numClasses: 5 }),
      checkpointDir: dir,
      epochs: 4,
    });
    let steps = 0;
    first.callbacks = {
      onBatchEnd: () => {
        if (++steps === 4) throw new Error('stop');
      },
    };
    first.checkpointEverySteps = 1;
    await expect(train(first)).rejects.toThrow('stop');
    expect((await loadCheckpoint(dir)).state.step).toBe(3);
    const second = base({
      ...straight,
      model: tinySequenceModel({ features: 12, numClasses: 5, seed: 99 }),
      checkpointDir: dir,
    });
    const result = await train(second);
    expect(result.resumedFrom).toMatch(/checkpoint-3$/);
    expect(result.state.step).toBe(8);
    const a = weightsOf(straight);
    const b = weightsOf(second);
    a.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(1e-6)));
  });
});

describe('checkpoints', () => {
  it('names the corrupt file and falls back to the previous checkpoint', async () => {
    const dir = tempDir();
    const o = base({ epochs: 2, checkpointDir: dir });
    await train(o);
    expect(
      readdirSync(dir)
        .filter((e) => e.startsWith('checkpoint-'))
        .sort(),
    ).toEqual(['checkpoint-2', 'checkpoint-4']);
    writeFileSync(join(dir, 'checkpoint-4', 'state.json'), '{"step": 4,');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint-4\/state\.json.*bad JSON/);
    const bin = join(dir, 'checkpoint-2', 'optimizer.bin');
    const found = await loadLatestValidCheckpoint(dir);
    expect(found?.checkpoint.state.step).toBe(2);
    expect(found?.skipped[0].error).toBeInstanceOf(CheckpointError);
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    await expect(loadCheckpoint(join(dir, 'checkpoint-2'))).rejects.toThrow(
      /optimizer\.bin is corrupt \(truncated/,
    );
    await expect(loadLatestValidCheckpoint(dir)).rejects.toThrow(`No checkpoint in ${dir}`);
  });

  it('names the checkpoint, not its temporary folder, when the file system refuses it', async () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, 'a file where the checkpoints should go');
    const o = base({ epochs: 1 });
    const trainer = new Trainer(o);
    await trainer.run();
    await expect(
      saveCheckpoint(blocked, {
        model: o.model.model,
        optimizer: trainer.optimizer,
        state: trainer.state,
      }),
    ).rejects.toThrow(
      `Could not write the checkpoint '${join(blocked, 'checkpoint-2')}': ` +
        'a part of the path is not a folder (ENOTDIR).',
    );
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
  });

  it('saves and restores optimizer state', async () => {
    const dir = tempDir();
    const o = base({ epochs: 1 });
    const trainer = new Trainer(o);
    await trainer.run();
    const path = await saveCheckpoint(dir, {
      model: o.model.model,
      optimizer: trainer.optimizer,
      state: {
        step: 2,
        epoch: 1,
        batchInEpoch: 0,
        seed: 3,
        skippedSteps: 0,
        history: trainer.state.history,
        epochAccumulator: { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 },
        plateau: { best: Infinity, epochsWithoutImprovement: 0 },
        finished: false,
      },
    });
    const loaded = await loadCheckpoint(path);
    const original = await trainer.optimizer.getWeights();
    expect(loaded.optimizerWeights.map((w) => w.tensor.shape)).toEqual(
      original.map((w) => w.tensor.shape),
    );
    const fresh = createOptimizer({ name: 'adam', learningRate: 0.02 });
    await fresh.setWeights(loaded.optimizerWeights);
    expect(fresh.iterations).toBe(2);
    expect(loaded.state.plateau.best).toBe(Infinity);
  });
});
