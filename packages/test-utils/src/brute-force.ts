/**
 * Brute-force CTC references: they enumerate every path of a tiny input, so they are exact
 * by construction and serve as the plainest possible check of the real implementations.
 * Cost is V^T: keep T·log(V) small (T ≤ 6, V ≤ 4 is instant).
 */

/** Log-probabilities of one utterance, `[T][V]`. */
export type FrameLogProbs = readonly (readonly number[])[];

/**
 * Collapses a frame-level path: merges repeats, then drops blanks (the CTC map B).
 *
 * @example
 * ```ts
 * collapsePath([0, 1, 1, 0, 1, 2, 2], 0); // [1, 1, 2]
 * ```
 */
export function collapsePath(path: readonly number[], blank = 0): number[] {
  const labels: number[] = [];
  let previous = -1;
  for (const token of path) {
    if (token !== previous && token !== blank) labels.push(token);
    previous = token;
  }
  return labels;
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}

/**
 * Calls `visit(path, logProb)` for every path of length `T` over `V` tokens.
 *
 * @example
 * ```ts
 * forEachPath([[-0.1, -2.3]], (path, lp) => console.log(path, lp));
 * ```
 */
export function forEachPath(
  logProbs: FrameLogProbs,
  visit: (path: readonly number[], logProb: number) => void,
): void {
  const frames = logProbs.length;
  const path = new Array<number>(frames).fill(0);
  const recurse = (t: number, logProb: number): void => {
    if (t === frames) {
      visit(path, logProb);
      return;
    }
    const row = logProbs[t];
    for (let token = 0; token < row.length; token++) {
      path[t] = token;
      recurse(t + 1, logProb + row[token]);
    }
  };
  recurse(0, 0);
}

/**
 * Negative log-likelihood of `target` by summing the probability of every path that
 * collapses to it. `Infinity` when no path does.
 *
 * @example
 * ```ts
 * bruteForceCtcLoss([[Math.log(0.5), Math.log(0.5)]], [1]); // ≈ 0.693
 * ```
 */
export function bruteForceCtcLoss(
  logProbs: FrameLogProbs,
  target: readonly number[],
  blank = 0,
): number {
  let total = -Infinity;
  const key = target.join(',');
  forEachPath(logProbs, (path, logProb) => {
    if (collapsePath(path, blank).join(',') === key) total = logAddExp(total, logProb);
  });
  return -total;
}

/**
 * The single most probable path (argmax per frame; ties to the lowest token) and its labels.
 *
 * @example
 * ```ts
 * bruteForceBestPath([[-0.1, -2.3], [-2.3, -0.1]]); // { path: [0, 1], labels: [1], logProb: -0.2 }
 * ```
 */
export function bruteForceBestPath(
  logProbs: FrameLogProbs,
  blank = 0,
): {
  /** The token of each frame. */
  path: number[];
  /** The path collapsed by {@link collapsePath}. */
  labels: number[];
  /** Log-probability of the path. */
  logProb: number;
} {
  let best: number[] = [];
  let bestLogProb = -Infinity;
  forEachPath(logProbs, (path, logProb) => {
    if (logProb > bestLogProb) {
      bestLogProb = logProb;
      best = [...path];
    }
  });
  return { path: best, labels: collapsePath(best, blank), logProb: bestLogProb };
}

/**
 * Every labeling with its total log-probability (summed over its paths), most probable first;
 * ties keep the lexicographically smaller labeling first.
 *
 * @example
 * ```ts
 * bruteForceLabelings([[-0.1, -2.3]])[0]; // { labels: [], logProb: -0.1 }
 * ```
 */
export function bruteForceLabelings(
  logProbs: FrameLogProbs,
  blank = 0,
): {
  /** The labeling. */
  labels: number[];
  /** Log of the summed probability of every path that collapses to it. */
  logProb: number;
}[] {
  const totals = new Map<string, { labels: number[]; logProb: number }>();
  forEachPath(logProbs, (path, logProb) => {
    const labels = collapsePath(path, blank);
    const key = labels.join(',');
    const entry = totals.get(key);
    if (entry == null) totals.set(key, { labels, logProb });
    else entry.logProb = logAddExp(entry.logProb, logProb);
  });
  const compareLabels = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  };
  return [...totals.values()].sort(
    (a, b) => b.logProb - a.logProb || compareLabels(a.labels, b.labels),
  );
}
