/**
 * Seeded training augmentation on the typed-array {@link SignSample}, run before batching:
 * temporal resampling, a random resized crop and a brightness shift, with spans and keypoints
 * transformed consistently with the frames.
 */
import { ArgumentError } from '@slr/core';
import type { SignSample } from '../types';
import { applyAugmentation } from './augment-impl';
import type { SeededRandom } from './random';
import { checkAugmentOptions, checkSample } from './sample-checks';

export { checkAugmentOptions };

/**
 * Which augmentations {@link augmentSample} applies; each is off unless set, so `{}` changes
 * nothing. Random values are drawn per sample (one draw per transform, the same for all its
 * frames), in a fixed order: time scale, crop, brightness.
 */
export interface AugmentOptions {
  /**
   * Temporal resampling: the length becomes `max(1, round(T · f))` with f uniform in
   * `[1 − timeScale, 1 + timeScale]` (0.2: ±20 %). Output frame t' shows source frame
   * `min(T − 1, floor((t' + ½) · T / T'))` (nearest neighbour: frames are repeated or dropped,
   * never blended). In [0, 1); default off.
   */
  timeScale?: number;
  /**
   * Random resized crop: a window with the frame's aspect ratio whose sides are a fraction s
   * of the frame's (s uniform in `[min, max]`, 0 < min ≤ max ≤ 1) at a uniformly random position, resized back
   * to H × W bilinearly (a zoom by 1/s). Keypoints map to `(x − x0) / s, (y − y0) / s`, so a
   * keypoint outside the window lies outside [0, 1] afterwards (it is not clamped). Default off.
   */
  cropScale?: [number, number];
  /**
   * Brightness shift: adds δ uniform in `[−brightness, brightness]` to every value, then clamps
   * to [0, 1]. In [0, 1]; default off.
   */
  brightness?: number;
}

/**
 * Returns an augmented copy of `sample` (the input is never modified; arrays that no enabled
 * transform touches are shared). Frames stay in [0, 1]. With temporal resampling, each span
 * becomes exactly the output frames whose source frame lay in it (a very short sign can become
 * empty when the video is shortened), and keypoints follow the same frame map; with a crop,
 * keypoints follow the same zoom. Deterministic for the state of `rng`.
 *
 * @example
 * ```ts
 * import { augmentSample, SeededRandom } from '@slr/data';
 *
 * const rng = new SeededRandom(7);
 * const augmented = augmentSample(sample, { timeScale: 0.2, cropScale: [0.8, 1], brightness: 0.1 }, rng);
 * augmented.frameShape[0]; // within ±20 % of sample.frameShape[0]
 * ```
 */
export function augmentSample(
  sample: SignSample,
  options: AugmentOptions,
  rng: SeededRandom,
): SignSample {
  const checked = checkAugmentOptions(options, 'augmentSample', 'options');
  const dims = checkSample(sample, 'augmentSample', 'sample');
  if (rng == null || typeof (rng as Partial<SeededRandom>).uniform !== 'function')
    throw new ArgumentError('augmentSample', 'rng', 'be a SeededRandom', rng);
  return applyAugmentation(sample, dims, checked, rng);
}
