import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { SignSample, Split } from '../../types';
import { GlossVocabulary } from '../../vocabulary';
import {
  loadOrBuildVocabulary,
  PHOENIX_CSV_HEADER,
  PhoenixDataError,
  phoenixFrameName,
  phoenixPaths,
  readKeypointsFile,
  readPhoenixAnnotations,
  readPhoenixSplit,
  writeKeypointsFile,
  writePhoenixCorpus,
  type ReadPhoenixOptions,
  type WritePhoenixOptions,
} from '../index';
import { float32Text } from './internal';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
function temporaryDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'slr-phoenix-'));
  roots.push(root);
  return root;
}

/** mulberry32: deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYPOINT_NAMES = ['nose', 'leftWrist', 'rightWrist'];

function makeSample(
  id: string,
  glosses: string[],
  seed: number,
  shape: [number, number, number] = [4, 10, 8],
  keypoints = false,
): SignSample {
  const next = random(seed);
  const [T, H, W] = shape;
  const frames = new Float32Array(T * H * W * 3);
  for (let index = 0; index < frames.length; index++) frames[index] = next();
  const sample: SignSample = {
    id,
    signer: `Signer0${(seed % 9) + 1}`,
    frameShape: [T, H, W, 3],
    frames,
    glosses,
    glossIds: glosses.map(() => 1),
  };
  if (keypoints) {
    sample.keypoints = Float32Array.from({ length: T * KEYPOINT_NAMES.length * 2 }, () => next());
    sample.keypointNames = [...KEYPOINT_NAMES];
  }
  return sample;
}

function corpus() {
  return {
    train: [
      makeSample('train-0', ['REGEN', 'MORGEN'], 1),
      makeSample('train-1', ['SONNE', 'WIND', 'REGEN'], 2, [3, 12, 6]),
      makeSample('train-2', ['NORD', 'WIND'], 3, [5, 10, 8], true),
    ],
    dev: [
      makeSample('dev-0', ['WIND', 'REGEN'], 4),
      makeSample('dev-1', ['SONNE'], 5, [2, 10, 8], true),
    ],
    test: [makeSample('test-0', ['MORGEN', 'NORD'], 6)],
  };
}

async function readAll(
  dir: string,
  split: Split,
  options: ReadPhoenixOptions = {},
): Promise<SignSample[]> {
  const samples: SignSample[] = [];
  for await (const sample of readPhoenixSplit(dir, split, options)) samples.push(sample);
  return samples;
}

/** Every file under `dir` (relative path → contents in base64), to show that nothing changed. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(files, snapshot(dir, relative));
    else files[relative] = readFileSync(join(dir, relative)).toString('base64');
  }
  return files;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index] - b[index]));
  return max;
}

/** Expects `promise` to reject with a PhoenixDataError whose message names `file:line` and matches `pattern`. */
async function expectDataError(
  promise: Promise<unknown>,
  file: string,
  line: number | undefined,
  pattern: RegExp,
): Promise<PhoenixDataError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(PhoenixDataError);
  const dataError = error as PhoenixDataError;
  expect(dataError.file).toBe(file);
  expect(dataError.line).toBe(line);
  expect(dataError.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `)).toBe(
    true,
  );
  expect(dataError.message).toMatch(pattern);
  return dataError;
}

const quiet = { progress: 'off' } as const;

describe('writePhoenixCorpus / readPhoenixSplit round trip', () => {
  it('writes the PHOENIX layout and reads back the same samples within 8-bit quantisation', async () => {
    const dir = temporaryDir();
    const data = corpus();
    const summary = await writePhoenixCorpus(dir, data, quiet);
    expect(summary.splits).toEqual({
      train: { samples: 3, frames: 12 },
      dev: { samples: 2, frames: 6 },
      test: { samples: 1, frames: 4 },
    });

    const paths = phoenixPaths(dir);
    const csv = readFileSync(paths.corpusCsv('train'), 'utf8').split('\n');
    expect(csv[0]).toBe(PHOENIX_CSV_HEADER);
    expect(csv[1]).toBe('train-0|train-0/1/*.png|Signer02|REGEN MORGEN');
    expect(csv).toHaveLength(5); // header, 3 lines, final newline
    expect(
      readdirSync(join(dir, 'features', 'fullFrame-210x260px', 'train', 'train-0', '1')),
    ).toEqual(['images0001.png', 'images0002.png', 'images0003.png', 'images0004.png']);
    const metadata = await sharp(paths.frameFile('train', 'train-1', 0)).metadata();
    expect([
      metadata.format,
      metadata.width,
      metadata.height,
      metadata.channels,
      metadata.depth,
    ]).toEqual(['png', 6, 12, 3, 'uchar']);
    expect(existsSync(paths.keypoints('train', 'train-2'))).toBe(true);
    expect(existsSync(paths.keypoints('train', 'train-0'))).toBe(false);
    expect(readdirSync(join(dir, 'annotations', 'manual')).sort()).toEqual([
      'dev.corpus.csv',
      'test.corpus.csv',
      'train.corpus.csv',
    ]);
    expect(readdirSync(join(dir, 'annotations'))).not.toContain(expect.stringContaining('.tmp'));

    const vocabulary = GlossVocabulary.fromJSON(JSON.parse(readFileSync(paths.vocabulary, 'utf8')));
    expect(vocabulary.glosses).toEqual(['MORGEN', 'NORD', 'REGEN', 'SONNE', 'WIND']);
    expect(summary.vocabulary.toJSON()).toEqual(vocabulary.toJSON());

    for (const split of ['train', 'dev', 'test'] as const) {
      const read = await readAll(dir, split);
      expect(read.map((sample) => sample.id)).toEqual(data[split].map((sample) => sample.id));
      read.forEach((sample, index) => {
        const original = data[split][index];
        expect(sample.frameShape).toEqual(original.frameShape);
        expect(sample.signer).toBe(original.signer);
        expect(sample.glosses).toEqual(original.glosses);
        expect(sample.glossIds).toEqual(vocabulary.encode(original.glosses));
        expect(maxAbsDiff(sample.frames, original.frames)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
        if (original.keypoints) {
          expect(sample.keypoints).toEqual(original.keypoints); // exact
          expect(sample.keypointNames).toEqual(KEYPOINT_NAMES);
        } else {
          expect(sample.keypoints).toBeUndefined();
        }
      });
    }
  });

  it('reads from async iterables and resizes on write when asked', async () => {
    const dir = temporaryDir();
    async function* train() {
      await Promise.resolve();
      yield makeSample('a', ['X'], 1, [2, 10, 8]);
      yield makeSample('b', ['Y'], 2, [2, 7, 9]);
    }
    await writePhoenixCorpus(dir, { train: train() }, { ...quiet, size: [26, 21] });
    const read = await readAll(dir, 'train');
    expect(read.map((sample) => sample.frameShape)).toEqual([
      [2, 26, 21, 3],
      [2, 26, 21, 3],
    ]);
  });

  it('resizes on read to the requested [H, W]', async () => {
    const dir = temporaryDir();
    const uniform = makeSample('flat', ['X'], 1, [3, 26, 21]);
    uniform.frames.fill(0.4);
    await writePhoenixCorpus(
      dir,
      { train: [uniform, makeSample('noisy', ['X'], 2, [2, 26, 21])] },
      quiet,
    );
    for (const size of [
      [16, 12],
      [40, 50],
    ] as [number, number][]) {
      const [flat, noisy] = await readAll(dir, 'train', { size });
      expect(flat.frameShape).toEqual([3, ...size, 3]);
      expect(noisy.frameShape).toEqual([2, ...size, 3]);
      expect(flat.frames.length).toBe(3 * size[0] * size[1] * 3);
      expect(
        maxAbsDiff(
          flat.frames,
          new Float32Array(flat.frames.length).fill(Math.round(0.4 * 255) / 255),
        ),
      ).toBeLessThanOrEqual(1 / 255 + 1e-6);
      expect(noisy.frames.every((value) => value >= 0 && value <= 1)).toBe(true);
    }
    const [covered] = await readAll(dir, 'train', { size: [8, 8], fit: 'cover', limit: 1 });
    expect(covered.frameShape).toEqual([3, 8, 8, 3]);
  });

  it('subsamples frames (and their keypoints) on read', async () => {
    const dir = temporaryDir();
    const original = makeSample('long', ['X'], 7, [9, 6, 5], true);
    await writePhoenixCorpus(dir, { train: [original] }, quiet);
    const frameSize = 6 * 5 * 3;
    const pointsSize = KEYPOINT_NAMES.length * 2;
    const check = async (options: ReadPhoenixOptions, kept: number[]) => {
      const [sample] = await readAll(dir, 'train', options);
      expect(sample.frameShape).toEqual([kept.length, 6, 5, 3]);
      kept.forEach((frame, t) => {
        const expected = original.frames.subarray(frame * frameSize, (frame + 1) * frameSize);
        expect(
          maxAbsDiff(sample.frames.subarray(t * frameSize, (t + 1) * frameSize), expected),
        ).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
        expect(sample.keypoints!.subarray(t * pointsSize, (t + 1) * pointsSize)).toEqual(
          original.keypoints!.subarray(frame * pointsSize, (frame + 1) * pointsSize),
        );
      });
    };
    await check({ frameStep: 2 }, [0, 2, 4, 6, 8]);
    await check({ frameStep: 3 }, [0, 3, 6]);
    await check({ maxFrames: 3 }, [0, 3, 6]);
    await check({ frameStep: 2, maxFrames: 2 }, [0, 4]);
    await check({ keypoints: true, maxFrames: 20 }, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const [withoutKeypoints] = await readAll(dir, 'train', { keypoints: false });
    expect(withoutKeypoints.keypoints).toBeUndefined();
  });

  it('rewrites a sample without leaving stale frames or keypoint files', async () => {
    const dir = temporaryDir();
    await writePhoenixCorpus(dir, { train: [makeSample('s', ['X'], 1, [6, 4, 4], true)] }, quiet);
    await writePhoenixCorpus(dir, { train: [makeSample('s', ['X'], 2, [3, 4, 4])] }, quiet);
    const [sample] = await readAll(dir, 'train');
    expect(sample.frameShape).toEqual([3, 4, 4, 3]);
    expect(sample.keypoints).toBeUndefined();
  });

  it('reports progress as plain lines when not on a TTY, and nothing when off', async () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        text += String(chunk);
        callback();
      },
    });
    await writePhoenixCorpus(
      temporaryDir(),
      { train: [makeSample('a', ['X'], 1)], dev: [makeSample('b', ['X'], 2)] },
      { progressStream: stream },
    );
    expect(text).toMatch(/^train: 1\/1 samples, 4 frames, \d+ frames\/s done$/m);
    expect(text).toMatch(/^dev: 1\/1 samples, 4 frames, \d+ frames\/s done$/m);
    text = '';
    await writePhoenixCorpus(
      temporaryDir(),
      { train: [makeSample('a', ['X'], 1)] },
      { progressStream: stream, progress: false },
    );
    expect(text).toBe('');
  });

  it('rejects bad samples on write and leaves no half-written CSV', async () => {
    const dir = temporaryDir();
    await expect(
      writePhoenixCorpus(
        dir,
        { train: [makeSample('a', ['X'], 1), makeSample('a', ['Y'], 2)] },
        quiet,
      ),
    ).rejects.toThrow(
      "Argument 'samplesBySplit.train' passed to 'writePhoenixCorpus' must have distinct ids, " +
        "but got sample 'a' twice.",
    );
    await expect(
      writePhoenixCorpus(dir, { train: [makeSample('a/b', ['X'], 1)] }, quiet),
    ).rejects.toThrow(
      "Argument 'samplesBySplit.train' passed to 'writePhoenixCorpus' " +
        "must have an id that is a plain folder name (no '/', '|' or spaces), but got sample 'a/b'.",
    );
    await expect(
      writePhoenixCorpus(
        dir,
        { train: [makeSample('a', ['X'], 1)] },
        { ...quiet, vocabulary: GlossVocabulary.ordered(['Y']) },
      ),
    ).rejects.toThrow(
      "Argument 'samplesBySplit.train' passed to 'writePhoenixCorpus' " +
        "must have only glosses of options.vocabulary (1 gloss), but got sample 'a' with the unknown gloss 'X'.",
    );
    const broken = makeSample('c', ['X'], 1);
    broken.frames = broken.frames.subarray(1);
    await expect(writePhoenixCorpus(dir, { train: [broken] }, quiet)).rejects.toThrow(
      /'samplesBySplit.train' .* must have T·H·W·3 = 960 frame values \(frameShape \[4, 10, 8, 3\]\), but got sample 'c' with 959 frame values\./,
    );
    expect(readdirSync(join(dir, 'annotations', 'manual'))).toEqual([]);
  });

  it('names the bad argument in the one format', async () => {
    const dir = temporaryDir();
    const train = [makeSample('a', ['X'], 1)];
    const cases: [Promise<unknown>, string][] = [
      [
        writePhoenixCorpus(dir, { train }, { ...quiet, size: [0, 4] }),
        "Argument 'options.size' passed to 'writePhoenixCorpus' must be [H, W] with integers >= 1, but got [0, 4].",
      ],
      [
        writePhoenixCorpus(dir, { train }, { ...quiet, compressionLevel: 10 }),
        "Argument 'options.compressionLevel' passed to 'writePhoenixCorpus' must be an integer in [0, 9], but got 10.",
      ],
      [
        writePhoenixCorpus(dir, { train }, { progress: 'loud' as 'off' }),
        "Argument 'options.progress' passed to 'writePhoenixCorpus' " +
          "must be 'auto', 'bar', 'lines', 'off' or a boolean, but got 'loud'.",
      ],
      [
        writePhoenixCorpus(dir, { train: 7 as unknown as SignSample[] }, quiet),
        "Argument 'samplesBySplit.train' passed to 'writePhoenixCorpus' " +
          'must be an array or a (sync or async) iterable of SignSamples, but got 7.',
      ],
      [
        writePhoenixCorpus(dir, { train }, null as unknown as WritePhoenixOptions),
        "Argument 'options' passed to 'writePhoenixCorpus' must be an object or undefined, but got null.",
      ],
      [
        readAll(dir, 'train', { frameStep: 0 }),
        "Argument 'options.frameStep' passed to 'readPhoenixSplit' must be an integer >= 1, but got 0.",
      ],
      [
        readAll(dir, 'valid' as Split),
        "Argument 'split' passed to 'readPhoenixSplit' must be one of 'train', 'dev', 'test', but got 'valid'.",
      ],
      [
        readAll(dir, 'train', { frameFolder: '../x' }),
        "Argument 'options.frameFolder' passed to 'readPhoenixSplit' must be a plain folder name, but got '../x'.",
      ],
      [
        loadOrBuildVocabulary(dir, { save: 'yes' as unknown as boolean }),
        "Argument 'options.save' passed to 'loadOrBuildVocabulary' must be a boolean, but got 'yes'.",
      ],
    ];
    const keypointFile = join(dir, 'k.json');
    cases.push(
      [
        writeKeypointsFile(keypointFile, 'k', 2, new Float32Array(3)),
        "Argument 'points' passed to 'writeKeypointsFile' " +
          'must be a Float32Array of frames × K × 2 numbers (frames = 2), but got a Float32Array of length 3.',
      ],
      [
        writeKeypointsFile(keypointFile, 'k', 1, Float32Array.of(0.5, Number.NaN)),
        "Argument 'points' passed to 'writeKeypointsFile' must hold finite numbers, " +
          "but got NaN at index 1 (sample 'k').",
      ],
    );
    for (const [promise, message] of cases) await expect(promise).rejects.toThrow(message);
    expect(existsSync(keypointFile)).toBe(false);
    expect(() => phoenixPaths('')).toThrow(
      "Argument 'dir' passed to 'phoenixPaths' must be the path of a folder, a non-empty string, but got ''.",
    );
  });

  it('names the path the file system refused, not a temporary one', async () => {
    const blocked = temporaryDir();
    writeFileSync(join(blocked, 'annotations'), 'a file where a folder should be');
    await expect(
      writePhoenixCorpus(blocked, { train: [makeSample('a', ['X'], 1)] }, quiet),
    ).rejects.toThrow(
      `Could not create the folder '${join(blocked, 'annotations', 'manual')}': ` +
        'a part of the path is not a folder (ENOTDIR).',
    );
    const dir = temporaryDir();
    mkdirSync(join(dir, 'features'), { recursive: true });
    writeFileSync(join(dir, 'features', 'keypoints'), 'a file where a folder should be');
    const keypointFile = phoenixPaths(dir).keypoints('train', 'k');
    await expect(
      writePhoenixCorpus(dir, { train: [makeSample('k', ['X'], 1, [2, 4, 4], true)] }, quiet),
    ).rejects.toThrow(`Could not create the folder of '${keypointFile}'`);
    expect(readdirSync(join(dir, 'annotations', 'manual'))).toEqual([]);
  });
});

describe('vocabulary', () => {
  it('is the same, with the same ids, whatever order the samples come in', async () => {
    const samples = corpus().train;
    const first = temporaryDir();
    const second = temporaryDir();
    await writePhoenixCorpus(first, { train: samples }, quiet);
    await writePhoenixCorpus(second, { train: [...samples].reverse() }, quiet);
    const a = readFileSync(phoenixPaths(first).vocabulary, 'utf8');
    expect(readFileSync(phoenixPaths(second).vocabulary, 'utf8')).toBe(a);

    // Built from the train CSV when vocabulary.json is missing, then saved (when asked) and reused.
    for (const dir of [first, second]) rmSync(phoenixPaths(dir).vocabulary);
    const built = await loadOrBuildVocabulary(first, { save: true });
    expect(await loadOrBuildVocabulary(second)).toEqual(built);
    expect(readFileSync(phoenixPaths(first).vocabulary, 'utf8')).toBe(a);
    expect(built.glosses).toEqual(['MORGEN', 'NORD', 'REGEN', 'SONNE', 'WIND']);
    expect(built.idOf('MORGEN')).toBe(1);
    expect(built.size).toBe(6);

    // Once saved, ids stay put even if the train annotations change.
    appendFileSync(phoenixPaths(first).corpusCsv('train'), 'extra|train-0/1/*.png|Signer01|AAA\n');
    expect((await loadOrBuildVocabulary(first)).toJSON()).toEqual(built.toJSON());

    // JSON round trip.
    const json = JSON.parse(JSON.stringify(built));
    expect(GlossVocabulary.fromJSON(json).toJSON()).toEqual(built.toJSON());
    expect(GlossVocabulary.fromJSON(json).encode(['WIND', 'NORD'])).toEqual([5, 2]);
  });

  it('uses a given vocabulary as is, and can build one without saving it', async () => {
    const dir = temporaryDir();
    const vocabulary = GlossVocabulary.ordered(['Z', 'Y', 'X']);
    await writePhoenixCorpus(
      dir,
      { train: [makeSample('a', ['X', 'Z'], 1)] },
      { ...quiet, vocabulary },
    );
    expect((await loadOrBuildVocabulary(dir)).glosses).toEqual(['Z', 'Y', 'X']);
    const [sample] = await readAll(dir, 'train');
    expect(sample.glossIds).toEqual([3, 1]);
    rmSync(phoenixPaths(dir).vocabulary);
    expect((await loadOrBuildVocabulary(dir, { save: false })).glosses).toEqual(['X', 'Z']);
    expect(existsSync(phoenixPaths(dir).vocabulary)).toBe(false);
  });

  it('only grows when another split is written: the ids on disk stay, new glosses come after', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(
      dir,
      { train: [makeSample('t0', ['REGEN', 'WIND'], 1), makeSample('t1', ['SONNE'], 2)] },
      quiet,
    );
    const before = await readAll(dir, 'train');
    expect(before.map((sample) => sample.glossIds)).toEqual([[1, 3], [2]]);

    // One dev sample: its glosses would sort before the train ones.
    const summary = await writePhoenixCorpus(
      dir,
      { dev: [makeSample('d0', ['AUCH', 'WIND', 'BERG'], 3)] },
      quiet,
    );
    const onDisk = GlossVocabulary.fromJSON(JSON.parse(readFileSync(paths.vocabulary, 'utf8')));
    expect(onDisk.glosses).toEqual(['REGEN', 'SONNE', 'WIND', 'AUCH', 'BERG']);
    expect(summary.vocabulary.toJSON()).toEqual(onDisk.toJSON());
    const after = await readAll(dir, 'train');
    expect(after.map((sample) => sample.glossIds)).toEqual(before.map((sample) => sample.glossIds));
    expect((await readAll(dir, 'dev'))[0].glossIds).toEqual([4, 3, 5]);

    // Rewriting train without SONNE keeps SONNE's id (the dev split or a model may use it).
    await writePhoenixCorpus(dir, { train: [makeSample('t0', ['REGEN', 'NEBEL'], 1)] }, quiet);
    expect(
      GlossVocabulary.fromJSON(JSON.parse(readFileSync(paths.vocabulary, 'utf8'))).glosses,
    ).toEqual(['REGEN', 'SONNE', 'WIND', 'AUCH', 'BERG', 'NEBEL']);
    expect((await readAll(dir, 'dev'))[0].glossIds).toEqual([4, 3, 5]);
  });

  it('keeps the ids a reader derives from the train split when there is no vocabulary.json', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(dir, { train: [makeSample('t0', ['REGEN', 'WIND'], 1)] }, quiet);
    rmSync(paths.vocabulary); // as in a PHOENIX download: CSVs and frames only
    const before = (await readAll(dir, 'train'))[0].glossIds;
    await writePhoenixCorpus(dir, { dev: [makeSample('d0', ['AUCH'], 2)] }, quiet);
    expect(
      GlossVocabulary.fromJSON(JSON.parse(readFileSync(paths.vocabulary, 'utf8'))).glosses,
    ).toEqual(['REGEN', 'WIND', 'AUCH']);
    expect((await readAll(dir, 'train'))[0].glossIds).toEqual(before);
  });

  it('refuses a given vocabulary that would change an id on disk, and changes nothing', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(dir, { train: [makeSample('t0', ['REGEN', 'WIND'], 1)] }, quiet);
    const before = snapshot(dir);
    const dev = [makeSample('d0', ['WIND'], 2)];
    const must =
      "Argument 'options.vocabulary' passed to 'writePhoenixCorpus' must keep the id of every " +
      `gloss of the corpus (${paths.vocabulary}; a corpus's vocabulary only grows), but got`;
    await expect(
      writePhoenixCorpus(
        dir,
        { dev },
        { ...quiet, vocabulary: GlossVocabulary.ordered(['WIND', 'REGEN']) },
      ),
    ).rejects.toThrow(`${must} a vocabulary with 'REGEN' at id 2 where the corpus has it at id 1.`);
    await expect(
      writePhoenixCorpus(
        dir,
        { dev },
        { ...quiet, vocabulary: GlossVocabulary.ordered(['REGEN']) },
      ),
    ).rejects.toThrow(`${must} a vocabulary without 'WIND' (id 2 in the corpus).`);
    await expect(
      writePhoenixCorpus(
        dir,
        { dev },
        { ...quiet, vocabulary: GlossVocabulary.ordered(['REGEN', 'WIND'], '<b>') },
      ),
    ).rejects.toThrow(`${must} a vocabulary whose blank is '<b>' where the corpus has '<blank>'.`);
    expect(snapshot(dir)).toEqual(before);

    // Without vocabulary.json, the ids on disk are those derived from the train split.
    rmSync(paths.vocabulary);
    await expect(
      writePhoenixCorpus(
        dir,
        { dev },
        { ...quiet, vocabulary: GlossVocabulary.ordered(['WIND', 'REGEN']) },
      ),
    ).rejects.toThrow(
      'must keep the id of every gloss of the corpus (derived from the train split, ' +
        `${paths.corpusCsv('train')}, as there is no ${paths.vocabulary}; a corpus's vocabulary ` +
        "only grows), but got a vocabulary with 'REGEN' at id 2 where the corpus has it at id 1.",
    );
    expect(existsSync(paths.vocabulary)).toBe(false);
    expect(existsSync(paths.corpusCsv('dev'))).toBe(false);
  });

  it('takes a given vocabulary that only adds glosses after the ids on disk', async () => {
    const dir = temporaryDir();
    await writePhoenixCorpus(dir, { train: [makeSample('t0', ['REGEN', 'WIND'], 1)] }, quiet);
    const trainIds = (await readAll(dir, 'train'))[0].glossIds;
    const vocabulary = GlossVocabulary.ordered(['REGEN', 'WIND', 'ZEBRA', 'AUCH']);
    const summary = await writePhoenixCorpus(
      dir,
      { dev: [makeSample('d0', ['AUCH', 'WIND'], 2)] },
      { ...quiet, vocabulary },
    );
    expect(summary.vocabulary.toJSON()).toEqual(vocabulary.toJSON());
    expect((await loadOrBuildVocabulary(dir)).toJSON()).toEqual(vocabulary.toJSON());
    expect((await readAll(dir, 'train'))[0].glossIds).toEqual(trainIds);
    expect((await readAll(dir, 'dev'))[0].glossIds).toEqual([4, 2]);
  });

  it('is never written by reading: without vocabulary.json it is derived in memory', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(dir, { train: [makeSample('t0', ['WIND', 'REGEN'], 1)] }, quiet);
    rmSync(paths.vocabulary);
    expect((await readAll(dir, 'train'))[0].glossIds).toEqual([2, 1]);
    expect((await loadOrBuildVocabulary(dir)).glosses).toEqual(['REGEN', 'WIND']);
    expect(existsSync(paths.vocabulary)).toBe(false);
    // Saved only when asked.
    await loadOrBuildVocabulary(dir, { save: true });
    expect(
      GlossVocabulary.fromJSON(JSON.parse(readFileSync(paths.vocabulary, 'utf8'))).glosses,
    ).toEqual(['REGEN', 'WIND']);
  });

  it('names a malformed vocabulary.json', async () => {
    const dir = temporaryDir();
    await writePhoenixCorpus(dir, { train: [makeSample('a', ['X'], 1)] }, quiet);
    const path = phoenixPaths(dir).vocabulary;
    writeFileSync(path, '{"format":"something-else"}');
    await expectDataError(loadOrBuildVocabulary(dir), path, undefined, /not a valid vocabulary/);
    writeFileSync(path, '{oops');
    await expectDataError(readAll(dir, 'train'), path, undefined, /not a valid vocabulary/);
  });
});

describe('keypoint side files', () => {
  it('round-trip exactly, in few digits', async () => {
    const dir = temporaryDir();
    const sample = makeSample('kp', ['X'], 3, [4, 5, 5], true);
    sample.keypoints![0] = Math.fround(0.3);
    sample.keypoints![1] = 0;
    sample.keypoints![2] = 1;
    await writePhoenixCorpus(dir, { dev: [sample] }, quiet);
    const path = phoenixPaths(dir).keypoints('dev', 'kp');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json).toMatchObject({
      format: 'slr-phoenix-keypoints',
      version: 1,
      id: 'kp',
      frames: 4,
      keypoints: 3,
      names: KEYPOINT_NAMES,
    });
    expect(json.points.slice(0, 3)).toEqual([0.3, 0, 1]);
    const read = await readKeypointsFile(path, 'kp', 4);
    expect(read.points).toEqual(sample.keypoints);
    const [back] = await readAll(dir, 'dev');
    expect(back.keypoints).toEqual(sample.keypoints);
    expect(back.keypointNames).toEqual(KEYPOINT_NAMES);
  });

  it('writes each float32 with the fewest digits that read back exactly', () => {
    const next = random(11);
    for (let index = 0; index < 2000; index++) {
      const value = Math.fround((next() - 0.5) * 10 ** Math.floor(next() * 8 - 4));
      expect(Math.fround(Number(float32Text(value)))).toBe(value);
    }
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(() => float32Text(Number.NaN)).toThrow(
      /'value' .* must be a finite number, but got NaN\./,
    );
  });

  it('keypoints without names, and a bad keypoint file names the CSV line and the JSON', async () => {
    const dir = temporaryDir();
    const sample = makeSample('kp', ['X'], 3, [2, 4, 4], true);
    delete sample.keypointNames;
    await writePhoenixCorpus(dir, { train: [sample] }, quiet);
    const [back] = await readAll(dir, 'train');
    expect(back.keypoints).toEqual(sample.keypoints);
    expect(back.keypointNames).toBeUndefined();

    const path = phoenixPaths(dir).keypoints('train', 'kp');
    const csv = phoenixPaths(dir).corpusCsv('train');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(
      path,
      JSON.stringify({ ...json, frames: 3, points: [...json.points, 0, 0, 0, 0, 0, 0] }),
    );
    const error = await expectDataError(
      readAll(dir, 'train'),
      csv,
      2,
      /has 3 frames but the sample has 2/,
    );
    expect(error.message).toContain(path);
    writeFileSync(path, JSON.stringify({ ...json, points: json.points.slice(1) }));
    await expectDataError(readAll(dir, 'train'), csv, 2, /points must hold/);
  });
});

describe('bad files', () => {
  async function smallCorpus() {
    const dir = temporaryDir();
    await writePhoenixCorpus(
      dir,
      {
        train: [
          makeSample('t0', ['A', 'B'], 1),
          makeSample('t1', ['B'], 2),
          makeSample('t2', ['A'], 3),
        ],
      },
      quiet,
    );
    const paths = phoenixPaths(dir);
    return { dir, paths, csv: paths.corpusCsv('train') };
  }

  it('a missing frame folder', async () => {
    const { dir, paths, csv } = await smallCorpus();
    rmSync(paths.sampleDir('train', 't1'), { recursive: true });
    const error = await expectDataError(
      readAll(dir, 'train'),
      csv,
      3,
      /frame folder .* of 't1' does not exist/,
    );
    expect(error.message).toContain(paths.frameDir('train', 't1'));
  });

  it('a frame folder without frames', async () => {
    const { dir, paths, csv } = await smallCorpus();
    rmSync(paths.frameDir('train', 't2'), { recursive: true });
    writeFileSync(paths.sampleDir('train', 't2') + '/1', 'not a folder');
    await expectDataError(readAll(dir, 'train'), csv, 4, /frame folder .* of 't2' is not a folder/);
    rmSync(paths.frameDir('train', 't2'));
    mkdirSync(paths.frameDir('train', 't2'));
    await expectDataError(readAll(dir, 'train'), csv, 4, /has no file matching 't2\/1\/\*\.png'/);
  });

  it('an unreadable or corrupt PNG', async () => {
    const { dir, paths, csv } = await smallCorpus();
    const png = paths.frameFile('train', 't1', 2);
    writeFileSync(png, 'this is not a PNG');
    let error = await expectDataError(
      readAll(dir, 'train'),
      csv,
      3,
      /cannot decode the frame .*images0003\.png of 't1'/,
    );
    expect(error.message).toContain(png);
    // A truncated PNG: a valid header, then nothing.
    const good = readFileSync(paths.frameFile('train', 't1', 0));
    writeFileSync(png, good.subarray(0, 60));
    error = await expectDataError(readAll(dir, 'train'), csv, 3, /cannot decode the frame/);
    expect(error.message).toContain(png);
  });

  it('frames of different sizes without options.size', async () => {
    const { dir, paths, csv } = await smallCorpus();
    await sharp({ create: { width: 3, height: 3, channels: 3, background: '#808080' } })
      .png()
      .toFile(paths.frameFile('train', 't0', 3));
    await expectDataError(
      readAll(dir, 'train'),
      csv,
      2,
      /is 3×3×3 but the sample's frames are 8×10×3/,
    );
    expect((await readAll(dir, 'train', { size: [5, 5] }))[0].frameShape).toEqual([4, 5, 5, 3]);
  });

  it('a line with the wrong number of columns', async () => {
    const { dir, csv } = await smallCorpus();
    const lines = readFileSync(csv, 'utf8').split('\n');
    lines[2] = 't1|t1/1/*.png|Signer01';
    writeFileSync(csv, lines.join('\n'));
    await expectDataError(
      readAll(dir, 'train'),
      csv,
      3,
      /expected 4 '\|'-separated columns .* but found 3/,
    );
    lines[2] = 't1|t1/1/*.png|Signer01|B|extra';
    writeFileSync(csv, lines.join('\n'));
    await expectDataError(readAll(dir, 'train'), csv, 3, /but found 5/);
    lines[2] = 't1|t1/1/*.png|Signer01|   ';
    writeFileSync(csv, lines.join('\n'));
    await expectDataError(readAll(dir, 'train'), csv, 3, /annotation of 't1' is empty/);
    lines[2] = 't1|../../t1/1/*.png|Signer01|B';
    writeFileSync(csv, lines.join('\n'));
    await expectDataError(readAll(dir, 'train'), csv, 3, /must be a relative path/);
    lines[2] = 't0|t0/1/*.png|Signer01|B';
    writeFileSync(csv, lines.join('\n'));
    await expectDataError(readAll(dir, 'train'), csv, 3, /'t0' appears twice/);
  });

  it('a missing or wrong header, an empty or missing CSV', async () => {
    const { dir, csv, paths } = await smallCorpus();
    const lines = readFileSync(csv, 'utf8').split('\n');
    writeFileSync(csv, lines.slice(1).join('\n'));
    await expectDataError(
      readAll(dir, 'train'),
      csv,
      1,
      /expected the header 'id\|folder\|signer\|annotation' but found 't0\|/,
    );
    writeFileSync(csv, ['name|folder|signer|annotation', ...lines.slice(1)].join('\n'));
    await expectDataError(readAll(dir, 'train'), csv, 1, /expected the header/);
    writeFileSync(csv, '');
    await expectDataError(readAll(dir, 'train'), csv, 1, /the file is empty/);
    await expectDataError(
      readAll(dir, 'dev'),
      paths.corpusCsv('dev'),
      undefined,
      /cannot read the dev annotations/,
    );
    // With no vocabulary.json and no train CSV, building the vocabulary names the train CSV.
    rmSync(paths.vocabulary);
    rmSync(csv);
    await expectDataError(
      loadOrBuildVocabulary(dir),
      csv,
      undefined,
      /cannot read the train annotations/,
    );
  });

  it('an unknown gloss, with a given vocabulary or the corpus one', async () => {
    const { dir, csv, paths } = await smallCorpus();
    await expectDataError(
      readAll(dir, 'train', { vocabulary: GlossVocabulary.ordered(['A']) }),
      csv,
      2,
      /unknown gloss 'B' in the annotation of 't0'/,
    );
    // A dev gloss that the vocabulary built from train lacks.
    rmSync(paths.vocabulary);
    writeFileSync(
      paths.corpusCsv('dev'),
      `${PHOENIX_CSV_HEADER}\nt0|t0/1/*.png|Signer01|A\nd1|t1/1/*.png|Signer01|A NEU\n`,
    );
    const { mkdir, cp } = await import('node:fs/promises');
    await mkdir(paths.framesRoot('dev'), { recursive: true });
    await cp(paths.sampleDir('train', 't0'), paths.sampleDir('dev', 't0'), { recursive: true });
    await cp(paths.sampleDir('train', 't1'), paths.sampleDir('dev', 't1'), { recursive: true });
    const seen: string[] = [];
    const error = await expectDataError(
      (async () => {
        for await (const sample of readPhoenixSplit(dir, 'dev')) seen.push(sample.id);
      })(),
      paths.corpusCsv('dev'),
      3,
      /unknown gloss 'NEU'/,
    );
    expect(seen).toEqual(['t0']);
    expect(error.line).toBe(3);
  });
});

describe('streaming', () => {
  it('yields the first sample before it reads the next one', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(
      dir,
      {
        train: [
          makeSample('first', ['A'], 1),
          makeSample('second', ['A'], 2),
          makeSample('third', ['A'], 3),
        ],
      },
      quiet,
    );
    const iterator = readPhoenixSplit(dir, 'train');
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect((first.value as SignSample).id).toBe('first');
    // The second sample's frames are not read yet: removing them now makes the next step fail.
    rmSync(paths.sampleDir('train', 'second'), { recursive: true });
    await expectDataError(
      iterator.next(),
      paths.corpusCsv('train'),
      3,
      /of 'second' does not exist/,
    );
  });

  it('a missing later folder does not stop earlier samples from arriving first', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    await writePhoenixCorpus(
      dir,
      { train: [makeSample('first', ['A'], 1), makeSample('second', ['A'], 2)] },
      quiet,
    );
    rmSync(paths.sampleDir('train', 'second'), { recursive: true });
    const seen: string[] = [];
    await expectDataError(
      (async () => {
        for await (const sample of readPhoenixSplit(dir, 'train')) seen.push(sample.id);
      })(),
      paths.corpusCsv('train'),
      3,
      /does not exist/,
    );
    expect(seen).toEqual(['first']);
  });

  it('stops early with limit and when the consumer breaks', async () => {
    const dir = temporaryDir();
    await writePhoenixCorpus(
      dir,
      { train: [makeSample('a', ['A'], 1), makeSample('b', ['A'], 2), makeSample('c', ['A'], 3)] },
      quiet,
    );
    expect((await readAll(dir, 'train', { limit: 2 })).map((sample) => sample.id)).toEqual([
      'a',
      'b',
    ]);
    for await (const sample of readPhoenixSplit(dir, 'train')) {
      expect(sample.id).toBe('a');
      break;
    }
    const entries = [];
    for await (const entry of readPhoenixAnnotations(dir, 'train')) entries.push(entry.id);
    expect(entries).toEqual(['a', 'b', 'c']);
  });
});

describe('layout helpers', () => {
  it('names frames like PHOENIX', () => {
    expect(phoenixFrameName(0)).toBe('images0001.png');
    expect(phoenixFrameName(9998)).toBe('images9999.png');
    expect(phoenixFrameName(10_000)).toBe('images10001.png');
  });

  it('reads frames in natural order, whatever their names', async () => {
    const dir = temporaryDir();
    const paths = phoenixPaths(dir);
    const sample = makeSample('odd', ['A'], 1, [11, 2, 2]);
    await writePhoenixCorpus(dir, { train: [sample] }, quiet);
    // Rename to unpadded PHOENIX-like names (fn1 … fn11) that sort wrongly as plain strings.
    const { rename } = await import('node:fs/promises');
    for (let t = 0; t < 11; t++)
      await rename(
        paths.frameFile('train', 'odd', t),
        join(paths.frameDir('train', 'odd'), `odd.avi_fn${t + 1}-0.png`),
      );
    const [back] = await readAll(dir, 'train');
    expect(maxAbsDiff(back.frames, sample.frames)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });
});
