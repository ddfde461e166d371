import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TINY_SAMPLES,
  tinySamples,
  tinySequenceModel,
  tinyTrainOptions,
  useTemporaryFolders,
  weightsOf,
} from '../test/tiny';
import { AdviceWarnings } from './advice-warnings';
import type { BatchLogs, TrainCallback } from './callbacks';
import { EarlyStopping } from './early-stopping';
import { Checkpoints } from './node/checkpoints';
import { HistoryFile } from './node/history-file';
import { train as trainWithFiles } from './node/train';
import { Trainer, train } from './trainer';
import type { TrainOptions } from './train-options';

const tempDir = useTemporaryFolders('slr-callbacks-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const samples = TINY_SAMPLES;
const base = (over: Partial<TrainOptions> = {}): TrainOptions => tinyTrainOptions(over);
const quiet: TrainCallback = { onWarning: () => undefined };

/** A callback that writes down every hook it sees, with the logs that matter. */
function recorder(label: string, calls: string[]): TrainCallback {
  return {
    restore: () => {
      calls.push(`${label} restore`);
      return undefined;
    },
    onTrainBegin: (logs) => {
      calls.push(`${label} begin ${logs.epochs}x${logs.batchesPerEpoch}=${logs.totalSteps}`);
    },
    onEpochBegin: (logs) => {
      calls.push(`${label} epoch ${logs.epoch} from step ${logs.step}`);
    },
    onBatchEnd: (logs) => {
      calls.push(`${label} batch ${logs.epoch}.${logs.batch} step ${logs.step}`);
    },
    onEvaluation: (result) => {
      calls.push(`${label} evaluation ${result.epoch}`);
    },
    // Async: the trainer waits for it before the next hook.
    onEpochEnd: async (record) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push(`${label} end of epoch ${record.epoch} at step ${record.step}`);
    },
    onTrainEnd: (result) => {
      calls.push(`${label} end after ${result.history.length} epochs`);
    },
  };
}

describe('callbacks', () => {
  it('are called in the order of the loop and of the list, async ones awaited', async () => {
    const calls: string[] = [];
    await train(
      base({
        evalSamples: samples.slice(0, 2),
        evalEvery: 2,
        callbacks: [recorder('a', calls), recorder('b', calls), quiet],
      }),
    );
    const epoch = (n: number, step: number, evaluated: boolean): string[] => [
      `a epoch ${n} from step ${step}`,
      `b epoch ${n} from step ${step}`,
      `a batch ${n}.1 step ${step + 1}`,
      `b batch ${n}.1 step ${step + 1}`,
      `a batch ${n}.2 step ${step + 2}`,
      `b batch ${n}.2 step ${step + 2}`,
      ...(evaluated ? [`a evaluation ${n}`, `b evaluation ${n}`] : []),
      `a end of epoch ${n} at step ${step + 2}`,
      `b end of epoch ${n} at step ${step + 2}`,
    ];
    expect(calls).toEqual([
      'a restore',
      'b restore',
      'a begin 2x2=4',
      'b begin 2x2=4',
      ...epoch(1, 0, false),
      ...epoch(2, 2, true),
      'a end after 2 epochs',
      'b end after 2 epochs',
    ]);
  });

  it('receive the logs a user needs, and the trainer', async () => {
    const batches: BatchLogs[] = [];
    const records: unknown[] = [];
    let trainerSeen: Trainer | undefined;
    const options = base({
      evalSamples: samples,
      schedule: { base: 'cosine', warmupSteps: 2 },
      callbacks: [
        quiet,
        {
          onBatchEnd: (logs, trainer) => {
            batches.push(logs);
            trainerSeen = trainer;
          },
          onEpochEnd: (record, trainer) => {
            // The record is the history's latest entry; the state has moved past the epoch.
            expect(trainer.state.history.at(-1)).toBe(record);
            expect(trainer.state.epoch).toBe(record.epoch);
            records.push(record);
          },
        },
      ],
    });
    const trainer = new Trainer(options);
    const result = await trainer.run();
    expect(trainerSeen).toBe(trainer);
    expect(batches.map((logs) => [logs.epoch, logs.batch, logs.step])).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [2, 1, 3],
      [2, 2, 4],
    ]);
    // Linear warmup over 2 steps, then cosine over the other 2: 0, 0.01, 0.02, 0.01.
    expect(batches.map((logs) => logs.lr)).toEqual([0, 0.01, 0.02, 0.01]);
    for (const logs of batches) {
      expect(Number.isFinite(logs.loss) && logs.loss > 0).toBe(true);
      expect(logs.gradNorm).toBeGreaterThan(0);
      expect(logs.gradNorm).toBe(logs.gradientHealth.globalNorm);
      expect(logs.skipped).toBe(false);
    }
    expect(records).toEqual(result.history);
    for (const record of result.history) {
      expect(record.wer).toBeGreaterThanOrEqual(0);
      expect(record.lr).toBe(batches[record.step - 1].lr);
      expect(record.loss).toBeCloseTo(
        (batches[record.step - 2].loss + batches[record.step - 1].loss) / 2,
        6,
      );
    }
  });

  it('can stop training at the end of an epoch', async () => {
    let ended: unknown;
    const result = await train(
      base({
        epochs: 5,
        callbacks: [
          quiet,
          {
            onEpochEnd: (record, trainer) => {
              if (record.epoch === 2) trainer.stopTraining('enough at epoch 2');
            },
            onTrainEnd: (trainResult) => {
              ended = trainResult;
            },
          },
        ],
      }),
    );
    expect(result.history.map((record) => record.epoch)).toEqual([1, 2]);
    expect(result.stoppedEarly).toBe(true);
    expect(result.stopReason).toBe('enough at epoch 2');
    expect(result.state.finished).toBe(true);
    expect(ended).toBe(result);
  });

  it('can stop training during an epoch, which then ends after the current batch', async () => {
    const epochEnds: number[] = [];
    const result = await train(
      base({
        epochs: 5,
        callbacks: [
          quiet,
          {
            onBatchEnd: (logs, trainer) => {
              if (logs.step === 3) trainer.stopTraining('stop at step 3');
            },
            onEpochEnd: (record) => {
              epochEnds.push(record.step);
            },
          },
        ],
      }),
    );
    expect(epochEnds).toEqual([2, 3]);
    expect(result.state.step).toBe(3);
    expect(result.stopReason).toBe('stop at step 3');
  });

  it('replace a built-in by name: the shorthand installs it only when no callback has its name', async () => {
    // Alone, earlyStop stops after the first epoch (every loss is below 1e9).
    const shorthand = new Trainer(base({ epochs: 4, earlyStop: { lossBelow: 1e9 } }));
    expect(shorthand.callbacks.map((callback) => callback.name)).toEqual([
      'earlyStopping',
      'advice',
    ]);
    expect((await shorthand.run()).history).toHaveLength(1);
    const replacement: TrainCallback = {
      name: 'earlyStopping',
      onEpochEnd: (record, trainer) => {
        if (record.epoch === 3) trainer.stopTraining('my own rule');
      },
    };
    const replaced = new Trainer(
      base({ epochs: 4, earlyStop: { lossBelow: 1e9 }, callbacks: [quiet, replacement] }),
    );
    expect(replaced.callbacks.some((callback) => callback instanceof EarlyStopping)).toBe(false);
    const result = await replaced.run();
    expect(result.history).toHaveLength(3);
    expect(result.stopReason).toBe('my own rule');
  });

  it("replace a Node.js built-in by name: historyFile's file is not written", async () => {
    const dir = tempDir();
    const lines: number[] = [];
    await trainWithFiles({
      ...base(),
      historyFile: join(dir, 'history.jsonl'),
      callbacks: [
        quiet,
        { name: 'history', onEpochEnd: (record) => void lines.push(record.epoch) },
      ],
    });
    expect(existsSync(join(dir, 'history.jsonl'))).toBe(false);
    expect(lines).toEqual([1, 2]);
  });

  it('resume exactly through the Checkpoints and HistoryFile callbacks', async () => {
    const straight = base({ epochs: 4, schedule: { base: 'cosine', warmupSteps: 2 } });
    await train({ ...straight, callbacks: [quiet] });
    const dir = tempDir();
    const history = join(dir, 'history.jsonl');
    let steps = 0;
    const crash: TrainCallback = {
      onBatchEnd: () => {
        if (++steps === 5) throw new Error('crash');
      },
    };
    const first = { ...straight, model: tinySequenceModel({ features: 12, numClasses: 5 }) };
    await expect(
      train({
        ...first,
        callbacks: [
          quiet,
          new HistoryFile(history),
          crash,
          new Checkpoints(dir, { everySteps: 1 }),
        ],
      }),
    ).rejects.toThrow('crash');
    const second = {
      ...straight,
      model: tinySequenceModel({ features: 12, numClasses: 5, seed: 99 }),
    };
    let resumedFrom: string | undefined;
    const result = await train({
      ...second,
      callbacks: [
        quiet,
        new HistoryFile(history),
        { onTrainBegin: (logs) => void (resumedFrom = logs.resumedFrom) },
        new Checkpoints(dir),
      ],
    });
    expect(result.resumedFrom).toMatch(/checkpoint-4$/);
    expect(resumedFrom).toBe(result.resumedFrom);
    expect(result.state.step).toBe(8);
    const a = weightsOf(straight);
    const b = weightsOf(second);
    a.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(1e-6)));
    const epochs = readFileSync(history, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { epoch: number }).epoch);
    expect(epochs).toEqual([1, 2, 3, 4]);
  });
});

describe('advice as warnings', () => {
  it('warns once per issue: NaN loss and non-finite gradients over every epoch', async () => {
    const bad = tinySamples([[1, 2]]);
    bad[0].frames[0] = NaN;
    const warnings: string[] = [];
    await train(
      base({
        trainSamples: bad,
        epochs: 3,
        batchSize: 1,
        callbacks: { onWarning: (message) => void warnings.push(message) },
      }),
    );
    const advice = warnings.filter((message) => message.includes(' Try: '));
    expect(advice).toEqual([
      'train: epoch 1: The loss became NaN or Infinity. ' +
        'Try: lower the learning rate; use a longer learning-rate warmup.',
      'train: epoch 1: The gradient norm is exploding or non-finite. ' +
        'Try: lower the learning rate; clip gradients by global norm at 0.5.',
    ]);
    expect(warnings.filter((message) => message.includes('skipped'))).toHaveLength(3);
  });

  it('warns about a plateau once, and not at all with advice: false', async () => {
    const run = async (advice: boolean): Promise<string[]> => {
      const warnings: string[] = [];
      await train(
        base({
          epochs: 8,
          optimizer: { name: 'adam', learningRate: 1e-12 },
          advice,
          callbacks: { onWarning: (message) => void warnings.push(message) },
        }),
      );
      return warnings;
    };
    expect(await run(true)).toEqual([
      'train: epoch 4: The loss stopped decreasing. Try: lower the dropout; raise the learning rate.',
    ]);
    expect(await run(false)).toEqual([]);
  });

  it('AdviceWarnings can be given as a callback, and lists what it warned about', async () => {
    const advice = new AdviceWarnings();
    await train(
      base({
        epochs: 4,
        optimizer: { name: 'adam', learningRate: 1e-12 },
        callbacks: [quiet, advice],
      }),
    );
    expect(advice.given).toEqual(['plateau']);
  });
});

describe('the main entry', () => {
  it("refuses the Node.js options, pointing at '@slr/train/node'", () => {
    const options = { ...base(), checkpointDir: 'runs/a' } as TrainOptions;
    expect(() => new Trainer(options)).toThrow(
      "Argument 'options.checkpointDir' passed to 'train' must be unset: checkpoints, history " +
        "files and progress bars are Node.js's (use train of '@slr/train/node', or a callback), " +
        "but got 'runs/a'.",
    );
  });

  it('names the dotted argument and the function in its errors', () => {
    expect(() => new Trainer(base({ optimizer: { name: 'adam', learningRate: -1 } }))).toThrow(
      "Argument 'options.optimizer.learningRate' passed to 'train' must be a finite number > 0, but got -1.",
    );
    expect(() => new EarlyStopping({ devPlateau: 0 })).toThrow(
      "Argument 'options.devPlateau' passed to 'EarlyStopping' must be an integer >= 1, but got 0.",
    );
  });
});
