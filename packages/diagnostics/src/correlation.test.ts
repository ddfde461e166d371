import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { pearson, spearman, werLossCorrelation, WER_HIGH_LOSS_LOW_WARNING } from './correlation';
import { averageRanks } from './ranks';

describe('pearson / spearman', () => {
  it('match hand computations', () => {
    // x̄ = 2, ȳ = 13/3; Sxy = 5, Sxx = 2, Syy = 38/3 → r = 5 / sqrt(76/3).
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(76 / 3), 14);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBe(1);
    // ranks x: [1, 2.5, 2.5, 4], y: [1, 3, 2, 4]; Sxy = 4.5, Sxx = 4.5, Syy = 5 → 4.5 / sqrt(22.5).
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 14);
  });

  it('averages the ranks of ties', () => {
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(averageRanks([7, 7, 7])).toEqual([2, 2, 2]);
    expect(averageRanks([])).toEqual([]);
  });

  it('is undefined with fewer than 3 finite points or no variance, and drops NaN pairs', () => {
    expect(pearson([1, 2], [1, 2])).toBeUndefined();
    expect(spearman([1, 2], [1, 2])).toBeUndefined();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeUndefined();
    expect(pearson([1, NaN, 2, 3], [2, 5, 4, 6])).toBe(pearson([1, 2, 3], [2, 4, 6]));
    expect(pearson([1, NaN, 3], [1, 2, 3])).toBeUndefined();
    expect(() => pearson([1], [1, 2])).toThrow(
      "Argument 'y' passed to 'pearson' must have the length of x (1), but got an array of length 2.",
    );
  });

  // Values on a 1e-3 grid: losses and WERs, not denormals (whose squares underflow to zero).
  const value = fc.integer({ min: -1e9, max: 1e9 }).map((v) => v / 1000);
  const pairs = fc
    .array(fc.tuple(value, value), {
      minLength: 0,
      maxLength: 30,
    })
    .map((ps) => [ps.map((p) => p[0]), ps.map((p) => p[1])] as const);

  test.prop([pairs])('lie in [-1, 1] and are symmetric', ([x, y]) => {
    for (const f of [pearson, spearman]) {
      const r = f(x, y);
      expect(r).toBe(f(y, x));
      if (r !== undefined) {
        expect(r).toBeGreaterThanOrEqual(-1);
        expect(r).toBeLessThanOrEqual(1);
      } else {
        expect(x.length < 3 || new Set(x).size === 1 || new Set(y).size === 1).toBe(true);
      }
    }
  });
});

describe('werLossCorrelation', () => {
  it('correlates a healthy history', () => {
    const r = werLossCorrelation([
      { loss: 3, wer: 0.9 },
      { loss: 2, wer: 0.7 },
      { loss: 1, wer: 0.4 },
    ]);
    // x̄ = 2, ȳ = 2/3; Sxy = 0.5, Sxx = 2, Syy = 0.1266… → r = 0.5 / sqrt(2 · 0.38/3).
    expect(r.pearson).toBeCloseTo(0.5 / Math.sqrt((2 * 0.38) / 3), 12);
    expect(r.spearman).toBe(1);
    expect(r.points).toBe(3);
    expect(r.warnings).toEqual([]);
  });

  it('warns when the latest loss is low but WER stays high', () => {
    const r = werLossCorrelation([
      { loss: 3, wer: 0.95 },
      { loss: 1, wer: 0.95 },
      { loss: 0.2, wer: 0.95 },
    ]);
    expect(r.pearson).toBeUndefined();
    expect(r.warnings).toEqual([WER_HIGH_LOSS_LOW_WARNING]);
    expect(WER_HIGH_LOSS_LOW_WARNING).toBe('WER high but loss low: check decoding or log-softmax');
    expect(werLossCorrelation([{ loss: 0.2, wer: 0.95 }], { highWer: 0.99 }).warnings).toEqual([]);
    expect(werLossCorrelation([]).pearson).toBeUndefined();
    expect(werLossCorrelation([{ loss: NaN, wer: 1 }]).points).toBe(0);
  });
});

describe('pearson with tiny spreads', () => {
  it('stays defined where the product of the sums of squares would underflow', () => {
    expect(pearson([6.919921590925052e-122, 0, 0], [2.2713086615949948e-41, 0, 0])).toBeCloseTo(
      1,
      12,
    );
  });
});
