import * as tf from '@tensorflow/tfjs';
import { ctcLoss, logSoftmax } from '@slr/ctc';
import { describe, expect, it } from 'vitest';
import { smoothedCtcLoss } from './label-smoothing';

// T = 3, B = 2, V = 2 (blank 0, label 1). Sample 0 uses 2 frames, sample 1 all 3.
const PROBS = [
  [
    [0.6, 0.4],
    [0.3, 0.7],
  ],
  [
    [0.2, 0.8],
    [0.5, 0.5],
  ],
  [
    [0.9, 0.1], // padding for sample 0
    [0.4, 0.6],
  ],
];
const p = (t: number, b: number, k: number): number => PROBS[t][b][k];

/** CTC by hand: sample 0 (T=2, target [1]) and sample 1 (T=3, target [1]). */
function handCtc(): number[] {
  const nll0 = -Math.log(
    p(0, 0, 1) * p(1, 0, 1) + p(0, 0, 0) * p(1, 0, 1) + p(0, 0, 1) * p(1, 0, 0),
  );
  // Paths for a single 1 in 3 frames: any string over {0,1} collapsing to "1": 1 then contiguous.
  const paths = ['100', '010', '001', '110', '011', '111'];
  const prob1 = paths.reduce(
    (s, path) => s + [...path].reduce((q, c, t) => q * p(t, 1, Number(c)), 1),
    0,
  );
  return [nll0, -Math.log(prob1)];
}

/** KL(u ‖ p) averaged over valid frames, by hand. */
function handKl(b: number, frames: number): number {
  let total = 0;
  for (let t = 0; t < frames; t++)
    total +=
      0.5 * (Math.log(0.5) - Math.log(p(t, b, 0))) + 0.5 * (Math.log(0.5) - Math.log(p(t, b, 1)));
  return total / frames;
}

function inputs(): { logProbs: tf.Tensor3D; targets: tf.Tensor2D } {
  return {
    logProbs: tf.log<tf.Tensor3D>(tf.tensor3d(PROBS)),
    targets: tf.tensor2d([[1], [1]], [2, 1], 'int32'),
  };
}

describe('smoothedCtcLoss', () => {
  it('matches (1 − ε)·CTC + ε·KL computed by hand, for every reduction', () => {
    const { logProbs, targets } = inputs();
    const eps = 0.2;
    const ctc = handCtc();
    const kl = [handKl(0, 2), handKl(1, 3)];
    const none = smoothedCtcLoss(logProbs, targets, [2, 3], [1, 1], {
      epsilon: eps,
      reduction: 'none',
    });
    const values = Array.from(none.dataSync());
    expect(values[0]).toBeCloseTo((1 - eps) * ctc[0] + eps * kl[0], 5);
    expect(values[1]).toBeCloseTo((1 - eps) * ctc[1] + eps * kl[1], 5);
    const sum = smoothedCtcLoss(logProbs, targets, [2, 3], [1, 1], {
      epsilon: eps,
      reduction: 'sum',
    });
    expect(sum.dataSync()[0]).toBeCloseTo(values[0] + values[1], 5);
    const mean = smoothedCtcLoss(logProbs, targets, tf.tensor1d([2, 3], 'int32'), [1, 1], {
      epsilon: eps,
    });
    // CTC mean divides by max(targetLength, 1) = 1, then averages the batch.
    expect(mean.dataSync()[0]).toBeCloseTo((values[0] + values[1]) / 2, 5);
    tf.dispose([logProbs, targets, none, sum, mean]);
  });

  it('ε = 0 equals ctcLoss', () => {
    const { logProbs, targets } = inputs();
    const a = smoothedCtcLoss(logProbs, targets, [2, 3], [1, 1], { epsilon: 0, reduction: 'none' });
    const b = ctcLoss(logProbs, targets, [2, 3], [1, 1], { reduction: 'none' });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([logProbs, targets, a, b]);
  });

  it('ε = 1 is the masked KL term alone (padding frames ignored)', () => {
    const { logProbs, targets } = inputs();
    const out = smoothedCtcLoss(logProbs, targets, [2, 3], [1, 1], {
      epsilon: 1,
      reduction: 'none',
    });
    const values = Array.from(out.dataSync());
    expect(values[0]).toBeCloseTo(handKl(0, 2), 6);
    expect(values[1]).toBeCloseTo(handKl(1, 3), 6);
    tf.dispose([logProbs, targets, out]);
  });

  it('never reads frames past inputLengths: NaN or ±Infinity there change neither loss nor gradient', async () => {
    const { logProbs, targets } = inputs();
    const clean = await logProbs.array();
    const evaluate = async (values: number[][][], reduction: 'none' | 'sum' | 'mean') => {
      const x = tf.tensor3d(values);
      const f = (y: tf.Tensor) =>
        smoothedCtcLoss(y as tf.Tensor3D, targets, [2, 3], [1, 1], { epsilon: 0.3, reduction });
      const { value, grad } = tf.valueAndGrad(f)(x);
      const result = {
        loss: Array.from(await value.data()),
        grad: (await grad.array()) as number[][][],
      };
      tf.dispose([x, value, grad]);
      return result;
    };
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const reference = await evaluate(clean, reduction);
      for (const padding of [NaN, -Infinity, Infinity]) {
        // Frame 2 of sample 0 is padding (its length is 2).
        const noisy = clean.map((frame, t) =>
          frame.map((row, b) => (t === 2 && b === 0 ? row.map(() => padding) : row)),
        );
        const result = await evaluate(noisy, reduction);
        result.loss.forEach((value, i) => expect(value).toBeCloseTo(reference.loss[i], 6));
        result.grad.forEach((frame, t) =>
          frame.forEach((row, b) =>
            row.forEach((value, k) => {
              expect(Number.isFinite(value), `gradient [${t}, ${b}, ${k}] is ${value}`).toBe(true);
              expect(value).toBeCloseTo(reference.grad[t][b][k], 6);
            }),
          ),
        );
      }
    }
    tf.dispose([logProbs, targets]);
  });

  it('has a finite gradient with respect to the logits and does not leak', () => {
    const logits = tf.randomNormal<tf.Rank.R3>([6, 2, 4], 0, 3, 'float32', 7);
    const targets = tf.tensor2d(
      [
        [1, 2],
        [3, 3],
      ],
      [2, 2],
      'int32',
    );
    const before = tf.memory().numTensors;
    const grad = tf.grad((x: tf.Tensor) =>
      smoothedCtcLoss(logSoftmax(x) as tf.Tensor3D, targets, [6, 5], [2, 2], { epsilon: 0.1 }),
    )(logits);
    expect(tf.memory().numTensors).toBe(before + 1);
    const values = Array.from(grad.dataSync());
    expect(values.every(Number.isFinite)).toBe(true);
    // The padding frame of sample 1 receives no gradient.
    const g = grad.arraySync() as number[][][];
    expect(g[5][1].every((x) => x === 0)).toBe(true);
    tf.dispose([logits, targets, grad]);
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects epsilon %f, naming the field', (epsilon) => {
    const { logProbs, targets } = inputs();
    expect(() => smoothedCtcLoss(logProbs, targets, [2, 3], [1, 1], { epsilon })).toThrow(
      /Argument 'options.epsilon' passed to 'smoothedCtcLoss' must be a finite number in \[0, 1\]/,
    );
    tf.dispose([logProbs, targets]);
  });
});
