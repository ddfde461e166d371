/**
 * Argument checks of `ctcLoss`. Every error names the argument and states the expected and the
 * actual value, in the project's one format (`@slr/core`'s {@link ArgumentError}).
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { checkBlank, checkLogProbs, isTensor, readLengths, readSyncIfPossible } from '../checks';

/** The checked inputs of a CTC call, as plain arrays. */
export interface ValidatedCtcInputs {
  /** T: time steps of the log-probabilities. */
  frames: number;
  /** B: batch items. */
  batch: number;
  /** V: classes, blank included. */
  classes: number;
  /** S: the padded target length (the columns of `targets`). */
  maxTargetLength: number;
  /**
   * `[B, S]` row-major targets with positions past `targetLengths[b]` set to `blank`, or
   * `undefined` when the targets tensor lives on a GPU and cannot be read synchronously (then
   * its values are not checked, as in PyTorch's CUDA kernel, and only fused kernels can run).
   */
  targets: Int32Array | undefined;
  /** The caller's targets tensor. */
  targetsTensor: tf.Tensor2D;
  /** Frames per batch item, each in `[0, frames]`. */
  inputLengths: Int32Array;
  /** Labels per batch item, each in `[0, maxTargetLength]`. */
  targetLengths: Int32Array;
  /** Index of the blank label. */
  blank: number;
}

/**
 * Checks the inputs of a CTC call and reads labels and lengths to the CPU.
 *
 * @example
 * ```ts
 * const checked = validateCtcInputs('ctcLoss', logProbs, targets, [50, 40], [10, 7], 0);
 * ```
 */
export function validateCtcInputs(
  fn: string,
  logProbs: unknown,
  targets: unknown,
  inputLengths: unknown,
  targetLengths: unknown,
  blank: unknown,
): ValidatedCtcInputs {
  const { frames, batch, classes } = checkLogProbs(fn, logProbs, true);
  if (batch < 1)
    throw new ArgumentError(fn, 'logProbs', 'have a batch size of at least 1', logProbs);
  if (classes < 1) throw new ArgumentError(fn, 'logProbs', 'have at least 1 class', logProbs);
  const blankIndex = checkBlank(fn, blank, classes);

  if (!isTensor(targets))
    throw new ArgumentError(
      fn,
      'targets',
      'be an int32 Tensor2D [batch, maxTargetLength]',
      targets,
    );
  if (targets.rank !== 2)
    throw new ArgumentError(fn, 'targets', 'have rank 2 [batch, maxTargetLength]', targets);
  if (targets.dtype !== 'int32') throw new ArgumentError(fn, 'targets', 'be int32', targets);
  if (targets.shape[0] !== batch) {
    throw new ArgumentError(
      fn,
      'targets',
      `have ${batch} rows, one per batch item of logProbs`,
      targets,
    );
  }
  const targetsTensor = targets as tf.Tensor2D;
  const maxTargetLength = targetsTensor.shape[1];
  const inputs = readLengths(fn, 'inputLengths', inputLengths, {
    batch,
    max: frames,
    maxName: 'the frames of logProbs',
  });
  const lengths = readLengths(fn, 'targetLengths', targetLengths, {
    batch,
    max: maxTargetLength,
    maxName: 'the columns of targets',
  });

  const raw = readSyncIfPossible(targetsTensor);
  const labels =
    raw === undefined ? undefined : new Int32Array(batch * maxTargetLength).fill(blankIndex);
  for (let b = 0; raw !== undefined && labels !== undefined && b < batch; b++) {
    for (let i = 0; i < lengths[b]; i++) {
      const label = raw[b * maxTargetLength + i];
      if (label < 0 || label >= classes) {
        throw new ArgumentError(
          fn,
          'targets',
          `hold labels in [0, ${classes}) within targetLengths`,
          label,
          { actualText: `${label} at [${b}, ${i}]` },
        );
      }
      if (label === blankIndex) {
        throw new ArgumentError(
          fn,
          'targets',
          `not contain the blank label ${blankIndex} within targetLengths`,
          label,
          { actualText: `${label} at [${b}, ${i}]` },
        );
      }
      labels[b * maxTargetLength + i] = label;
    }
  }
  return {
    frames,
    batch,
    classes,
    maxTargetLength,
    targets: labels,
    targetsTensor,
    inputLengths: inputs,
    targetLengths: lengths,
    blank: blankIndex,
  };
}
