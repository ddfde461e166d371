/** Internal: consistency checks of a SignSample's typed arrays (not exported from the package). */
import type { SignSample } from '../types';
import type { GlossVocabulary } from '../vocabulary';
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
