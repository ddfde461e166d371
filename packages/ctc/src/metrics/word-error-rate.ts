/**
 * Corpus-level word error rate (WER), as scoring tools such as sclite report it: the edit
 * operations of every sentence are summed first and divided by the total reference length
 * once — not an average of per-sentence rates.
 */

import { ArgumentError } from '@slr/core';
import { checkArray } from '../checks';
import { editDistance, type EditDistanceOptions } from './edit-distance';

/**
 * Result of {@link wordErrorRate}.
 *
 * `wer = errors / referenceLength` with `errors = substitutions + deletions + insertions`.
 * It can exceed 1 when the hypotheses hold many insertions. With an empty reference side
 * (`referenceLength === 0`) it is `0` when there are no errors and `Infinity` otherwise
 * (every error is an insertion); the counts stay available either way.
 */
export interface WordErrorRateResult {
  /** `errors / referenceLength`; 0 or `Infinity` when `referenceLength` is 0 (see above). */
  wer: number;
  /** Summed over sentences. */
  substitutions: number;
  /** Summed over sentences. */
  deletions: number;
  /** Summed over sentences. */
  insertions: number;
  /** Total number of reference tokens, N. */
  referenceLength: number;
  /** `substitutions + deletions + insertions`. */
  errors: number;
  /** Number of sentence pairs scored. */
  sentences: number;
}

/**
 * Word error rate of a corpus: `refs[i]` is the reference token sequence of sentence `i` and
 * `hyps[i]` the recognised one. Each pair is aligned with {@link editDistance} (unit costs,
 * its deterministic tie-breaking), the substitutions, deletions and insertions are summed over
 * the corpus and divided by the total number of reference tokens N:
 * `wer = (S + D + I) / N`. When N is 0, `wer` is 0 if there are no errors and `Infinity`
 * otherwise. An empty corpus gives `wer` 0.
 *
 * Tokens can be anything (word strings, gloss ids, characters for a CER); they are compared
 * with SameValueZero unless `options.equals` is given.
 *
 * @param refs - Reference sentences, one token array each.
 * @param hyps - Hypothesis sentences, as many as `refs`, in the same order.
 * @param options - Passed to {@link editDistance}.
 * @throws ArgumentError when `refs`, `hyps` or one of their entries is not an array, or when
 *   `hyps` and `refs` hold different numbers of sentences.
 *
 * @example
 * ```ts
 * const r = wordErrorRate(
 *   [['the', 'cat', 'sat'], ['hello']],
 *   [['the', 'bat', 'sat', 'down'], []],
 * );
 * r.substitutions;   // 1
 * r.insertions;      // 1
 * r.deletions;       // 1
 * r.referenceLength; // 4
 * r.wer;             // 0.75
 * ```
 */
export function wordErrorRate<T>(
  refs: readonly (readonly T[])[],
  hyps: readonly (readonly T[])[],
  options?: EditDistanceOptions<T>,
): WordErrorRateResult {
  const fn = 'wordErrorRate';
  checkArray(fn, 'refs', refs);
  checkArray(fn, 'hyps', hyps);
  if (hyps.length !== refs.length) {
    throw new ArgumentError(fn, 'hyps', `have the same length as 'refs' (${refs.length})`, hyps, {
      actualText: `${hyps.length} sentence${hyps.length === 1 ? '' : 's'}`,
    });
  }
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let referenceLength = 0;
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const hyp = hyps[i];
    checkArray(fn, `refs[${i}]`, ref);
    checkArray(fn, `hyps[${i}]`, hyp);
    const r = editDistance(ref, hyp, options);
    substitutions += r.substitutions;
    deletions += r.deletions;
    insertions += r.insertions;
    referenceLength += ref.length;
  }
  const errors = substitutions + deletions + insertions;
  const wer = referenceLength > 0 ? errors / referenceLength : errors === 0 ? 0 : Infinity;
  return {
    wer,
    substitutions,
    deletions,
    insertions,
    referenceLength,
    errors,
    sentences: refs.length,
  };
}
