import { test, fc } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { expNonPositive } from './fast-exp';

test.prop([fc.double({ min: -800, max: 0, noNaN: true })], { numRuns: 2000 })(
  'expNonPositive matches Math.exp',
  (v) => {
    const expected = Math.exp(v);
    const actual = expNonPositive(v);
    if (expected < 1e-300) expect(Math.abs(actual - expected)).toBeLessThan(1e-300);
    else expect(Math.abs(actual - expected) / expected).toBeLessThan(4e-15);
  },
);

it('handles the edges', () => {
  expect(expNonPositive(0)).toBe(1);
  expect(expNonPositive(-0)).toBe(1);
  expect(expNonPositive(-Infinity)).toBe(0);
  expect(expNonPositive(-746)).toBe(0);
  expect(Number.isNaN(expNonPositive(NaN))).toBe(true);
});
