/**
 * NaN and padding semantics of ctcLoss, the same on every backend and as PyTorch 1.13's
 * `F.ctc_loss` (checked against it on these inputs): a NaN log-probability that the recursion
 * carries to the end of the lattice makes the sample's loss NaN (also with `zeroInfinity`) and its
 * gradient NaN on every valid frame; one that it does not carry leaves the loss finite; frames past
 * `inputLengths` are never read.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeWithBackends, expectNoLeaks, readTensors } from '@slr/test-utils';
import { ctcLoss } from '../index';

const FRAMES = 6;
const CLASSES = 5;

/** Deterministic log-probabilities `[T, 2, V]`: log-softmax of fixed pseudo-random logits. */
function cleanLogProbs(): number[][][] {
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return Array.from({ length: FRAMES }, () =>
    Array.from({ length: 2 }, () => {
      const logits = Array.from({ length: CLASSES }, () => 2 * uniform() - 1);
      const logZ = Math.log(logits.reduce((sum, x) => sum + Math.exp(x), 0));
      return logits.map((x) => x - logZ);
    }),
  );
}

/** A copy of `values` with `[t, b, k] = value` for each entry of `at`. */
function withValues(
  values: number[][][],
  at: readonly (readonly [number, number, number])[],
  value: number,
): number[][][] {
  const copy = values.map((frame) => frame.map((row) => [...row]));
  for (const [t, b, k] of at) copy[t][b][k] = value;
  return copy;
}

interface Problem {
  /** Sample 0's target (sample 1's is [4, 2]). */
  target: number[];
  inputLengths: [number, number];
}

async function evaluate(
  values: number[][][],
  { target, inputLengths }: Problem,
  zeroInfinity = false,
): Promise<{ losses: number[]; mean: number; grad: number[][][] }> {
  const width = Math.max(target.length, 2);
  const pad = (row: number[]): number[] => [...row, ...new Array<number>(width).fill(-1)];
  const result = await readTensors(() => {
    const logProbs = tf.tensor3d(values);
    const targets = tf.tensor2d(
      [pad(target).slice(0, width), pad([4, 2]).slice(0, width)],
      [2, width],
      'int32',
    );
    const targetLengths = [target.length, 2];
    return {
      losses: ctcLoss(logProbs, targets, inputLengths, targetLengths, {
        reduction: 'none',
        zeroInfinity,
      }),
      mean: ctcLoss(logProbs, targets, inputLengths, targetLengths, { zeroInfinity }),
      grad: tf.grad((x: tf.Tensor) =>
        ctcLoss(x as tf.Tensor3D, targets, inputLengths, targetLengths, {
          reduction: 'sum',
          zeroInfinity,
        }),
      )(logProbs),
    };
  });
  return {
    losses: result.losses as number[],
    mean: result.mean as number,
    grad: result.grad as number[][][],
  };
}

const isNaNAt = (
  at: readonly (readonly [number, number, number])[],
  t: number,
  b: number,
  k: number,
) => at.some(([tt, bb, kk]) => tt === t && bb === b && kk === k);

/**
 * Expects `noisy` to equal `clean` except: NaN over sample `nanSample`'s valid frames (every
 * class) when given, and NaN exactly at `nanEntries` otherwise.
 */
function expectGradient(
  noisy: number[][][],
  clean: number[][][],
  problem: Problem,
  expected: { nanSample?: number; nanEntries?: readonly (readonly [number, number, number])[] },
): void {
  for (let t = 0; t < FRAMES; t++) {
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < CLASSES; k++) {
        const got = noisy[t][b][k];
        const where = `gradient [${t}, ${b}, ${k}]`;
        if (t >= problem.inputLengths[b]) {
          expect(got === 0, `${where} is ${got}`).toBe(true);
        } else if (b === expected.nanSample || isNaNAt(expected.nanEntries ?? [], t, b, k)) {
          expect(got, where).toBeNaN();
        } else {
          expect(
            Math.abs(got - clean[t][b][k]),
            `${where}: ${got} vs ${clean[t][b][k]}`,
          ).toBeLessThan(1e-5);
        }
      }
    }
  }
}

describeWithBackends('ctcLoss with NaN log-probabilities', () => {
  const base = cleanLogProbs();
  // Sample 0 has 5 valid frames of 6 and the target [1, 2] (states b 1 b 2 b); sample 1 is clean.
  const problem: Problem = { target: [1, 2], inputLengths: [5, 4] };

  it('makes a NaN on the target path a NaN loss (zeroInfinity too) and NaN on every valid frame', async () => {
    const clean = await evaluate(base, problem);
    // A label on the path (frame 2, label 1), then the blank in the last valid frame.
    for (const at of [[[2, 0, 1]], [[4, 0, 0]]] as const) {
      for (const zeroInfinity of [false, true]) {
        const noisy = await evaluate(withValues(base, at, NaN), problem, zeroInfinity);
        expect(noisy.losses[0]).toBeNaN();
        expect(noisy.losses[1]).toBeCloseTo(clean.losses[1], 5);
        expect(noisy.mean).toBeNaN();
        // The padded frame 5 of sample 0 stays 0; sample 1 is untouched.
        expectGradient(noisy.grad, clean.grad, problem, { nanSample: 0 });
      }
    }
  });

  it('never reads frames past inputLengths: NaN, -Infinity or Infinity there change nothing', async () => {
    const clean = await evaluate(base, problem);
    const padding: [number, number, number][] = [];
    for (let k = 0; k < CLASSES; k++) padding.push([5, 0, k], [4, 1, k], [5, 1, k]);
    for (const value of [NaN, -Infinity, Infinity]) {
      const noisy = await evaluate(withValues(base, padding, value), problem);
      expect(noisy.losses[0]).toBeCloseTo(clean.losses[0], 5);
      expect(noisy.losses[1]).toBeCloseTo(clean.losses[1], 5);
      expectGradient(noisy.grad, clean.grad, problem, {});
    }
  });

  it('keeps the loss finite for a NaN no alignment carries to the end; only its gradient entry is NaN', async () => {
    const longer: Problem = { target: [1, 2, 3], inputLengths: [6, 4] };
    const cases: { name: string; problem: Problem; at: [number, number, number] }[] = [
      // Class 3 is not in [1, 2]: the loss never reads it.
      { name: 'a class outside the target', problem, at: [2, 0, 3] },
      // Label 1 (state 1) in frame 4 of 6 cannot reach the last states (5 and 6) of b 1 b 2 b 3 b.
      { name: 'a state that cannot reach the end', problem: longer, at: [4, 0, 1] },
      // Label 2 (state 3) in frame 0: a path starts in state 0 or 1 only.
      { name: 'a state in frame 0 that no path starts in', problem: longer, at: [0, 0, 2] },
    ];
    for (const { name, problem: p, at } of cases) {
      const clean = await evaluate(base, p);
      const noisy = await evaluate(withValues(base, [at], NaN), p);
      expect(noisy.losses[0], name).toBeCloseTo(clean.losses[0], 5);
      expect(noisy.losses[1], name).toBeCloseTo(clean.losses[1], 5);
      expectGradient(noisy.grad, clean.grad, p, { nanEntries: [at] });
    }
  });

  it('gives NaN, as PyTorch, for a NaN on a state no path reaches by then but that reaches the end', async () => {
    // Label 3 (state 5) in frame 1: paths are in states 0-3 then, but PyTorch's recursion
    // computes every state of every frame from 1 on, and the NaN flows on to the end.
    const longer: Problem = { target: [1, 2, 3], inputLengths: [6, 4] };
    const clean = await evaluate(base, longer);
    const noisy = await evaluate(withValues(base, [[1, 0, 3]], NaN), longer, true);
    expect(noisy.losses[0]).toBeNaN();
    expect(noisy.losses[1]).toBeCloseTo(clean.losses[1], 5);
    expectGradient(noisy.grad, clean.grad, longer, { nanSample: 0 });
  });

  it('keeps zeroInfinity for impossible alignments beside a NaN sample', async () => {
    // Sample 0 needs 3 frames for [1, 1] but has 2; sample 1 has a NaN on its path.
    const values = withValues(base, [[1, 1, 4]], NaN);
    const { losses } = await evaluate(values, { target: [1, 1], inputLengths: [2, 4] }, true);
    expect(losses[0]).toBe(0);
    expect(losses[1]).toBeNaN();
  });

  it('leaves no tensors behind with NaN inputs', () => {
    const logProbs = tf.tensor3d(withValues(base, [[2, 0, 1]], NaN));
    const targets = tf.tensor2d(
      [
        [1, 2],
        [4, 2],
      ],
      [2, 2],
      'int32',
    );
    const f = (x: tf.Tensor) => ctcLoss(x as tf.Tensor3D, targets, [5, 4], [2, 2]);
    const both = expectNoLeaks(() => tf.valueAndGrad(f)(logProbs), 2);
    tf.dispose([both.value, both.grad, logProbs, targets]);
  });
});
