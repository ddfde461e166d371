/**
 * Classification of a loss history into decreasing, plateau, diverging or unstable, with
 * simple documented rules on two trailing windows; a negative CTC loss (impossible with
 * log-probabilities) is named as such.
 */
import { checkInteger, checkNumber, checkOptions } from '@slr/core';
import { checkArray } from './arguments';

/** The trend {@link analyzeLossTrajectory} reports. */
export type LossTrend =
  'negative' | 'decreasing' | 'plateau' | 'diverging' | 'unstable' | 'too-short';

/**
 * Why a negative CTC loss is impossible, as {@link analyzeLossTrajectory} and the trainer say it:
 * a CTC loss is a negative log-likelihood, `-log p(target)`, and a probability is at most 1.
 *
 * @example
 * ```ts
 * const losses = [-3.6, -9.1, -15.2, -28.4];
 * if (analyzeLossTrajectory(losses).trend === 'negative') console.error(NEGATIVE_CTC_LOSS);
 * ```
 */
export const NEGATIVE_CTC_LOSS =
  'a CTC loss is -log p(target) and cannot be negative when the model outputs ' +
  'log-probabilities: the model outputs raw logits (apply log-softmax over the vocabulary)';

/** Options of {@link analyzeLossTrajectory}. */
export interface LossTrajectoryOptions {
  /** Window length W. Default `min(10, floor(n / 2))` for n losses. */
  window?: number;
  /** Relative decrease below which the loss is on a plateau. Default `0.01` (1 %). */
  plateauTolerance?: number;
  /** Relative increase above which the loss is diverging. Default `0.1` (10 %). */
  divergeTolerance?: number;
  /** `noise` (see {@link LossTrajectory}) above which the loss is unstable. Default `0.25`. */
  unstableTolerance?: number;
  /**
   * How far below 0 a loss may round before it counts as negative. Default `1e-3`; set
   * `Infinity` for a loss that may legitimately be negative (not a CTC loss).
   */
  negativeTolerance?: number;
}

/** Result of {@link analyzeLossTrajectory}. */
export interface LossTrajectory {
  /** The classification. */
  trend: LossTrend;
  /** Why, in one sentence. */
  reason: string;
  /** Window length W used (0 when the history is too short or non-finite). */
  window: number;
  /** Mean of the W losses before the last W (NaN when not computed). */
  previousMean: number;
  /** Mean of the last W losses (NaN when not computed). */
  recentMean: number;
  /** `(recentMean - previousMean) / |previousMean|` (NaN when not computed). */
  relativeChange: number;
  /**
   * Population standard deviation of the W step-to-step differences ending at the last loss,
   * over `|recentMean|`: 0 for a steady (linear) trend, large for a zig-zag. NaN when not computed.
   */
  noise: number;
  /** Index of the first NaN or ±Infinity loss, when there is one. */
  firstNonFiniteIndex?: number;
  /** Index of the first loss below `-negativeTolerance`, when there is one. */
  firstNegativeIndex?: number;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Classifies a CTC loss history (one value per step or epoch, oldest first). Rules, first match:
 * 1. a loss below `-negativeTolerance` (`-1e-3`) → `'negative'` (`firstNegativeIndex` set): a
 *    CTC loss cannot be negative with log-probabilities, so the model outputs raw logits
 *    ({@link NEGATIVE_CTC_LOSS});
 * 2. a NaN or ±Infinity loss → `'diverging'` (`firstNonFiniteIndex` set);
 * 3. W = `options.window` or `min(10, floor(n / 2))`; fewer than 2·W losses or W < 2 → `'too-short'`;
 * 4. with `previousMean` the mean of `losses[n-2W .. n-W)` and `recentMean` that of the last W,
 *    `relativeChange = (recentMean - previousMean) / |previousMean|`: above `divergeTolerance`
 *    (0.1) → `'diverging'`;
 * 5. `noise` = std of the last W step-to-step differences / |recentMean| above
 *    `unstableTolerance` (0.25) → `'unstable'` (a steady trend has no noise, a zig-zag has);
 * 6. `relativeChange < -plateauTolerance` (0.01) → `'decreasing'`;
 * 7. otherwise → `'plateau'` (no decrease of at least 1 %, no increase beyond 10 %).
 *
 * A previous mean of exactly 0 gives a relative change of ±Infinity, or 0 when both means are 0.
 *
 * @example
 * ```ts
 * analyzeLossTrajectory([5, 4, 3, 2, 1, 0.5]).trend;        // 'decreasing'
 * analyzeLossTrajectory([1, 1, 1, 1, 1, 1]).trend;          // 'plateau'
 * analyzeLossTrajectory([1, 2, NaN]).trend;                 // 'diverging'
 * analyzeLossTrajectory([2, 1]).trend;                      // 'too-short'
 * analyzeLossTrajectory([-3.6, -9.1, -28.4]).trend;         // 'negative' (raw logits)
 * ```
 */
export function analyzeLossTrajectory(
  losses: readonly number[],
  options: LossTrajectoryOptions = {},
): LossTrajectory {
  const fn = 'analyzeLossTrajectory';
  checkArray(fn, 'losses', losses);
  const {
    window,
    plateauTolerance = 0.01,
    divergeTolerance = 0.1,
    unstableTolerance = 0.25,
    negativeTolerance = 1e-3,
  } = checkOptions(fn, options);
  if (window !== undefined) checkInteger(fn, 'options.window', window, { min: 1 });
  checkNumber(fn, 'options.plateauTolerance', plateauTolerance, { min: 0 });
  checkNumber(fn, 'options.divergeTolerance', divergeTolerance, { min: 0 });
  checkNumber(fn, 'options.unstableTolerance', unstableTolerance, { min: 0 });
  if (negativeTolerance !== Infinity)
    checkNumber(fn, 'options.negativeTolerance', negativeTolerance, { min: 0 });
  const n = losses.length;
  const none = { window: 0, previousMean: NaN, recentMean: NaN, relativeChange: NaN, noise: NaN };
  const negative = losses.findIndex((x) => x < -negativeTolerance);
  if (negative >= 0) {
    return {
      trend: 'negative',
      reason: `Loss ${losses[negative]} at index ${negative} is negative: ${NEGATIVE_CTC_LOSS}.`,
      ...none,
      firstNegativeIndex: negative,
    };
  }
  const bad = losses.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    return {
      trend: 'diverging',
      reason: `Loss ${losses[bad]} at index ${bad}: training has diverged (non-finite loss).`,
      ...none,
      firstNonFiniteIndex: bad,
    };
  }
  const w = window ?? Math.min(10, Math.floor(n / 2));
  if (!Number.isInteger(w) || w < 2 || n < 2 * w) {
    return {
      trend: 'too-short',
      reason: `Need at least 2 windows of ≥ 2 losses; got ${n} loss(es), window ${w}.`,
      ...none,
    };
  }
  const previous = losses.slice(n - 2 * w, n - w);
  const recent = losses.slice(n - w);
  const previousMean = mean(previous);
  const recentMean = mean(recent);
  const delta = recentMean - previousMean;
  const relativeChange = delta === 0 ? 0 : delta / Math.abs(previousMean);
  const steps = losses
    .slice(n - w - 1)
    .map((x, i, xs) => (i === 0 ? 0 : x - xs[i - 1]))
    .slice(1);
  const stepMean = mean(steps);
  const variance = mean(steps.map((d) => (d - stepMean) ** 2));
  const noise = variance === 0 ? 0 : Math.sqrt(variance) / Math.abs(recentMean);
  const stats = { window: w, previousMean, recentMean, relativeChange, noise };
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  if (relativeChange > divergeTolerance) {
    return {
      trend: 'diverging',
      reason: `Mean loss rose by ${pct(relativeChange)} over the last ${w} steps.`,
      ...stats,
    };
  }
  if (noise > unstableTolerance) {
    return {
      trend: 'unstable',
      reason: `Loss fluctuates by ${pct(noise)} of its mean over the last ${w} steps.`,
      ...stats,
    };
  }
  if (relativeChange < -plateauTolerance) {
    return {
      trend: 'decreasing',
      reason: `Mean loss fell by ${pct(-relativeChange)} over the last ${w} steps.`,
      ...stats,
    };
  }
  return {
    trend: 'plateau',
    reason:
      `Mean loss changed by ${pct(relativeChange)} over the last ${w} steps ` +
      `(less than a ${pct(plateauTolerance)} decrease).`,
    ...stats,
  };
}
