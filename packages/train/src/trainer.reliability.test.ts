/**
 * What `train` must never do silently: train a model that outputs raw logits, hide why a step
 * was skipped, or leave tensors behind (after a run, after an error, or growing step by step).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogProbError } from '@slr/diagnostics';
import type { SequenceModel } from '@slr/layers';
import { Trainer, train } from './trainer';
import type { TrainOptions } from './train-options';
import { tinySamples, tinySequenceModel, tinyTrainOptions, weightsOf } from '../test/tiny';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Options whose warnings are collected in `warnings`. */
function collecting(over: Partial<TrainOptions> = {}): {
  options: TrainOptions;
  warnings: string[];
} {
  const warnings: string[] = [];
  const options = tinyTrainOptions({
    callbacks: {
      onWarning: (message) => {
        warnings.push(message);
      },
    },
    ...over,
  });
  return { options, warnings };
}

/** `model` with its output replaced by `transform(output, call)` from the `from`-th call on. */
function tamperedModel(
  model: SequenceModel,
  from: number,
  transform: (output: tf.Tensor3D) => tf.Tensor3D,
): SequenceModel {
  let calls = 0;
  return {
    ...model,
    apply(inputs, training) {
      const output = model.apply(inputs, training);
      if (++calls < from) return output;
      return tf.tidy(() => transform(output));
    },
  };
}

describe('train stops a model that outputs raw logits (the bug this project exists for)', () => {
  it('on the first step, with the diagnostic message, before any update', async () => {
    const { options, warnings } = collecting({
      model: tinySequenceModel({ features: 12, numClasses: 5, logSoftmax: false }),
    });
    const before = weightsOf(options);
    const tensors = tf.memory().numTensors;
    const error = await train(options).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LogProbError);
    expect((error as Error).message).toMatch(
      /^train: step 1: the model's output is not log-probabilities\. Invalid CTC log-probabilities: .*Likely cause: raw logits: apply log-softmax/,
    );
    expect((error as Error).message).toContain('checkLogProbs: false');
    expect(weightsOf(options)).toEqual(before);
    expect(warnings).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('periodically: an output that stops being normalised later stops training then', async () => {
    const steps: number[] = [];
    const { options } = collecting({
      model: tamperedModel(tinySequenceModel({ features: 12, numClasses: 5 }), 3, (output) =>
        tf.add(output, 2),
      ),
      epochs: 4,
      checkLogProbs: { everySteps: 2 },
    });
    options.callbacks = [{ onBatchEnd: (logs) => void steps.push(logs.step) }];
    // Steps 1 and 2 train; the output is shifted from step 3 on, and the check of step 3 (index
    // 2, a multiple of 2) or the negative loss stops it at once.
    await expect(train(options)).rejects.toThrow(/^train: step 3: /);
    expect(steps).toEqual([1, 2]);
  });

  it('a negative loss is named as impossible: an error, or with checkLogProbs: false a warning', async () => {
    const raw = (): SequenceModel =>
      tinySequenceModel({ features: 12, numClasses: 5, logSoftmax: false });
    const { options, warnings } = collecting({ model: raw(), epochs: 3, checkLogProbs: false });
    const result = await train(options);
    const losses = result.history.map((record) => record.loss);
    expect(Math.min(...losses)).toBeLessThan(0);
    const negative = warnings.filter((w) => w.includes('cannot be negative'));
    expect(negative).toHaveLength(1); // once a run
    expect(negative[0]).toMatch(
      /^train: step \d+: the loss is -[\d.e-]+: a CTC loss is -log p\(target\)/,
    );
    expect(negative[0]).toMatch(/raw logits/);
    // The advice after the epoch names it too.
    expect(warnings.some((w) => /epoch \d+: ctcLoss receives raw logits/.test(w))).toBe(true);
  });

  it('a model with log-softmax trains as before, and the check can be spaced or turned off', async () => {
    for (const checkLogProbs of [true, { everySteps: 1 }, false] as const) {
      const { options, warnings } = collecting({ checkLogProbs });
      const result = await train(options);
      expect(result.history).toHaveLength(2);
      expect(warnings).toEqual([]);
    }
  });

  it.each([
    [
      { checkLogProbs: 'yes' },
      "Argument 'options.checkLogProbs' passed to 'train' must be a boolean or { everySteps }, but got 'yes'.",
    ],
    [
      { checkLogProbs: { everySteps: 0 } },
      "Argument 'options.checkLogProbs.everySteps' passed to 'train' must be",
    ],
    [
      { checkLogProbs: null },
      "Argument 'options.checkLogProbs' passed to 'train' must be a boolean or { everySteps }, but got null.",
    ],
  ])('checks the option: %j', (over, message) => {
    expect(() => new Trainer(tinyTrainOptions(over as Partial<TrainOptions>))).toThrow(message);
  });
});

describe("a skipped step's warning says why, counting steps as the logs do", () => {
  it('NaN: the model output holds NaN', async () => {
    const logged: { step: number; skipped: boolean }[] = [];
    const { options, warnings } = collecting({
      model: tamperedModel(tinySequenceModel({ features: 12, numClasses: 5 }), 3, (output) => {
        const [T, B, V] = output.shape;
        const nan = tf.fill([1, B, V], NaN);
        return tf.concat([nan, output.slice([1, 0, 0], [T - 1, B, V])], 0) as tf.Tensor3D;
      }),
      epochs: 2,
    });
    options.callbacks = [
      options.callbacks as never,
      { onBatchEnd: (logs) => void logged.push({ step: logs.step, skipped: logs.skipped }) },
    ];
    const result = await train(options);
    expect(logged.filter((entry) => entry.skipped).map((entry) => entry.step)).toEqual([3, 4]);
    expect(warnings[0]).toBe(
      "train: step 3 skipped: the loss is NaN: the model's output holds NaN (a numerical blow-up " +
        'upstream: lower the learning rate, clip gradients, or look for log(0) or 0/0 in the model).',
    );
    expect(result.state.skippedSteps).toBe(2);
  });

  it('Infinity: an input too short for its target, naming the sample', async () => {
    // One frame per gloss: 's0' ([1, 2]) fits in 2 frames; 's1' ([3, 3]) needs 3 (a blank
    // between the two 3s) and has 2.
    const samples = tinySamples(
      [
        [1, 2],
        [3, 3],
      ],
      1,
    );
    const { options, warnings } = collecting({
      trainSamples: samples,
      epochs: 1,
      batchSize: 2,
      shuffle: false,
    });
    const result = await train(options);
    expect(result.state.skippedSteps).toBe(1);
    expect(warnings[0]).toBe(
      'train: step 1 skipped: the loss is Infinity: an input is too short for its target (CTC ' +
        'needs an output frame per gloss, and one more between two equal glosses): ' +
        's1 (2 output frames for 2 glosses, needs 3).',
    );
  });
});

describe('train leaves no tensor behind', () => {
  it("frees its optimizer (Adam's moments) when it returns", async () => {
    const options = tinyTrainOptions();
    const tensors = tf.memory().numTensors;
    await train(options);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('frees everything when the first step throws', async () => {
    const model = tinySequenceModel({ features: 12, numClasses: 5 });
    const options = tinyTrainOptions({
      model: {
        ...model,
        apply(inputs, training) {
          model.apply(inputs, training); // tensors made before the failure
          tf.ones([3, 3]);
          throw new Error('model failed');
        },
      },
    });
    const tensors = tf.memory().numTensors;
    await expect(train(options)).rejects.toThrow('model failed');
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a Trainer frees its optimizer on dispose, and cannot run again', async () => {
    const options = tinyTrainOptions();
    const tensors = tf.memory().numTensors;
    const trainer = new Trainer(options);
    await trainer.run();
    expect(tf.memory().numTensors).toBeGreaterThan(tensors);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    await expect(trainer.run()).rejects.toThrow('Trainer.run: this trainer was disposed.');
  });

  it('uses flat memory: the tensor count stays the same step after step', async () => {
    const counts: number[] = [];
    const options = tinyTrainOptions({
      epochs: 8,
      batchSize: 1,
      evalSamples: tinySamples([[1, 2]]),
      evalEvery: 2,
      labelSmoothing: 0.1,
      clipNorm: 1,
      callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) },
    });
    await train(options);
    expect(counts).toHaveLength(32);
    // Within an epoch the count follows the batches read ahead; epoch after epoch it repeats.
    expect(counts.slice(4)).toEqual(counts.slice(0, -4));
  });
});
