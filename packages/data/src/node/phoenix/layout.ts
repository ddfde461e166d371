/**
 * The RWTH-PHOENIX-Weather 2014 directory layout: where the annotations, the frames, the
 * vocabulary and the keypoint side files of a corpus live, the CSV format, and the error
 * that every reader/writer problem is reported with.
 *
 * ```text
 * DIR/
 *   annotations/
 *     manual/{train,dev,test}.corpus.csv            id|folder|signer|annotation
 *     vocabulary.json                               GlossVocabularyJson
 *   features/
 *     fullFrame-210x260px/{split}/{id}/1/images0001.png …
 *     keypoints/{split}/{id}.json                   PhoenixKeypointsJson (optional)
 * ```
 */
import { join } from 'node:path';
import { checkOptions } from '@slr/core';
import type { Split } from '../../types';
import { checkDir, checkFrameFolder } from './internal';

/**
 * PHOENIX-2014 full frames are 210 pixels wide…
 *
 * @example
 * ```ts
 * const size: [number, number] = [PHOENIX_FRAME_HEIGHT, PHOENIX_FRAME_WIDTH]; // [H, W]
 * await writePhoenixCorpus('/data/synthetic-phoenix', { train: trainSamples }, { size });
 * ```
 */
export const PHOENIX_FRAME_WIDTH = 210;
/** …and 260 pixels high. */
export const PHOENIX_FRAME_HEIGHT = 260;
/** The frame folder of PHOENIX-2014 under `features/` (kept whatever the frames' real size). */
export const PHOENIX_FRAME_FOLDER = 'fullFrame-210x260px';
/**
 * The CSV header line of `annotations/manual/{split}.corpus.csv`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 *
 * const csv = readFileSync(phoenixPaths('/data/phoenix2014').corpusCsv('dev'), 'utf8');
 * csv.split('\n')[0] === PHOENIX_CSV_HEADER; // true for a PHOENIX corpus
 * ```
 */
export const PHOENIX_CSV_HEADER = 'id|folder|signer|annotation';
/**
 * The three PHOENIX splits, in the order they are written.
 *
 * @example
 * ```ts
 * const paths = phoenixPaths('/data/phoenix2014');
 * for (const split of PHOENIX_SPLITS) console.log(split, paths.corpusCsv(split));
 * ```
 */
export const PHOENIX_SPLITS: readonly Split[] = ['train', 'dev', 'test'];

/**
 * An error in a PHOENIX-layout corpus: a malformed CSV line, a missing frame folder, an
 * unreadable PNG, an unknown gloss, a bad keypoint file. The message starts with
 * `file:line:` (or `file:` where no line applies); `file` and `line` are also fields.
 *
 * @example
 * ```ts
 * try {
 *   for await (const sample of readPhoenixSplit('/data/phoenix2014', 'dev')) console.log(sample.id);
 * } catch (error) {
 *   if (!(error instanceof PhoenixDataError)) throw error;
 *   console.error(error.file, error.line, error.message);
 * }
 * ```
 */
export class PhoenixDataError extends Error {
  constructor(
    /** The file at fault (a CSV, PNG or JSON path). */
    readonly file: string,
    /** 1-based line of `file`, or of the CSV that referenced it; undefined where none applies. */
    readonly line: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.name = 'PhoenixDataError';
  }
}

/**
 * Options naming the frame folder under `features/`; shared by the reader and the writer.
 *
 * @example
 * ```ts
 * const devSamples = readPhoenixSplit('/data/phoenix2014', 'dev', { frameFolder: 'fullFrame-227x227px' });
 * ```
 */
export interface PhoenixLayoutOptions {
  /** The folder under `features/` that holds the frames (default `'fullFrame-210x260px'`). */
  frameFolder?: string;
}

/**
 * The paths of a PHOENIX-layout corpus rooted at `dir`.
 *
 * @example
 * ```ts
 * const paths = phoenixPaths('/data/phoenix2014');
 * paths.corpusCsv('dev');          // /data/phoenix2014/annotations/manual/dev.corpus.csv
 * paths.frameDir('dev', 'abc-0');  // /data/phoenix2014/features/fullFrame-210x260px/dev/abc-0/1
 * paths.frameFile('dev', 'abc-0', 0); // …/abc-0/1/images0001.png
 * ```
 */
export function phoenixPaths(dir: string, options: PhoenixLayoutOptions = {}) {
  checkDir('phoenixPaths', dir);
  checkFrameFolder('phoenixPaths', checkOptions('phoenixPaths', options).frameFolder);
  const frameFolder = options.frameFolder ?? PHOENIX_FRAME_FOLDER;
  const framesRoot = (split: Split) => join(dir, 'features', frameFolder, split);
  return {
    /** The corpus directory, `dir`. */
    root: dir,
    /** `annotations/manual/{split}.corpus.csv`. */
    corpusCsv: (split: Split) => join(dir, 'annotations', 'manual', `${split}.corpus.csv`),
    /** `annotations/vocabulary.json`. */
    vocabulary: join(dir, 'annotations', 'vocabulary.json'),
    /** `features/{frameFolder}/{split}`: the CSV `folder` column is relative to it. */
    framesRoot,
    /** `features/{frameFolder}/{split}/{id}`: everything the writer puts there for one sample. */
    sampleDir: (split: Split, id: string) => join(framesRoot(split), id),
    /** `features/{frameFolder}/{split}/{id}/1`: the frames of one sample as written. */
    frameDir: (split: Split, id: string) => join(framesRoot(split), id, '1'),
    /** `…/{id}/1/images0001.png` for frame index 0. */
    frameFile: (split: Split, id: string, index: number) =>
      join(framesRoot(split), id, '1', phoenixFrameName(index)),
    /** `features/keypoints/{split}/{id}.json`. */
    keypoints: (split: Split, id: string) =>
      join(dir, 'features', 'keypoints', split, `${id}.json`),
  };
}

/**
 * The PNG name of frame `index` (0-based), as in PHOENIX: `images0001.png`, `images0002.png`…
 * (four digits, more when a sample has more than 9999 frames).
 *
 * @example
 * ```ts
 * phoenixFrameName(0);  // 'images0001.png'
 * phoenixFrameName(41); // 'images0042.png'
 * ```
 */
export function phoenixFrameName(index: number): string {
  return `images${String(index + 1).padStart(4, '0')}.png`;
}

/** One parsed line of a PHOENIX corpus CSV. */
export interface PhoenixCsvEntry {
  /** The `id` column: the sample's id and frame folder name. */
  id: string;
  /** The `folder` column as written, e.g. `'abc-0/1/*.png'` (relative to the split's frame root). */
  folder: string;
  /** The `signer` column, e.g. `'Signer01'`. */
  signer: string;
  /** The `annotation` column split at whitespace. */
  glosses: string[];
  /** The CSV file it came from… */
  file: string;
  /** …and its 1-based line. */
  line: number;
}
