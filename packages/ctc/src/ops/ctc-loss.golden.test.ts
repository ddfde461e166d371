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

function expectGradClose(
  actual: number[][][],
  expected: number[][][],
  finiteSamples: boolean[],
  label: string,
): void {
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
  expect(worst, `${label}: largest gradient difference`).toBeLessThanOrEqual(1e-4);
}

describeWithBackends('ctcLoss golden values from PyTorch', () => {
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
      expectGradClose(
        result.gradMean as number[][][],
        golden.gradMeanLogits,
        finiteSamples,
        'grad mean',
      );
      expectGradClose(
        result.gradSum as number[][][],
        golden.gradSumLogits,
        finiteSamples,
        'grad sum',
      );
    });
  }
});
