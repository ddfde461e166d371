/**
 * Greedy (best-path) CTC decoding.
 */
import type * as tf from '@tensorflow/tfjs';
import { checkOptions } from '@slr/core';
import type { Lengths } from '../checks';
import { GreedyPath } from './greedy-path';
import { checkDecoderInput, type CtcGreedyDecodeOptions, type CtcHypothesis } from './types';

/**
 * Best-path CTC decoding: takes the most probable token of every frame (ties go to the lowest
 * token id), merges repeats and drops blanks. Frames past an item's input length are never
 * read. `score` (= `acousticScore`) is the log-probability of that best path; `frames` holds
 * the first frame of each emitted token's run.
 *
 * Reads the tensor once and creates no tensors.
 *
 * @param logProbs `[T, B, V]` (frames, batch, classes) time-major log-probabilities
 *   (log-softmax output).
 * @param inputLengths Frames to decode per batch item, each in `[0, T]`, as `ctcLoss` takes
 *   them (a `number[]`, an `Int32Array` or a `Tensor1D`). Default: all `T`.
 * @param options `blank`: index of the blank token (default 0).
 * @returns One hypothesis per batch item.
 *
 * @example
 * ```ts
 * const logProbs = tf.tensor3d([[[-0.1, -2.4]], [[-2.4, -0.1]], [[-2.4, -0.1]]]); // T=3, B=1, V=2
 * const [hyp] = await ctcGreedyDecode(logProbs);
 * hyp.tokens; // [1]
 * hyp.frames; // [1]
 * hyp.score;  // ≈ -0.3
 * ```
 */
export async function ctcGreedyDecode(
  logProbs: tf.Tensor3D,
  inputLengths?: Lengths,
  options?: CtcGreedyDecodeOptions,
): Promise<CtcHypothesis[]> {
  const fn = 'ctcGreedyDecode';
  const { blank: blankOption } = checkOptions(fn, options);
  const { batch, classes, lengths, blank } = await checkDecoderInput(
    fn,
    logProbs,
    inputLengths,
    blankOption,
  );
  const data = await logProbs.data<'float32'>();
  const hypotheses: CtcHypothesis[] = [];
  const path = new GreedyPath(classes, blank);
  for (let b = 0; b < batch; b++) {
    path.reset();
    for (let t = 0; t < lengths[b]; t++) path.step(data, (t * batch + b) * classes);
    hypotheses.push(path.hypothesis());
  }
  return hypotheses;
}
