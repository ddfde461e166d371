import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeWithBackends, readTensors } from '@slr/test-utils';
import { ctcLoss, logSoftmax } from '../index';

interface GoldenCase {
  name: string;
  T: number;
  B: number;
  V: number;
  blank: number;
  zeroInfinity: boolean;
  inputLengths: number[];
  targetLengths: number[];
  targets: number[][];
  logits: number[][][];
  logProbs: number[][][];
  losses: (number | 'Infinity')[];
  lossSum: number | 'Infinity';
  lossMean: number | 'Infinity';
  gradMeanLogits: number[][][];
  gradSumLogits: number[][][];
  /** Largest absolute error of PyTorch's float32 CPU gradients against the float64 ones. */
  float32GradError: { gradMeanLogits: number; gradSumLogits: number };
}

const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../test-fixtures/ctc-golden.json', import.meta.url)),
    'utf8',
  ),
) as { cases: GoldenCase[] };

const toNumber = (value: number | 'Infinity'): number => (value === 'Infinity' ? Infinity : value);

/** Losses within 1e-4 relative, or absolute below 1 (the fixture's stated float32 tolerance). */
function expectLossClose(actual: number, expected: number, label: string): void {
  if (!Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tolerance = 1e-4 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

/** Largest gradient difference over the samples with a finite loss; every entry must be finite. */
function worstGradError(
  actual: number[][][],
  expected: number[][][],
  finiteSamples: boolean[],
  label: string,
): number {
  let worst = 0;
  expected.forEach((frame, t) =>
    frame.forEach((row, b) =>
      row.forEach((value, k) => {
        const got = actual[t][b][k];
        expect(Number.isFinite(got), `${label}: gradient [${t}, ${b}, ${k}] is ${got}`).toBe(true);
        if (finiteSamples[b]) worst = Math.max(worst, Math.abs(got - value));
      }),
    ),
  );
  return worst;
}

/**
 * Below this a gradient error is the rounding of float32 outputs of size ~1 (8 ulps of 1.0,
 * 2^-20), not a loss of precision in the algorithm: PyTorch's own float32 error on the
 * smallest cases (1e-9) is luck of rounding that no other order of operations repeats.
 */
const ROUNDING_FLOOR = 2 ** -20;

/**
 * Backends whose gradient is held to PyTorch's float32 precision: the @slr kernels. The
 * composite implementation (tfjs ops, float32 log space) is held to the fixture's 1e-4 only.
 */
const PRECISE_BACKENDS = ['cpu', 'webgpu'];

describeWithBackends('ctcLoss golden values from PyTorch', (backend) => {
  for (const golden of fixture.cases) {
    it(`${golden.name} (T${golden.T} B${golden.B} V${golden.V}, blank ${golden.blank})`, async () => {
      const logits = tf.tensor3d(golden.logits, [golden.T, golden.B, golden.V]);
      const targets = tf.tensor2d(golden.targets, [golden.B, golden.targets[0].length], 'int32');
      const options = { blank: golden.blank, zeroInfinity: golden.zeroInfinity };
      const loss = (x: tf.Tensor, reduction: 'none' | 'sum' | 'mean') =>
        ctcLoss(logSoftmax(x as tf.Tensor3D), targets, golden.inputLengths, golden.targetLengths, {
          ...options,
          reduction,
        });
      const result = await readTensors(() => ({
        none: loss(logits, 'none'),
        sum: loss(logits, 'sum'),
        mean: loss(logits, 'mean'),
        gradMean: tf.grad((x: tf.Tensor) => loss(x, 'mean'))(logits),
        gradSum: tf.grad((x: tf.Tensor) => loss(x, 'sum'))(logits),
      }));
      tf.dispose([logits, targets]);

      golden.losses.forEach((expected, b) =>
        expectLossClose((result.none as number[])[b], toNumber(expected), `loss[${b}]`),
      );
      expectLossClose(result.sum as number, toNumber(golden.lossSum), 'sum');
      expectLossClose(result.mean as number, toNumber(golden.lossMean), 'mean');
      const finiteSamples = golden.losses.map((value) => value !== 'Infinity');
      for (const [key, label] of [
        ['gradMeanLogits', 'grad mean'],
        ['gradSumLogits', 'grad sum'],
      ] as const) {
        const actual = (
          key === 'gradMeanLogits' ? result.gradMean : result.gradSum
        ) as number[][][];
        const worst = worstGradError(actual, golden[key], finiteSamples, label);
        expect(worst, `${label}: largest gradient difference`).toBeLessThanOrEqual(1e-4);
        if (PRECISE_BACKENDS.includes(backend)) {
          // No less precise than PyTorch's float32 CPU kernel on the same inputs.
          const bound = Math.max(golden.float32GradError[key], ROUNDING_FLOOR);
          expect(
            worst,
            `${label}: largest gradient difference vs PyTorch float32's`,
          ).toBeLessThanOrEqual(bound);
        }
      }
    });
  }
});
