/**
 * Internal: checks of the synthetic generator's options (not exported from the package). Each
 * public function checks its own options through these, naming itself; the corpus checks all
 * of its options at once, naming `generateSignCorpus`, before it hands them on.
 */
import { ArgumentError, checkBoolean, checkInteger, checkNumber, checkOptions } from '@slr/core';
import type { SyntheticGrammarOptions } from './grammar';
import type { SyntheticRenderOptions } from './render';
import type { SyntheticSignOptions } from './signs';

/** The longest sentence the grammar draws (glosses). */
export const MAX_SENTENCE_LENGTH = 8;

/** Checks the {@link SyntheticSignOptions} fields of `options`, passed to `fn` as `argument`. */
export function checkSignOptions(
  options: SyntheticSignOptions | undefined,
  fn: string,
  argument = 'options',
): Required<SyntheticSignOptions> {
  const { seed = 0, difficulty = 0.3, familySize = 3 } = checkOptions(fn, options, argument);
  checkInteger(fn, `${argument}.seed`, seed);
  checkNumber(fn, `${argument}.difficulty`, difficulty, { min: 0, max: 1 });
  checkInteger(fn, `${argument}.familySize`, familySize, { min: 1 });
  return { seed, difficulty, familySize };
}

/**
 * Checks a grammar's gloss count and the {@link SyntheticGrammarOptions} fields of `options`,
 * passed to `fn` as `argument`; `glossesArgument` held the glosses.
 */
export function checkGrammarOptions(
  glossCount: number,
  options: SyntheticGrammarOptions | undefined,
  fn: string,
  glossesArgument: string,
  argument = 'options',
): Required<SyntheticGrammarOptions> {
  const checked = checkOptions(fn, options, argument);
  const {
    seed = 0,
    successors = 8,
    heldOutFraction = 0.1,
    maxSentenceLength = MAX_SENTENCE_LENGTH,
  } = checked;
  if (glossCount < 2) {
    throw new ArgumentError(
      fn,
      glossesArgument,
      'hold at least 2 glosses (held-out bigrams need two)',
      glossCount,
      { actualText: `${glossCount} ${glossCount === 1 ? 'gloss' : 'glosses'}` },
    );
  }
  checkInteger(fn, `${argument}.seed`, seed);
  checkInteger(fn, `${argument}.successors`, successors, { min: 1 });
  checkNumber(fn, `${argument}.heldOutFraction`, heldOutFraction, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  checkInteger(fn, `${argument}.maxSentenceLength`, maxSentenceLength, {
    min: 2,
    max: MAX_SENTENCE_LENGTH,
  });
  return { seed, successors, heldOutFraction, maxSentenceLength };
}

/** Checks {@link SyntheticRenderOptions} passed to `fn` as `argument`. */
export function checkRenderOptions(
  options: SyntheticRenderOptions | undefined,
  fn: string,
  argument = 'options',
): SyntheticRenderOptions {
  const checked = checkOptions(fn, options, argument);
  const { height, width, fps, keypoints, antialias, noise, noiseSeed } = checked;
  if (height !== undefined) checkInteger(fn, `${argument}.height`, height, { min: 1 });
  if (width !== undefined) checkInteger(fn, `${argument}.width`, width, { min: 1 });
  if (fps !== undefined) checkNumber(fn, `${argument}.fps`, fps, { min: 0, minExclusive: true });
  if (keypoints !== undefined) checkBoolean(fn, `${argument}.keypoints`, keypoints);
  if (antialias !== undefined) checkBoolean(fn, `${argument}.antialias`, antialias);
  if (noise !== undefined) checkNumber(fn, `${argument}.noise`, noise, { min: 0 });
  if (noiseSeed !== undefined) checkInteger(fn, `${argument}.noiseSeed`, noiseSeed);
  return checked;
}
