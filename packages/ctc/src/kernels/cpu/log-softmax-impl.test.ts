import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { logSoftmaxBackward, logSoftmaxForward } from './log-softmax-impl';

/** Float64 reference: x - log Σ exp(x). */
function reference(row: number[]): number[] {
  const max = Math.max(...row);
  const logSum = max + Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return row.map((x) => x - logSum);
}

describe('log-softmax on typed arrays', () => {
  test.prop([
    fc.array(
      fc.array(fc.double({ min: -200, max: 200, noNaN: true }), { minLength: 3, maxLength: 3 }),
      { minLength: 1, maxLength: 6 },
    ),
  ])('matches the float64 reference, and softmax sums to one', (rows) => {
    const { logProbs, shiftedExp, inverseSum } = logSoftmaxForward(
      Float32Array.from(rows.flat()),
      rows.length,
      3,
    );
    rows.forEach((row, r) => {
      const expected = reference(row.map(Math.fround));
      expected.forEach((value, k) =>
        expect(Math.abs(logProbs[r * 3 + k] - value)).toBeLessThanOrEqual(
          2e-6 * Math.max(1, Math.abs(value)),
        ),
      );
      const total = [0, 1, 2].reduce((sum, k) => sum + shiftedExp[r * 3 + k] * inverseSum[r], 0);
      expect(total).toBeCloseTo(1, 6);
    });
  });

  it('handles infinite and NaN entries as exact arithmetic does', () => {
    const x = Float32Array.of(
      -Infinity,
      0,
      0,
      Infinity,
      1,
      Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      NaN,
      0,
      1,
    );
    const { logProbs } = logSoftmaxForward(x, 4, 3);
    expect(Array.from(logProbs.subarray(0, 3))).toEqual([
      -Infinity,
      Math.fround(-Math.LN2),
      Math.fround(-Math.LN2),
    ]);
    expect(Array.from(logProbs.subarray(3, 6))).toEqual([
      Math.fround(-Math.LN2),
      -Infinity,
      Math.fround(-Math.LN2),
    ]);
    expect(Array.from(logProbs.subarray(6, 9)).every(Number.isNaN)).toBe(true);
    expect(Array.from(logProbs.subarray(9, 12)).every(Number.isNaN)).toBe(true);
  });

  it('back-propagates dy - softmax · Σ dy', () => {
    const { shiftedExp, inverseSum } = logSoftmaxForward(Float32Array.of(0, Math.log(3)), 1, 2);
    const dx = logSoftmaxBackward(Float32Array.of(1, 1), shiftedExp, inverseSum, 1, 2);
    expect(dx[0]).toBeCloseTo(1 - 0.25 * 2, 6);
    expect(dx[1]).toBeCloseTo(1 - 0.75 * 2, 6);
  });
});
