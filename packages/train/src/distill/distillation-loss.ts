import * as tf from '@tensorflow/tfjs';
import { ctcLoss, type Lengths } from '@slr/ctc';
import { ArgumentError, checkInteger, checkNumber, checkOneOf, checkOptions } from '@slr/core';
import { readLengths } from '../lengths';
import { resampleOverTime } from './resample';

/** Options of {@link distillationLoss}. */
export interface DistillationLossOptions {
  /** Valid output frames of each student sample (`[B]`); frames past them are ignored. */
  studentLengths: Lengths;
  /**
   * Valid output frames of each teacher sample. Default: `studentLengths`. When they differ
   * from the student's (another temporal stride), each sample's teacher distributions are
   * resampled over time onto the student's frames ({@link resampleOverTime}).
   */
  teacherLengths?: Lengths;
  /** Softmax temperature τ > 0 of both distributions (default 1); the KL term is multiplied by τ². */
  temperature?: number;
  /**
   * Whether the blank class takes part in the KL term. Default `true`. With `false` both
   * distributions are renormalised over the other classes, so the student learns the
   * teacher's choice among glosses without being pulled towards its blank-heavy frames.
   */
  includeBlank?: boolean;
  /** Index of the blank class. Default 0. */
  blank?: number;
  /** The student's CTC targets; when given, the CTC loss is combined with the KL term. */
  ctc?: {
    /** `[B, S]` int32 gloss ids, padded with -1 (as `ctcLoss`). */
    targets: tf.Tensor2D;
    /** Glosses of each sample. */
    targetLengths: Lengths;
  };
  /** Weight α of the CTC term in `α·CTC + (1 − α)·KD`, in [0, 1]. Default 0.5 (needs `ctc`). */
  alpha?: number;
  /** Separate weights of the two terms (instead of `alpha`): `ctc·CTC + kd·KD`. */
  weights?: {
    /** Weight of the CTC term (≥ 0). */
    ctc: number;
    /** Weight of the KL term (≥ 0). */
    kd: number;
  };
  /**
   * `'mean'` (default): the batch mean (CTC: `ctcLoss`'s 'mean'); `'sum'`: the batch sum;
   * `'none'`: `[B]` per-sample values (CTC: `ctcLoss`'s 'none').
   */
  reduction?: 'none' | 'sum' | 'mean';
}

/** The terms of {@link distillationLoss}: the combined loss and its parts, reduced alike. */
export interface DistillationLossTerms {
  /** `weights.ctc·ctc + weights.kd·kd` (just `kd` without `ctc` targets). */
  loss: tf.Tensor;
  /** τ²·KL(teacher ‖ student), averaged over each sample's valid frames. */
  kd: tf.Tensor;
  /** The student's CTC loss, when `ctc` targets were given. */
  ctc?: tf.Tensor;
}

/** `x` with a zero gradient: the teacher's outputs are targets, not something to train. */
const detach = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * {@link distillationLoss} with its parts: `loss`, the KL term `kd` and, when `ctc` targets
 * are given, the student's `ctc` loss (each reduced by `reduction`), so a trainer can log
 * them apart. Every tensor is new; the caller disposes them.
 *
 * @example
 * ```ts
 * const terms = distillationLossTerms(studentLogProbs, teacherLogProbs, {
 *   studentLengths: inputLengths,
 *   ctc: { targets, targetLengths },
 * });
 * console.log((await terms.kd.data())[0], (await terms.ctc!.data())[0]);
 * tf.dispose([terms.loss, terms.kd, terms.ctc!]);
 * ```
 */
export function distillationLossTerms(
  studentLogProbs: tf.Tensor3D,
  teacherLogProbs: tf.Tensor3D,
  options: DistillationLossOptions,
): DistillationLossTerms {
  return computeDistillationTerms(
    'distillationLossTerms',
    studentLogProbs,
    teacherLogProbs,
    options,
  );
}

function computeDistillationTerms(
  fn: string,
  studentLogProbs: tf.Tensor3D,
  teacherLogProbs: tf.Tensor3D,
  options: DistillationLossOptions,
): DistillationLossTerms {
  if (!(studentLogProbs instanceof tf.Tensor) || studentLogProbs.rank !== 3)
    throw new ArgumentError(fn, 'studentLogProbs', 'be a rank-3 tensor [T, B, V]', studentLogProbs);
  if (!(teacherLogProbs instanceof tf.Tensor) || teacherLogProbs.rank !== 3)
    throw new ArgumentError(fn, 'teacherLogProbs', 'be a rank-3 tensor [T, B, V]', teacherLogProbs);
  const checked = checkOptions(fn, options);
  const [frames, batch, classes] = studentLogProbs.shape;
  const [teacherFrames, teacherBatch, teacherClasses] = teacherLogProbs.shape;
  if (teacherBatch !== batch || teacherClasses !== classes) {
    throw new ArgumentError(
      fn,
      'teacherLogProbs',
      `have shape [T, ${batch}, ${classes}] (the student's batch and classes)`,
      teacherLogProbs,
    );
  }
  const temperature = checkNumber(fn, 'options.temperature', checked.temperature ?? 1, {
    min: 0,
    minExclusive: true,
  });
  const blank = checkInteger(fn, 'options.blank', checked.blank ?? 0, {
    min: 0,
    max: classes - 1,
  });
  const includeBlank = checked.includeBlank ?? true;
  if (!includeBlank && classes < 3)
    throw new ArgumentError(
      fn,
      'options.includeBlank',
      'be true when there are fewer than 2 non-blank classes',
      includeBlank,
    );
  const reduction = checkOneOf(fn, 'options.reduction', checked.reduction ?? 'mean', [
    'none',
    'sum',
    'mean',
  ]);
  if (checked.alpha !== undefined && checked.weights !== undefined)
    throw new ArgumentError(
      fn,
      'options.alpha',
      'be unset when options.weights is given',
      checked.alpha,
    );
  let weights: { ctc: number; kd: number };
  if (checked.weights !== undefined) {
    weights = {
      ctc: checkNumber(fn, 'options.weights.ctc', checked.weights.ctc, { min: 0 }),
      kd: checkNumber(fn, 'options.weights.kd', checked.weights.kd, { min: 0 }),
    };
  } else {
    const alpha = checkNumber(fn, 'options.alpha', checked.alpha ?? (checked.ctc ? 0.5 : 0), {
      min: 0,
      max: 1,
    });
    weights = { ctc: alpha, kd: 1 - alpha };
  }
  if (weights.ctc > 0 && checked.ctc === undefined)
    throw new ArgumentError(
      fn,
      'options.ctc',
      `hold CTC targets when the CTC weight is ${weights.ctc}`,
      undefined,
    );
  const studentLengths = readLengths(
    fn,
    'options.studentLengths',
    checked.studentLengths,
    batch,
    frames,
  );
  const teacherLengths =
    checked.teacherLengths === undefined
      ? studentLengths
      : readLengths(fn, 'options.teacherLengths', checked.teacherLengths, batch, teacherFrames);
  const longestStudent = Math.max(0, ...studentLengths);
  if (checked.teacherLengths === undefined && teacherFrames < longestStudent) {
    throw new ArgumentError(
      fn,
      'options.teacherLengths',
      `be given: the teacher's ${teacherFrames} frames are fewer than the student's longest length ${longestStudent}`,
      undefined,
    );
  }
  teacherLengths.forEach((length, sample) => {
    if (length === 0 && studentLengths[sample] > 0)
      throw new ArgumentError(
        fn,
        `options.teacherLengths[${sample}]`,
        `be at least one teacher frame for the student's ${studentLengths[sample]}`,
        length,
      );
  });
  const resample = teacherLengths.some((l, b) => l !== studentLengths[b]);

  return tf.tidy(() => {
    const columns = includeBlank
      ? null
      : tf.tensor1d(
          Array.from({ length: classes }, (_, k) => k).filter((k) => k !== blank),
          'int32',
        );
    const pick = (x: tf.Tensor3D): tf.Tensor3D =>
      columns ? tf.gather<tf.Tensor3D>(x, columns, 2) : x;
    // Padding is selected away before any arithmetic (0·NaN would be NaN, and resampling mixes
    // frames with zero weights): whatever it holds never reaches the loss or the gradient.
    const validFrames = (lengths: readonly number[], count: number): tf.Tensor =>
      tf.tensor2d(
        Uint8Array.from({ length: count * batch }, (_, i) =>
          Math.floor(i / batch) < lengths[i % batch] ? 1 : 0,
        ),
        [count, batch],
        'bool',
      );
    const onlyValid = (x: tf.Tensor3D, valid: tf.Tensor): tf.Tensor3D =>
      tf.where(tf.expandDims(valid, 2), x, tf.zerosLike(x));
    const studentValid = validFrames(studentLengths, frames);
    // Teacher: softmax(teacher / τ) at its own frames, resampled (in probability space) onto the student's.
    const teacher = onlyValid(
      detach(teacherLogProbs) as tf.Tensor3D,
      validFrames(teacherLengths, teacherFrames),
    );
    let p = tf.softmax(tf.div(pick(teacher), temperature)) as tf.Tensor3D;
    if (resample || teacherFrames !== frames)
      p = resampleOverTime(p, teacherLengths, studentLengths, frames);
    const student = onlyValid(studentLogProbs, studentValid);
    const logQ = tf.logSoftmax(tf.div(pick(student), temperature)) as tf.Tensor3D;
    // Σ_k p (log p − log q); p = 0 contributes 0 (log p is clamped so that 0·log 0 stays 0, not NaN).
    const logP = tf.log(tf.maximum(p, 1e-30));
    const perFrame = tf.sum(tf.mul(p, tf.sub(logP, logQ)), 2); // [T, B]
    const mask = tf.cast(studentValid, 'float32');
    const counts = tf.tensor1d(
      studentLengths.map((l) => Math.max(l, 1)),
      'float32',
    );
    const perSample = tf.mul(
      tf.div(tf.sum(tf.mul(perFrame, mask), 0), counts),
      temperature * temperature,
    ); // [B]
    const reduce = (x: tf.Tensor): tf.Tensor =>
      reduction === 'none' ? x : reduction === 'sum' ? tf.sum(x) : tf.mean(x);
    const kd = reduce(perSample);
    if (checked.ctc === undefined) {
      const loss = weights.kd === 1 ? tf.clone(kd) : tf.mul(kd, weights.kd);
      return { loss, kd };
    }
    const ctc = ctcLoss(
      studentLogProbs,
      checked.ctc.targets,
      studentLengths,
      checked.ctc.targetLengths,
      { blank, reduction },
    );
    const loss = tf.add(tf.mul(ctc, weights.ctc), tf.mul(kd, weights.kd));
    return { loss, kd, ctc };
  });
}

/**
 * Knowledge-distillation loss for CTC models, per frame: the KL divergence from the
 * teacher's `softmax(teacher/τ)` to the student's `log_softmax(student/τ)`, times τ² (so the
 * gradient's scale does not shrink with τ), averaged over each sample's valid frames
 * (`studentLengths`) and reduced over the batch. Padding, the student's and the teacher's, is
 * never read: whatever it holds, NaN or ±Infinity included, changes neither the loss nor its
 * gradient. With `ctc` targets it returns `α·CTC + (1 − α)·KD` (or
 * `weights.ctc·CTC + weights.kd·KD`). The teacher's outputs are detached: no gradient flows
 * into them. Both inputs are log-probabilities (or logits: softmax and log-softmax do not
 * change when a per-frame constant is added) `[T, B, V]`, time-major like `ctcLoss`. When the
 * teacher has a different temporal stride, pass its own `teacherLengths`: each sample's teacher
 * distributions are linearly resampled over time onto the student's frames (frame centres
 * aligned; a convex mix of distributions is a distribution).
 *
 * @example
 * ```ts
 * const loss = distillationLoss(student.apply(videos, true), teacherLogProbs, {
 *   studentLengths: student.outputLengths(inputLengths),
 *   teacherLengths: teacher.outputLengths(inputLengths),
 *   temperature: 2,
 *   alpha: 0.5,
 *   ctc: { targets, targetLengths },
 * });
 * ```
 */
export function distillationLoss(
  studentLogProbs: tf.Tensor3D,
  teacherLogProbs: tf.Tensor3D,
  options: DistillationLossOptions,
): tf.Tensor {
  return tf.tidy(
    () =>
      computeDistillationTerms('distillationLoss', studentLogProbs, teacherLogProbs, options).loss,
  );
}
