/**
 * Argument checks for the CTC ops. Every error names the argument and states the expected
 * and the actual value, in the manner of tfjs and PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Lengths given as a tensor or as a plain array.
 *
 * @example
 * ```ts
 * const inputLengths: Lengths = [50, 42];                         // or tf.tensor1d([50, 42], 'int32'), or an Int32Array
 * ```
 */
export type Lengths = tf.Tensor1D | readonly number[] | Int32Array;

/** The checked inputs of a CTC call, as plain arrays. */
export interface ValidatedCtcInputs {
  frames: number;
  batch: number;
  classes: number;
  /** S: the padded target length. */
  maxTargetLength: number;
  /**
   * `[B, S]` row-major targets with positions past `targetLengths[b]` set to `blank`, or
   * `undefined` when the targets tensor lives on a GPU and cannot be read synchronously (then
   * its values are not checked, as in PyTorch's CUDA kernel, and only fused kernels can run).
   */
  targets: Int32Array | undefined;
  /** The caller's targets tensor. */
  targetsTensor: tf.Tensor2D;
  inputLengths: Int32Array;
  targetLengths: Int32Array;
  blank: number;
}

/**
 * The values of `tensor` if the backend can hand them over synchronously: always on the CPU,
 * and on WebGPU while the data has not been uploaded (tensors made from JS arrays).
 */
function readSyncIfPossible(tensor: tf.Tensor): ArrayLike<number> | undefined {
  try {
    return tensor.dataSync() as ArrayLike<number>;
  } catch {
    return undefined;
  }
}

function describeValue(value: unknown): string {
  if (value instanceof tf.Tensor)
    return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return value === null ? 'null' : `${typeof value} ${String(value)}`;
}

/**
 * Checks that `value` is an integer in `[min, max]`.
 *
 * @example
 * ```ts
 * checkInteger(0, 'blank', 'ctcLoss', 0, 9);
 * ```
 */
export function checkInteger(
  value: unknown,
  name: string,
  opName: string,
  min: number,
  max: number,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `Argument '${name}' passed to '${opName}' must be an integer in [${min}, ${max}], but got ${describeValue(value)}.`,
    );
  }
  return value;
}

function readLengths(
  lengths: unknown,
  name: string,
  opName: string,
  batch: number,
  limit: number,
  limitName: string,
): Int32Array {
  let values: ArrayLike<number>;
  if (lengths instanceof tf.Tensor) {
    if (lengths.rank !== 1) {
      throw new Error(
        `Argument '${name}' passed to '${opName}' must be rank 1 [B], but got rank ${lengths.rank}.`,
      );
    }
    if (lengths.dtype !== 'int32' && lengths.dtype !== 'float32') {
      throw new Error(
        `Argument '${name}' passed to '${opName}' must be int32, but got ${lengths.dtype}.`,
      );
    }
    const read = readSyncIfPossible(lengths);
    if (read === undefined) {
      throw new Error(
        `Argument '${name}' passed to '${opName}' could not be read synchronously on backend '${tf.getBackend()}': ` +
          `pass the lengths as a number[] (for example from \`await ${name}.array()\`).`,
      );
    }
    values = read;
  } else if (Array.isArray(lengths) || lengths instanceof Int32Array) {
    values = lengths as ArrayLike<number>;
  } else {
    throw new Error(
      `Argument '${name}' passed to '${opName}' must be a Tensor1D or an array of numbers, but got ${describeValue(lengths)}.`,
    );
  }
  if (values.length !== batch) {
    throw new Error(
      `Argument '${name}' passed to '${opName}' must have one length per batch item (${batch}), but got ${values.length}.`,
    );
  }
  const result = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const value = values[b];
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new Error(
        `Argument '${name}' passed to '${opName}' must hold integers, but got ${String(value)} at batch item ${b}.`,
      );
    }
    if (value < 0) {
      throw new Error(
        `Expected ${name} to have non-negative values, but got value ${value} at batch item ${b} (in '${opName}').`,
      );
    }
    if (value > limit) {
      throw new Error(
        `Expected ${name} to have value at most ${limit} (${limitName}), but got value ${value} at batch item ${b} (in '${opName}').`,
      );
    }
    result[b] = value;
  }
  return result;
}

/**
 * Checks the inputs of a CTC call and reads labels and lengths to the CPU.
 *
 * @example
 * ```ts
 * const checked = validateCtcInputs(logProbs, targets, [50, 40], [10, 7], 0, 'ctcLoss');
 * ```
 */
export function validateCtcInputs(
  logProbs: unknown,
  targets: unknown,
  inputLengths: unknown,
  targetLengths: unknown,
  blank: unknown,
  opName: string,
): ValidatedCtcInputs {
  if (!(logProbs instanceof tf.Tensor)) {
    throw new Error(
      `Argument 'logProbs' passed to '${opName}' must be a Tensor3D [T, B, V], but got ${describeValue(logProbs)}.`,
    );
  }
  if (logProbs.rank !== 3) {
    throw new Error(
      `Argument 'logProbs' passed to '${opName}' must be rank 3 [T, B, V], but got rank ${logProbs.rank} (shape [${logProbs.shape.join(', ')}]).`,
    );
  }
  if (logProbs.dtype !== 'float32') {
    throw new Error(
      `Argument 'logProbs' passed to '${opName}' must be float32, but got ${logProbs.dtype}.`,
    );
  }
  const [frames, batch, classes] = logProbs.shape;
  if (batch < 1)
    throw new Error(
      `Argument 'logProbs' passed to '${opName}' must have a batch size of at least 1, but got ${batch}.`,
    );
  if (classes < 1)
    throw new Error(
      `Argument 'logProbs' passed to '${opName}' must have at least 1 class, but got ${classes}.`,
    );
  const blankIndex = checkInteger(blank, 'blank', opName, 0, classes - 1);

  if (!(targets instanceof tf.Tensor)) {
    throw new Error(
      `Argument 'targets' passed to '${opName}' must be an int32 Tensor2D [B, S], but got ${describeValue(targets)}.`,
    );
  }
  if (targets.rank !== 2) {
    throw new Error(
      `Argument 'targets' passed to '${opName}' must be rank 2 [B, S], but got rank ${targets.rank} (shape [${targets.shape.join(', ')}]).`,
    );
  }
  if (targets.dtype !== 'int32') {
    throw new Error(
      `Argument 'targets' passed to '${opName}' must be int32, but got ${targets.dtype}.`,
    );
  }
  if (targets.shape[0] !== batch) {
    throw new Error(
      `Argument 'targets' passed to '${opName}' must have batch size ${batch} (from logProbs [T, B, V]), but got ${targets.shape[0]}.`,
    );
  }
  const maxTargetLength = targets.shape[1];
  const inputs = readLengths(
    inputLengths,
    'inputLengths',
    opName,
    batch,
    frames,
    'T, the frames of logProbs',
  );
  const lengths = readLengths(
    targetLengths,
    'targetLengths',
    opName,
    batch,
    maxTargetLength,
    'S, the columns of targets',
  );

  const raw = readSyncIfPossible(targets);
  const labels =
    raw === undefined ? undefined : new Int32Array(batch * maxTargetLength).fill(blankIndex);
  for (let b = 0; raw !== undefined && labels !== undefined && b < batch; b++) {
    for (let i = 0; i < lengths[b]; i++) {
      const label = raw[b * maxTargetLength + i];
      if (label < 0 || label >= classes) {
        throw new Error(
          `Argument 'targets' passed to '${opName}' must hold labels in [0, ${classes}) within targetLengths, but got ${label} at [${b}, ${i}].`,
        );
      }
      if (label === blankIndex) {
        throw new Error(
          `Argument 'targets' passed to '${opName}' must not contain the blank label ${blankIndex} within targetLengths, but found it at [${b}, ${i}].`,
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
    targetsTensor: targets as tf.Tensor2D,
    inputLengths: inputs,
    targetLengths: lengths,
    blank: blankIndex,
  };
}
