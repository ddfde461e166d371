import * as tf from '@tensorflow/tfjs';
import { test, fc } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import {
  bruteForceCtcLoss,
  describeWithBackends,
  expectNoLeaks,
  readTensors,
} from '@slr/test-utils';
import { ctcLoss, logSoftmax } from '../index';

/** Random log-probabilities [T, B, V] (log-softmax of normal logits), as nested arrays. */
function randomLogProbs(
  frames: number,
  batch: number,
  classes: number,
  seed: number,
  scale = 1,
): number[][][] {
  let state = seed >>> 0 || 7;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from({ length: frames }, () =>
    Array.from({ length: batch }, () => {
      const logits = Array.from(
        { length: classes },
        () => scale * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
      );
      const max = Math.max(...logits);
      const logZ = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
      return logits.map((x) => x - logZ);
    }),
  );
}

const tinyCase = fc
  .record({
    frames: fc.integer({ min: 1, max: 5 }),
    classes: fc.integer({ min: 2, max: 4 }),
    batch: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer(),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      inputLengths: fc.array(fc.integer({ min: 0, max: shape.frames }), {
        minLength: shape.batch,
        maxLength: shape.batch,
      }),
      targets: fc.array(
        fc.array(fc.integer({ min: 1, max: shape.classes - 1 }), { minLength: 0, maxLength: 3 }),
        {
          minLength: shape.batch,
          maxLength: shape.batch,
        },
      ),
    }),
  );

/** Pads ragged targets into [B, S] with -1. */
function padTargets(targets: number[][]): { padded: number[][]; lengths: number[]; width: number } {
  const width = Math.max(1, ...targets.map((target) => target.length));
  return {
    padded: targets.map((target) => [
      ...target,
      ...new Array<number>(width - target.length).fill(-1),
    ]),
    lengths: targets.map((target) => target.length),
    width,
  };
}

describeWithBackends('ctcLoss', () => {
  test.prop([tinyCase])(
    'equals brute-force enumeration of all paths',
    async ({ shape, inputLengths, targets }) => {
      const { frames, batch, classes, seed } = shape;
      const logProbs = randomLogProbs(frames, batch, classes, seed);
      const { padded, lengths, width } = padTargets(targets);
      const losses = (await readTensors(() =>
        ctcLoss(
          tf.tensor3d(logProbs),
          tf.tensor2d(padded, [batch, width], 'int32'),
          inputLengths,
          lengths,
          { reduction: 'none' },
        ),
      )) as number[];
      for (let b = 0; b < batch; b++) {
        const rows = logProbs.slice(0, inputLengths[b]).map((frame) => frame[b]);
        const expected =
          inputLengths[b] === 0
            ? lengths[b] === 0
              ? 0
              : Infinity
            : bruteForceCtcLoss(rows, targets[b]);
        if (!Number.isFinite(expected)) expect(losses[b]).toBe(Infinity);
        else
          expect(Math.abs(losses[b] - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, expected));
      }
    },
  );

  test.prop([tinyCase.filter(({ inputLengths }) => inputLengths.some((length) => length > 0))], {
    numRuns: 25,
  })('has the gradient of central differences', async ({ shape, inputLengths, targets }) => {
    const { frames, batch, classes, seed } = shape;
    const { padded, lengths, width } = padTargets(targets);
    const values = randomLogProbs(frames, batch, classes, seed);
    const targetTensor = tf.tensor2d(padded, [batch, width], 'int32');
    // zeroInfinity keeps every loss finite so that differences are defined.
    const loss = (x: tf.Tensor): tf.Tensor =>
      ctcLoss(x as tf.Tensor3D, targetTensor, inputLengths, lengths, {
        reduction: 'sum',
        zeroInfinity: true,
      });
    const analytic = (await readTensors(() => tf.grad(loss)(tf.tensor3d(values)))) as number[][][];
    // Every shifted copy goes through one batched evaluation per sign of the step.
    const epsilon = 1e-2;
    const shifts: [number, number, number][] = [];
    for (let t = 0; t < frames; t++)
      for (let b = 0; b < batch; b++) for (let k = 0; k < classes; k++) shifts.push([t, b, k]);
    const evaluate = (delta: number) =>
      readTensors(() =>
        tf.stack(
          shifts.map(([t, b, k]) =>
            loss(
              tf.tensor3d(
                values.map((frame, ft) =>
                  frame.map((row, fb) =>
                    row.map((v, fk) => (ft === t && fb === b && fk === k ? v + delta : v)),
                  ),
                ),
              ),
            ),
          ),
        ),
      ) as Promise<number[]>;
    const [plus, minus] = [await evaluate(epsilon), await evaluate(-epsilon)];
    shifts.forEach(([t, b, k], i) => {
      const numeric = (plus[i] - minus[i]) / (2 * epsilon);
      expect(Math.abs(analytic[t][b][k] - numeric)).toBeLessThanOrEqual(
        3e-3 + 1e-2 * Math.abs(numeric),
      );
    });
    targetTensor.dispose();
  });

  test.prop([tinyCase, fc.integer()])(
    'is invariant to batch order',
    async ({ shape, inputLengths, targets }, permutationSeed) => {
      const { frames, batch, classes, seed } = shape;
      const logProbs = randomLogProbs(frames, batch, classes, seed);
      const order = Array.from({ length: batch }, (_, b) => b).sort(
        (a, b) =>
          ((a * 7919 + permutationSeed) % 13) - ((b * 7919 + permutationSeed) % 13) || a - b,
      );
      const run = (perm: number[]): Promise<number[]> => {
        const { padded, lengths, width } = padTargets(perm.map((b) => targets[b]));
        return readTensors(() =>
          ctcLoss(
            tf.tensor3d(logProbs.map((frame) => perm.map((b) => frame[b]))),
            tf.tensor2d(padded, [batch, width], 'int32'),
            perm.map((b) => inputLengths[b]),
            lengths,
            { reduction: 'none' },
          ),
        ) as Promise<number[]>;
      };
      const direct = await run(Array.from({ length: batch }, (_, b) => b));
      const permuted = await run(order);
      order.forEach((b, i) => expect(permuted[i]).toBeCloseTo(direct[b], 4));
    },
  );

  test.prop([tinyCase, fc.integer({ min: -5, max: 5 })])(
    'never reads padded frames or padded target positions',
    async ({ shape, inputLengths, targets }, junk) => {
      const { frames, batch, classes, seed } = shape;
      const logProbs = randomLogProbs(frames, batch, classes, seed);
      const { padded, lengths, width } = padTargets(targets);
      const scrambled = logProbs.map((frame, t) =>
        frame.map((row, b) => (t >= inputLengths[b] ? row.map(() => junk * 1e3) : row)),
      );
      const scrambledTargets = padded.map((row, b) =>
        row.map((label, i) => (i >= lengths[b] ? junk : label)),
      );
      const evaluate = async (lp: number[][][], tg: number[][]) => {
        const result = await readTensors(() => {
          const x = tf.tensor3d(lp);
          const tgt = tf.tensor2d(tg, [batch, width], 'int32');
          const f = (v: tf.Tensor) =>
            ctcLoss(v as tf.Tensor3D, tgt, inputLengths, lengths, {
              reduction: 'sum',
              zeroInfinity: true,
            });
          return { loss: f(x), grad: tf.grad(f)(x) };
        });
        return { loss: result.loss as number, grad: result.grad as number[][][] };
      };
      const clean = await evaluate(logProbs, padded);
      const noisy = await evaluate(scrambled, scrambledTargets);
      expect(noisy.loss).toBeCloseTo(clean.loss, 4);
      for (let t = 0; t < frames; t++) {
        for (let b = 0; b < batch; b++) {
          for (let k = 0; k < classes; k++) {
            expect(noisy.grad[t][b][k]).toBeCloseTo(clean.grad[t][b][k], 4);
            if (t >= inputLengths[b]) expect(noisy.grad[t][b][k] === 0).toBe(true);
          }
        }
      }
    },
  );

  it("'mean' divides each loss by max(targetLength, 1) and averages over the batch", async () => {
    const { none, mean, sum } = await readTensors(() => {
      const logProbs = tf.tensor3d(randomLogProbs(6, 3, 4, 11));
      const targets = tf.tensor2d(
        [
          [1, 2, -1],
          [3, -1, -1],
          [-1, -1, -1],
        ],
        [3, 3],
        'int32',
      );
      return {
        none: ctcLoss(logProbs, targets, [6, 5, 4], [2, 1, 0], { reduction: 'none' }),
        mean: ctcLoss(logProbs, targets, [6, 5, 4], [2, 1, 0]),
        sum: ctcLoss(logProbs, targets, [6, 5, 4], [2, 1, 0], { reduction: 'sum' }),
      };
    });
    const losses = none as number[];
    expect(mean as number).toBeCloseTo((losses[0] / 2 + losses[1] / 1 + losses[2] / 1) / 3, 4);
    expect(sum as number).toBeCloseTo(losses[0] + losses[1] + losses[2], 4);
  });

  it('gives Infinity for an impossible alignment, 0 with zeroInfinity, and never a NaN gradient', async () => {
    const logits = tf.tensor3d(randomLogProbs(2, 2, 3, 5));
    // Sample 0 needs 3 frames for [1, 1] (a blank between repeats) but has 2.
    const targets = tf.tensor2d(
      [
        [1, 1],
        [2, -1],
      ],
      [2, 2],
      'int32',
    );
    for (const zeroInfinity of [false, true]) {
      const loss = (x: tf.Tensor, reduction: 'none' | 'sum' | 'mean') =>
        ctcLoss(logSoftmax(x as tf.Tensor3D), targets, [2, 2], [2, 1], { reduction, zeroInfinity });
      const result = await readTensors(() => ({
        losses: loss(logits, 'none'),
        gradSum: tf.grad((x: tf.Tensor) => loss(x, 'sum'))(logits),
        gradMean: tf.grad((x: tf.Tensor) => loss(x, 'mean'))(logits),
      }));
      const losses = result.losses as number[];
      expect(losses[0]).toBe(zeroInfinity ? 0 : Infinity);
      expect(Number.isFinite(losses[1])).toBe(true);
      for (const values of [result.gradSum, result.gradMean] as number[][][][]) {
        values.forEach((frame) =>
          frame.forEach((row, b) =>
            row.forEach((v) => {
              expect(Number.isNaN(v)).toBe(false);
              if (b === 0) expect(v === 0).toBe(true);
            }),
          ),
        );
      }
    }
    tf.dispose([logits, targets]);
  });

  it('handles zero-length inputs and empty targets', async () => {
    const values = randomLogProbs(3, 3, 3, 2);
    const losses = (await readTensors(() =>
      ctcLoss(
        tf.tensor3d(values),
        tf.tensor2d([[-1], [1], [-1]], [3, 1], 'int32'),
        [0, 0, 3],
        [0, 1, 0],
        { reduction: 'none' },
      ),
    )) as number[];
    expect(losses[0]).toBe(0);
    expect(losses[1]).toBe(Infinity);
    const blanks = values.map((frame) => frame[2][0]);
    expect(losses[2]).toBeCloseTo(-(blanks[0] + blanks[1] + blanks[2]), 4);
  });

  it('accepts lengths as int32 tensors', async () => {
    const { fromArrays, fromTensors } = await readTensors(() => {
      const logProbs = tf.tensor3d(randomLogProbs(5, 2, 4, 3));
      const targets = tf.tensor2d(
        [
          [1, 2],
          [3, -1],
        ],
        [2, 2],
        'int32',
      );
      return {
        fromArrays: ctcLoss(logProbs, targets, [5, 4], [2, 1]),
        fromTensors: ctcLoss(
          logProbs,
          targets,
          tf.tensor1d([5, 4], 'int32'),
          tf.tensor1d([2, 1], 'int32'),
        ),
      };
    });
    expect(fromTensors).toBe(fromArrays);
  });

  it('leaves no tensors behind: only the returned loss and gradient remain', () => {
    const logits = tf.tensor3d(randomLogProbs(8, 2, 5, 9));
    const targets = tf.tensor2d(
      [
        [1, 2, 3],
        [4, -1, -1],
      ],
      [2, 3],
      'int32',
    );
    const f = (x: tf.Tensor) => ctcLoss(logSoftmax(x as tf.Tensor3D), targets, [8, 6], [3, 1]);
    const loss = expectNoLeaks(() => tf.tidy(() => f(logits)), 1);
    const direct = expectNoLeaks(
      () => ctcLoss(logits, targets, [8, 6], [3, 1], { reduction: 'none' }),
      1,
    );
    const grad = expectNoLeaks(() => tf.grad(f)(logits), 1);
    const both = expectNoLeaks(() => tf.valueAndGrad(f)(logits), 2);
    tf.dispose([loss, direct, grad, both.value, both.grad, logits, targets]);
  });

  it('trains through tf.variableGrads and optimizer.minimize', async () => {
    const logits = tf.variable(tf.zeros([10, 2, 5]));
    const targets = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 4, -1],
      ],
      [2, 3],
      'int32',
    );
    const loss = () =>
      ctcLoss(logSoftmax(logits as unknown as tf.Tensor3D), targets, [10, 9], [3, 2]);
    const { value, grads } = tf.variableGrads(loss);
    expect(Object.keys(grads)).toEqual([logits.name]);
    const optimizer = tf.train.adam(0.1);
    const before = (await value.data())[0];
    for (let step = 0; step < 30; step++) optimizer.minimize(loss);
    const after = (await readTensors(() => loss())) as number;
    expect(after).toBeLessThan(before / 2);
    tf.dispose([value, ...Object.values(grads), logits, targets]);
    optimizer.dispose();
  });
});

describeWithBackends('logSoftmax', () => {
  test.prop([
    fc.array(fc.float({ min: Math.fround(-30), max: Math.fround(30), noNaN: true }), {
      minLength: 1,
      maxLength: 12,
    }),
  ])('matches tf.logSoftmax in value and gradient', async (row) => {
    const result = await readTensors(() => {
      const x = tf.tensor2d([row, row.map((v) => -v)]);
      const weights = tf.randomUniform(x.shape, -1, 1, 'float32', 3);
      const ours = tf.valueAndGrad((v: tf.Tensor) => tf.sum(tf.mul(logSoftmax(v), weights)))(x);
      const reference = tf.valueAndGrad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.logSoftmax(v), weights)),
      )(x);
      return {
        value: ours.value,
        grad: ours.grad,
        referenceValue: reference.value,
        referenceGrad: reference.grad,
      };
    });
    expect(result.value as number).toBeCloseTo(result.referenceValue as number, 3);
    const expected = (result.referenceGrad as number[][]).flat();
    (result.grad as number[][])
      .flat()
      .forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
  });

  it('leaves no tensors behind', () => {
    const x = tf.randomNormal([4, 7]);
    const y = expectNoLeaks(() => logSoftmax(x), 1);
    const g = expectNoLeaks(() => tf.grad((v: tf.Tensor) => tf.sum(logSoftmax(v)))(x), 1);
    tf.dispose([x, y, g]);
  });

  it('rejects non-float input', () => {
    expect(() => logSoftmax(tf.tensor1d([1, 2], 'int32'))).toThrow(
      /'logits' passed to 'logSoftmax' must be float32, but got an int32 tensor of shape \[2\]\./,
    );
  });
});
