/**
 * Keypoint side files: one JSON file per sample, `features/keypoints/{split}/{id}.json`.
 *
 * ```json
 * {
 *   "format": "slr-phoenix-keypoints",
 *   "version": 1,
 *   "id": "train-0000",
 *   "frames": 48,
 *   "keypoints": 7,
 *   "names": ["nose", "leftWrist", …],
 *   "points": [x, y, x, y, …]
 * }
 * ```
 *
 * `points` holds `frames × keypoints × 2` numbers, row-major `[T, K, 2]`, x then y, in [0, 1]
 * image coordinates (so they do not change when frames are resized). Each number is written
 * with the fewest digits that read back to the same float32, so the round trip is exact.
 * `names` is omitted when the sample has none.
 */
import { readFile } from 'node:fs/promises';
import { ArgumentError, checkInteger } from '@slr/core';
import { writeFileAtomic } from '@slr/core/node';
import { float32Text } from './internal';
import { PhoenixDataError } from './layout';

/**
 * The JSON form of one sample's keypoints, `features/keypoints/{split}/{id}.json`:
 * `points` holds `frames × keypoints × 2` numbers, row-major `[T, K, 2]`, x then y, in [0, 1]
 * image coordinates (unchanged by resizing), each with the fewest digits that read back as the
 * same float32; `names` is left out when the sample has none.
 *
 * @example
 * ```json
 * { "format": "slr-phoenix-keypoints", "version": 1, "id": "train-0000", "frames": 2, "keypoints": 1,
 *   "names": ["nose"], "points": [0.5, 0.25, 0.51, 0.25] }
 * ```
 */
export interface PhoenixKeypointsJson {
  /** Always `'slr-phoenix-keypoints'`. */
  format: 'slr-phoenix-keypoints';
  /** Format version, 1. */
  version: 1;
  /** The sample's id. */
  id: string;
  /** T. */
  frames: number;
  /** K. */
  keypoints: number;
  /** K names, when known. */
  names?: string[];
  /** `T × K × 2` numbers, `[T, K, 2]` row-major. */
  points: number[];
}

/**
 * Keypoints as {@link readKeypointsFile} returns them.
 *
 * @example
 * ```ts
 * const path = phoenixPaths('/data/phoenix2014').keypoints('dev', 'dev_000007');
 * const { keypoints, points } = await readKeypointsFile(path);
 * const frame = 3;
 * const keypoint = 1;
 * const offset = (frame * keypoints + keypoint) * 2;
 * const [x, y] = points.subarray(offset, offset + 2);
 * ```
 */
export interface PhoenixKeypoints {
  /** T. */
  frames: number;
  /** K. */
  keypoints: number;
  /** K names, when known. */
  names?: string[];
  /** `[T, K, 2]`. */
  points: Float32Array;
}

/**
 * Writes one sample's keypoints to `path`, atomically (a reader sees the old file or the new one),
 * creating its folder if needed.
 *
 * @example
 * ```ts
 * const path = phoenixPaths('/data/phoenix2014').keypoints('train', sample.id);
 * const frames = sample.frameShape[0];
 * if (sample.keypoints) {
 *   await writeKeypointsFile(path, sample.id, frames, sample.keypoints, sample.keypointNames);
 * }
 * ```
 */
export async function writeKeypointsFile(
  path: string,
  id: string,
  frames: number,
  points: Float32Array,
  names?: readonly string[],
): Promise<void> {
  const fn = 'writeKeypointsFile';
  if (typeof path !== 'string' || path === '')
    throw new ArgumentError(fn, 'path', 'be the path of a file, a non-empty string', path);
  if (typeof id !== 'string') throw new ArgumentError(fn, 'id', 'be a string', id);
  checkInteger(fn, 'frames', frames, { min: 1 });
  if (!(points instanceof Float32Array) || points.length % (frames * 2) !== 0) {
    throw new ArgumentError(
      fn,
      'points',
      `be a Float32Array of frames × K × 2 numbers (frames = ${frames})`,
      points,
    );
  }
  const keypoints = points.length / (frames * 2);
  if (names !== undefined && (!Array.isArray(names) || names.length !== keypoints))
    throw new ArgumentError(fn, 'names', `hold one name per keypoint (${keypoints})`, names);
  const values = new Array<string>(points.length);
  for (let index = 0; index < points.length; index++) {
    const value = points[index];
    if (!Number.isFinite(value)) {
      throw new ArgumentError(fn, 'points', 'hold finite numbers', points, {
        actualText: `${value} at index ${index} (sample '${id}')`,
      });
    }
    values[index] = float32Text(value);
  }
  const header = JSON.stringify({
    format: 'slr-phoenix-keypoints',
    version: 1,
    id,
    frames,
    keypoints,
    ...(names ? { names } : {}),
  });
  // Not flushed to the disk one by one (like the frames beside them): a corpus has thousands.
  await writeFileAtomic(path, `${header.slice(0, -1)},"points":[${values.join(',')}]}\n`, {
    createFolder: true,
    durable: false,
  });
}

/**
 * Reads a keypoint side file; a malformed one is a {@link PhoenixDataError} naming it.
 * `expectedId` and `expectedFrames`, when given, must match the file.
 *
 * @example
 * ```ts
 * const path = phoenixPaths('/data/phoenix2014').keypoints('dev', 'dev_000007');
 * const { points, names } = await readKeypointsFile(path, 'dev_000007', 48); // another id or T: an error
 * ```
 */
export async function readKeypointsFile(
  path: string,
  expectedId?: string,
  expectedFrames?: number,
): Promise<PhoenixKeypoints> {
  let json: Partial<PhoenixKeypointsJson>;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as Partial<PhoenixKeypointsJson>;
  } catch (error) {
    throw new PhoenixDataError(
      path,
      undefined,
      `cannot read the keypoint file: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const bad = (message: string) => new PhoenixDataError(path, undefined, message);
  if (json == null || json.format !== 'slr-phoenix-keypoints' || json.version !== 1)
    throw bad("not a keypoint file (expected format 'slr-phoenix-keypoints', version 1).");
  const { frames, keypoints, names, points } = json;
  if (!Number.isInteger(frames) || frames! <= 0 || !Number.isInteger(keypoints) || keypoints! <= 0)
    throw bad('frames and keypoints must be positive integers.');
  if (!Array.isArray(points) || points.length !== frames! * keypoints! * 2)
    throw bad(`points must hold frames × keypoints × 2 = ${frames! * keypoints! * 2} numbers.`);
  if (!points.every((value) => typeof value === 'number' && Number.isFinite(value)))
    throw bad('points must be finite numbers.');
  if (
    names !== undefined &&
    (!Array.isArray(names) ||
      names.length !== keypoints ||
      !names.every((name) => typeof name === 'string'))
  ) {
    throw bad(`names must be ${keypoints} strings.`);
  }
  if (expectedId !== undefined && json.id !== expectedId)
    throw bad(`the file is for sample '${json.id}', not '${expectedId}'.`);
  if (expectedFrames !== undefined && frames !== expectedFrames)
    throw bad(`the file has ${frames} frames but the sample has ${expectedFrames}.`);
  return {
    frames: frames!,
    keypoints: keypoints!,
    ...(names ? { names } : {}),
    points: Float32Array.from(points),
  };
}
