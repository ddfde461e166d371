import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger } from '@slr/core';
import type { Lengths } from '@slr/ctc';
import { readLengths } from '../lengths';

/**
 * The interpolation matrix that maps `fromLength` frames onto `toLength` frames: row `i`
 * (a target frame) holds the weights of the source frames it is made of. Frame centres are
 * aligned (`x = (i + ½)·from/to − ½`, clamped to the first and last source frame) and the two
 * nearest source frames are mixed linearly, so every row sums to 1 and equal lengths give
 * the identity. Returned row-major, `toLength × fromLength`.
 *
 * @example
 * ```ts
 * temporalInterpolationWeights(2, 4); // rows [1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]
 * ```
 */
export function temporalInterpolationWeights(fromLength: number, toLength: number): Float32Array {
  checkInteger('temporalInterpolationWeights', 'fromLength', fromLength, { min: 1 });
  checkInteger('temporalInterpolationWeights', 'toLength', toLength, { min: 0 });
  const weights = new Float32Array(toLength * fromLength);
  for (let i = 0; i < toLength; i++) {
    const x = Math.min(Math.max(((i + 0.5) * fromLength) / toLength - 0.5, 0), fromLength - 1);
    const j0 = Math.floor(x);
    const w = x - j0;
    weights[i * fromLength + j0] += 1 - w;
    if (w > 0) weights[i * fromLength + Math.min(j0 + 1, fromLength - 1)] += w;
  }
  return weights;
}

/**
 * Resamples per-frame distributions `[T, B, V]` over time, sample by sample: sample `b`'s
 * first `fromLengths[b]` frames become `toLengths[b]` frames (see
 * {@link temporalInterpolationWeights}); the result has `max(toLengths)` frames (at least
 * `minFrames`) and zeros past each sample's new length. Mixing probabilities linearly keeps
 * every frame a distribution, so resample probabilities, not log-probabilities. Used by
 * {@link distillationLoss} when the teacher's temporal stride differs from the student's.
 *
 * @example
 * ```ts
 * // A teacher with stride 4 (5 frames) to a student with stride 2 (10 frames), one sample:
 * const teacherProbs = tf.exp(teacherLogProbs); // [5, 1, V]: resample probabilities
 * const resampled = resampleOverTime(teacherProbs, [5], [10]); // [10, 1, V]
 * ```
 */
export function resampleOverTime(
  values: tf.Tensor3D,
  fromLengths: Lengths,
  toLengths: Lengths,
  minFrames = 0,
): tf.Tensor3D {
  const fn = 'resampleOverTime';
  if (!(values instanceof tf.Tensor) || values.rank !== 3)
    throw new ArgumentError(fn, 'values', 'be a rank-3 tensor [T, B, V]', values);
  const [frames, batch, classes] = values.shape;
  const from = readLengths(fn, 'fromLengths', fromLengths, batch, frames);
  const to = readLengths(fn, 'toLengths', toLengths, batch);
  checkInteger(fn, 'minFrames', minFrames, { min: 0 });
  const outFrames = Math.max(minFrames, 0, ...to);
  const weights = new Float32Array(batch * outFrames * frames);
  for (let sample = 0; sample < batch; sample++) {
    if (to[sample] === 0) continue;
    if (from[sample] === 0)
      throw new ArgumentError(
        fn,
        `fromLengths[${sample}]`,
        `be at least one frame to resample onto ${to[sample]} frames`,
        from[sample],
      );
    const sampleWeights = temporalInterpolationWeights(from[sample], to[sample]);
    for (let i = 0; i < to[sample]; i++)
      weights.set(
        sampleWeights.subarray(i * from[sample], (i + 1) * from[sample]),
        (sample * outFrames + i) * frames,
      );
  }
  return tf.tidy(() => {
    const interpolation = tf.tensor3d(weights, [batch, outFrames, frames]);
    const batchMajor = tf.transpose(values, [1, 0, 2]); // [B, T, V]
    const resampled = tf.matMul(interpolation, batchMajor); // [B, T', V]
    return tf.reshape<tf.Rank.R3>(tf.transpose(resampled, [1, 0, 2]), [outFrames, batch, classes]);
  });
}
