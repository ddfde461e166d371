/**
 * Log-softmax over the last axis of a row-major `[rows, classes]` buffer, and its gradient.
 * One exponential per element, in the forward pass only: the forward pass keeps
 * `exp(x - max)` and the row's `1 / Σ exp(x - max)`, so the backward pass needs no
 * transcendental function and no separate normalisation pass.
 */

const STEPS = 256;
const SCALE = STEPS * Math.LOG2E;
const REMAINDER = Math.LN2 / STEPS;
/** exp(-104) is below float32's smallest subnormal: such entries are exactly 0 in float32. */
const LARGEST_STEP = Math.ceil(104 * SCALE);
/** `2^(-m/256)` for every step m down to float32's underflow: one load per exponential. */
const POWERS = new Float64Array(LARGEST_STEP + 1);
for (let m = 0; m <= LARGEST_STEP; m++) POWERS[m] = Math.pow(2, -m / STEPS);

/** What the forward pass keeps for the backward pass. */
export interface LogSoftmaxResult {
  logProbs: Float32Array;
  /** `exp(x - rowMax)`, unnormalised. */
  shiftedExp: Float32Array;
  /** `1 / Σ_k exp(x_k - rowMax)` per row, so that softmax = shiftedExp · inverseSum. */
  inverseSum: Float32Array;
}

/**
 * `logProbs = x - max - log Σ exp(x - max)` row by row, with what the backward pass needs.
 *
 * @example
 * ```ts
 * const { logProbs } = logSoftmaxForward(new Float32Array([0, 0]), 1, 2); // [-0.693, -0.693]
 * ```
 */
export function logSoftmaxForward(
  x: Float32Array,
  rows: number,
  classes: number,
): LogSoftmaxResult {
  const logProbs = new Float32Array(rows * classes);
  const shiftedExp = new Float32Array(rows * classes);
  const inverseSum = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * classes;
    const end = start + classes;
    let max = -Infinity;
    for (let i = start; i < end; i++) if (x[i] > max) max = x[i];
    if (max === Infinity || max === -Infinity || Number.isNaN(max)) {
      inverseSum[r] = fillDegenerateRow(x, start, end, max, logProbs, shiftedExp);
      continue;
    }
    let sum = 0;
    for (let i = start; i < end; i++) {
      // exp(x - max) = 2^(-m/256) · e^r with |r| ≤ ln2/512; the quadratic's relative error is
      // below 5e-10, far under float32's. Inlined: this loop is the op's whole cost.
      const scaled = Math.min((max - x[i]) * SCALE, LARGEST_STEP);
      const m = (scaled + 0.5) | 0;
      const rest = (m - scaled) * REMAINDER;
      const e = POWERS[m] * (1 + rest * (1 + rest * 0.5));
      shiftedExp[i] = e;
      sum += e;
    }
    const logNormaliser = max + Math.log(sum);
    for (let i = start; i < end; i++) logProbs[i] = x[i] - logNormaliser;
    inverseSum[r] = 1 / sum;
  }
  return { logProbs, shiftedExp, inverseSum };
}

/**
 * A row holding ±Infinity or NaN: fills what x - logsumexp(x) gives in exact arithmetic
 * (NaN where it is undefined) and returns the row's inverse sum.
 */
function fillDegenerateRow(
  x: Float32Array,
  start: number,
  end: number,
  max: number,
  logProbs: Float32Array,
  shiftedExp: Float32Array,
): number {
  let infinite = 0;
  for (let i = start; i < end; i++) if (x[i] === Infinity) infinite++;
  for (let i = start; i < end; i++) {
    if (Number.isNaN(max) || Number.isNaN(x[i]) || max === -Infinity) {
      // NaN propagates; a row of only -Infinity has no softmax (NaN, as in tfjs and PyTorch).
      logProbs[i] = NaN;
      shiftedExp[i] = NaN;
    } else if (x[i] === Infinity) {
      logProbs[i] = -Math.log(infinite);
      shiftedExp[i] = 1;
    } else {
      logProbs[i] = -Infinity;
      shiftedExp[i] = 0;
    }
  }
  return infinite > 0 ? 1 / infinite : NaN;
}

/**
 * Gradient of log-softmax: `dx = dy - softmax · Σ_k dy_k`, row by row.
 *
 * @example
 * ```ts
 * logSoftmaxBackward(new Float32Array([1, 0]), new Float32Array([1, 1]), new Float32Array([0.5]), 1, 2); // [0.5, -0.5]
 * ```
 */
export function logSoftmaxBackward(
  dy: Float32Array,
  shiftedExp: Float32Array,
  inverseSum: Float32Array,
  rows: number,
  classes: number,
): Float32Array {
  const dx = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const start = r * classes;
    const end = start + classes;
    let sum = 0;
    for (let i = start; i < end; i++) sum += dy[i];
    const factor = sum * inverseSum[r];
    for (let i = start; i < end; i++) dx[i] = dy[i] - shiftedExp[i] * factor;
  }
  return dx;
}

/**
 * Gradient of log-softmax from the softmax itself: `dx = dy - softmax · Σ_k dy_k`, row by row
 * (what the WebAssembly kernel computes, for when it has become unavailable).
 *
 * @example
 * ```ts
 * softmaxBackward(new Float32Array([1, 0]), new Float32Array([0.5, 0.5]), 1, 2); // [0.5, -0.5]
 * ```
 */
export function softmaxBackward(
  dy: Float32Array,
  softmax: Float32Array,
  rows: number,
  classes: number,
): Float32Array {
  const dx = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const start = r * classes;
    const end = start + classes;
    let sum = 0;
    for (let i = start; i < end; i++) sum += dy[i];
    for (let i = start; i < end; i++) dx[i] = dy[i] - softmax[i] * sum;
  }
  return dx;
}
