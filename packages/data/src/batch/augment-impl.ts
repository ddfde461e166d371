/**
 * Internal: the transforms of {@link augmentSample} on a checked sample (not exported from the
 * package; {@link batches} runs them on samples it has checked itself).
 */
import type { SignSample, SignSpan } from '../types';
import type { AugmentOptions } from './augment';
import type { SeededRandom } from './random';
import type { SampleDims } from './sample-checks';

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

/** {@link augmentSample} on a sample and options checked already (`dims` are the sample's). */
export function applyAugmentation(
  sample: SignSample,
  dims: SampleDims,
  options: AugmentOptions,
  rng: SeededRandom,
): SignSample {
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
