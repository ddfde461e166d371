import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { resampleOverTime, temporalInterpolationWeights } from './resample';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rows = (w: Float32Array, from: number): number[][] =>
  Array.from({ length: w.length / from }, (_, i) =>
    Array.from(w.subarray(i * from, (i + 1) * from)),
  );

describe('temporalInterpolationWeights', () => {
  it('aligns frame centres and mixes the two nearest frames', () => {
    expect(rows(temporalInterpolationWeights(2, 4), 2)).toEqual([
      [1, 0],
      [0.75, 0.25],
      [0.25, 0.75],
      [0, 1],
    ]);
    // Downsampling by 2: each target frame is the mean of the two source frames it covers.
    expect(rows(temporalInterpolationWeights(4, 2), 4)).toEqual([
      [0.5, 0.5, 0, 0],
      [0, 0, 0.5, 0.5],
    ]);
    expect(rows(temporalInterpolationWeights(1, 3), 1)).toEqual([[1], [1], [1]]);
    expect(rows(temporalInterpolationWeights(3, 1), 3)).toEqual([[0, 1, 0]]);
  });

  fcTest.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 })])(
    'is the identity for equal lengths and every row sums to 1',
    (from, to) => {
      const w = temporalInterpolationWeights(from, to);
      rows(w, from).forEach((row) => {
        expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 6);
        expect(row.every((x) => x >= 0)).toBe(true);
      });
      if (from === to)
        rows(w, from).forEach((row, i) => row.forEach((x, j) => expect(x).toBe(i === j ? 1 : 0)));
    },
  );

  it('rejects lengths that are not counts', () => {
    expect(() => temporalInterpolationWeights(0, 3)).toThrow(
      "Argument 'fromLength' passed to 'temporalInterpolationWeights' must be an integer >= 1, but got 0.",
    );
    expect(() => temporalInterpolationWeights(2, 1.5)).toThrow(
      "Argument 'toLength' passed to 'temporalInterpolationWeights' must be an integer >= 0, but got 1.5.",
    );
  });
});

describe('resampleOverTime', () => {
  it('resamples each sample by its own lengths and zeroes the frames past them', () => {
    // Sample 0: 2 frames → 4; sample 1: 3 frames (of which 1 valid) → 2.
    const values = tf.tensor3d([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [9, 9],
      ],
      [
        [5, 5],
        [9, 9],
      ],
    ]); // [T=3, B=2, V=2]
    const out = resampleOverTime(values, [2, 1], [4, 2]);
    expect(out.shape).toEqual([4, 2, 2]);
    const a = out.arraySync();
    expect(a.map((f) => f[0])).toEqual([
      [1, 0],
      [0.75, 0.25],
      [0.25, 0.75],
      [0, 1],
    ]);
    expect(a.map((f) => f[1])).toEqual([
      [0, 1],
      [0, 1],
      [0, 0],
      [0, 0],
    ]);
    // Lengths of every kind @slr/ctc's Lengths allows give the same result.
    const fromTensor = tf.tensor1d([2, 1], 'int32');
    const sameFromTensor = resampleOverTime(values, fromTensor, new Int32Array([4, 2]));
    expect(sameFromTensor.arraySync()).toEqual(a);
    tf.dispose([values, out, fromTensor, sameFromTensor]);
  });

  it('keeps distributions distributions, leaks nothing, and names bad lengths', () => {
    const probs = tf.softmax<tf.Tensor3D>(tf.randomNormal([5, 3, 4], 0, 1, 'float32', 3));
    const out = expectNoLeaks(() => resampleOverTime(probs, [5, 4, 2], [9, 3, 7], 10), 1);
    expect(out.shape).toEqual([10, 3, 4]);
    const sums = tf.sum(out, 2).arraySync() as number[][];
    sums.forEach((row, t) =>
      row.forEach((s, b) => expect(s).toBeCloseTo(t < [9, 3, 7][b] ? 1 : 0, 5)),
    );
    expect(() => resampleOverTime(probs, [6, 1, 1], [1, 1, 1])).toThrow(
      "Argument 'fromLengths[0]' passed to 'resampleOverTime' must be an integer in [0, 5], but got 6.",
    );
    expect(() => resampleOverTime(probs, [1, 1], [1, 1, 1])).toThrow(
      "Argument 'fromLengths' passed to 'resampleOverTime' must hold 3 lengths (one per sample), but got [1, 1].",
    );
    tf.dispose([probs, out]);
  });
});
