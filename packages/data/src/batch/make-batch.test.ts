import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { SignSample } from '../types';
import { GlossVocabulary } from '../vocabulary';
import { disposeBatch, makeBatch, type MakeBatchOptions } from './make-batch';

/** A small sample whose frame values are all non-zero (so zero padding is visible). */
function sample(
  id: string,
  frames: number,
  glosses: number,
  o: { height?: number; width?: number; keypoints?: number } = {},
): SignSample {
  const { height = 2, width = 3, keypoints } = o;
  const values = new Float32Array(frames * height * width * 3).map(
    (_, i) => ((i * 7 + id.length) % 97) / 100 + 0.01,
  );
  const names = Array.from({ length: glosses }, (_, g) => `G${g + 1}`);
  const s: SignSample = {
    id,
    signer: 'Signer01',
    frameShape: [frames, height, width, 3],
    frames: values,
    glosses: names,
    glossIds: names.map((_, g) => g + 1),
  };
  if (keypoints !== undefined) {
    s.keypoints = new Float32Array(frames * keypoints * 2).map((_, i) => ((i % 10) + 1) / 11);
    s.keypointNames = Array.from({ length: keypoints }, (_, k) => `k${k}`);
  }
  return s;
}

describe('makeBatch', () => {
  it('pads frames with zeros and targets with -1; lengths are the samples’ own', async () => {
    const samples = [
      sample('a', 3, 2, { keypoints: 4 }),
      sample('bb', 5, 0, { keypoints: 4 }),
      sample('ccc', 2, 3, { keypoints: 4 }),
    ];
    const batch = makeBatch(samples);
    expect(batch.videos.shape).toEqual([3, 5, 2, 3, 3]);
    expect(batch.videos.dtype).toBe('float32');
    expect(batch.targets.shape).toEqual([3, 3]);
    expect(batch.targets.dtype).toBe('int32');
    expect(batch.inputLengths).toEqual([3, 5, 2]);
    expect(batch.targetLengths).toEqual([2, 0, 3]);
    expect(batch.ids).toEqual(['a', 'bb', 'ccc']);
    expect(batch.glosses).toEqual([['G1', 'G2'], [], ['G1', 'G2', 'G3']]);
    expect(await batch.targets.array()).toEqual([
      [1, 2, -1],
      [-1, -1, -1],
      [1, 2, 3],
    ]);
    const videos = await batch.videos.data();
    const frameSize = 2 * 3 * 3;
    samples.forEach((s, b) => {
      const row = videos.subarray(b * 5 * frameSize, (b + 1) * 5 * frameSize);
      expect(Array.from(row.subarray(0, s.frames.length))).toEqual(Array.from(s.frames));
      expect(row.subarray(s.frames.length).every((v) => v === 0)).toBe(true);
    });
    expect(batch.keypoints!.shape).toEqual([3, 5, 4, 2]);
    const points = await batch.keypoints!.data();
    samples.forEach((s, b) => {
      const row = points.subarray(b * 5 * 8, (b + 1) * 5 * 8);
      expect(Array.from(row.subarray(0, s.keypoints!.length))).toEqual(Array.from(s.keypoints!));
      expect(row.subarray(s.keypoints!.length).every((v) => v === 0)).toBe(true);
    });
    disposeBatch(batch);
  });

  it('keeps Smax at least 1 and pads Tmax to a multiple of padTo', async () => {
    const batch = makeBatch([sample('a', 5, 0), sample('b', 1, 0)], { padTo: 4 });
    expect(batch.targets.shape).toEqual([2, 1]);
    expect(await batch.targets.array()).toEqual([[-1], [-1]]);
    expect(batch.videos.shape).toEqual([2, 8, 2, 3, 3]);
    expect(batch.inputLengths).toEqual([5, 1]);
    expect(batch.keypoints).toBeUndefined();
    disposeBatch(batch);
    const exact = makeBatch([sample('a', 8, 1)], { padTo: 4 });
    expect(exact.videos.shape[1]).toBe(8);
    disposeBatch(exact);
  });

  it('encodes targets with a vocabulary when given one', async () => {
    const vocabulary = GlossVocabulary.ordered(['G3', 'G2', 'G1']);
    const batch = makeBatch([sample('a', 2, 3)], { vocabulary });
    expect(await batch.targets.array()).toEqual([[3, 2, 1]]);
    disposeBatch(batch);
    expect(() => makeBatch([sample('a', 2, 4)], { vocabulary })).toThrow(
      "Argument 'samples[0]' passed to 'makeBatch' must have only glosses of options.vocabulary (3 glosses), " +
        "but got sample 'a' with the unknown gloss 'G4'.",
    );
  });

  it('rejects samples of another frame size, naming the sample', () => {
    expect(() =>
      makeBatch([sample('first', 2, 1), sample('odd-one', 2, 1, { height: 4 })]),
    ).toThrow(
      "Argument 'samples[1]' passed to 'makeBatch' " +
        "must have frames of 2×3 like sample 'first' (a batch has one H×W), " +
        "but got sample 'odd-one' with frames of 4×3.",
    );
  });

  it('handles keypoints: all, none, mixed, forced', () => {
    const mixed = [sample('with', 2, 1, { keypoints: 2 }), sample('without', 2, 1)];
    expect(() => makeBatch(mixed)).toThrow(
      /'samples\[1\]' .* must have keypoints .*keypoints: false.*, but got sample 'without' without keypoints\./,
    );
    expect(() => makeBatch([sample('a', 2, 1)], { keypoints: true })).toThrow(
      "Argument 'samples[0]' passed to 'makeBatch' must have keypoints (options.keypoints is true), " +
        "but got sample 'a' without keypoints.",
    );
    expect(() =>
      makeBatch([sample('a', 2, 1, { keypoints: 2 }), sample('b', 2, 1, { keypoints: 3 })]),
    ).toThrow(
      /must have 2 keypoints per frame like sample 'a', but got sample 'b' with 3 keypoints/,
    );
    const before = tf.memory().numTensors;
    const batch = makeBatch(mixed, { keypoints: false });
    expect(batch.keypoints).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before + 2);
    disposeBatch(batch);
  });

  it('rejects inconsistent samples, naming them', () => {
    const short = { ...sample('short', 2, 1), frames: new Float32Array(5) };
    expect(() => makeBatch([short])).toThrow(
      "Argument 'samples[0]' passed to 'makeBatch' " +
        "must have T·H·W·3 = 36 frame values (frameShape [2, 2, 3, 3]), but got sample 'short' with 5 frame values.",
    );
    const blank = { ...sample('blank', 2, 1), glossIds: [0] };
    expect(() => makeBatch([blank])).toThrow(
      /must have gloss ids that are int32 integers >= 1 \(0 is the CTC blank\), but got sample 'blank' with the gloss id 0\./,
    );
    const mismatch = { ...sample('mm', 2, 2), glossIds: [1] };
    expect(() => makeBatch([mismatch])).toThrow(
      /must have one gloss id per gloss, but got sample 'mm' with 2 glosses and 1 glossIds\./,
    );
    const empty = sample('empty', 1, 0);
    expect(() =>
      makeBatch([{ ...empty, frameShape: [0, 2, 3, 3], frames: new Float32Array(0) }]),
    ).toThrow(
      "Argument 'samples[0]' passed to 'makeBatch' must have a frameShape [T, H, W, 3] of integers >= 1, " +
        "but got sample 'empty' with frameShape [0,2,3,3].",
    );
    const badPoints = { ...sample('kp', 2, 1, { keypoints: 3 }), keypointNames: ['a'] };
    expect(() => makeBatch([badPoints])).toThrow(
      /must have keypoints \[T = 2, K, 2\], one per keypoint name \(1\), but got sample 'kp' with 12 keypoint values\./,
    );
  });

  it('names the bad option', () => {
    const s = [sample('a', 2, 1)];
    expect(() => makeBatch(s, { padTo: 0 })).toThrow(
      "Argument 'options.padTo' passed to 'makeBatch' must be an integer >= 1, but got 0.",
    );
    expect(() => makeBatch(s, { padTo: 1.5 })).toThrow(/'options.padTo' .* but got 1\.5\./);
    expect(() => makeBatch(s, { keypoints: 'yes' as unknown as boolean })).toThrow(
      "Argument 'options.keypoints' passed to 'makeBatch' must be a boolean, but got 'yes'.",
    );
    expect(() => makeBatch(s, { vocabulary: {} as GlossVocabulary })).toThrow(
      "Argument 'options.vocabulary' passed to 'makeBatch' must be a GlossVocabulary, but got an object.",
    );
    expect(() => makeBatch([])).toThrow(
      "Argument 'samples' passed to 'makeBatch' must be a non-empty array of SignSamples, but got [].",
    );
    expect(() => makeBatch([sample('a', 2, 1)], null as unknown as MakeBatchOptions)).toThrow(
      "Argument 'options' passed to 'makeBatch' must be an object or undefined, but got null.",
    );
  });

  it('leaves no tensors behind once disposed (twice is fine)', () => {
    const before = tf.memory().numTensors;
    const batch = makeBatch([
      sample('a', 3, 2, { keypoints: 1 }),
      sample('b', 4, 1, { keypoints: 1 }),
    ]);
    expect(tf.memory().numTensors).toBe(before + 3);
    disposeBatch(batch);
    disposeBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });
});
