/**
 * Reads RWTH-PHOENIX-Weather 2014 layout corpora (see `layout.ts`) as streams of
 * {@link SignSample}s. Reading never writes: a corpus may be on a read-only disk.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, checkBoolean, checkInteger, checkOneOf, checkOptions } from '@slr/core';
import { FileSystemError, writeFileAtomic } from '@slr/core/node';
import sharp from 'sharp';
import type { SignSample, Split } from '../../types';
import { GlossVocabulary } from '../../vocabulary';
import { annotations } from './annotations';
import { corpusVocabulary, vocabularyText } from './corpus-vocabulary';
import { checkDir, checkFrameFolder, checkFrameSize, forEachLimited } from './internal';
import { readKeypointsFile } from './keypoints';
import {
  PHOENIX_SPLITS,
  PhoenixDataError,
  phoenixPaths,
  type PhoenixCsvEntry,
  type PhoenixLayoutOptions,
} from './layout';

/**
 * Streams the data lines of `annotations/manual/{split}.corpus.csv`, checking the header and
 * every line (4 columns, non-empty id/folder/annotation, ids unique); blank lines are skipped.
 * A missing file or a bad line is a {@link PhoenixDataError} naming `file:line`.
 *
 * @example
 * ```ts
 * for await (const entry of readPhoenixAnnotations('/data/phoenix2014', 'dev')) {
 *   console.log(entry.id, entry.glosses.join(' '));
 * }
 * ```
 */
export async function* readPhoenixAnnotations(
  dir: string,
  split: Split,
): AsyncGenerator<PhoenixCsvEntry> {
  checkDir('readPhoenixAnnotations', dir);
  checkOneOf('readPhoenixAnnotations', 'split', split, PHOENIX_SPLITS);
  yield* annotations(dir, split);
}

/**
 * Options of {@link loadOrBuildVocabulary}.
 *
 * @example
 * ```ts
 * // A corpus without vocabulary.json: build the vocabulary and pin its ids on disk.
 * const vocabulary = await loadOrBuildVocabulary('/data/phoenix2014', { save: true });
 * ```
 */
export interface LoadVocabularyOptions {
  /**
   * Save a vocabulary built from the train split to `annotations/vocabulary.json` (default
   * false: reading never writes). A failure to save names the file and the cause ("the file
   * system is read-only (EROFS)").
   */
  save?: boolean;
  /** The blank's name of a built vocabulary (default `'<blank>'`). */
  blank?: string;
}

/**
 * The corpus vocabulary: `annotations/vocabulary.json` when it exists; otherwise every distinct
 * gloss of the train split's annotations in code-point order (so the ids do not depend on
 * line order), built in memory, and saved there atomically only with `options.save` (which
 * pins the ids should the train annotations change later). {@link readPhoenixSplit} and
 * {@link writePhoenixCorpus} use the same ids.
 *
 * @example
 * ```ts
 * const vocabulary = await loadOrBuildVocabulary('/data/phoenix2014');
 * vocabulary.size; // numClasses for the model, blank included
 * ```
 */
export async function loadOrBuildVocabulary(
  dir: string,
  options: LoadVocabularyOptions = {},
): Promise<GlossVocabulary> {
  const fn = 'loadOrBuildVocabulary';
  checkDir(fn, dir);
  const { save = false, blank = '<blank>' } = checkOptions(fn, options);
  checkBoolean(fn, 'options.save', save);
  if (typeof blank !== 'string' || blank === '' || /\s/.test(blank))
    throw new ArgumentError(fn, 'options.blank', 'be a non-empty word without spaces', blank);
  return vocabularyOf(dir, save, blank);
}

/** {@link loadOrBuildVocabulary} on checked arguments. */
async function vocabularyOf(dir: string, save: boolean, blank: string): Promise<GlossVocabulary> {
  const { vocabulary, derived } = (await corpusVocabulary(dir, blank, { required: true }))!;
  if (derived && save) {
    const path = phoenixPaths(dir).vocabulary;
    try {
      await writeFileAtomic(path, vocabularyText(vocabulary), { createFolder: true });
    } catch (error) {
      throw new FileSystemError(
        'save the vocabulary built from the train split to',
        path,
        error instanceof FileSystemError ? error.cause : error,
      );
    }
  }
  return vocabulary;
}

/** Options of {@link readPhoenixSplit}. */
export interface ReadPhoenixOptions extends PhoenixLayoutOptions {
  /** Resize every frame to `[H, W]` (the model's input); default: the frames' own size. */
  size?: [number, number];
  /**
   * How frames are fitted to `size` (sharp's `fit`): `'fill'` stretches (default), `'cover'`
   * crops, `'contain'` pads with black.
   */
  fit?: 'fill' | 'cover' | 'contain';
  /** Keep every `frameStep`-th frame, starting with the first (default 1: all). */
  frameStep?: number;
  /** After `frameStep`, keep at most this many frames, evenly spread (default: all). */
  maxFrames?: number;
  /**
   * Maps glosses to ids; a gloss not in it is an error. Default: {@link loadOrBuildVocabulary}
   * of `dir` (`annotations/vocabulary.json`, or one derived from the train split in memory).
   */
  vocabulary?: GlossVocabulary;
  /** Read `features/keypoints/{split}/{id}.json` where it exists (default true). */
  keypoints?: boolean;
  /** Stop after this many samples (default: all). */
  limit?: number;
  /** Frames decoded at once (default 8). */
  concurrency?: number;
}

/**
 * Streams the samples of one split: one CSV line at a time, its PNGs decoded with sharp (and
 * resized to `options.size`), values in [0, 1], glosses mapped to ids, keypoints from the side
 * file where there is one. Only the sample being yielded is in memory; the next one is not
 * read before it is asked for. Any problem — a missing CSV or frame folder, a folder without
 * frames, an unreadable PNG, frames of different sizes, a malformed line, an unknown gloss, a
 * bad keypoint file — is a {@link PhoenixDataError} naming the CSV file and line (and the PNG
 * or JSON at fault); nothing is skipped.
 *
 * @example
 * ```ts
 * const options: ReadPhoenixOptions = { size: [112, 112], frameStep: 2 };
 * for await (const sample of readPhoenixSplit('/data/phoenix2014', 'train', options)) {
 *   sample.frameShape; // [T, 112, 112, 3]
 *   sample.glossIds;   // ids in annotations/vocabulary.json
 * }
 * ```
 */
export async function* readPhoenixSplit(
  dir: string,
  split: Split,
  options: ReadPhoenixOptions = {},
): AsyncGenerator<SignSample> {
  const fn = 'readPhoenixSplit';
  checkDir(fn, dir);
  checkOneOf(fn, 'split', split, PHOENIX_SPLITS);
  checkOptions(fn, options);
  checkFrameFolder(fn, options.frameFolder);
  const paths = phoenixPaths(dir, options);
  const step = checkInteger(fn, 'options.frameStep', options.frameStep ?? 1, { min: 1 });
  if (options.maxFrames !== undefined)
    checkInteger(fn, 'options.maxFrames', options.maxFrames, { min: 1 });
  if (options.size !== undefined) checkFrameSize(fn, 'options.size', options.size);
  if (options.fit !== undefined)
    checkOneOf(fn, 'options.fit', options.fit, ['fill', 'cover', 'contain']);
  if (options.keypoints !== undefined) checkBoolean(fn, 'options.keypoints', options.keypoints);
  if (options.limit !== undefined) checkInteger(fn, 'options.limit', options.limit, { min: 0 });
  const concurrency = checkInteger(fn, 'options.concurrency', options.concurrency ?? 8, {
    min: 1,
  });
  if (options.vocabulary !== undefined && !(options.vocabulary instanceof GlossVocabulary))
    throw new ArgumentError(fn, 'options.vocabulary', 'be a GlossVocabulary', options.vocabulary);
  const vocabulary = options.vocabulary ?? (await vocabularyOf(dir, false, '<blank>'));
  let count = 0;
  for await (const entry of annotations(dir, split)) {
    if (options.limit !== undefined && count >= options.limit) return;
    count += 1;
    const { file, line } = entry;
    const glossIds = entry.glosses.map((gloss) => {
      if (!vocabulary.has(gloss))
        throw new PhoenixDataError(
          file,
          line,
          `unknown gloss '${gloss}' in the annotation of '${entry.id}': it is not in the vocabulary ` +
            `of ${vocabulary.glosses.length} glosses.`,
        );
      return vocabulary.idOf(gloss);
    });

    const framePaths = await listFrames(paths.framesRoot(split), entry);
    const selected = subsample(framePaths.length, step, options.maxFrames);
    const { frames, height, width } = await decodeFrames(
      selected.map((index) => framePaths[index]),
      entry,
      options,
      concurrency,
    );
    const sample: SignSample = {
      id: entry.id,
      signer: entry.signer,
      frameShape: [selected.length, height, width, 3],
      frames,
      glosses: entry.glosses,
      glossIds,
    };
    if (options.keypoints !== false) {
      const keypointPath = paths.keypoints(split, entry.id);
      if (await exists(keypointPath)) {
        let keypoints;
        try {
          keypoints = await readKeypointsFile(keypointPath, entry.id, framePaths.length);
        } catch (error) {
          throw new PhoenixDataError(file, line, (error as Error).message, { cause: error });
        }
        const perFrame = keypoints.keypoints * 2;
        const points = new Float32Array(selected.length * perFrame);
        selected.forEach((frame, t) =>
          points.set(
            keypoints.points.subarray(frame * perFrame, (frame + 1) * perFrame),
            t * perFrame,
          ),
        );
        sample.keypoints = points;
        if (keypoints.names) sample.keypointNames = keypoints.names;
      }
    }
    yield sample;
  }
}

/** The frame files of `entry` (its folder column: a folder, then a `*`/`?` pattern), in natural order. */
async function listFrames(framesRoot: string, entry: PhoenixCsvEntry): Promise<string[]> {
  const { file, line, folder } = entry;
  const slash = folder.lastIndexOf('/');
  const folderPath = join(framesRoot, slash < 0 ? '.' : folder.slice(0, slash));
  const pattern = globToRegExp(slash < 0 ? folder : folder.slice(slash + 1));
  let names: string[];
  try {
    names = await readdir(folderPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a folder'
          : `cannot be read (${(error as Error).message})`;
    throw new PhoenixDataError(
      file,
      line,
      `the frame folder ${folderPath} of '${entry.id}' ${reason}.`,
      { cause: error },
    );
  }
  const frames = names.filter((name) => pattern.test(name)).sort(naturalOrder.compare);
  if (frames.length === 0)
    throw new PhoenixDataError(
      file,
      line,
      `the frame folder ${folderPath} of '${entry.id}' has no file matching '${folder}'.`,
    );
  return frames.map((name) => join(folderPath, name));
}

const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Frame indices kept out of `count`: every `step`-th, then at most `maxFrames` evenly spread. */
function subsample(count: number, step: number, maxFrames?: number): number[] {
  const stepped: number[] = [];
  for (let index = 0; index < count; index += step) stepped.push(index);
  if (maxFrames === undefined || stepped.length <= maxFrames) return stepped;
  return Array.from(
    { length: maxFrames },
    (_, i) => stepped[Math.floor((i * stepped.length) / maxFrames)],
  );
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, value) => value / 255);

async function decodeFrames(
  files: string[],
  entry: PhoenixCsvEntry,
  options: ReadPhoenixOptions,
  concurrency: number,
): Promise<{ frames: Float32Array; height: number; width: number }> {
  let height = options.size?.[0] ?? 0;
  let width = options.size?.[1] ?? 0;
  let frames: Float32Array | undefined;
  const decodeInto = async (t: number) => {
    const path = files[t];
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      let image = sharp(await readFile(path))
        .removeAlpha()
        .toColourspace('srgb');
      if (options.size) image = image.resize(width, height, { fit: options.fit ?? 'fill' });
      decoded = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw new PhoenixDataError(
        entry.file,
        entry.line,
        `cannot decode the frame ${path} of '${entry.id}': ${(error as Error).message}`,
        { cause: error },
      );
    }
    const { data, info } = decoded;
    if (frames === undefined) {
      height = info.height;
      width = info.width;
      frames = new Float32Array(files.length * height * width * 3);
    }
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new PhoenixDataError(
        entry.file,
        entry.line,
        `the frame ${path} of '${entry.id}' is ${info.width}×${info.height}×${info.channels} ` +
          `but the sample's frames are ${width}×${height}×3 (pass options.size to resize).`,
      );
    }
    const offset = t * height * width * 3;
    for (let index = 0; index < data.length; index++)
      frames[offset + index] = BYTE_TO_UNIT[data[index]];
  };
  await decodeInto(0);
  await forEachLimited(files.length - 1, concurrency, (index) => decodeInto(index + 1));
  return { frames: frames!, height, width };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
