/**
 * Correlation between training loss and word error rate: Pearson and Spearman coefficients,
 * and a warning when the loss is low but the WER stays high (a decoding or log-softmax bug).
 */
import { ArgumentError, checkNumber, checkOptions } from '@slr/core';
import { checkArray } from './arguments';
import { averageRanks } from './ranks';

/**
 * Pearson's correlation coefficient of `x` and `y` (same length), clamped to `[-1, 1]`.
 * Pairs where either value is not finite are dropped first; `undefined` when fewer than 3
 * pairs remain or either side has zero variance.
 *
 * @throws ArgumentError when `x` or `y` is not an array, or they differ in length.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // 0.9933992677987828
 * pearson([1, 2], [1, 2]);       // undefined (fewer than 3 points)
 * ```
 */
export function pearson(x: readonly number[], y: readonly number[]): number | undefined {
  const [a, b] = finitePairs('pearson', x, y);
  return pearsonOf(a, b);
}

/**
 * Spearman's rank correlation coefficient: {@link pearson} of the ranks, tied values getting
 * the average of the ranks they span. Same NaN handling and `undefined` cases as `pearson`.
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [1, 4, 9, 16]); // 1 (monotone)
 * spearman([1, 2, 2, 3], [1, 3, 2, 4]);  // 0.9486832980505138 (x ranks 1, 2.5, 2.5, 4)
 * ```
 */
export function spearman(x: readonly number[], y: readonly number[]): number | undefined {
  const [a, b] = finitePairs('spearman', x, y);
  if (a.length < 3) return undefined;
  return pearsonOf(averageRanks(a), averageRanks(b));
}

function finitePairs(fn: string, x: readonly number[], y: readonly number[]): [number[], number[]] {
  checkArray(fn, 'x', x);
  checkArray(fn, 'y', y);
  if (x.length !== y.length) {
    throw new ArgumentError(fn, 'y', `have the length of x (${x.length})`, y, {
      actualText: `an array of length ${y.length}`,
    });
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      a.push(x[i]);
      b.push(y[i]);
    }
  }
  return [a, b];
}

function pearsonOf(x: readonly number[], y: readonly number[]): number | undefined {
  const n = x.length;
  if (n < 3 || x.every((v) => v === x[0]) || y.every((v) => v === y[0])) return undefined;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return undefined;
  const product = sxx * syy;
  // For tiny (or huge) spreads the product under- or overflows: take each factor's root then.
  const r =
    product > 0 && Number.isFinite(product)
      ? sxy / Math.sqrt(product)
      : sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  if (!Number.isFinite(r)) return undefined;
  return Math.max(-1, Math.min(1, r));
}

/** The warning {@link werLossCorrelation} gives when the loss is low but WER stays high. */
export const WER_HIGH_LOSS_LOW_WARNING = 'WER high but loss low: check decoding or log-softmax';

/** Options of {@link werLossCorrelation}. */
export interface WerLossCorrelationOptions {
  /** A latest loss below this is low. Default `0.5`. */
  lowLoss?: number;
  /** A latest WER above this is high. Default `0.5`. */
  highWer?: number;
}

/** Result of {@link werLossCorrelation}. */
export interface WerLossCorrelation {
  /**
   * Pearson's r between loss and WER (`undefined` with fewer than 3 finite points or no
   * variance).
   */
  pearson: number | undefined;
  /** Spearman's ρ between loss and WER (same `undefined` cases). */
  spearman: number | undefined;
  /** Number of entries where both loss and WER are finite. */
  points: number;
  /** {@link WER_HIGH_LOSS_LOW_WARNING} when it applies. */
  warnings: string[];
}

/**
 * Correlation between the loss and the WER over an evaluation history (oldest first). A
 * healthy run has a positive correlation. Warns with {@link WER_HIGH_LOSS_LOW_WARNING} when
 * the latest entry's loss is below `lowLoss` (0.5) while its WER is above `highWer` (0.5).
 *
 * @example
 * ```ts
 * const r = werLossCorrelation([
 *   { loss: 3, wer: 0.95 }, { loss: 1, wer: 0.95 }, { loss: 0.2, wer: 0.95 },
 * ]);
 * r.pearson;  // undefined (WER never changes)
 * r.warnings; // ['WER high but loss low: check decoding or log-softmax']
 * r.warnings.includes(WER_HIGH_LOSS_LOW_WARNING); // true
 * ```
 */
export function werLossCorrelation(
  history: readonly { loss: number; wer: number }[],
  options: WerLossCorrelationOptions = {},
): WerLossCorrelation {
  const fn = 'werLossCorrelation';
  checkArray(fn, 'history', history);
  const { lowLoss = 0.5, highWer = 0.5 } = checkOptions(fn, options);
  checkNumber(fn, 'options.lowLoss', lowLoss);
  checkNumber(fn, 'options.highWer', highWer);
  const losses = history.map((h) => h.loss);
  const wers = history.map((h) => h.wer);
  const [a] = finitePairs('werLossCorrelation', losses, wers);
  const warnings: string[] = [];
  const latest = history.at(-1);
  if (latest !== undefined && latest.loss < lowLoss && latest.wer > highWer)
    warnings.push(WER_HIGH_LOSS_LOW_WARNING);
  return {
    pearson: pearson(losses, wers),
    spearman: spearman(losses, wers),
    points: a.length,
    warnings,
  };
}
