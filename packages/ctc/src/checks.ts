/**
 * Argument checks that `ctcLoss`, the decoders and the metrics share: the
 * `[frames, batch, classes]` log-probabilities, the blank, lengths, arrays. One function per
 * check, so that every function of the package that takes lengths accepts the same
 * {@link Lengths} and fails with the same message, in the project's one format
 * ("Argument 'x' passed to 'fn' must …, but got …").
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, describeValue } from '@slr/core';

/**
 * Lengths given as a tensor or as a plain array: frames per batch item (`inputLengths`) or
 * labels per batch item (`targetLengths`). A tensor is int32 (or float32 holding integers).
 */
export type Lengths = tf.Tensor1D | readonly number[] | Int32Array;

/** The dimensions of checked `[frames, batch, classes]` log-probabilities. */
export interface LogProbsShape {
  /** Time steps, the first dimension. */
  frames: number;
  /** Batch items, the second dimension. */
  batch: number;
  /** Classes (the vocabulary, blank included), the last dimension. */
  classes: number;
}

const LOG_PROBS_SHAPE = '[frames, batch, classes]';

/**
 * Whether `value` is a tensor of this copy of tfjs (a type guard that, unlike `instanceof`,
 * narrows to `tf.Tensor` rather than `tf.Tensor<any>`).
 */
export function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

/** Whether `value` has what the decoders read of a tensor (duck-typed: any copy of tfjs). */
export function isTensorLike(value: unknown): value is tf.Tensor {
  const candidate = value as { shape?: unknown; dtype?: unknown; rank?: unknown } | null;
  return (
    candidate != null &&
    Array.isArray(candidate.shape) &&
    typeof candidate.dtype === 'string' &&
    typeof candidate.rank === 'number'
  );
}

/**
 * Checks `[frames, batch, classes]` float32 log-probabilities and returns their dimensions.
 * `tfjsTensor` requires a tensor of this copy of tfjs (ops that run kernels need one); the
 * decoders, which only read the values, take any tensor.
 */
export function checkLogProbs(fn: string, logProbs: unknown, tfjsTensor = false): LogProbsShape {
  const tensor = tfjsTensor ? isTensor(logProbs) : isTensorLike(logProbs);
  if (!tensor || !isTensorLike(logProbs))
    throw new ArgumentError(fn, 'logProbs', `be a float32 Tensor3D ${LOG_PROBS_SHAPE}`, logProbs);
  if (logProbs.rank !== 3)
    throw new ArgumentError(fn, 'logProbs', `have rank 3 ${LOG_PROBS_SHAPE}`, logProbs);
  if (logProbs.dtype !== 'float32') throw new ArgumentError(fn, 'logProbs', 'be float32', logProbs);
  const [frames, batch, classes] = logProbs.shape;
  return { frames, batch, classes };
}

/**
 * Checks the index of the blank label, `options.blank`, against the number of classes.
 */
export function checkBlank(fn: string, blank: unknown, classes: number): number {
  return checkInteger(fn, 'options.blank', blank, { min: 0, max: classes - 1 });
}

/** What lengths are checked against. */
export interface LengthBounds {
  /** How many lengths there must be: one per batch item. */
  batch: number;
  /** The largest allowed length. */
  max: number;
  /** What `max` is, for the message: `'the frames of logProbs'`. */
  maxName: string;
}

/** Checks the kind, rank and dtype of a lengths argument; returns the tensor, or the array. */
function checkLengthsKind(
  fn: string,
  argument: string,
  lengths: unknown,
): tf.Tensor | ArrayLike<number> {
  if (isTensor(lengths)) {
    if (lengths.rank !== 1) throw new ArgumentError(fn, argument, 'have rank 1 [batch]', lengths);
    if (lengths.dtype !== 'int32' && lengths.dtype !== 'float32')
      throw new ArgumentError(fn, argument, 'be an int32 or float32 tensor', lengths);
    return lengths;
  }
  if (Array.isArray(lengths) || lengths instanceof Int32Array) return lengths as ArrayLike<number>;
  throw new ArgumentError(fn, argument, 'be a Tensor1D, a number[] or an Int32Array', lengths);
}

/** Checks the count and every value of lengths already read. */
function checkLengthValues(
  fn: string,
  argument: string,
  values: ArrayLike<number>,
  bounds: LengthBounds,
): Int32Array {
  const { batch, max, maxName } = bounds;
  if (values.length !== batch) {
    const count = `${values.length} length${values.length === 1 ? '' : 's'}`;
    throw new ArgumentError(fn, argument, `have one length per batch item (${batch})`, values, {
      actualText: count,
    });
  }
  const result = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const value = values[b];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      throw new ArgumentError(
        fn,
        argument,
        `hold integers in [0, ${max}] (${max}: ${maxName})`,
        value,
        {
          actualText: `${describeValue(value)} at batch item ${b}`,
        },
      );
    }
    result[b] = value;
  }
  return result;
}

/**
 * Checks lengths and reads them synchronously (a tensor whose values live on a GPU cannot be
 * read so: the error says to pass a `number[]`).
 */
export function readLengths(
  fn: string,
  argument: string,
  lengths: unknown,
  bounds: LengthBounds,
): Int32Array {
  const source = checkLengthsKind(fn, argument, lengths);
  if (!isTensor(source)) return checkLengthValues(fn, argument, source, bounds);
  const values = readSyncIfPossible(source);
  if (values === undefined) {
    throw new ArgumentError(
      fn,
      argument,
      `be readable synchronously, which a tensor on backend '${tf.getBackend()}' is not: ` +
        `pass the lengths as a number[] (for example from \`await ${argument}.array()\`)`,
      lengths,
    );
  }
  return checkLengthValues(fn, argument, values, bounds);
}

/**
 * Checks lengths and reads them, asynchronously when they are a tensor (so a tensor on any
 * backend will do).
 */
export async function readLengthsAsync(
  fn: string,
  argument: string,
  lengths: unknown,
  bounds: LengthBounds,
): Promise<Int32Array> {
  const source = checkLengthsKind(fn, argument, lengths);
  const values = isTensor(source) ? await source.data() : source;
  return checkLengthValues(fn, argument, values, bounds);
}

/**
 * Throws an {@link ArgumentError} unless `value` is an array.
 */
export function checkArray(fn: string, argument: string, value: unknown): void {
  if (!Array.isArray(value)) throw new ArgumentError(fn, argument, 'be an array', value);
}

/**
 * The values of `tensor` if the backend can hand them over synchronously: always on the CPU,
 * and on WebGPU while the data has not been uploaded (tensors made from JS arrays).
 */
export function readSyncIfPossible(tensor: tf.Tensor): ArrayLike<number> | undefined {
  try {
    return tensor.dataSync();
  } catch {
    return undefined;
  }
}
