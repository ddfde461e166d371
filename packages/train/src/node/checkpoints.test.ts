import * as tf from '@tensorflow/tfjs';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GlossVocabulary } from '@slr/data';
import { FileSystemError } from '@slr/core/node';
import { Trainer } from '../trainer';
import type { TrainCallback } from '../callbacks';
import { Checkpoints } from './checkpoints';
import {
  CheckpointError,
  loadCheckpoint,
  loadLatestValidCheckpoint,
  restoreOptimizer,
  saveCheckpoint,
} from './checkpoint';
import type { TrainingState } from '../training-state';
import { train, type NodeTrainOptions } from './train';
import { tinySequenceModel, tinyTrainOptions, useTemporaryFolders } from '../../test/tiny';

const temporaryFolder = useTemporaryFolders('slr-checkpoints-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny run (2 epochs of 2 steps, Adam, seed 3), warnings collected in `warnings`. */
function tiny(over: Partial<NodeTrainOptions> = {}, warnings: string[] = []): NodeTrainOptions {
  return tinyTrainOptions<NodeTrainOptions>({
    callbacks: {
      onWarning: (message) => {
        warnings.push(message);
      },
    },
    ...over,
  });
}

/** The state after one epoch of two steps. */
const TWO_STEP_STATE: TrainingState = {
  step: 2,
  epoch: 1,
  batchInEpoch: 0,
  seed: 3,
  skippedSteps: 0,
  history: [{ epoch: 1, step: 2, loss: 1, lr: 0.1, gradNorm: 1, skippedSteps: 0, seconds: 1 }],
  epochAccumulator: { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 },
  plateau: { best: Infinity, epochsWithoutImprovement: 0 },
  finished: false,
};

/** A callback that counts the steps taken. */
function stepCounter(): TrainCallback & { steps: number } {
  return {
    steps: 0,
    onBatchEnd() {
      this.steps++;
    },
  };
}

/** Bit patterns of every weight of `model`. */
function bitsOf(model: tf.LayersModel): Uint32Array[] {
  return model
    .getWeights()
    .map((weight) => new Uint32Array(new Float32Array(weight.dataSync()).buffer));
}

/**
 * Runs `options` on a fresh {@link Trainer} (built first, so that its optimizer's own tensors
 * are not counted) and expects it to fail with `message` before any step, leaking no tensor.
 */
async function expectRefusedBeforeAnyStep(
  options: NodeTrainOptions,
  message: string | RegExp,
): Promise<Error> {
  const counter = stepCounter();
  const { checkpointDir, ...rest } = options;
  const trainer = new Trainer({
    ...rest,
    callbacks: [counter, new Checkpoints(checkpointDir as string)],
  });
  const before = tf.memory().numTensors;
  const error = await trainer.run().then(
    () => new Error('training did not fail'),
    (thrown: unknown) => thrown as Error,
  );
  expect(error.message).toMatch(message);
  expect(counter.steps).toBe(0);
  expect(tf.memory().numTensors).toBe(before);
  return error;
}

describe('resuming from a folder where no checkpoint loads', () => {
  it('starts afresh from a missing or an empty folder', async () => {
    for (const dir of [join(temporaryFolder(), 'new'), temporaryFolder()]) {
      const result = await train(tiny({ checkpointDir: dir }));
      expect(result.resumedFrom).toBeUndefined();
      expect(result.state.step).toBe(4);
    }
  });

  it('is an error listing every checkpoint and why it does not load', async () => {
    const dir = temporaryFolder();
    await train(tiny({ checkpointDir: dir }));
    writeFileSync(join(dir, 'checkpoint-4', 'state.json'), '{"step": 4,');
    const bin = join(dir, 'checkpoint-2', 'optimizer.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    const error = await expectRefusedBeforeAnyStep(
      tiny({ checkpointDir: dir }),
      new RegExp(
        `No checkpoint in ${dir} can be loaded[^]*` +
          `checkpoint-4/state\\.json is corrupt \\(bad JSON\\)[^]*` +
          `checkpoint-2/optimizer\\.bin is corrupt \\(truncated\\?\\)`,
      ),
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).path).toBe(dir);
    await expect(loadLatestValidCheckpoint(dir)).rejects.toThrow(`No checkpoint in ${dir}`);
  });

  it('is an error when only a corrupt latest.json is left', async () => {
    const dir = temporaryFolder();
    writeFileSync(join(dir, 'latest.json'), '{"checkpoint": 3}');
    await expect(loadLatestValidCheckpoint(dir)).rejects.toThrow(
      /No checkpoint in .* can be loaded[^]*latest\.json is corrupt/,
    );
  });

  it('is a FileSystemError when the folder is a file', async () => {
    const file = join(temporaryFolder(), 'file');
    writeFileSync(file, '');
    await expect(loadLatestValidCheckpoint(file)).rejects.toThrow(FileSystemError);
  });
});

describe('a checkpoint with an impossible training state', () => {
  const valid = {
    step: 3,
    epoch: 1,
    batchInEpoch: 1,
    seed: 3,
    skippedSteps: 1,
    history: [{ epoch: 1, step: 2, loss: 1, lr: 0.1, gradNorm: 1, skippedSteps: 0, seconds: 1 }],
    epochAccumulator: { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0.1, seconds: 0.5 },
    plateau: { best: null, epochsWithoutImprovement: 0 },
    finished: false,
  };
  type State = typeof valid;
  const cases: [string, (state: State) => unknown, RegExp][] = [
    ['a negative step', (s) => ({ ...s, step: -1 }), /'step' must be an integer ≥ 0, but it is -1/],
    ['a fractional epoch', (s) => ({ ...s, epoch: 1.5 }), /'epoch' must be an integer ≥ 0/],
    ['a string seed', (s) => ({ ...s, seed: '3' }), /'seed' must be a safe integer/],
    ['a history that is no array', (s) => ({ ...s, history: {} }), /'history' must be an array/],
    [
      'a history of the wrong length',
      (s) => ({ ...s, epoch: 2 }),
      /'history' must hold one record per completed epoch \(2\), but it holds 1/,
    ],
    [
      'a record out of order',
      (s) => ({ ...s, history: [{ ...s.history[0], epoch: 2 }] }),
      /'history\[0\]\.epoch' must be 1/,
    ],
    [
      'steps that do not add up',
      (s) => ({ ...s, batchInEpoch: 0 }),
      /'step' \(3\) must be the last epoch's step \(2\) plus 'batchInEpoch' \(0\)/,
    ],
    [
      'more skipped steps than steps',
      (s) => ({ ...s, skippedSteps: 4 }),
      /'skippedSteps' must be an integer from 0 to 'step' \(3\), but it is 4/,
    ],
    [
      'a negative plateau count',
      (s) => ({ ...s, plateau: { best: 0.5, epochsWithoutImprovement: -1 } }),
      /'plateau\.epochsWithoutImprovement' must be an integer from 0 to 'epoch' \(1\)/,
    ],
    [
      'no accumulator',
      (s) => ({ ...s, epochAccumulator: null }),
      /'epochAccumulator' must be an object/,
    ],
    [
      'a non-boolean finished',
      (s) => ({ ...s, finished: 'no' }),
      /'finished' must be true or false/,
    ],
  ];

  it.each(cases)('is rejected: %s', async (_, change, message) => {
    const dir = temporaryFolder();
    const path = await saveCheckpoint(dir, {
      model: tinySequenceModel({ features: 12, numClasses: 5 }).model,
      optimizer: tf.train.adam(0.1),
      state: { ...valid, plateau: { best: Infinity, epochsWithoutImprovement: 0 } },
    });
    await expect(loadCheckpoint(path)).resolves.toBeDefined();
    writeFileSync(join(path, 'state.json'), JSON.stringify(change(structuredClone(valid))));
    const error = await loadCheckpoint(path).then(
      () => new Error('it loaded'),
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(`Checkpoint file ${join(path, 'state.json')} is corrupt`);
    expect(error.message).toMatch(message);
  });

  it('keeps non-finite numbers (an epoch whose every step was skipped) as they were', async () => {
    const dir = temporaryFolder();
    const state = {
      ...valid,
      history: [{ ...valid.history[0], loss: NaN, gradNorm: Infinity }],
      plateau: { best: Infinity, epochsWithoutImprovement: 0 },
    };
    await saveCheckpoint(dir, {
      model: tinySequenceModel({ features: 12, numClasses: 5 }).model,
      optimizer: tf.train.adam(0.1),
      state,
    });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.state.history[0].loss).toBeNaN();
    expect(loaded.state.history[0].gradNorm).toBe(Infinity);
    expect(loaded.state.plateau.best).toBe(Infinity);
  });
});

describe('resuming a different run', () => {
  /** A checkpoint folder of the tiny run with batch size 2, seed 0 and Adam. */
  async function savedRun(over: Partial<NodeTrainOptions> = {}): Promise<string> {
    const dir = temporaryFolder();
    await train(tiny({ epochs: 1, seed: 0, checkpointDir: dir, ...over }));
    return dir;
  }

  it.each([
    ['batch size', { batchSize: 1 }, /'batchSize' was 2, this run has 1/],
    ['seed', { seed: 99 }, /'seed' was 0, this run has 99/],
    ['shuffling', { shuffle: false }, /'shuffle' was true, this run has false/],
    [
      'optimizer',
      { optimizer: { name: 'sgd', learningRate: 0.02, momentum: 0.9 } },
      /'optimizer\.name' was 'adam', this run has 'sgd'/,
    ],
    [
      'number of classes',
      { model: tinySequenceModel({ features: 12, numClasses: 6 }) },
      /model has 5 output classes, this run's 6 \(a different vocabulary\)/,
    ],
    [
      'architecture',
      { model: tinySequenceModel({ features: 12, numClasses: 5, hidden: 8 }) },
      /weight 1 of 4 differs: the checkpoint has 'hidden\/kernel' of shape \[12, 16\], this run's model 'hidden\/kernel' of shape \[12, 8\]/,
    ],
  ] as [string, Partial<NodeTrainOptions>, RegExp][])(
    'is an error naming the checkpoint and both values: %s',
    async (_, over, message) => {
      const dir = await savedRun();
      const error = await expectRefusedBeforeAnyStep(
        tiny({ checkpointDir: dir, seed: 0, ...over }),
        message,
      );
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error.message).toContain(`Cannot resume from ${join(dir, 'checkpoint-2')}`);
    },
  );

  it('is an error naming the first gloss of a different vocabulary', async () => {
    const dir = await savedRun({ vocabulary: GlossVocabulary.ordered(['A', 'B', 'C', 'D']) });
    await expectRefusedBeforeAnyStep(
      tiny({
        checkpointDir: dir,
        seed: 0,
        vocabulary: GlossVocabulary.ordered(['A', 'B', 'X', 'D']),
      }),
      /the vocabulary differs at class 3: 'C' in the checkpoint, 'X' in this run/,
    );
  });

  it('allows, and logs, what it can honour: epochs, learning rate, schedule, evaluation', async () => {
    const dir = await savedRun();
    const warnings: string[] = [];
    const result = await train(
      tiny(
        {
          checkpointDir: dir,
          seed: 0,
          epochs: 3,
          optimizer: { name: 'adam', learningRate: 0.01 },
          schedule: { base: 'cosine' },
          evalEvery: 2,
        },
        warnings,
      ),
    );
    expect(result.resumedFrom).toBe(join(dir, 'checkpoint-2'));
    expect(result.state.step).toBe(6);
    const logged = warnings.join('\n');
    expect(logged).toContain(`resuming from ${join(dir, 'checkpoint-2')} with changes`);
    expect(logged).toContain('epochs: 1 → 3');
    expect(logged).toContain('optimizer.learningRate: 0.02 → 0.01');
    expect(logged).toContain(`schedule: (none) → {"base":"cosine"}`);
    expect(logged).toContain('evalEvery: (none) → 2');
  });

  it('warns that a checkpoint without its run cannot be checked', async () => {
    const dir = await savedRun({ epochs: 2 });
    rmSync(join(dir, 'checkpoint-4', 'run.json'));
    const warnings: string[] = [];
    const result = await train(tiny({ checkpointDir: dir, seed: 0, epochs: 2 }, warnings));
    expect(result.resumedFrom).toBe(join(dir, 'checkpoint-4'));
    expect(warnings).toEqual([
      `train: ${join(dir, 'checkpoint-4')} does not record the run that saved it (an older checkpoint): ` +
        "this run's batch size, seed and settings cannot be checked against it.",
    ]);
  });

  it('still refuses, without its run, a different seed, optimizer or model', async () => {
    const dir = await savedRun();
    rmSync(join(dir, 'checkpoint-2', 'run.json'));
    await expectRefusedBeforeAnyStep(
      tiny({ checkpointDir: dir, seed: 99 }),
      /'seed' was 0, this run has 99/,
    );
    await expectRefusedBeforeAnyStep(
      tiny({ checkpointDir: dir, seed: 0, optimizer: { name: 'sgd', learningRate: 0.1 } }),
      /the optimizer was 'Adam', this run's is 'SlrSgd'/,
    );
    await expectRefusedBeforeAnyStep(
      tiny({
        checkpointDir: dir,
        seed: 0,
        model: tinySequenceModel({ features: 12, numClasses: 5, hidden: 4 }),
      }),
      /the checkpoint has 'hidden\/kernel' of shape \[12, 16\], this run's model 'hidden\/kernel' of shape \[12, 4\]/,
    );
  });

  it('resumes silently when nothing changed', async () => {
    const dir = await savedRun({ epochs: 2 });
    const warnings: string[] = [];
    const result = await train(tiny({ checkpointDir: dir, seed: 0, epochs: 2 }, warnings));
    expect(result.resumedFrom).toBe(join(dir, 'checkpoint-4'));
    expect(result.state.step).toBe(4);
    expect(warnings).toEqual([]);
  });
});

describe('restoreOptimizer', () => {
  /** An Adam after `steps` steps on a small variable, and the variable. */
  function adamAfter(steps: number): tf.AdamOptimizer {
    const adam = tf.train.adam(0.1);
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    for (let i = 0; i < steps; i++) adam.minimize(() => tf.sum(tf.square(w)));
    return adam;
  }
  const powersOf = (optimizer: tf.Optimizer): number[] => {
    const { accBeta1, accBeta2 } = optimizer as unknown as Record<string, tf.Variable>;
    return [accBeta1.dataSync()[0], accBeta2.dataSync()[0]];
  };

  it("restores Adam's accumulated powers bit for bit, where setWeights alone does not", async () => {
    // After 2 steps, β₂³ by pow differs in the last bit from the product β₂·β₂·β₂ of the steps.
    const adam = adamAfter(2);
    const dir = temporaryFolder();
    const model = tinySequenceModel({ features: 12, numClasses: 5 }).model;
    const state = structuredClone(TWO_STEP_STATE);
    await saveCheckpoint(dir, { model, optimizer: adam, state });
    const checkpoint = await loadCheckpoint(dir);
    expect(checkpoint.optimizerPowers).toEqual({
      beta1: 0.9,
      beta2: 0.999,
      accBeta1: powersOf(adam)[0],
      accBeta2: powersOf(adam)[1],
    });
    const plain = tf.train.adam(0.1);
    await plain.setWeights(checkpoint.optimizerWeights);
    expect(powersOf(plain)[1]).not.toBe(powersOf(adam)[1]);
    const restored = tf.train.adam(0.1);
    await restoreOptimizer(restored, checkpoint);
    expect(powersOf(restored)).toEqual(powersOf(adam));
    await expect(restoreOptimizer(tf.train.momentum(0.1, 0.9), checkpoint)).rejects.toThrow(
      `Cannot restore a Momentum optimizer from ${join(dir, 'checkpoint-2')}`,
    );
    checkpoint.model.dispose();
    tf.dispose(checkpoint.optimizerWeights.map((weight) => weight.tensor));
  });
});

describe('checkpoints leak no tensor', () => {
  it('saving keeps tf.memory().numTensors', async () => {
    const options = tiny({ epochs: 1 });
    const trainer = new Trainer(options);
    await trainer.run();
    const dir = temporaryFolder();
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, {
      model: options.model.model,
      optimizer: trainer.optimizer,
      state: trainer.state,
    });
    await saveCheckpoint(dir, {
      model: options.model.model,
      optimizer: trainer.optimizer,
      state: { ...trainer.state, step: 3 },
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falling back over a checkpoint that fails late (its model) leaks nothing', async () => {
    const dir = temporaryFolder();
    await train(tiny({ checkpointDir: dir }));
    const modelDir = join(dir, 'checkpoint-4', 'model');
    const weightsFile = readdirSync(modelDir).find((name) => name.endsWith('.bin')) as string;
    writeFileSync(
      join(modelDir, weightsFile),
      readFileSync(join(modelDir, weightsFile)).subarray(0, 12),
    );
    const before = tf.memory().numTensors;
    const found = await loadLatestValidCheckpoint(dir);
    expect(found?.checkpoint.state.step).toBe(2);
    expect(found?.skipped.map((skipped) => skipped.path)).toEqual([join(dir, 'checkpoint-4')]);
    const held =
      (found?.checkpoint.model.weights.length ?? 0) +
      (found?.checkpoint.optimizerWeights.length ?? 0);
    expect(tf.memory().numTensors).toBe(before + held);
    found?.checkpoint.model.dispose();
    tf.dispose(found?.checkpoint.optimizerWeights.map((weight) => weight.tensor));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a run that does not resume (resume: false)', () => {
  it("replaces the folder's checkpoints with its own, and says so", async () => {
    const dir = temporaryFolder();
    await train(tiny({ checkpointDir: dir })); // checkpoint-2 and checkpoint-4
    const warnings: string[] = [];
    await train(
      tiny({ checkpointDir: dir, resume: false, epochs: 1, checkpointEverySteps: 1 }, warnings),
    );
    expect(warnings).toContain(
      `train: not resuming (resume: false): the checkpoints in ${dir} will be replaced by this run's.`,
    );
    // Its first save (step 1) removed the later ones of the old run, rather than itself.
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-1', 'checkpoint-2', 'latest.json']);
    const found = await loadLatestValidCheckpoint(dir);
    expect(found?.checkpoint.state.history).toHaveLength(1);
    found?.checkpoint.model.dispose();
    tf.dispose(found?.checkpoint.optimizerWeights.map((weight) => weight.tensor));
  });
});

describe('an unwritable checkpoint folder', () => {
  it.each([true, false])('is an error before any step (resume: %s)', async (resume) => {
    const file = join(temporaryFolder(), 'file');
    writeFileSync(file, 'not a folder');
    const dir = join(file, 'checkpoints');
    const counter = stepCounter();
    const error = await train(tiny({ checkpointDir: dir, resume, callbacks: [counter] })).then(
      () => new Error('training did not fail'),
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toBeInstanceOf(FileSystemError);
    expect(error.message).toBe(
      `Could not write to the checkpoint folder '${dir}': a part of the path is not a folder (ENOTDIR).`,
    );
    expect(counter.steps).toBe(0);
  });

  it('is an error before any step when another callback gives the snapshot', async () => {
    const file = join(temporaryFolder(), 'file');
    writeFileSync(file, 'not a folder');
    const first = tiny({ epochs: 1 });
    const trainer = new Trainer(first);
    await trainer.run();
    const optimizerWeights = await trainer.optimizer.getWeights();
    const snapshot = {
      source: 'memory',
      weights: first.model.model.getWeights().map((weight) => weight.clone()),
      optimizerWeights: optimizerWeights.map(({ name, tensor }) => ({
        name,
        tensor: tensor.clone(),
      })),
      state: structuredClone(trainer.state),
    };
    const counter = stepCounter();
    const run = train(
      tiny({
        model: first.model,
        callbacks: [
          { restore: () => snapshot },
          counter,
          new Checkpoints(join(file, 'checkpoints')),
        ],
      }),
    );
    await expect(run).rejects.toThrow(
      `Could not write to the checkpoint folder '${join(file, 'checkpoints')}'`,
    );
    expect(counter.steps).toBe(0);
  });

  it('leaves nothing behind in a writable one', async () => {
    const dir = temporaryFolder();
    await train(tiny({ checkpointDir: dir, epochs: 1 }));
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-2', 'latest.json']);
  });
});

describe('resume is exact, bit for bit', () => {
  it.each(['adam', 'adamw', 'sgd'] as const)(
    'with %s, from every step of a 12-step run',
    async (name) => {
      const optimizer =
        name === 'sgd'
          ? { name, learningRate: 0.05, momentum: 0.9, nesterov: true }
          : { name, learningRate: 0.02, weightDecay: name === 'adamw' ? 0.01 : 0 };
      const run = (over: Partial<NodeTrainOptions> = {}): NodeTrainOptions =>
        tiny({ epochs: 6, optimizer, schedule: { base: 'cosine', warmupSteps: 2 }, ...over });
      const straight = run();
      await train(straight);
      const expected = bitsOf(straight.model.model);
      // Every step's checkpoint, kept, from one run…
      const all = temporaryFolder();
      const saved = run({
        callbacks: [
          { onWarning: () => undefined },
          new Checkpoints(all, { everySteps: 1, keep: 100 }),
        ],
      });
      await train(saved);
      expect(bitsOf(saved.model.model)).toEqual(expected);
      // …then a run resumed from each of them alone.
      for (let step = 1; step < 12; step++) {
        const dir = temporaryFolder();
        cpSync(join(all, `checkpoint-${step}`), join(dir, `checkpoint-${step}`), {
          recursive: true,
        });
        const resumed = run({
          model: tinySequenceModel({ features: 12, numClasses: 5, seed: 9 }),
          checkpointDir: dir,
        });
        const result = await train(resumed);
        expect(result.resumedFrom).toBe(join(dir, `checkpoint-${step}`));
        expect(bitsOf(resumed.model.model), `resumed after step ${step}`).toEqual(expected);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('with dropout and augmentation: the resumed run draws the same masks and samples', async () => {
    // Unseeded dropout layers: train() positions their masks by (seed, step) alone.
    const model = () => tinySequenceModel({ features: 12, numClasses: 5, seed: 9, dropout: 0.4 });
    const run = (over: Partial<NodeTrainOptions> = {}): NodeTrainOptions =>
      tiny({
        model: model(),
        epochs: 6,
        augment: { timeScale: 0.3, cropScale: [0.5, 1], brightness: 0.2 },
        ...over,
      });
    const history = (options: NodeTrainOptions) =>
      train(options).then((result) => result.history.map((record) => record.loss));
    const straight = run();
    const losses = await history(straight);
    const expected = bitsOf(straight.model.model);
    // The same seed again: the same run, bit for bit; another seed: another run.
    const again = run();
    expect(await history(again)).toEqual(losses);
    expect(bitsOf(again.model.model)).toEqual(expected);
    expect(await history(run({ seed: 4 }))).not.toEqual(losses);
    const all = temporaryFolder();
    await train(
      run({
        callbacks: [
          { onWarning: () => undefined },
          new Checkpoints(all, { everySteps: 1, keep: 100 }),
        ],
      }),
    );
    for (const step of [1, 4, 5, 9, 11]) {
      const dir = temporaryFolder();
      cpSync(join(all, `checkpoint-${step}`), join(dir, `checkpoint-${step}`), {
        recursive: true,
      });
      const resumed = run({ checkpointDir: dir });
      const resumedLosses = await history(resumed);
      expect(resumedLosses, `resumed after step ${step}`).toEqual(losses);
      expect(bitsOf(resumed.model.model), `resumed after step ${step}`).toEqual(expected);
    }
  });
});
