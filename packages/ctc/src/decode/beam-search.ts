/**
 * CTC prefix beam search (Hannun et al., 2014) in log space, with an optional language model,
 * over a whole `[T, B, V]` tensor. The search itself is in `prefix-search.ts`, shared with the
 * streaming decoder.
 */
import type * as tf from '@tensorflow/tfjs';
import { checkOptions } from '@slr/core';
import type { Lengths } from '../checks';
import { PrefixBeamSearch, resolveBeamSearchOptions } from './prefix-search';
import { checkDecoderInput, type CtcBeamSearchOptions, type CtcHypothesis } from './types';

export { DEFAULT_BEAM_WIDTH, DEFAULT_LM_WEIGHT, DEFAULT_TOKEN_CUTOFF } from './prefix-search';

/**
 * CTC prefix beam search. Each prefix (labeling so far) carries the log-probabilities of its
 * paths ending in blank and in its last token. Per frame, every prefix of the beam continues
 * (by blank, or by repeating its last token) and is extended by one more token into a new
 * prefix, then the best `beamWidth` prefixes are kept. `tokenCutoff` and `pruneLogProb` limit
 * which tokens may make new prefixes; they never drop probability of prefixes already in the
 * beam (blank, repeats and a parent's paths into a child in the beam are always counted).
 * With an LM, a new prefix `prefix + c` scores `lmWeight · ln P_LM(c | prefix) +
 * insertionBonus` on top of its parent (the bonus applies without an LM too), and the final
 * ranking adds `lmWeight · ln P_LM(</s> | prefix)`.
 *
 * Ranking (beam and n-best) is by score, highest first; equal scores put the
 * lexicographically smaller token sequence first (a prefix before its extensions), so results
 * never depend on evaluation order. Prefixes of probability zero are dropped, except that at
 * least one hypothesis is always returned. `frames` are the first frames of the token runs on
 * the hypothesis' most probable path (among the paths the beam kept); on a peaked input they
 * match `ctcGreedyDecode`'s.
 *
 * With `beamWidth` at least the number of labelings, `tokenCutoff: Infinity` and no
 * `pruneLogProb`, the search is exact: it returns the most probable labelings with their total
 * probabilities (LM and bonus included). Pruning between frames is exact too: an extension is
 * skipped only when it provably could not enter the beam, as LM log-probabilities are <= 0 (a
 * language model that returns NaN or a positive score is an error that names the value).
 * Frames past an item's input length are never read; the tensor is read once and no tensors
 * are created.
 *
 * @param logProbs `[T, B, V]` (frames, batch, classes) time-major log-probabilities
 *   (log-softmax output).
 * @param inputLengths Frames to decode per batch item, each in `[0, T]`, as `ctcLoss` takes
 *   them (a `number[]`, an `Int32Array` or a `Tensor1D`). Default: all `T`.
 * @param options See {@link CtcBeamSearchOptions}; defaults: blank 0, beamWidth
 *   {@link DEFAULT_BEAM_WIDTH}, nBest 1, tokenCutoff {@link DEFAULT_TOKEN_CUTOFF}, pruneLogProb
 *   -Infinity, lmWeight {@link DEFAULT_LM_WEIGHT}, insertionBonus 0.
 * @returns Per batch item, up to `nBest` hypotheses, best first.
 *
 * @example
 * ```ts
 * const logProbs = tf.tidy(() => tf.logSoftmax(logits)); // [T, B, V]
 * const results = await ctcBeamSearch(logProbs, [120, 97], { beamWidth: 16, nBest: 3 });
 * results[0][0].tokens; // best labeling of the first utterance
 *
 * declare const glosses: string[]; // the word of each token id from 1 (0 is the blank)
 * const lm = NGramLanguageModel.fromArpa(arpaText, { vocabulary: [null, ...glosses] });
 * const withLm = await ctcBeamSearch(logProbs, [120, 97], {
 *   lm,
 *   lmWeight: 0.8,
 *   insertionBonus: 1,
 * });
 * ```
 */
export async function ctcBeamSearch(
  logProbs: tf.Tensor3D,
  inputLengths?: Lengths,
  options?: CtcBeamSearchOptions,
): Promise<CtcHypothesis[][]> {
  const fn = 'ctcBeamSearch';
  const checkedOptions = checkOptions(fn, options);
  const { batch, classes, lengths, blank } = await checkDecoderInput(
    fn,
    logProbs,
    inputLengths,
    checkedOptions.blank,
  );
  const resolved = resolveBeamSearchOptions(fn, checkedOptions, blank);
  const data = await logProbs.data<'float32'>();
  const results: CtcHypothesis[][] = [];
  const search = new PrefixBeamSearch(fn, classes, resolved);
  for (let b = 0; b < batch; b++) {
    if (b > 0) search.reset();
    for (let t = 0; t < lengths[b]; t++) search.step(data, (t * batch + b) * classes);
    results.push(search.finish());
  }
  return results;
}
