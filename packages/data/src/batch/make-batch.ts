/**
 * Padded batches for CTC training: videos `[B, Tmax, H, W, 3]`, targets `[B, Smax]` padded
 * with -1, and the true lengths, in the layout `ctcLoss` of `@slr/ctc` consumes.
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import type { SignSample } from '../types';
import type { GlossVocabulary } from '../vocabulary';
import { buildBatch } from './build-batch';
import { checkMakeBatchOptions } from './sample-checks';

/**
 * A padded batch of samples. Its tensors belong to the caller: release them with
 * {@link disposeBatch} once the step that used them is done.
 *
 * Padding never counts as data: `inputLengths[b]` is sample b's own frame count (frames from it
 * up to `Tmax` are zero) and `targetLengths[b]` its gloss count (target positions from it up to
 * `Smax` are -1). A model that downsamples time by a stride must scale `inputLengths` itself.
 *
 * @example
 * ```ts
 * const batch = makeBatch(samples);
 * const logProbs = model.apply(batch.videos, false); // time-major [T', B, V]
 * const frames = model.outputLengths(batch.inputLengths); // the lengths after the model's stride
 * const loss = ctcLoss(logProbs, batch.targets, frames, batch.targetLengths);
 * disposeBatch(batch);
 * ```
 */
export interface SignBatch {
  /** `[B, Tmax, H, W, 3]` float32 frames, zero past each sample's length. */
  videos: tf.Tensor5D;
  /** Frames of each sample (its T, before padding). */
  inputLengths: number[];
  /** `[B, Smax]` int32 gloss ids (≥ 1), -1 past each target length; Smax ≥ 1. */
  targets: tf.Tensor2D;
  /** Glosses of each sample. */
  targetLengths: number[];
  /** The samples' ids, in batch order. */
  ids: string[];
  /** The samples' gloss sequences, in batch order. */
  glosses: string[][];
  /** `[B, Tmax, K, 2]` float32 keypoints, zero past each sample's length, when the samples have them. */
  keypoints?: tf.Tensor4D;
}

/** Options of {@link makeBatch} (and of {@link batches}, which passes them on). */
export interface MakeBatchOptions {
  /**
   * Round Tmax up to a multiple of this (for example a model's total temporal stride, so that
   * strided convolutions see whole windows). A positive integer; default 1.
   */
  padTo?: number;
  /**
   * Whether to batch keypoints. Default: when every sample has them (a batch in which some
   * samples have keypoints and others do not is an error; pass `false` to drop them). `true`
   * makes a sample without keypoints an error.
   */
  keypoints?: boolean;
  /**
   * Encode targets from each sample's `glosses` with this vocabulary instead of using its
   * `glossIds` (an unknown gloss is an error naming the sample).
   */
  vocabulary?: GlossVocabulary;
}

/**
 * Stacks samples into one padded batch. Frames past a sample's length are zero, target
 * positions past its gloss count are -1, and `Tmax` is the longest T rounded up to a multiple
 * of `padTo`; `Smax` is the most glosses, at least 1. All samples must share H × W (an error
 * names the first one that does not). The returned tensors are new: dispose them with
 * {@link disposeBatch}.
 *
 * @example
 * ```ts
 * import { makeBatch, disposeBatch } from '@slr/data';
 *
 * const [first, second] = samples;
 * const batch = makeBatch([first, second], { padTo: 4 });
 * batch.videos.shape;   // [2, Tmax, H, W, 3], Tmax a multiple of 4
 * batch.inputLengths;   // [first.frameShape[0], second.frameShape[0]]
 * batch.targets;        // int32 [2, Smax], e.g. [[3, 7, 2], [5, 1, -1]]
 * disposeBatch(batch);
 * ```
 */
export function makeBatch(
  samples: readonly SignSample[],
  options: MakeBatchOptions = {},
): SignBatch {
  if (!Array.isArray(samples) || samples.length === 0)
    throw new ArgumentError('makeBatch', 'samples', 'be a non-empty array of SignSamples', samples);
  return buildBatch(
    samples,
    checkMakeBatchOptions(options, 'makeBatch'),
    'makeBatch',
    (index) => `samples[${index}]`,
  );
}

/**
 * Disposes a batch's tensors (videos, targets, keypoints). Safe to call twice.
 *
 * @example
 * ```ts
 * for await (const batch of batches(trainSamples, { batchSize: 8 })) {
 *   console.log(batch.ids, batch.videos.shape);
 *   disposeBatch(batch); // its tensors are the caller's
 * }
 * ```
 */
export function disposeBatch(batch: SignBatch): void {
  batch.videos.dispose();
  batch.targets.dispose();
  batch.keypoints?.dispose();
}
