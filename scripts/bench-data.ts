/**
 * Data pipeline benchmark: frames per second of the synthetic generator (rendering), of the
 * PHOENIX-layout writer (8-bit PNG encoding + CSV, from rendered samples) and of the reader
 * (PNG decoding + resizing to the model's input), at 112×112 and 224×224. "read 260×210 →"
 * decodes PHOENIX-sized frames (210×260) and resizes them to the size of the row, as real
 * PHOENIX-2014 data would be read. Prints a Markdown table.
 *
 *   pnpm bench:data [--frames 1500] [--sizes 112,224] [--compression 6]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSignCorpus, type SignSample, type SyntheticSignCorpus } from '@slr/data';
import {
  PHOENIX_FRAME_HEIGHT,
  PHOENIX_FRAME_WIDTH,
  phoenixPaths,
  readPhoenixSplit,
  writePhoenixCorpus,
} from '@slr/data/node';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const targetFrames = Number(option('frames', '1500'));
const sizes = option('sizes', '112,224').split(',').map(Number);
const compressionLevel = Number(option('compression', '6'));
const FPS = 25;

const corpus = generateSignCorpus({
  seed: 1,
  glosses: 50,
  trainSamples: 200,
  devSamples: 0,
  testSamples: 0,
});

/** Renders train samples at `height × width` until `targetFrames` frames, timing the rendering alone. */
function* rendered(
  corpus: SyntheticSignCorpus,
  height: number,
  width: number,
  timing: { seconds: number; frames: number },
): Generator<SignSample> {
  for (const spec of corpus.splits.train) {
    if (timing.frames >= targetFrames) return;
    const start = performance.now();
    const sample = corpus.renderSample(spec, { height, width, fps: FPS });
    timing.seconds += (performance.now() - start) / 1000;
    timing.frames += sample.frameShape[0];
    yield sample;
  }
}

/** Writes a corpus of about `targetFrames` frames rendered at `height × width`: render and write frames/s. */
async function generateAndWrite(dir: string, height: number, width: number) {
  const timing = { seconds: 0, frames: 0 };
  const start = performance.now();
  await writePhoenixCorpus(
    dir,
    { train: rendered(corpus, height, width, timing) },
    { progress: 'off', compressionLevel },
  );
  const total = (performance.now() - start) / 1000;
  return {
    frames: timing.frames,
    generated: timing.frames / timing.seconds,
    written: timing.frames / (total - timing.seconds),
  };
}

/** Reads the train split of `dir` resized to `size`: decoded frames/s. */
async function read(dir: string, size: [number, number]) {
  let frames = 0;
  const start = performance.now();
  for await (const sample of readPhoenixSplit(dir, 'train', { size }))
    frames += sample.frameShape[0];
  return frames / ((performance.now() - start) / 1000);
}

function pngBytesPerFrame(dir: string): number {
  const root = phoenixPaths(dir).framesRoot('train');
  let bytes = 0;
  let files = 0;
  for (const id of readdirSync(root)) {
    const folder = join(root, id, '1');
    for (const name of readdirSync(folder)) {
      bytes += statSync(join(folder, name)).size;
      files += 1;
    }
  }
  return bytes / files;
}

const root = mkdtempSync(join(tmpdir(), 'slr-bench-data-'));
try {
  const phoenixDir = join(root, 'phoenix-size');
  const phoenix = await generateAndWrite(phoenixDir, PHOENIX_FRAME_HEIGHT, PHOENIX_FRAME_WIDTH);
  const rows: string[] = [];
  for (const size of sizes) {
    const dir = join(root, `${size}`);
    const result = await generateAndWrite(dir, size, size);
    const readSame = await read(dir, [size, size]);
    const readPhoenix = await read(phoenixDir, [size, size]);
    const kib = pngBytesPerFrame(dir) / 1024;
    rows.push(
      `| ${size}×${size} | ${result.frames} | ${Math.round(result.generated)} | ` +
        `${Math.round(result.written)} | ${Math.round(readSame)} | ${Math.round(readPhoenix)} | ` +
        `${kib.toFixed(1)} |`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
  const processor = cpus()[0]?.model.trim() ?? 'CPU';
  const phoenixKibPerFrame = (pngBytesPerFrame(phoenixDir) / 1024).toFixed(1);
  console.log(
    `Data pipeline, frames per second (${processor}, ${availableParallelism()} threads, ` +
      `Node ${process.version}; PNG zlib level ${compressionLevel}; PHOENIX-sized 260×210 ` +
      `corpus: ${phoenix.frames} frames, generated ${Math.round(phoenix.generated)}/s, ` +
      `written ${Math.round(phoenix.written)}/s, ${phoenixKibPerFrame} KiB/frame)\n`,
  );
  console.log(
    '| size | frames | generated (render) | written (PNG + CSV) | ' +
      'read (decode + resize) | read 260×210 → size | PNG KiB/frame |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
} finally {
  rmSync(root, { recursive: true, force: true });
}
