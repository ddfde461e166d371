/**
 * Ranks with ties averaged, for Spearman's coefficient. Internal to the package.
 *
 * @internal
 * @packageDocumentation
 */

/**
 * Ranks from 1, ties receiving the average of the ranks they occupy:
 * `averageRanks([10, 20, 20, 5])` is `[2, 3.5, 3.5, 1]`.
 */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}
