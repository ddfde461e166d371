/**
 * Invariant checks for the `[T, B, V]` log-probabilities fed to a CTC loss: finite values,
 * every value ≤ 0 and a log-sum-exp of 0 over the vocabulary in every (valid) frame. The most
 * common cause of a CTC model that never learns is raw logits reaching the loss; these checks
 * name it.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkNumber, checkOptions } from '@slr/core';
import type { Lengths } from '@slr/ctc';

/**
 * The likely causes {@link checkLogProbs} reports, as stable strings (also the keys that
 * {@link adviceFor} understands through `adviseFromHistory`).
 *
 * @example
 * ```ts
 * const report = await checkLogProbs(logits);
 * if (report.likelyCause === LOG_PROB_CAUSES.rawLogits) console.log('forgot log-softmax');
 * ```
 */
export const LOG_PROB_CAUSES = {
  /** Positive values, or a log-sum-exp above 0: the model's output is not normalised. */
  rawLogits: "raw logits: apply log-softmax in the model's output",
  /** Every value ≤ 0, yet the probabilities of a frame sum to clearly less than 1. */
  notNormalised:
    'probabilities do not sum to 1 ' +
    '(softmax applied twice, or log of probabilities of another layer?)',
  /** NaN or +Infinity in the tensor. */
  nonFinite:
    'NaN or +Infinity in the model output: numerical blow-up upstream ' +
    '(learning rate too high, exploding gradients, or log(0) without clamping)',
  /** The tensor is not rank 3. */
  wrongRank: 'wrong rank: CTC log-probabilities must be a [T, B, V] tensor',
} as const;

/** Options of {@link checkLogProbs}. */
export interface CheckLogProbsOptions {
  /** Allowed maximum value and allowed `|logsumexp|` per frame. Default `1e-3`. */
  tolerance?: number;
  /**
   * Valid frames per batch entry (B integers in `[0, T]`, in any of `@slr/ctc`'s forms: an
   * array, an `Int32Array` or a `tf.Tensor1D`); frames at or past `inputLengths[b]` are padding
   * and are not checked. Default: every frame is valid.
   */
  inputLengths?: Lengths;
  /**
   * The expected batch size, used only for the layout warning: when `dims[0]` equals it and
   * `dims[1]` does not, the tensor looks batch-major (`[B, T, V]`).
   */
  batchSize?: number;
}

/** Result of {@link checkLogProbs}. Statistics cover the valid frames only. */
export interface LogProbReport {
  /** `true` when `problems` is empty (warnings do not count). */
  ok: boolean;
  /** Smallest non-NaN value (may be `-Infinity`); `NaN` when there is none. */
  min: number;
  /** Largest non-NaN value; `NaN` when there is none. */
  max: number;
  /**
   * The signed log-sum-exp over V of the frame where `|logsumexp|` is largest, among frames
   * without NaN (`-Infinity` for a frame of all `-Infinity`); `NaN` when no frame qualifies.
   */
  worstLogSumExp: number;
  /** Number of NaN and `+Infinity` values (`-Infinity`, a legitimate log(0), is not counted). */
  nonFiniteCount: number;
  /** Number of `-Infinity` values (log of a zero probability: legitimate, counted apart). */
  negativeInfinityCount: number;
  /** Number of valid `(t, b)` frames checked. */
  frames: number;
  /** What is wrong, one sentence each. Empty when `ok`. */
  problems: string[];
  /** Suspicions that do not fail the check (a batch-major layout, for instance). */
  warnings: string[];
  /** One of {@link LOG_PROB_CAUSES} when a problem was found. */
  likelyCause?: string;
}

/**
 * Error thrown by {@link assertLogProbs}, carrying the full report.
 *
 * @example
 * ```ts
 * try {
 *   await assertLogProbs(logProbs, { inputLengths });
 * } catch (error) {
 *   if (error instanceof LogProbError) console.log(error.report.problems);
 * }
 * ```
 */
export class LogProbError extends Error {
  /** The report of the failed check. */
  readonly report: LogProbReport;

  constructor(report: LogProbReport) {
    super(
      `Invalid CTC log-probabilities: ${report.problems.join(' ')}` +
        (report.likelyCause !== undefined ? ` Likely cause: ${report.likelyCause}.` : ''),
    );
    this.name = 'LogProbError';
    this.report = report;
  }
}

const FN = 'checkLogProbs';

/** The lengths as numbers, checked: B integers in `[0, T]`. */
async function readLengths(lengths: Lengths, T: number, B: number): Promise<number[]> {
  let values: number[];
  if (lengths instanceof tf.Tensor) {
    if (lengths.rank !== 1)
      throw new ArgumentError(FN, 'options.inputLengths', 'be a 1-D tensor', lengths);
    values = Array.from(await lengths.data());
  } else if (lengths instanceof Int32Array || Array.isArray(lengths)) {
    values = Array.from(lengths as ArrayLike<number>);
  } else {
    throw new ArgumentError(
      FN,
      'options.inputLengths',
      'be an array, an Int32Array or a 1-D tensor',
      lengths,
    );
  }
  if (values.length !== B) {
    const hint =
      values.length === T && T !== B
        ? '; it matches dims[0]: is the tensor batch-major [B, T, V] instead of [T, B, V]?'
        : '';
    throw new ArgumentError(FN, 'options.inputLengths', `hold B = ${B} lengths`, lengths, {
      actualText: `${values.length} lengths${hint}`,
    });
  }
  values.forEach((length, b) =>
    checkInteger(FN, `options.inputLengths[${b}]`, length, { min: 0, max: T }),
  );
  return values;
}

/**
 * Checks that `logProbs` (`[T, B, V]`, time-major as `ctcLoss` expects) holds normalised log
 * probabilities, and names the likely cause when it does not.
 *
 * Checks, on the valid frames (`t < inputLengths[b]`, every frame by default):
 * - rank 3 (anything else is reported, with no other check);
 * - finiteness: NaN and `+Infinity` are problems; `-Infinity` (log 0) is counted apart and allowed;
 * - `max ≤ tolerance` (log probabilities are ≤ 0);
 * - `|logsumexp over V| ≤ tolerance` in every frame (computed in float64 from the read values).
 *
 * Likely cause, first match: NaN/+Inf → {@link LOG_PROB_CAUSES}.nonFinite; a positive value
 * or a log-sum-exp above `tolerance` → `rawLogits`; a log-sum-exp below `-tolerance` →
 * `notNormalised`. A layout warning is added when `options.batchSize` equals `dims[0]` but not
 * `dims[1]`.
 *
 * The tensor is read once with `await logProbs.data()` (every backend, WebGPU included); no
 * tensor is created, and `logProbs` is not disposed.
 *
 * @throws ArgumentError when `inputLengths` is not B integers in `[0, T]`, or an option is
 * not a number where one is expected.
 *
 * @example
 * ```ts
 * const logits = tf.randomNormal([50, 2, 20]) as tf.Tensor3D;
 * (await checkLogProbs(logits)).likelyCause;              // "raw logits: apply log-softmax in the model's output"
 * (await checkLogProbs(tf.logSoftmax(logits) as tf.Tensor3D)).ok; // true
 * ```
 */
export async function checkLogProbs(
  logProbs: tf.Tensor3D,
  options: CheckLogProbsOptions = {},
): Promise<LogProbReport> {
  if (!(logProbs instanceof tf.Tensor))
    throw new ArgumentError(FN, 'logProbs', 'be a tf.Tensor3D', logProbs);
  const { tolerance = 1e-3, inputLengths, batchSize } = checkOptions(FN, options);
  checkNumber(FN, 'options.tolerance', tolerance, { min: 0 });
  if (batchSize !== undefined) checkInteger(FN, 'options.batchSize', batchSize, { min: 1 });
  const problems: string[] = [];
  const warnings: string[] = [];
  if (logProbs.rank !== 3) {
    problems.push(
      `Expected a rank-3 [T, B, V] tensor, but got shape [${logProbs.shape.join(', ')}].`,
    );
    return {
      ok: false,
      min: NaN,
      max: NaN,
      worstLogSumExp: NaN,
      nonFiniteCount: 0,
      negativeInfinityCount: 0,
      frames: 0,
      problems,
      warnings,
      likelyCause: LOG_PROB_CAUSES.wrongRank,
    };
  }
  const [T, B, V] = logProbs.shape;
  const lengths = inputLengths === undefined ? undefined : await readLengths(inputLengths, T, B);
  if (batchSize !== undefined && T === batchSize && B !== batchSize) {
    warnings.push(
      `dims[0] (${T}) equals the batch size but dims[1] (${B}) does not: ` +
        'the tensor looks batch-major [B, T, V]; CTC expects time-major [T, B, V] ' +
        '(transpose with [1, 0, 2]).',
    );
  }
  const data = await logProbs.data();

  let min = Infinity;
  let max = -Infinity;
  let seen = 0;
  let nanCount = 0;
  let positiveInfinityCount = 0;
  let negativeInfinityCount = 0;
  let worstLogSumExp = NaN;
  let frames = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (lengths !== undefined && t >= lengths[b]) continue;
      frames++;
      const base = (t * B + b) * V;
      let frameMax = -Infinity;
      let frameHasNaN = false;
      for (let v = 0; v < V; v++) {
        const x = data[base + v];
        if (Number.isNaN(x)) {
          nanCount++;
          frameHasNaN = true;
          continue;
        }
        if (x === Infinity) positiveInfinityCount++;
        else if (x === -Infinity) negativeInfinityCount++;
        seen++;
        if (x < min) min = x;
        if (x > max) max = x;
        if (x > frameMax) frameMax = x;
      }
      if (frameHasNaN || V === 0) continue;
      let lse: number;
      if (frameMax === -Infinity || frameMax === Infinity) lse = frameMax;
      else {
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(data[base + v] - frameMax);
        lse = frameMax + Math.log(sum);
      }
      if (Number.isNaN(worstLogSumExp) || Math.abs(lse) > Math.abs(worstLogSumExp))
        worstLogSumExp = lse;
    }
  }
  if (seen === 0) {
    min = NaN;
    max = NaN;
  }
  const nonFiniteCount = nanCount + positiveInfinityCount;

  let likelyCause: string | undefined;
  const blame = (cause: string) => {
    if (likelyCause === undefined) likelyCause = cause;
  };
  if (nonFiniteCount > 0) {
    problems.push(
      `${nanCount} NaN and ${positiveInfinityCount} +Infinity value(s) in the valid frames.`,
    );
    blame(LOG_PROB_CAUSES.nonFinite);
  }
  if (max > tolerance) {
    problems.push(`Maximum value ${max} is above ${tolerance}: log-probabilities must be ≤ 0.`);
    blame(LOG_PROB_CAUSES.rawLogits);
  }
  if (worstLogSumExp > tolerance) {
    problems.push(
      `logsumexp over V reaches ${worstLogSumExp} in a frame (should be 0 ± ${tolerance}): ` +
        "the frame's probabilities sum to more than 1.",
    );
    blame(LOG_PROB_CAUSES.rawLogits);
  } else if (worstLogSumExp < -tolerance) {
    problems.push(
      `logsumexp over V reaches ${worstLogSumExp} in a frame (should be 0 ± ${tolerance}): ` +
        "the frame's probabilities sum to less than 1.",
    );
    blame(LOG_PROB_CAUSES.notNormalised);
  }
  const report: LogProbReport = {
    ok: problems.length === 0,
    min,
    max,
    worstLogSumExp,
    nonFiniteCount,
    negativeInfinityCount,
    frames,
    problems,
    warnings,
  };
  if (likelyCause !== undefined) report.likelyCause = likelyCause;
  return report;
}

/**
 * {@link checkLogProbs}, throwing a {@link LogProbError} (which carries the report) when the
 * check fails; returns the report otherwise.
 *
 * @example
 * ```ts
 * await assertLogProbs(tf.logSoftmax(logits), { inputLengths }); // passes
 * await assertLogProbs(logits); // throws LogProbError: … Likely cause: raw logits …
 * ```
 */
export async function assertLogProbs(
  logProbs: tf.Tensor3D,
  options?: CheckLogProbsOptions,
): Promise<LogProbReport> {
  const report = await checkLogProbs(logProbs, options);
  if (!report.ok) throw new LogProbError(report);
  return report;
}
