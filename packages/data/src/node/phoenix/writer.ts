/**
 * Writes samples in the RWTH-PHOENIX-Weather 2014 layout (see `layout.ts`).
 */
import { rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ArgumentError, checkInteger, checkOptions, describeValue } from '@slr/core';
import { createFolder, withFileSystemError, writeFileAtomic } from '@slr/core/node';
import sharp from 'sharp';
import type { SignSample, Split } from '../../types';
import { checkSample, targetIds } from '../../batch/sample-checks';
import { GlossVocabulary } from '../../vocabulary';
import {
  checkKeepsIds,
  corpusVocabulary,
  grownVocabulary,
  vocabularyText,
} from './corpus-vocabulary';
import { writeKeypointsFile } from './keypoints';
import { checkDir, checkFrameFolder, checkFrameSize, forEachLimited, isSafeName } from './internal';
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
 * const source: SampleSource = corpus.stream('train', { height: 260, width: 210 }); // rendered one by one
 * ```
 */
export type SampleSource = Iterable<SignSample> | AsyncIterable<SignSample>;

/**
 * The samples of each split to write; a split left out is not touched on disk.
 *
 * @example
 * ```ts
 * const samplesBySplit: PhoenixSamplesBySplit = { train: trainSamples, dev: corpus.samples('dev') };
 * ```
 */
export type PhoenixSamplesBySplit = Partial<Record<Split, SampleSource>>;

/** Options of {@link writePhoenixCorpus}. */
export interface WritePhoenixOptions extends ProgressOptions, PhoenixLayoutOptions {
  /** Resize every frame to `[H, W]` before encoding (default: keep each sample's own size). */
  size?: [number, number];
  /**
   * The vocabulary written to `annotations/vocabulary.json`; every gloss written must be in it,
   * and it must keep every id of the corpus already on disk (new glosses only after them), or
   * nothing is written. Default: the corpus's vocabulary grown by the glosses written that it
   * lacks, in code-point order; for a new corpus, every distinct gloss of every split written,
   * sorted ({@link GlossVocabulary.fromGlosses}). So all splits read back without unknown
   * glosses, and the ids of splits already on disk never change.
   */
  vocabulary?: GlossVocabulary;
  /** zlib level of the PNGs, 0 (fastest) … 9 (smallest); default 6. */
  compressionLevel?: number;
  /** Frames encoded at once (default 8). */
  concurrency?: number;
  /** Samples per split, for the progress bar when the sources are not arrays. */
  totals?: Partial<Record<Split, number>>;
}

/** What {@link writePhoenixCorpus} wrote. */
export interface WritePhoenixSummary {
  /** The vocabulary written to `annotations/vocabulary.json` (the corpus's, after this write). */
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
 * - `annotations/vocabulary.json` ({@link GlossVocabulary.toJSON}), atomically: last, or with
 *   `options.vocabulary` before the first CSV. A corpus's vocabulary only grows: the ids already
 *   on disk (those of `vocabulary.json`, or without one those a reader derives from the train
 *   split) are kept whichever splits are written, and an `options.vocabulary` that would change
 *   one is refused, naming the gloss and both ids, before anything is written. To start a corpus
 *   afresh, write into an empty folder;
 * - keypoints, where a sample has them, to `features/keypoints/{split}/{id}.json` (see
 *   `PhoenixKeypointsJson`), atomically; a stale file of a sample without keypoints is removed.
 *
 * Samples are consumed one at a time, so sources may be lazy generators of any length.
 * Ground-truth spans are not written (PHOENIX has no such column).
 *
 * @example
 * ```ts
 * const summary = await writePhoenixCorpus(
 *   '/tmp/corpus',
 *   { train: trainSamples, dev: corpus.samples('dev') },
 *   { size: [260, 210] },
 * );
 * summary.splits.train; // for example { samples: 100, frames: 4800 }
 * summary.vocabulary.size; // every gloss written, plus the blank
 * ```
 */
export async function writePhoenixCorpus(
  dir: string,
  samplesBySplit: PhoenixSamplesBySplit,
  options: WritePhoenixOptions = {},
): Promise<WritePhoenixSummary> {
  const fn = 'writePhoenixCorpus';
  checkDir(fn, dir);
  const sources = checkOptions(fn, samplesBySplit, 'samplesBySplit');
  checkOptions(fn, options);
  checkFrameFolder(fn, options.frameFolder);
  const paths = phoenixPaths(dir, options);
  const { size, vocabulary: given } = options;
  if (size !== undefined) checkFrameSize(fn, 'options.size', size);
  const concurrency = checkInteger(fn, 'options.concurrency', options.concurrency ?? 8, { min: 1 });
  const compressionLevel = checkInteger(
    fn,
    'options.compressionLevel',
    options.compressionLevel ?? 6,
    { min: 0, max: 9 },
  );
  if (given !== undefined && !(given instanceof GlossVocabulary))
    throw new ArgumentError(fn, 'options.vocabulary', 'be a GlossVocabulary', given);
  for (const split of PHOENIX_SPLITS) {
    const source = sources[split];
    if (source != null && !isSampleSource(source)) {
      throw new ArgumentError(
        fn,
        `samplesBySplit.${split}`,
        'be an array or a (sync or async) iterable of SignSamples',
        source,
      );
    }
  }
  const progress = createProgress(fn, options);
  // The ids on disk, read before anything is written; a given vocabulary must keep them.
  const onDisk = await corpusVocabulary(dir, '<blank>', { required: false });
  if (given !== undefined && onDisk !== undefined) checkKeepsIds(fn, given, onDisk);
  const seen = new Set<string>();
  const summary: WritePhoenixSummary['splits'] = {};
  // A given vocabulary is written before the first CSV, so that no CSV is ever on disk
  // without the ids it was written with.
  let vocabularyWritten = false;
  const writeVocabulary = async (vocabulary: GlossVocabulary) => {
    await writeFileAtomic(paths.vocabulary, vocabularyText(vocabulary));
    vocabularyWritten = true;
  };

  await createFolder(dirname(paths.corpusCsv('train')));
  try {
    for (const split of PHOENIX_SPLITS) {
      const source = sources[split];
      if (source == null) continue;
      // The CSV is kept in memory (one short line a sample) and written once the split is
      // complete, so that a failure part-way leaves no half-written CSV behind.
      const lines = [PHOENIX_CSV_HEADER];
      const ids = new Set<string>();
      let frames = 0;
      const total = Array.isArray(source) ? source.length : options.totals?.[split];
      progress.start(split, total);
      const argument = `samplesBySplit.${split}`;
      for await (const sample of source) {
        checkWrittenSample(sample, fn, argument);
        if (ids.has(sample.id)) {
          throw new ArgumentError(fn, argument, 'have distinct ids', sample, {
            actualText: `sample '${sample.id}' twice`,
          });
        }
        ids.add(sample.id);
        if (given !== undefined) targetIds(sample, given, fn, argument);
        for (const gloss of sample.glosses) seen.add(gloss);

        await removePath(paths.sampleDir(split, sample.id));
        await createFolder(paths.frameDir(split, sample.id));
        await encodeFrames(sample, (t) => paths.frameFile(split, sample.id, t), {
          size,
          concurrency,
          compressionLevel,
          fn,
          argument,
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
      if (given !== undefined && !vocabularyWritten) await writeVocabulary(given);
      await writeFileAtomic(paths.corpusCsv(split), `${lines.join('\n')}\n`);
      progress.finish();
      summary[split] = { samples: ids.size, frames };
    }
  } finally {
    progress.finish();
  }

  const vocabulary = given ?? grownVocabulary(onDisk?.vocabulary, seen);
  if (!vocabularyWritten) await writeVocabulary(vocabulary);
  return { vocabulary, splits: summary };
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
  /** For errors: the function called and its argument that held the sample. */
  fn: string;
  argument: string;
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
    const pixels = quantise(sample, t, frameSize, options);
    let image = sharp(pixels, { raw: { width, height, channels: 3 } });
    if (options.size) image = image.resize(options.size[1], options.size[0], { fit: 'fill' });
    const png = await image.png({ compressionLevel: options.compressionLevel }).toBuffer();
    // Not atomic: the sample's folder was emptied first, and the CSV that names the sample is
    // written only once every frame is on disk.
    const path = pathOf(t);
    await withFileSystemError('write', path, () => writeFile(path, png));
  });
}

/** Frame `frame` of `sample` (`length` values) in [0, 1] to bytes (round to nearest, clamp). */
function quantise(
  sample: SignSample,
  frame: number,
  length: number,
  { fn, argument }: EncodeOptions,
): Buffer {
  const values = sample.frames;
  const offset = frame * length;
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) {
    const value = values[offset + index];
    if (value !== value) {
      throw new ArgumentError(fn, argument, 'have frame values that are numbers', sample, {
        actualText: `sample '${sample.id}' with a NaN in frame ${frame}`,
      });
    }
    bytes[index] = value <= 0 ? 0 : value >= 1 ? 255 : Math.round(value * 255);
  }
  return bytes;
}

/** Whether `source` is an array or a sync or async iterable. */
function isSampleSource(source: unknown): source is SampleSource {
  const candidate = source as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  return (
    typeof candidate[Symbol.iterator] === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Checks a sample to write as well as what the PHOENIX layout needs of it: an id that is a
 * plain folder name, a signer and glosses that fit the CSV, finite keypoints.
 */
function checkWrittenSample(sample: SignSample, fn: string, argument: string): void {
  checkSample(sample, fn, argument);
  const fail = (must: string, got: string): ArgumentError =>
    new ArgumentError(fn, argument, must, sample, { actualText: `sample ${got}` });
  const id = describeValue(sample.id);
  if (typeof sample.id !== 'string' || !isSafeName(sample.id))
    throw fail("have an id that is a plain folder name (no '/', '|' or spaces)", id);
  if (typeof sample.signer !== 'string' || /[|\r\n]/.test(sample.signer))
    throw fail(
      "have a signer without '|' or line breaks",
      `${id} with the signer ${describeValue(sample.signer)}`,
    );
  if (sample.glosses.length === 0) throw fail('have at least one gloss', `${id} without glosses`);
  for (const gloss of sample.glosses) {
    if (typeof gloss !== 'string' || gloss === '' || /[\s|]/.test(gloss)) {
      throw fail(
        "have glosses that are non-empty words without spaces or '|'",
        `${id} with the gloss ${describeValue(gloss)}`,
      );
    }
  }
  if (sample.keypoints !== undefined) {
    const index = sample.keypoints.findIndex((value) => !Number.isFinite(value));
    if (index >= 0) {
      throw fail(
        'have finite keypoints',
        `${id} with the keypoint value ${sample.keypoints[index]} at index ${index}`,
      );
    }
  }
}
