import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeWithBackends } from '../testing';
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
  readFileSync(fileURLToPath(new URL('../../test-fixtures/ctc-golden.json', import.meta.url)), 'utf8'),
) as { cases: GoldenCase[] };

const toNumber = (value: number | 'Infinity'): number => (value === 'Infinity' ? Infinity : value);

/** Losses within 1e-4 relative, or absolute below 1 (the fixture's stated float32 tolerance). */
function expectLossClose(actual: number, expected: number, label: string): void {
  if (!Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tolerance = 1e-4 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectGradClose(actual: Float32Array, expected: number[][][], finiteSamples: boolean[], label: string): void {
  const [frames, batch, classes] = [expected.length, expected[0]?.length ?? 0, expected[0]?.[0]?.length ?? 0];
  let worst = 0;
  for (let t = 0; t < frames; t++) {
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < classes; k++) {
        const value = actual[(t * batch + b) * classes + k];
        expect(Number.isFinite(value), `${label}: gradient [${t}, ${b}, ${k}] is ${value}`).toBe(true);
        if (finiteSamples[b]) worst = Math.max(worst, Math.abs(value - expected[t][b][k]));
      }
    }
  }
  expect(worst, `${label}: largest gradient difference`).toBeLessThanOrEqual(1e-4);
}

describeWithBackends('ctcLoss golden values from PyTorch', () => {
  for (const golden of fixture.cases) {
    it(`${golden.name} (T${golden.T} B${golden.B} V${golden.V}, blank ${golden.blank})`, () => {
      tf.tidy(() => {
        const logits = tf.tensor3d(golden.logits, [golden.T, golden.B, golden.V]);
        const targets = tf.tensor2d(golden.targets, [golden.B, golden.targets[0].length], 'int32');
        const options = { blank: golden.blank, zeroInfinity: golden.zeroInfinity };
        const args = [targets, golden.inputLengths, golden.targetLengths] as const;
        const logProbs = logSoftmax(logits);

        const losses = ctcLoss(logProbs, ...args, { ...options, reduction: 'none' }).dataSync();
        golden.losses.forEach((expected, b) => expectLossClose(losses[b], toNumber(expected), `loss[${b}]`));
        expectLossClose(ctcLoss(logProbs, ...args, { ...options, reduction: 'sum' }).dataSync()[0], toNumber(golden.lossSum), 'sum');
        expectLossClose(ctcLoss(logProbs, ...args, { ...options, reduction: 'mean' }).dataSync()[0], toNumber(golden.lossMean), 'mean');

        const finiteSamples = golden.losses.map((loss) => loss !== 'Infinity');
        for (const [reduction, expected] of [
          ['mean', golden.gradMeanLogits],
          ['sum', golden.gradSumLogits],
        ] as const) {
          const grad = tf.grad((x: tf.Tensor) => ctcLoss(logSoftmax(x as tf.Tensor3D), ...args, { ...options, reduction }));
          expectGradClose(grad(logits).dataSync() as Float32Array, expected, finiteSamples, `grad ${reduction}`);
        }
      });
    });
  }
});
