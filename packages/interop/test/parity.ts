/**
 * What the two parity suites (with torchvision and pytorch-i3d, and with the slr_torch twins)
 * share: the comparison of an output with PyTorch's, its bar, and random biases and statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { layersOf, weightsByName } from '../src/mapping/groups';

/** Largest |actual − expected| and largest |expected|. */
export interface ParityError {
  maxError: number;
  maxAbs: number;
}

/** Largest |a − b| and largest |b|. */
export function compare(actual: tf.Tensor, expected: tf.Tensor): ParityError {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let maxError = 0;
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) {
    maxError = Math.max(maxError, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  }
  return { maxError, maxAbs };
}

/** Random biases, normalisation scales, offsets and moving statistics (eval mode uses them all). */
export function randomiseBiasesAndStatistics(model: tf.LayersModel, seed: number): void {
  let next = seed;
  for (const layer of layersOf(model).values()) {
    for (const [name, weight] of weightsByName(layer)) {
      const shape = weight.shape as number[];
      const value =
        name === 'gamma' || name === 'moving_variance'
          ? tf.randomUniform(shape, 0.5, 1.5, 'float32', next++)
          : name === 'moving_mean' || name === 'beta'
            ? tf.randomNormal(shape, 0, 0.2, 'float32', next++)
            : name.endsWith('bias')
              ? tf.randomNormal(shape, 0, 0.1, 'float32', next++)
              : null;
      if (value !== null) {
        weight.write(value);
        value.dispose();
      }
    }
  }
}

/** Records `error` in `report` and checks the bar: 1e-4 × max(1, max |output|). */
export function within(report: string[], error: ParityError, what: string): void {
  report.push(
    `${what}: max |error| ${error.maxError.toExponential(2)}, max |output| ${error.maxAbs.toPrecision(3)}, ` +
      `ratio ${(error.maxError / Math.max(1, error.maxAbs)).toExponential(2)}`,
  );
  expect(error.maxError, what).toBeLessThanOrEqual(1e-4 * Math.max(1, error.maxAbs));
}
