/**
 * Writes samples in the RWTH-PHOENIX-Weather 2014 layout (see `layout.ts`).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withFileSystemError, writeFileAtomic } from '@slr/core/node';
import sharp from 'sharp';
import type { SignSample, Split } from '../../types';
import { GlossVocabulary } from '../../vocabulary';
import { writeKeypointsFile } from './keypoints';
import { forEachLimited, isSafeName } from './internal';
import { formatPhoenixCsvLine } from './csv';
import {
  PHOENIX_CSV_HEADER,
  PHOENIX_SPLITS,
  phoenixPaths,
  type PhoenixLayoutOptions,
} from './layout';
import { createProgress, type ProgressOptions } from './progress';

/**
 * A split's samples: an array, any iterable or an async iterable (consumed once, in order).
 *
 * @example
 * ```ts
 * async function* lazy(): AsyncGenerator<SignSample> { for (let i = 0; i < 1000; i++) yield makeSample(i); }
 * const source: SampleSource = lazy();
 * ```
 */
export type SampleSource = Iterable<SignSample> | AsyncIterable<SignSample>;

/**
 * The samples of each split to write; a split left out is not touched on disk.
 *
 * @example
 * ```ts
 * const samplesBySplit: PhoenixSamplesBySplit = { train: trainSamples, dev: devGenerator() };
 * ```
 */
export type PhoenixSamplesBySplit = Partial<Record<Split, SampleSource>>;

/**
 * Options of {@link writePhoenixCorpus}.
 *
 * @example
 * ```ts
 * const options: WritePhoenixOptions = { size: [260, 210], compressionLevel: 3, progress: 'lines' };
 * ```
 */
export interface WritePhoenixOptions extends ProgressOptions, PhoenixLayoutOptions {
  /** Resize every frame to `[H, W]` before encoding (default: keep each sample's own size). */
  size?: [number, number];
  /**
   * The vocabulary written to `annotations/vocabulary.json`; every gloss written must be in it.
   * Default: every distinct gloss of every split written, sorted
   * ({@link GlossVocabulary.fromGlosses}), so that all splits read back without unknown glosses.
   */
  vocabulary?: GlossVocabulary;
  /** zlib level of the PNGs, 0 (fastest) … 9 (smallest); default 6. */
  compressionLevel?: number;
  /** Frames encoded at once (default 8). */
  concurrency?: number;
  /** Samples per split, for the progress bar when the sources are not arrays. */
  totals?: Partial<Record<Split, number>>;
}

/**
 * What {@link writePhoenixCorpus} wrote.
 *
 * @example
 * ```ts
 * const { vocabulary, splits } = await writePhoenixCorpus(dir, { train });
 * console.log(vocabulary.size, splits.train?.frames);
 * ```
 */
export interface WritePhoenixSummary {
  /** The vocabulary written to `annotations/vocabulary.json`. */
  vocabulary: GlossVocabulary;
  /** Samples and frames written per split. */
  splits: Partial<
    Record<
      Split,
      {
        /** Samples written. */
        samples: number;
        /** Frames written, over all samples. */
        frames: number;
      }
    >
  >;
}

/**
 * Writes samples as a RWTH-PHOENIX-Weather 2014 corpus under `dir`:
 *
 * - frames as 8-bit RGB PNGs `features/fullFrame-210x260px/{split}/{id}/1/images0001.png…`
 *   (values in [0, 1] rounded to the nearest of 256 levels; the frames' own size or
 *   `options.size`); a sample's frame folder is emptied first, so no stale frame survives;
 * - `annotations/manual/{split}.corpus.csv` (`id|folder|signer|annotation`), written
 *   atomically when the split is complete (a failed split leaves the old file, or none);
 * - `annotations/vocabulary.json` ({@link GlossVocabulary.toJSON}), atomically, last;
 * - keypoints, where a sample has them, to `features/keypoints/{split}/{id}.json` (see
 *   `PhoenixKeypointsJson`), atomically; a stale file of a sample without keypoints is removed.
 *
 * Samples are consumed one at a time, so sources may be lazy generators of any length.
 * Ground-truth spans are not written (PHOENIX has no such column).
 *
 * @example
 * ```ts
 * const summary = await writePhoenixCorpus('/tmp/corpus', { train: trainSamples, dev: devSamples }, { size: [260, 210] });
 * summary.splits.train; // { samples: 100, frames: 4800 }
 * ```
 */
export async function writePhoenixCorpus(
  dir: string,
  samplesBySplit: PhoenixSamplesBySplit,
  options: WritePhoenixOptions = {},
): Promise<WritePhoenixSummary> {
  const paths = phoenixPaths(dir, options);
  const size = options.size;
  if (size !== undefined) checkSize(size, 'options.size');
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const compressionLevel = options.compressionLevel ?? 6;
  const progress = createProgress('writePhoenixCorpus', options);
  const seen = new Set<string>();
  const summary: WritePhoenixSummary['splits'] = {};

  await createFolder(dirname(paths.corpusCsv('train')));
  try {
    for (const split of PHOENIX_SPLITS) {
      const source = samplesBySplit[split];
      if (source == null) continue;
      // The CSV is kept in memory (one short line a sample) and written once the split is
      // complete, so that a failure part-way leaves no half-written CSV behind.
      const lines = [PHOENIX_CSV_HEADER];
      const ids = new Set<string>();
      let frames = 0;
      const total = Array.isArray(source) ? source.length : options.totals?.[split];
      progress.start(split, total);
      for await (const sample of source) {
        const where = `sample '${sample.id}' of ${split}`;
        checkSample(sample, where);
        if (ids.has(sample.id)) throw new Error(`The id '${sample.id}' appears twice in ${split}.`);
        ids.add(sample.id);
        if (options.vocabulary) options.vocabulary.encode(sample.glosses, where);
        for (const gloss of sample.glosses) seen.add(gloss);

        await removePath(paths.sampleDir(split, sample.id));
        await createFolder(paths.frameDir(split, sample.id));
        await encodeFrames(sample, (t) => paths.frameFile(split, sample.id, t), {
          size,
          concurrency,
          compressionLevel,
        });
        const keypointPath = paths.keypoints(split, sample.id);
        if (sample.keypoints !== undefined) {
          await writeKeypointsFile(
            keypointPath,
            sample.id,
            sample.frameShape[0],
            sample.keypoints,
            sample.keypointNames,
          );
        } else {
          await removePath(keypointPath);
        }
        lines.push(formatPhoenixCsvLine(sample));
        frames += sample.frameShape[0];
        progress.tick(sample.frameShape[0]);
      }
      await writeFileAtomic(paths.corpusCsv(split), `${lines.join('\n')}\n`);
      progress.finish();
      summary[split] = { samples: ids.size, frames };
    }
  } finally {
    progress.finish();
  }

  const vocabulary = options.vocabulary ?? GlossVocabulary.fromGlosses(seen);
  await writeFileAtomic(paths.vocabulary, `${JSON.stringify(vocabulary.toJSON(), null, 2)}\n`);
  return { vocabulary, splits: summary };
}

/** Creates `folder` and its parents; a failure names the folder. */
function createFolder(folder: string): Promise<unknown> {
  return withFileSystemError('create the folder', folder, () => mkdir(folder, { recursive: true }));
}

/** Removes `path` (a file or a folder with its contents) if it exists; a failure names it. */
function removePath(path: string): Promise<void> {
  return withFileSystemError('remove', path, () => rm(path, { recursive: true, force: true }));
}

/** Options of {@link encodeFrames}. */
interface EncodeOptions {
  size?: [number, number];
  concurrency: number;
  compressionLevel: number;
}

/** Encodes each frame of `sample` to `pathOf(t)` as an 8-bit RGB PNG. */
async function encodeFrames(
  sample: SignSample,
  pathOf: (t: number) => string,
  options: EncodeOptions,
): Promise<void> {
  const [frames, height, width] = sample.frameShape;
  const frameSize = height * width * 3;
  await forEachLimited(frames, options.concurrency, async (t) => {
    const pixels = quantise(sample.frames, t * frameSize, frameSize, sample.id, t);
    let image = sharp(pixels, { raw: { width, height, channels: 3 } });
    if (options.size) image = image.resize(options.size[1], options.size[0], { fit: 'fill' });
    const png = await image.png({ compressionLevel: options.compressionLevel }).toBuffer();
    // Not atomic: the sample's folder was emptied first, and the CSV that names the sample is
    // written only once every frame is on disk.
    const path = pathOf(t);
    await withFileSystemError('write', path, () => writeFile(path, png));
  });
}

/** `values[offset … offset + length)` in [0, 1] to bytes (round to nearest, clamp). */
function quantise(
  values: Float32Array,
  offset: number,
  length: number,
  id: string,
  frame: number,
): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) {
    const value = values[offset + index];
    if (value !== value) throw new Error(`Sample '${id}': frame ${frame} has a NaN pixel value.`);
    bytes[index] = value <= 0 ? 0 : value >= 1 ? 255 : Math.round(value * 255);
  }
  return bytes;
}

function checkSample(sample: SignSample, where: string): void {
  if (typeof sample.id !== 'string' || !isSafeName(sample.id))
    throw new Error(`The id of ${where} must be a plain folder name (no '/', '|' or spaces).`);
  if (typeof sample.signer !== 'string' || /[|\r\n]/.test(sample.signer))
    throw new Error(`The signer of ${where} must not contain '|' or line breaks.`);
  if (sample.glosses.length === 0) throw new Error(`${where} has no glosses.`);
  for (const gloss of sample.glosses) {
    if (gloss === '' || /[\s|]/.test(gloss))
      throw new Error(
        `The gloss '${gloss}' of ${where} must be a non-empty word without spaces or '|'.`,
      );
  }
  const [frames, height, width, channels] = sample.frameShape;
  if (!(frames >= 1) || channels !== 3)
    throw new Error(`${where}: frameShape [${sample.frameShape}] must be [T ≥ 1, H, W, 3].`);
  checkSize([height, width], `the frameShape of ${where}`);
  if (sample.frames.length !== frames * height * width * 3) {
    throw new Error(
      `${where}: ${sample.frames.length} frame values do not make frameShape [${sample.frameShape}].`,
    );
  }
}

function checkSize(size: readonly number[], what: string): void {
  if (size.length !== 2 || !size.every((value) => Number.isInteger(value) && value >= 1))
    throw new Error(`${what} must be [H, W] with positive integers, got [${size}].`);
}
