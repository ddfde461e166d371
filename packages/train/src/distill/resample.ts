import * as tf from '@tensorflow/tfjs';
import { configError } from '../errors';

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
  if (!Number.isInteger(fromLength) || fromLength < 1)
    throw new Error(configError('fromLength', 'an integer >= 1', fromLength));
  if (!Number.isInteger(toLength) || toLength < 0)
    throw new Error(configError('toLength', 'an integer >= 0', toLength));
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
 * // A teacher with stride 4 (5 frames) to a student with stride 2 (10 frames):
 * const resampled = resampleOverTime(teacherProbs, [5], [10]); // [10, 1, V]
 * ```
 */
export function resampleOverTime(
  values: tf.Tensor3D,
  fromLengths: readonly number[],
  toLengths: readonly number[],
  minFrames = 0,
): tf.Tensor3D {
  const [frames, batch, classes] = values.shape;
  if (fromLengths.length !== batch)
    throw new Error(
      configError('fromLengths', `${batch} lengths (one per sample)`, `${fromLengths.length}`),
    );
  if (toLengths.length !== batch)
    throw new Error(
      configError('toLengths', `${batch} lengths (one per sample)`, `${toLengths.length}`),
    );
  const outFrames = Math.max(minFrames, 0, ...toLengths);
  const weights = new Float32Array(batch * outFrames * frames);
  for (let b = 0; b < batch; b++) {
    const from = fromLengths[b];
    const to = toLengths[b];
    if (!Number.isInteger(from) || from < 0 || from > frames)
      throw new Error(configError(`fromLengths[${b}]`, `an integer in [0, ${frames}]`, from));
    if (!Number.isInteger(to) || to < 0)
      throw new Error(configError(`toLengths[${b}]`, 'an integer >= 0', to));
    if (to === 0) continue;
    if (from === 0)
      throw new Error(
        configError(`fromLengths[${b}]`, `at least one frame to resample onto ${to} frames`, from),
      );
    const w = temporalInterpolationWeights(from, to);
    for (let i = 0; i < to; i++)
      weights.set(w.subarray(i * from, (i + 1) * from), (b * outFrames + i) * frames);
  }
  return tf.tidy(() => {
    const w = tf.tensor3d(weights, [batch, outFrames, frames]);
    const batchMajor = tf.transpose(values, [1, 0, 2]); // [B, T, V]
    const out = tf.matMul(w, batchMajor); // [B, T', V]
    return tf.reshape(tf.transpose(out, [1, 0, 2]), [outFrames, batch, classes]) as tf.Tensor3D;
  });
}
