import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lstmInitializers } from './recurrent';

describe('lstmInitializers', () => {
  it('draws every kernel uniformly within ±1/√units, repeatably for a seed', () => {
    const units = 64;
    const first = lstmInitializers(units, 7);
    const second = lstmInitializers(units, 7);
    tf.tidy(() => {
      const kernel = first.kernelInitializer.apply([32, 4 * units]);
      const recurrent = first.recurrentInitializer.apply([units, 4 * units]);
      const limit = 1 / Math.sqrt(units);
      for (const weights of [kernel, recurrent]) {
        const values = weights.dataSync();
        expect(Math.max(...values)).toBeLessThanOrEqual(limit);
        expect(Math.min(...values)).toBeGreaterThanOrEqual(-limit);
        // Spread over the range, not collapsed (uniform: standard deviation limit/√3).
        expect(tf.moments(weights).variance.dataSync()[0]).toBeCloseTo((limit * limit) / 3, 3);
      }
      expect(Array.from(second.kernelInitializer.apply([32, 4 * units]).dataSync())).toEqual(
        Array.from(kernel.dataSync()),
      );
      expect(Array.from(recurrent.dataSync())).not.toEqual(
        Array.from(kernel.dataSync()).slice(0, units * 4 * units),
      );
    });
  });

  it('plugs into tf.layers.lstm', () => {
    const lstm = tf.layers.lstm({ units: 8, returnSequences: true, ...lstmInitializers(8, 1) });
    const output = tf.tidy(() => (lstm.apply(tf.ones([2, 5, 3])) as tf.Tensor).shape);
    expect(output).toEqual([2, 5, 8]);
  });
});
