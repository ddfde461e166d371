/**
 * The PyTorch reader of the PHOENIX-2014 layout (`python/slr_torch/phoenix.py`, which
 * `train_ddp.py` trains from) reads what `readPhoenixSplit` of `@slr/data/node` reads, from a
 * corpus that `writePhoenixCorpus` wrote: the same samples in the same order, the same gloss
 * ids (from `vocabulary.json`, or derived from the train split without one), frames equal to
 * the last bit, the same keypoints, with and without `frameStep` / `maxFrames`. Resizing is the
 * one difference (Pillow's Lanczos filter against sharp's): bounded here.
 *
 * Needs PyTorch and torchvision at `/usr/bin/python3`: without them the suite is skipped,
 * saying so; under CI=true it fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSignCorpus, type SignSample, type Split } from '@slr/data';
import {
  phoenixPaths,
  readPhoenixSplit,
  writePhoenixCorpus,
  type ReadPhoenixOptions,
} from '@slr/data/node';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A sample as `python/tests/read_phoenix.py` describes it. */
interface PythonSample {
  id: string;
  signer: string;
  glosses: string[];
  glossIds: number[];
  frameShape: number[];
  keypointShape: number[] | null;
  keypointNames: string[] | null;
  offset: number;
}

/** What `slr_torch.phoenix` reads of `split`, the frames and keypoints as Float32Arrays. */
function readWithPython(
  corpus: string,
  split: Split,
  options: Record<string, unknown>,
): {
  vocabulary: { glosses: string[]; blank: string };
  samples: (PythonSample & { frames: Float32Array; keypoints?: Float32Array })[];
} {
  const out = join(corpus, '..', `python-${split}.f32`);
  const result = spawnSync(PYTHON_PATH, ['python/tests/read_phoenix.py'], {
    cwd: ROOT,
    input: JSON.stringify({ corpus, split, options, out }),
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.status !== 0) throw new Error(`read_phoenix.py failed:\n${result.stderr}`);
  const answer = JSON.parse(result.stdout) as {
    vocabulary: { glosses: string[]; blank: string };
    samples: PythonSample[];
  };
  const bytes = readFileSync(out);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return {
    vocabulary: answer.vocabulary,
    samples: answer.samples.map((sample) => {
      const frameCount = size(sample.frameShape);
      const frames = floats.slice(sample.offset, sample.offset + frameCount);
      if (sample.keypointShape === null) return { ...sample, frames };
      const start = sample.offset + frameCount;
      return {
        ...sample,
        frames,
        keypoints: floats.slice(start, start + size(sample.keypointShape)),
      };
    }),
  };
}

async function readWithJs(
  corpus: string,
  split: Split,
  options: ReadPhoenixOptions,
): Promise<SignSample[]> {
  const samples: SignSample[] = [];
  for await (const sample of readPhoenixSplit(corpus, split, options)) samples.push(sample);
  return samples;
}

/** The first index where two arrays differ, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((value, index) => value !== b[index]);
}

describeRequiring('pytorch', 'slr_torch.phoenix (the PyTorch reader of the layout)', () => {
  let root: string;
  let corpus: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'slr-python-phoenix-'));
    corpus = join(root, 'corpus');
    const synthetic = generateSignCorpus({
      seed: 4,
      glosses: 6,
      trainSamples: 3,
      devSamples: 2,
      testSamples: 1,
    });
    const render = { height: 20, width: 24, fps: 6, keypoints: true };
    await writePhoenixCorpus(
      corpus,
      { train: synthetic.samples('train', render), dev: synthetic.samples('dev', render) },
      { progress: false },
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each<[Split, ReadPhoenixOptions, Record<string, unknown>]>([
    ['train', {}, {}],
    ['dev', { frameStep: 2, maxFrames: 4 }, { frame_step: 2, max_frames: 4 }],
    ['dev', { keypoints: false, limit: 1 }, { keypoints: false, limit: 1 }],
  ])(
    'reads the %s split as readPhoenixSplit does (%j)',
    async (split, jsOptions, pyOptions) => {
      const js = await readWithJs(corpus, split, jsOptions);
      const python = readWithPython(corpus, split, pyOptions);
      expect(python.samples.map((s) => s.id)).toEqual(js.map((s) => s.id));
      js.forEach((sample, index) => {
        const other = python.samples[index];
        expect(other.signer).toBe(sample.signer);
        expect(other.glosses).toEqual(sample.glosses);
        expect(other.glossIds).toEqual(sample.glossIds);
        expect(other.frameShape).toEqual(sample.frameShape);
        expect(firstDifference(other.frames, sample.frames)).toBe(-1);
        if (sample.keypoints === undefined) {
          expect(other.keypoints).toBeUndefined();
        } else {
          expect(other.keypointShape).toEqual([
            sample.frameShape[0],
            sample.keypoints.length / (sample.frameShape[0] * 2),
            2,
          ]);
          expect(firstDifference(other.keypoints!, sample.keypoints)).toBe(-1);
          expect(other.keypointNames).toEqual(sample.keypointNames);
        }
      });
    },
    60_000,
  );

  it('derives the ids from the train split without vocabulary.json, as the JS does', async () => {
    rmSync(phoenixPaths(corpus).vocabulary);
    const js = await readWithJs(corpus, 'train', { keypoints: false });
    const python = readWithPython(corpus, 'train', { keypoints: false });
    expect(python.samples.map((s) => s.glossIds)).toEqual(js.map((s) => s.glossIds));
    expect(python.vocabulary.glosses.length).toBeGreaterThan(1);
  }, 60_000);

  it('resizes frames close to sharp (Lanczos-3): on average within 1/255', async () => {
    const size: [number, number] = [12, 10];
    const js = await readWithJs(corpus, 'dev', { size, keypoints: false });
    const python = readWithPython(corpus, 'dev', { size, keypoints: false });
    let sum = 0;
    let count = 0;
    let largest = 0;
    js.forEach((sample, index) => {
      const other = python.samples[index];
      expect(other.frameShape).toEqual(sample.frameShape);
      sample.frames.forEach((value, i) => {
        const difference = Math.abs(value - other.frames[i]);
        sum += difference;
        largest = Math.max(largest, difference);
        count++;
      });
    });
    expect(sum / count).toBeLessThan(1 / 255);
    expect(largest).toBeLessThan(8 / 255); // measured: mean 0.27/255, at most 4/255
  }, 60_000);
});
