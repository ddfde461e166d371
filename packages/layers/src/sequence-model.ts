import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger } from '@slr/core';
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

/**
 * Input lengths in any of `@slr/ctc`'s forms as a plain array, checked (non-negative integers;
 * a tensor of rank 1, read synchronously): what an implementation of
 * {@link SequenceModel.outputLengths} starts from. Errors name `fn` and `inputLengths`.
 *
 * @example
 * ```ts
 * inputLengthsArray('MyModel.outputLengths', new Int32Array([32, 27])); // [32, 27]
 * inputLengthsArray('MyModel.outputLengths', [32, -1]);
 * // ArgumentError: Argument 'inputLengths[1]' passed to 'MyModel.outputLengths' must be an integer >= 0, but got -1.
 * ```
 */
export function inputLengthsArray(fn: string, inputLengths: Lengths): number[] {
  let lengths: ArrayLike<number>;
  if (inputLengths instanceof tf.Tensor) {
    if (inputLengths.rank !== 1)
      throw new ArgumentError(fn, 'inputLengths', 'be a 1-D tensor', inputLengths);
    lengths = inputLengths.dataSync();
  } else if (inputLengths instanceof Int32Array || Array.isArray(inputLengths)) {
    lengths = inputLengths as ArrayLike<number>;
  } else {
    throw new ArgumentError(
      fn,
      'inputLengths',
      'be an array, an Int32Array or a 1-D tensor',
      inputLengths,
    );
  }
  return Array.from(lengths, (length, i) =>
    checkInteger(fn, `inputLengths[${i}]`, length, { min: 0 }),
  );
}
