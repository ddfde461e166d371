/** Reading the per-sample lengths that functions of this package take (`Lengths` of `@slr/ctc`). */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger } from '@slr/core';
import type { Lengths } from '@slr/ctc';

/**
 * The lengths passed to `fn` as `argument`, one per sample of `batch`, as numbers: each an
 * integer in `[0, maxLength]` (`>= 0` without `maxLength`). A tensor is read synchronously.
 */
export function readLengths(
  fn: string,
  argument: string,
  lengths: Lengths,
  batch: number,
  maxLength?: number,
): number[] {
  let values: number[];
  if (lengths instanceof tf.Tensor) {
    if (lengths.rank !== 1)
      throw new ArgumentError(fn, argument, 'be a rank-1 tensor or an array of lengths', lengths);
    values = Array.from(lengths.dataSync());
  } else if (Array.isArray(lengths) || lengths instanceof Int32Array) {
    values = Array.from(lengths as ArrayLike<number>);
  } else {
    throw new ArgumentError(fn, argument, 'be an array of lengths or a rank-1 tensor', lengths);
  }
  if (values.length !== batch)
    throw new ArgumentError(fn, argument, `hold ${batch} lengths (one per sample)`, lengths);
  const bounds = maxLength === undefined ? { min: 0 } : { min: 0, max: maxLength };
  values.forEach((value, sample) => checkInteger(fn, `${argument}[${sample}]`, value, bounds));
  return values;
}
