import type * as tf from '@tensorflow/tfjs';
import type { Lengths } from '@slr/ctc';

/**
 * The contract every `@slr` recognition model meets: a Keras-style model inside (batch-major),
 * and at its boundary per-frame log-probabilities in the time-major layout CTC expects.
 *
 * @example
 * ```ts
 * const logProbs = model.apply(videos, true); // [T', B, V]
 * const lengths = model.outputLengths([32, 27]); // frames after the temporal downsampling
 * const loss = ctcLoss(logProbs, targets, lengths, targetLengths);
 * ```
 */
export interface SequenceModel {
  /** The underlying tfjs-layers model (batch-major inputs and outputs). */
  readonly model: tf.LayersModel;
  /**
   * Runs the model and returns log-probabilities, time-major `[T', B, V]` (V counts the blank).
   * `training` switches dropout and batch-statistics normalisation on.
   */
  apply(inputs: tf.Tensor | tf.Tensor[], training: boolean): tf.Tensor3D;
  /**
   * Output frames for each input length after the model's temporal downsampling, exactly.
   * Takes lengths in any of `@slr/ctc`'s forms (an array, an `Int32Array` or an int32
   * `tf.Tensor1D`, read synchronously).
   */
  outputLengths(inputLengths: Lengths): number[];
}
