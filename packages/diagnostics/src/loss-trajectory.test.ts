import { describe, expect, it } from 'vitest';
import { analyzeLossTrajectory } from './loss-trajectory';

describe('analyzeLossTrajectory', () => {
  it('reports a decreasing loss with hand-computed statistics', () => {
    const r = analyzeLossTrajectory([4, 3, 2, 1]);
    expect(r).toMatchObject({ trend: 'decreasing', window: 2, previousMean: 3.5, recentMean: 1.5 });
    expect(r.relativeChange).toBe(-2 / 3.5);
    expect(r.noise).toBe(0); // steps [-1, -1]: steady
  });

  it('reports a plateau', () => {
    const r = analyzeLossTrajectory([2, 2, 2, 2, 2, 2]);
    expect(r).toMatchObject({ trend: 'plateau', relativeChange: 0, noise: 0, window: 3 });
    // -0.5 % is less than the 1 % decrease needed.
    expect(analyzeLossTrajectory([2, 2, 1.99, 1.99]).trend).toBe('plateau');
    expect(analyzeLossTrajectory([2, 2, 1.99, 1.99], { plateauTolerance: 0.001 }).trend).toBe(
      'decreasing',
    );
  });

  it('reports divergence on NaN / Infinity and on a rising loss', () => {
    expect(analyzeLossTrajectory([1, NaN, 2])).toMatchObject({
      trend: 'diverging',
      firstNonFiniteIndex: 1,
    });
    expect(analyzeLossTrajectory([Infinity])).toMatchObject({
      trend: 'diverging',
      firstNonFiniteIndex: 0,
    });
    const r = analyzeLossTrajectory([1, 1, 1.2, 1.2]);
    expect(r.trend).toBe('diverging');
    expect(r.relativeChange).toBeCloseTo(0.2, 12);
  });

  it('names a negative loss: impossible for CTC with log-probabilities (raw logits)', () => {
    // The losses of a dense layer without log-softmax trained with CTC.
    const r = analyzeLossTrajectory([-3.6, -7.9, -12.2, -17.5, -22.8, -28.4]);
    expect(r).toMatchObject({ trend: 'negative', firstNegativeIndex: 0 });
    expect(r.reason).toMatch(/-3\.6 at index 0 is negative.*cannot be negative.*raw logits/);
    // A first negative loss after positive ones, and before a NaN: named first.
    expect(analyzeLossTrajectory([2, 1, -0.5, NaN])).toMatchObject({
      trend: 'negative',
      firstNegativeIndex: 2,
    });
    // Float rounding of a perfect fit is not negative; the tolerance can be turned off.
    expect(analyzeLossTrajectory([8, 6, 2, -1e-6]).firstNegativeIndex).toBeUndefined();
    expect(
      analyzeLossTrajectory([8, 6, 2, -1], { negativeTolerance: Infinity }).firstNegativeIndex,
    ).toBeUndefined();
  });

  it('reports an unstable loss', () => {
    // last window [1, 3]: mean 2; steps over [3, 1, 3] are [-2, 2]: std 2, noise 1; previous mean 2.5.
    const r = analyzeLossTrajectory([2, 3, 1, 3]);
    expect(r).toMatchObject({ trend: 'unstable', noise: 1, recentMean: 2, previousMean: 2.5 });
  });

  it('reports too-short histories and honours the window', () => {
    expect(analyzeLossTrajectory([]).trend).toBe('too-short');
    expect(analyzeLossTrajectory([3, 2, 1]).trend).toBe('too-short');
    expect(analyzeLossTrajectory([5, 4, 3, 2, 1], { window: 3 }).trend).toBe('too-short');
    const r = analyzeLossTrajectory([9, 9, 9, 4, 3, 2, 1], { window: 2 });
    expect(r).toMatchObject({ previousMean: 3.5, recentMean: 1.5, trend: 'decreasing' });
    expect(analyzeLossTrajectory(Array.from({ length: 40 }, (_, i) => 100 - i)).window).toBe(10);
  });

  it('handles a zero previous mean', () => {
    expect(analyzeLossTrajectory([0, 0, 0, 0]).relativeChange).toBe(0);
    expect(analyzeLossTrajectory([0, 0, 1, 1]).trend).toBe('diverging');
  });
});
