/**
 * Types shared by the CTC decoders, and the argument checks they have in common.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  checkBlank,
  checkLogProbs,
  type Lengths,
  type LogProbsShape,
  readLengthsAsync,
} from '../checks';
import type { LanguageModel } from '../lm/language-model';

/** One decoded labeling of one batch item. */
export interface CtcHypothesis {
  /** Decoded token ids, blanks removed and repeats collapsed. */
  tokens: number[];
  /**
   * Total natural-log score used for ranking: `acousticScore + lmWeight * lmScore +
   * insertionBonus * tokens.length` (just `acousticScore` when there is no LM and no bonus).
   */
  score: number;
  /**
   * Frame at which each token was emitted: the first frame of its run on the best path (for
   * the beam search, the labeling's most probable path among those it kept). Strictly
   * increasing, `frames.length === tokens.length`.
   */
  frames: number[];
  /**
   * Natural-log acoustic probability: of the single best path for the greedy decoder, of the
   * labeling (summed over its paths, as far as the beam kept them) for the beam search.
   */
  acousticScore: number;
  /**
   * Unweighted natural-log LM probability of the tokens, end of sentence included; 0 when
   * no LM was used.
   */
  lmScore: number;
}

/** Options of `ctcGreedyDecode`. */
export interface CtcGreedyDecodeOptions {
  /** Index of the blank token, in `[0, classes)`. Default 0. */
  blank?: number;
}

/** Options of `ctcBeamSearch`. */
export interface CtcBeamSearchOptions {
  /** Index of the blank token, in `[0, classes)`. Default 0. */
  blank?: number;
  /** Prefixes kept after each frame, an integer ≥ 1. Default 10. */
  beamWidth?: number;
  /** Hypotheses returned per batch item, an integer in `[1, beamWidth]`. Default 1. */
  nBest?: number;
  /**
   * Per frame, only the `tokenCutoff` most probable non-blank tokens (ties → lower id) may
   * make new prefixes: an integer ≥ 1, or `Infinity` for no cutoff. Default 40.
   */
  tokenCutoff?: number;
  /**
   * Tokens whose frame log-probability is below this make no new prefixes. Default
   * `-Infinity` (off).
   */
  pruneLogProb?: number;
  /**
   * Language model scoring each appended token and the end of the sentence; its scores must
   * be log-probabilities (<= 0, or -Infinity): a NaN or positive score throws an
   * `ArgumentError` that names the value and the call that returned it.
   */
  lm?: LanguageModel;
  /** Weight of the LM's log-probabilities. Default 0.5; unused without `lm`. */
  lmWeight?: number;
  /** Added to the score for every appended token, with or without an LM. Default 0. */
  insertionBonus?: number;
}

/** Shape and lengths of a checked decoder input. */
export interface DecoderInput extends LogProbsShape {
  /** Frames to decode per batch item. */
  lengths: Int32Array;
  /** Index of the blank token. */
  blank: number;
}

/**
 * Checks the arguments every decoder shares (the same checks and messages as `ctcLoss`'s) and
 * resolves their defaults; reads a lengths tensor asynchronously.
 */
export async function checkDecoderInput(
  fn: string,
  logProbs: tf.Tensor,
  inputLengths: Lengths | undefined,
  blank: number | undefined,
): Promise<DecoderInput> {
  const shape = checkLogProbs(fn, logProbs);
  const resolvedBlank = checkBlank(fn, blank ?? 0, shape.classes);
  const lengths =
    inputLengths == null
      ? new Int32Array(shape.batch).fill(shape.frames)
      : await readLengthsAsync(fn, 'inputLengths', inputLengths, {
          batch: shape.batch,
          max: shape.frames,
          maxName: 'the frames of logProbs',
        });
  return { ...shape, lengths, blank: resolvedBlank };
}
