/**
 * Padded batches for CTC training: videos `[B, Tmax, H, W, 3]`, targets `[B, Smax]` padded
 * with -1, and the true lengths, in the layout `ctcLoss` of `@slr/ctc` consumes.
 */
import * as tf from '@tensorflow/tfjs';
import type { SignSample } from '../types';
import type { GlossVocabulary } from '../vocabulary';
import { checkMakeBatchOptions, checkSample, nameOf } from './sample-checks';

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
 * const logProbs = model.apply(batch.videos);                // [B, T', V] → transpose to [T', B, V]
 * const loss = ctcLoss(timeMajor, batch.targets, batch.inputLengths, batch.targetLengths);
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

/**
 * Options of {@link makeBatch} (and of {@link batches}, which passes them on).
 *
 * @example
 * ```ts
 * makeBatch(samples, { padTo: 4, keypoints: false, vocabulary });
 * ```
 */
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

function targetIds(sample: SignSample, vocabulary: GlossVocabulary | undefined): number[] {
  const name = nameOf(sample);
  if (vocabulary !== undefined) return vocabulary.encode(sample.glosses, name);
  const ids = sample.glossIds;
  if (ids.length !== sample.glosses.length) {
    throw new Error(
      `makeBatch: ${name} has ${sample.glosses.length} glosses but ${ids.length} glossIds.`,
    );
  }
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 1 || id > 2147483647) {
      throw new Error(
        `makeBatch: ${name} has gloss id ${String(id)}; ids must be integers ≥ 1 (0 is the CTC blank).`,
      );
    }
  }
  return ids;
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
 * import * as tf from '@tensorflow/tfjs';
 * import { makeBatch, disposeBatch } from '@slr/data';
 *
 * const batch = makeBatch([sampleA, sampleB], { padTo: 4 });
 * batch.videos.shape;   // [2, Tmax, H, W, 3], Tmax a multiple of 4
 * batch.inputLengths;   // [sampleA.frameShape[0], sampleB.frameShape[0]]
 * batch.targets;        // int32 [2, Smax], e.g. [[3, 7, 2], [5, 1, -1]]
 * disposeBatch(batch);
 * ```
 */
export function makeBatch(
  samples: readonly SignSample[],
  options: MakeBatchOptions = {},
): SignBatch {
  checkMakeBatchOptions(options, 'makeBatch');
  if (!Array.isArray(samples) || samples.length === 0)
    throw new Error('makeBatch: needs at least one sample.');
  const { padTo = 1, vocabulary } = options;
  const dims = samples.map((sample) => checkSample(sample, 'makeBatch'));
  const [{ height, width }] = dims;
  dims.forEach((d, b) => {
    if (d.height !== height || d.width !== width) {
      throw new Error(
        `makeBatch: ${nameOf(samples[b])} has frames of ${d.height}×${d.width}, but ${nameOf(samples[0])} has ${height}×${width}; ` +
          'every sample of a batch must have the same H×W.',
      );
    }
  });

  let withKeypoints = options.keypoints;
  if (withKeypoints === undefined) {
    const having = dims.filter((d) => d.keypoints !== undefined).length;
    if (having > 0 && having < dims.length) {
      const missing = samples[dims.findIndex((d) => d.keypoints === undefined)];
      throw new Error(
        `makeBatch: ${nameOf(missing)} has no keypoints but other samples of the batch do; pass keypoints: false to leave them out.`,
      );
    }
    withKeypoints = having > 0;
  }
  let keypointCount = 0;
  if (withKeypoints) {
    dims.forEach((d, b) => {
      if (d.keypoints === undefined)
        throw new Error(
          `makeBatch: ${nameOf(samples[b])} has no keypoints (option 'keypoints' is true).`,
        );
    });
    keypointCount = dims[0].keypoints!;
    dims.forEach((d, b) => {
      if (d.keypoints !== keypointCount) {
        throw new Error(
          `makeBatch: ${nameOf(samples[b])} has ${d.keypoints} keypoints per frame, but ${nameOf(samples[0])} has ${keypointCount}.`,
        );
      }
    });
  }

  const ids = samples.map((sample) => targetIds(sample, vocabulary));
  const batchSize = samples.length;
  const inputLengths = dims.map((d) => d.frames);
  const targetLengths = ids.map((sequence) => sequence.length);
  const maxFrames = Math.ceil(Math.max(...inputLengths) / padTo) * padTo;
  const maxTargets = Math.max(1, ...targetLengths);

  const frameSize = height * width * 3;
  const videoData = new Float32Array(batchSize * maxFrames * frameSize);
  samples.forEach((sample, b) => videoData.set(sample.frames, b * maxFrames * frameSize));
  const targetData = new Int32Array(batchSize * maxTargets).fill(-1);
  ids.forEach((sequence, b) => targetData.set(sequence, b * maxTargets));

  const batch: SignBatch = {
    videos: tf.tensor5d(videoData, [batchSize, maxFrames, height, width, 3], 'float32'),
    inputLengths,
    targets: tf.tensor2d(targetData, [batchSize, maxTargets], 'int32'),
    targetLengths,
    ids: samples.map((sample) => sample.id),
    glosses: samples.map((sample) => [...sample.glosses]),
  };
  if (withKeypoints) {
    const keypointData = new Float32Array(batchSize * maxFrames * keypointCount * 2);
    samples.forEach((sample, b) =>
      keypointData.set(sample.keypoints!, b * maxFrames * keypointCount * 2),
    );
    batch.keypoints = tf.tensor4d(
      keypointData,
      [batchSize, maxFrames, keypointCount, 2],
      'float32',
    );
  }
  return batch;
}

/**
 * Disposes a batch's tensors (videos, targets, keypoints). Safe to call twice.
 *
 * @example
 * ```ts
 * for await (const batch of batches(train, { batchSize: 8 })) {
 *   await step(batch);
 *   disposeBatch(batch);
 * }
 * ```
 */
export function disposeBatch(batch: SignBatch): void {
  batch.videos.dispose();
  batch.targets.dispose();
  batch.keypoints?.dispose();
}
