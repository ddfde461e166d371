import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalGradientNorm } from './clip';

describe('clipByGlobalNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) when the global norm exceeds maxNorm', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // norm 5
    const before = tf.memory().numTensors;
    const result = clipByGlobalNorm(grads, 1);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(result.globalNorm).toBeCloseTo(5, 6);
    expect(result.finite).toBe(true);
    expect(result.clipped).toBe(true);
    const scale = 1 / (5 + 1e-6);
    const a = result.grads.a.dataSync();
    const b = result.grads.b.dataSync();
    expect(a[0]).toBeCloseTo(3 * scale, 6);
    expect(b[1]).toBeCloseTo(4 * scale, 6);
    expect(result.grads.b.shape).toEqual([1, 2]);
    // Inputs untouched.
    expect(Array.from(grads.a.dataSync())).toEqual([3, 0]);
    tf.dispose([grads, result.grads]);
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('leaves gradients unchanged at or below maxNorm', () => {
    const grads = { a: tf.tensor1d([0.3, 0.4]) }; // norm 0.5
    const result = clipByGlobalNorm(grads, 0.5);
    expect(result.clipped).toBe(false);
    expect(result.globalNorm).toBeCloseTo(0.5, 6);
    expect(Array.from(result.grads.a.dataSync())).toEqual(Array.from(grads.a.dataSync()));
    tf.dispose([grads, result.grads]);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])(
    'reports a non-finite global norm (%f) and does not scale',
    (bad) => {
      const grads = { a: tf.tensor1d([1, bad]), b: tf.tensor1d([100]) };
      const result = clipByGlobalNorm(grads, 1);
      expect(result.finite).toBe(false);
      expect(result.clipped).toBe(false);
      expect(Number.isFinite(result.globalNorm)).toBe(false);
      expect(result.grads.b.dataSync()[0]).toBe(100);
      tf.dispose([grads, result.grads]);
    },
  );

  it('handles an empty map', () => {
    expect(clipByGlobalNorm({}, 1)).toEqual({
      grads: {},
      globalNorm: 0,
      finite: true,
      clipped: false,
    });
  });

  it('rejects a non-positive maxNorm and a bad given norm, naming the field', () => {
    expect(() => clipByGlobalNorm({}, 0)).toThrow(
      /Argument 'maxNorm' passed to 'clipByGlobalNorm' must be a finite number > 0, but got 0\./,
    );
    expect(() => clipByGlobalNorm({}, 1, -2)).toThrow(
      "Argument 'globalNorm' passed to 'clipByGlobalNorm' must be a number >= 0 " +
        '(Infinity for non-finite gradients), but got -2.',
    );
  });

  it('uses a given norm (read asynchronously by globalGradientNorm) without reading the tensors back', async () => {
    // 300 tensors: more than one WebGPU shader may bind, so the norm is summed pairwise.
    const grads: tf.NamedTensorMap = {};
    for (let i = 0; i < 300; i++) grads[`g${i}`] = tf.fill([2], i % 2 === 0 ? 1 : -1);
    const norm = await globalGradientNorm(grads);
    expect(norm).toBeCloseTo(Math.sqrt(600), 4);
    const result = clipByGlobalNorm(grads, 1, norm);
    expect(result.globalNorm).toBe(norm);
    expect(result.clipped).toBe(true);
    expect(result.grads.g0.dataSync()[0]).toBeCloseTo(1 / Math.sqrt(600), 5);
    // The given norm decides, even when it disagrees with the tensors (the caller's responsibility).
    const unclipped = clipByGlobalNorm(grads, 1, 0.5);
    expect(unclipped.clipped).toBe(false);
    const skipped = clipByGlobalNorm(grads, 1, Infinity);
    expect(skipped.finite).toBe(false);
    expect(await globalGradientNorm({})).toBe(0);
    tf.dispose([grads, result.grads, unclipped.grads, skipped.grads]);
  });

  test.prop([
    fc.array(
      fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 5 }),
      { minLength: 1, maxLength: 4 },
    ),
    fc.double({ min: 0.01, max: 50, noNaN: true }),
  ])('the clipped norm is min(norm, ≈maxNorm) and no tensor leaks', (arrays, maxNorm) => {
    const grads: tf.NamedTensorMap = {};
    arrays.forEach((values, i) => (grads[`g${i}`] = tf.tensor1d(values)));
    const expectedNorm = Math.sqrt(arrays.flat().reduce((s, x) => s + x * x, 0));
    const before = tf.memory().numTensors;
    const result = clipByGlobalNorm(grads, maxNorm);
    expect(tf.memory().numTensors).toBe(before + arrays.length);
    expect(result.globalNorm).toBeCloseTo(expectedNorm, 2);
    const clippedNorm = Math.sqrt(
      Object.values(result.grads).reduce(
        (s, t) => s + Array.from(t.dataSync()).reduce((u, x) => u + x * x, 0),
        0,
      ),
    );
    expect(clippedNorm).toBeLessThanOrEqual(Math.max(maxNorm, result.globalNorm) * (1 + 1e-5));
    if (result.clipped)
      expect(Math.abs(clippedNorm - maxNorm)).toBeLessThan(1e-4 * Math.max(1, maxNorm));
    tf.dispose([grads, result.grads]);
  });
});
