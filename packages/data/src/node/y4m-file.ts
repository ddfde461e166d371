import { writeFileAtomic } from '@slr/core/node';
import { encodeY4m, type EncodeY4mOptions } from '../video/y4m';

/**
 * Writes frames `[T, H, W, 3]` (RGB in [0, 1]) to `path` as a YUV4MPEG2 video (see
 * `encodeY4m`), atomically; the clip Chromium's fake camera plays with
 * `--use-file-for-fake-video-capture=<path>`. Resolves to the number of bytes written. A
 * failure to write is a `FileSystemError` that names `path`.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus({ seed: 1, glosses: 10, trainSamples: 10 });
 * const sample = corpus.renderSample(corpus.splits.train[0], { height: 32, width: 32, fps: 4 });
 * await writeY4mFile('clip.y4m', sample.frames, { height: 32, width: 32, fps: 4 });
 * ```
 */
export async function writeY4mFile(
  path: string,
  frames: Float32Array,
  options: EncodeY4mOptions & { createFolder?: boolean },
): Promise<number> {
  const bytes = encodeY4m(frames, options);
  await writeFileAtomic(path, bytes, { createFolder: options.createFolder ?? false });
  return bytes.length;
}
