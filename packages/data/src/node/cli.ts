/**
 * `slr-data-synth`: generates a synthetic continuous sign-language corpus and writes it in the
 * RWTH-PHOENIX-Weather 2014 layout (PNG frames, corpus CSVs, vocabulary, optional keypoints).
 *
 *   slr-data-synth --out DIR [--glosses 20] [--train 100 --dev 20 --test 20] [--size 112x112]
 *                  [--fps 25] [--difficulty 0.3] [--seed 1] [--keypoints] [--quiet]
 */
import { parseArgs } from 'node:util';
import { writePhoenixCorpus } from './phoenix/writer';
import { generateSignCorpus } from '../synthetic/index';
import type { Split } from '../types';

const USAGE = `Usage: slr-data-synth --out DIR [options]

Generates a synthetic continuous sign-language corpus and writes it in the
RWTH-PHOENIX-Weather 2014 layout:
  DIR/annotations/manual/{train,dev,test}.corpus.csv   id|folder|signer|annotation
  DIR/annotations/vocabulary.json                      gloss vocabulary (blank = 0)
  DIR/features/fullFrame-210x260px/{split}/{id}/1/images0001.png …
  DIR/features/keypoints/{split}/{id}.json             with --keypoints

Options:
  --out DIR            output folder (required; created if missing)
  --glosses N          vocabulary size, at least 2 (default 20)
  --train N            train samples (default 100)
  --dev N              dev samples (default 20)
  --test N             test samples (default 20)
  --size HxW           frame size, e.g. 112x112 or 260x210 (default 112x112)
  --fps N              frames per second of the rendered videos (default 25)
  --difficulty X       how alike the signs are, in [0, 1] (default 0.3)
  --seed N             seed; the same flags always give the same corpus (default 1)
  --keypoints          also write 2-D keypoints per sample
  --compression N      PNG zlib level 0 (fastest) … 9 (smallest) (default 6)
  --quiet              no progress output
  -h, --help           show this help
`;

class UsageError extends Error {}

function integer(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    !/^[+-]?\d+$/.test(text.trim()) ||
    !Number.isSafeInteger(value) ||
    value < min ||
    value > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${flag} must be an integer ${range}, but got '${text}'.`);
  }
  return value;
}

function real(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
  exclusiveMin = false,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value > max ||
    (exclusiveMin ? value <= min : value < min)
  ) {
    const range = `${exclusiveMin ? `> ${min}` : `≥ ${min}`}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}`;
    throw new UsageError(`--${flag} must be a number ${range}, but got '${text}'.`);
  }
  return value;
}

function frameSize(text: string | undefined): [number, number] {
  if (text === undefined) return [112, 112];
  const match = /^\s*(\d+)\s*[x×X]\s*(\d+)\s*$/.exec(text);
  const size = match ? [Number(match[1]), Number(match[2])] : [];
  if (!match || !size.every((value) => value >= 1 && value <= 4096)) {
    throw new UsageError(
      `--size must be HxW with H and W in [1, 4096] (for example 112x112 or 260x210), but got '${text}'.`,
    );
  }
  return size as [number, number];
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        glosses: { type: 'string' },
        train: { type: 'string' },
        dev: { type: 'string' },
        test: { type: 'string' },
        size: { type: 'string' },
        fps: { type: 'string' },
        difficulty: { type: 'string' },
        seed: { type: 'string' },
        keypoints: { type: 'boolean' },
        compression: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return { help: true as const };
  if (values.out === undefined || values.out.trim() === '')
    throw new UsageError('--out DIR is required.');
  const [height, width] = frameSize(values.size);
  return {
    help: false as const,
    out: values.out,
    glosses: integer('glosses', values.glosses, 20, 2),
    counts: {
      train: integer('train', values.train, 100, 0),
      dev: integer('dev', values.dev, 20, 0),
      test: integer('test', values.test, 20, 0),
    } satisfies Record<Split, number>,
    height,
    width,
    fps: real('fps', values.fps, 25, 0, 1000, true),
    difficulty: real('difficulty', values.difficulty, 0.3, 0, 1),
    seed: integer('seed', values.seed, 1, 0, 2 ** 32 - 1),
    keypoints: values.keypoints ?? false,
    compression: integer('compression', values.compression, 6, 0, 9),
    quiet: values.quiet ?? false,
  };
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(
      `slr-data-synth: ${error.message}\nRun 'slr-data-synth --help' for the options.\n`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = performance.now();
  const corpus = generateSignCorpus({
    seed: args.seed,
    glosses: args.glosses,
    difficulty: args.difficulty,
    trainSamples: args.counts.train,
    devSamples: args.counts.dev,
    testSamples: args.counts.test,
  });
  const render = {
    height: args.height,
    width: args.width,
    fps: args.fps,
    keypoints: args.keypoints,
  };
  const summary = await writePhoenixCorpus(
    args.out,
    {
      train: corpus.stream('train', render),
      dev: corpus.stream('dev', render),
      test: corpus.stream('test', render),
    },
    {
      vocabulary: corpus.vocabulary,
      totals: args.counts,
      compressionLevel: args.compression,
      progress: args.quiet ? 'off' : 'auto',
    },
  );
  const splits = (['train', 'dev', 'test'] as const).map(
    (split) =>
      `${split} ${summary.splits[split]?.samples ?? 0} samples / ${summary.splits[split]?.frames ?? 0} frames`,
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const withKeypoints = args.keypoints ? ', keypoints' : '';
  process.stdout.write(
    `Wrote ${args.out}: ${splits.join(', ')}; ${summary.vocabulary.glosses.length} glosses; ` +
      `${args.height}x${args.width} at ${args.fps} fps${withKeypoints} (${seconds} s).\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `slr-data-synth: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
