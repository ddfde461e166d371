/**
 * Seeded training augmentation on the typed-array {@link SignSample}, run before batching:
 * temporal resampling, a random resized crop and a brightness shift, with spans and keypoints
 * transformed consistently with the frames.
 */
import type { SignSample, SignSpan } from '../types';
import type { SeededRandom } from './random';
import { checkAugmentOptions, checkSample } from './sample-checks';

/**
 * Which augmentations {@link augmentSample} applies; each is off unless set, so `{}` changes
 * nothing. Random values are drawn per sample (one draw per transform, the same for all its
 * frames), in a fixed order: time scale, crop, brightness.
 *
 * @example
 * ```ts
 * const augment: AugmentOptions = { timeScale: 0.2, cropScale: [0.8, 1], brightness: 0.1 };
 * ```
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

/** Bilinear taps along one axis: for each output index, two source indices and the weight of the second. */
function taps(
  size: number,
  offset: number,
  scale: number,
): { lo: Int32Array; hi: Int32Array; weight: Float32Array } {
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const weight = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const source = Math.min(
      size - 1,
      Math.max(0, (offset + ((i + 0.5) / size) * scale) * size - 0.5),
    );
    const floor = Math.floor(source);
    lo[i] = floor;
    hi[i] = Math.min(size - 1, floor + 1);
    weight[i] = source - floor;
  }
  return { lo, hi, weight };
}

/** The first output frame whose source frame is ≥ `frame` (sourceOf is non-decreasing). */
function firstFrameFrom(sourceOf: Int32Array, frame: number): number {
  let low = 0;
  let high = sourceOf.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sourceOf[mid] < frame) low = mid + 1;
    else high = mid;
  }
  return low;
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
  checkAugmentOptions(options);
  const dims = checkSample(sample, 'augmentSample');
  const { timeScale, cropScale, brightness } = options;
  const { frames, height, width } = dims;

  let outFrames = frames;
  if (timeScale !== undefined && timeScale > 0)
    outFrames = Math.max(1, Math.round(frames * rng.uniform(1 - timeScale, 1 + timeScale)));
  let scale = 1;
  let x0 = 0;
  let y0 = 0;
  if (cropScale !== undefined) {
    scale = rng.uniform(cropScale[0], cropScale[1]);
    if (cropScale[0] === cropScale[1]) scale = cropScale[0];
    x0 = rng.uniform(0, 1 - scale);
    y0 = rng.uniform(0, 1 - scale);
  }
  const delta =
    brightness !== undefined && brightness > 0 ? rng.uniform(-brightness, brightness) : 0;

  const retime = outFrames !== frames;
  const crop = scale !== 1 || x0 !== 0 || y0 !== 0;
  if (!retime && !crop && delta === 0) return { ...sample };

  const sourceOf = new Int32Array(outFrames);
  for (let t = 0; t < outFrames; t++)
    sourceOf[t] = Math.min(frames - 1, Math.floor(((t + 0.5) * frames) / outFrames));

  const frameSize = height * width * 3;
  const out = new Float32Array(outFrames * frameSize);
  const input = sample.frames;
  if (crop) {
    const rows = taps(height, y0, scale);
    const cols = taps(width, x0, scale);
    for (let t = 0; t < outFrames; t++) {
      const base = sourceOf[t] * frameSize;
      let o = t * frameSize;
      for (let i = 0; i < height; i++) {
        const r0 = base + rows.lo[i] * width * 3;
        const r1 = base + rows.hi[i] * width * 3;
        const wy = rows.weight[i];
        for (let j = 0; j < width; j++) {
          const c0 = cols.lo[j] * 3;
          const c1 = cols.hi[j] * 3;
          const wx = cols.weight[j];
          for (let c = 0; c < 3; c++) {
            const top = input[r0 + c0 + c] * (1 - wx) + input[r0 + c1 + c] * wx;
            const bottom = input[r1 + c0 + c] * (1 - wx) + input[r1 + c1 + c] * wx;
            out[o++] = Math.min(1, Math.max(0, top * (1 - wy) + bottom * wy + delta));
          }
        }
      }
    }
  } else {
    for (let t = 0; t < outFrames; t++) {
      const from = sourceOf[t] * frameSize;
      const to = t * frameSize;
      if (delta === 0) out.set(input.subarray(from, from + frameSize), to);
      else
        for (let k = 0; k < frameSize; k++)
          out[to + k] = Math.min(1, Math.max(0, input[from + k] + delta));
    }
  }

  const result: SignSample = { ...sample, frameShape: [outFrames, height, width, 3], frames: out };
  if (sample.spans !== undefined) {
    result.spans = sample.spans.map((span): SignSpan =>
      retime
        ? {
            ...span,
            start: firstFrameFrom(sourceOf, span.start),
            end: firstFrameFrom(sourceOf, span.end),
          }
        : { ...span },
    );
  }
  if (sample.keypoints !== undefined && (retime || crop)) {
    const perFrame = dims.keypoints! * 2;
    const points = new Float32Array(outFrames * perFrame);
    for (let t = 0; t < outFrames; t++) {
      const from = sourceOf[t] * perFrame;
      const to = t * perFrame;
      for (let k = 0; k < perFrame; k += 2) {
        points[to + k] = (sample.keypoints[from + k] - x0) / scale;
        points[to + k + 1] = (sample.keypoints[from + k + 1] - y0) / scale;
      }
    }
    result.keypoints = points;
  }
  return result;
}
