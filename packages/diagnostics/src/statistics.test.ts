import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { median } from './statistics';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('leaves its input as it was and refuses an empty array', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(() => median([])).toThrow(
      "Argument 'values' passed to 'median' must be a non-empty array of numbers, but got [].",
    );
  });

  test.prop([fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 })])(
    'has as many values at or below it as at or above it',
    (values) => {
      const m = median(values);
      expect(values.filter((v) => v <= m).length).toBeGreaterThanOrEqual(values.length / 2);
      expect(values.filter((v) => v >= m).length).toBeGreaterThanOrEqual(values.length / 2);
    },
  );
});
