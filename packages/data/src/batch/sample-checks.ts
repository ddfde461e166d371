/** Internal: consistency checks of a SignSample's typed arrays (not exported from the package). */
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
 * Errors name the sample and `caller`.
 */
export function checkSample(sample: SignSample, caller: string): SampleDims {
  if (sample == null || typeof sample !== 'object')
    throw new Error(`${caller}: expected a SignSample, but got ${String(sample)}.`);
  const name = nameOf(sample);
  const shape = sample.frameShape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    !shape.every((d) => Number.isInteger(d) && d >= 0) ||
    shape[3] !== 3
  ) {
    throw new Error(
      `${caller}: ${name} has frameShape ${JSON.stringify(shape)}, but it must be [T, H, W, 3] with non-negative integers.`,
    );
  }
  const [frames, height, width] = shape;
  if (frames < 1 || height < 1 || width < 1)
    throw new Error(
      `${caller}: ${name} has frameShape ${JSON.stringify(shape)}; T, H and W must be at least 1.`,
    );
  if (!(sample.frames instanceof Float32Array))
    throw new Error(`${caller}: ${name} has frames that are not a Float32Array.`);
  const expected = frames * height * width * 3;
  if (sample.frames.length !== expected) {
    throw new Error(
      `${caller}: ${name} has ${sample.frames.length} frame values, but frameShape ${JSON.stringify(shape)} needs ${expected}.`,
    );
  }
  if (!Array.isArray(sample.glosses) || !Array.isArray(sample.glossIds))
    throw new Error(`${caller}: ${name} needs glosses and glossIds arrays.`);
  const dims: SampleDims = { frames, height, width };
  if (sample.keypoints !== undefined) {
    if (!(sample.keypoints instanceof Float32Array))
      throw new Error(`${caller}: ${name} has keypoints that are not a Float32Array.`);
    const perFrame = sample.keypoints.length / (frames * 2);
    const count = sample.keypointNames !== undefined ? sample.keypointNames.length : perFrame;
    if (!Number.isInteger(perFrame) || perFrame !== count) {
      throw new Error(
        `${caller}: ${name} has ${sample.keypoints.length} keypoint values, which is not [T=${frames}, K, 2]` +
          (sample.keypointNames !== undefined
            ? ` with K=${sample.keypointNames.length} keypointNames`
            : '') +
          '.',
      );
    }
    dims.keypoints = count;
  }
  return dims;
}

/** Checks {@link MakeBatchOptions}; errors name `caller` and the option. */
export function checkMakeBatchOptions(options: MakeBatchOptions, caller: string): void {
  if (options == null || typeof options !== 'object')
    throw new Error(`${caller}: options must be an object, but got ${String(options)}.`);
  const { padTo, keypoints, vocabulary } = options;
  if (padTo !== undefined && (!Number.isInteger(padTo) || padTo < 1)) {
    throw new Error(
      `${caller}: option 'padTo' must be a positive integer, but got ${String(padTo)}.`,
    );
  }
  if (keypoints !== undefined && typeof keypoints !== 'boolean') {
    throw new Error(
      `${caller}: option 'keypoints' must be a boolean, but got ${String(keypoints)}.`,
    );
  }
  if (
    vocabulary !== undefined &&
    (vocabulary == null || typeof (vocabulary as GlossVocabulary).encode !== 'function')
  ) {
    throw new Error(`${caller}: option 'vocabulary' must be a GlossVocabulary.`);
  }
}

/**
 * Checks {@link AugmentOptions}; errors name the option as `prefix` + its name (for example
 * `augment.timeScale`).
 *
 * @example
 * ```ts
 * checkAugmentOptions({ timeScale: 0.3 }); // fine
 * checkAugmentOptions({ timeScale: 2 });   // throws: option 'timeScale' must be in [0, 1) …
 * ```
 */
export function checkAugmentOptions(
  options: AugmentOptions,
  caller = 'augmentSample',
  prefix = '',
): void {
  if (options == null || typeof options !== 'object')
    throw new Error(
      `${caller}: option '${prefix || 'augment'}' must be an object, but got ${String(options)}.`,
    );
  const { timeScale, cropScale, brightness } = options;
  if (
    timeScale !== undefined &&
    (typeof timeScale !== 'number' || !(timeScale >= 0 && timeScale < 1))
  ) {
    throw new Error(
      `${caller}: option '${prefix}timeScale' must be a number in [0, 1), but got ${String(timeScale)}.`,
    );
  }
  if (cropScale !== undefined) {
    const ok =
      Array.isArray(cropScale) &&
      cropScale.length === 2 &&
      cropScale.every((v) => typeof v === 'number') &&
      cropScale[0] > 0 &&
      cropScale[0] <= cropScale[1] &&
      cropScale[1] <= 1;
    if (!ok)
      throw new Error(
        `${caller}: option '${prefix}cropScale' must be [min, max] with 0 < min ≤ max ≤ 1, but got ${JSON.stringify(cropScale)}.`,
      );
  }
  if (
    brightness !== undefined &&
    (typeof brightness !== 'number' || !(brightness >= 0 && brightness <= 1))
  ) {
    throw new Error(
      `${caller}: option '${prefix}brightness' must be a number in [0, 1], but got ${String(brightness)}.`,
    );
  }
}
