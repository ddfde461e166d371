/**
 * Internal: checks of SignSamples and of the batch and augmentation options (not exported from
 * the package). Every failure is an ArgumentError of `@slr/core` that names the function the
 * user called, the argument, and the sample by its id.
 */
import {
  ArgumentError,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkOptions,
  describeValue,
} from '@slr/core';
import type { SignSample } from '../types';
import type { GlossVocabulary } from '../vocabulary';
import type { AugmentOptions } from './augment';
import type { MakeBatchOptions } from './make-batch';

/** A sample's checked dimensions. */
export interface SampleDims {
  frames: number;
  height: number;
  width: number;
  /** Keypoints per frame, when the sample has keypoints. */
  keypoints?: number;
}

/** `sample 'id'`, for error messages. */
export function nameOf(sample: SignSample): string {
  return `sample '${String(sample?.id)}'`;
}

/**
 * The dimensions of `sample`, after checking that its arrays agree with its `frameShape`.
 * Errors name `fn`, `argument` (where the sample was passed, e.g. `samples[2]`) and the sample.
 */
export function checkSample(sample: SignSample, fn: string, argument: string): SampleDims {
  if (sample == null || typeof sample !== 'object')
    throw new ArgumentError(fn, argument, 'be a SignSample', sample);
  const name = nameOf(sample);
  const fail = (must: string, got: string): ArgumentError =>
    new ArgumentError(fn, argument, must, sample, { actualText: `${name} ${got}` });
  const shape: unknown = sample.frameShape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    !shape.every((d) => Number.isInteger(d) && d >= 1) ||
    shape[3] !== 3
  ) {
    throw fail(
      'have a frameShape [T, H, W, 3] of integers >= 1',
      `with frameShape ${JSON.stringify(shape)}`,
    );
  }
  const [frames, height, width] = sample.frameShape;
  if (!(sample.frames instanceof Float32Array))
    throw fail(
      'have its frames in a Float32Array',
      `with frames that are ${describeValue(sample.frames)}`,
    );
  const expected = frames * height * width * 3;
  if (sample.frames.length !== expected) {
    throw fail(
      `have T·H·W·3 = ${expected} frame values (frameShape [${sample.frameShape.join(', ')}])`,
      `with ${sample.frames.length} frame values`,
    );
  }
  if (!Array.isArray(sample.glosses) || !Array.isArray(sample.glossIds))
    throw fail('have glosses and glossIds arrays', 'without them');
  const dims: SampleDims = { frames, height, width };
  if (sample.keypoints !== undefined) {
    if (!(sample.keypoints instanceof Float32Array)) {
      throw fail(
        'have its keypoints in a Float32Array',
        `with keypoints that are ${describeValue(sample.keypoints)}`,
      );
    }
    const perFrame = sample.keypoints.length / (frames * 2);
    const count = sample.keypointNames !== undefined ? sample.keypointNames.length : perFrame;
    if (!Number.isInteger(perFrame) || perFrame !== count) {
      const names =
        sample.keypointNames !== undefined ? `, one per keypoint name (${count})` : ', some K';
      throw fail(
        `have keypoints [T = ${frames}, K, 2]${names}`,
        `with ${sample.keypoints.length} keypoint values`,
      );
    }
    dims.keypoints = count;
  }
  return dims;
}

/**
 * The target ids of `sample`: its glosses through `vocabulary` when one is given, otherwise its
 * checked `glossIds`.
 */
export function targetIds(
  sample: SignSample,
  vocabulary: GlossVocabulary | undefined,
  fn: string,
  argument: string,
): number[] {
  const name = nameOf(sample);
  if (vocabulary !== undefined) {
    const unknown = sample.glosses.find((gloss) => !vocabulary.has(gloss));
    if (unknown !== undefined) {
      throw new ArgumentError(
        fn,
        argument,
        `have only glosses of options.vocabulary ` +
          `(${vocabulary.glosses.length} ${vocabulary.glosses.length === 1 ? 'gloss' : 'glosses'})`,
        sample,
        { actualText: `${name} with the unknown gloss '${unknown}'` },
      );
    }
    return vocabulary.encode(sample.glosses);
  }
  const ids = sample.glossIds;
  if (ids.length !== sample.glosses.length) {
    throw new ArgumentError(fn, argument, 'have one gloss id per gloss', sample, {
      actualText: `${name} with ${sample.glosses.length} glosses and ${ids.length} glossIds`,
    });
  }
  const bad = ids.find((id) => !Number.isInteger(id) || id < 1 || id > 2147483647);
  if (bad !== undefined) {
    throw new ArgumentError(
      fn,
      argument,
      'have gloss ids that are int32 integers >= 1 (0 is the CTC blank)',
      sample,
      { actualText: `${name} with the gloss id ${describeValue(bad)}` },
    );
  }
  return ids;
}

/** Checks {@link MakeBatchOptions} passed to `fn` as `argument`. */
export function checkMakeBatchOptions(
  options: MakeBatchOptions | undefined,
  fn: string,
  argument = 'options',
): MakeBatchOptions {
  const checked = checkOptions(fn, options, argument);
  const { padTo, keypoints, vocabulary } = checked;
  if (padTo !== undefined) checkInteger(fn, `${argument}.padTo`, padTo, { min: 1 });
  if (keypoints !== undefined) checkBoolean(fn, `${argument}.keypoints`, keypoints);
  if (
    vocabulary !== undefined &&
    (vocabulary === null ||
      typeof (vocabulary as Partial<GlossVocabulary>).encode !== 'function' ||
      typeof (vocabulary as Partial<GlossVocabulary>).has !== 'function')
  ) {
    throw new ArgumentError(fn, `${argument}.vocabulary`, 'be a GlossVocabulary', vocabulary);
  }
  return checked;
}

/**
 * Checks {@link AugmentOptions} passed to `fn` as `argument` (for example `options.augment`).
 *
 * @example
 * ```ts
 * checkAugmentOptions({ timeScale: 0.3 }, 'augmentSample', 'options'); // fine
 * checkAugmentOptions({ timeScale: 2 }, 'augmentSample', 'options');
 * // Argument 'options.timeScale' passed to 'augmentSample' must be a finite number in [0, 1), but got 2.
 * ```
 */
export function checkAugmentOptions(
  options: AugmentOptions | undefined,
  fn: string,
  argument: string,
): AugmentOptions {
  const checked = checkOptions(fn, options, argument);
  const { timeScale, cropScale, brightness } = checked;
  if (timeScale !== undefined)
    checkNumber(fn, `${argument}.timeScale`, timeScale, { min: 0, max: 1, maxExclusive: true });
  if (cropScale !== undefined) {
    const ok =
      Array.isArray(cropScale) &&
      cropScale.length === 2 &&
      cropScale.every((value) => typeof value === 'number') &&
      cropScale[0] > 0 &&
      cropScale[0] <= cropScale[1] &&
      cropScale[1] <= 1;
    if (!ok) {
      throw new ArgumentError(
        fn,
        `${argument}.cropScale`,
        'be [min, max] with 0 < min <= max <= 1',
        cropScale,
      );
    }
  }
  if (brightness !== undefined)
    checkNumber(fn, `${argument}.brightness`, brightness, { min: 0, max: 1 });
  return checked;
}

/** A safe integer (at least `min`, when given), or an ArgumentError naming `fn` and `argument`. */
export function checkSafeInteger(
  fn: string,
  argument: string,
  value: unknown,
  min?: number,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    (min !== undefined && value < min)
  ) {
    const bound = min === undefined ? '' : ` >= ${min}`;
    throw new ArgumentError(fn, argument, `be a safe integer${bound}`, value);
  }
  return value;
}
