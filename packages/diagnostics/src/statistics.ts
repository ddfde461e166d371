/**
 * Summary statistics shared by the analyses, the reports and the benchmarks.
 */
import { ArgumentError } from '@slr/core';

/**
 * The median of `values`: the middle value, or the mean of the two middle values of an even
 * count (as NumPy's `median`). `values` is not reordered.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  const given: unknown = values;
  if (!Array.isArray(given) || given.length === 0)
    throw new ArgumentError('median', 'values', 'be a non-empty array of numbers', values);
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
