import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { SignSample } from '../types';
import { type AugmentOptions, augmentSample } from './augment';
import { SeededRandom } from './random';

/**
 * A sample whose frame t is filled with (t + 1) / (T + 1) and whose keypoint x is the same code,
 * so an output frame reveals which source frame it shows; spans cut T into `signs` parts.
 */
function coded(frames: number, signs: number, size = 4, keypoints = 2): SignSample {
  const frameSize = size * size * 3;
  const values = new Float32Array(frames * frameSize);
  const points = new Float32Array(frames * keypoints * 2);
  for (let t = 0; t < frames; t++) {
    values.fill((t + 1) / (frames + 1), t * frameSize, (t + 1) * frameSize);
    for (let k = 0; k < keypoints; k++) {
      points[(t * keypoints + k) * 2] = (t + 1) / (frames + 1);
      points[(t * keypoints + k) * 2 + 1] = 0.5;
    }
  }
  const glosses = Array.from({ length: signs }, (_, g) => `S${g}`);
  const bounds = Array.from({ length: signs + 1 }, (_, g) => Math.round((g * frames) / signs));
  return {
    id: `coded-${frames}`,
    signer: 'Signer01',
    frameShape: [frames, size, size, 3],
    frames: values,
    glosses,
    glossIds: glosses.map((_, g) => g + 1),
    spans: glosses.map((gloss, g) => ({ gloss, start: bounds[g], end: bounds[g + 1] })),
    keypoints: points,
    keypointNames: Array.from({ length: keypoints }, (_, k) => `k${k}`),
  };
}

/** Source frame of each output frame of a `coded` sample. */
function sourceFrames(sample: SignSample, originalFrames: number): number[] {
  const [frames, h, w] = sample.frameShape;
  const frameSize = h * w * 3;
  return Array.from(
    { length: frames },
    (_, t) => Math.round(sample.frames[t * frameSize] * (originalFrames + 1)) - 1,
  );
}

describe('augmentSample', () => {
  it('is off by default: {} changes nothing and draws nothing', () => {
    const input = coded(10, 3);
    const rng = new SeededRandom(5);
    const out = augmentSample(input, {}, rng);
    expect(out).not.toBe(input);
    expect(out).toEqual(input);
    expect(rng.next()).toBe(new SeededRandom(5).next());
    expect(augmentSample(input, { timeScale: 0, brightness: 0 }, new SeededRandom(1))).toEqual(
      input,
    );
    expect(augmentSample(input, { cropScale: [1, 1] }, new SeededRandom(1))).toEqual(input);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer()], {
    numRuns: 60,
  })(
    'temporal resampling stays within ±20 % and moves spans and keypoints with the frames',
    (frames, signs, seed) => {
      const input = coded(frames, Math.min(signs, frames));
      const out = augmentSample(input, { timeScale: 0.2 }, new SeededRandom(seed));
      const outFrames = out.frameShape[0];
      expect(outFrames).toBeGreaterThanOrEqual(Math.max(1, Math.round(frames * 0.8)));
      expect(outFrames).toBeLessThanOrEqual(Math.round(frames * 1.2));
      expect(out.frames.length).toBe(outFrames * 4 * 4 * 3);
      const source = sourceFrames(out, frames);
      // Nearest-neighbour: every output frame is a whole source frame, in order, covering the video.
      for (let t = 0; t < outFrames; t++) {
        expect(source[t]).toBeGreaterThanOrEqual(0);
        expect(source[t]).toBeLessThan(frames);
        if (t > 0) expect(source[t]).toBeGreaterThanOrEqual(source[t - 1]);
        expect(out.keypoints![t * 4]).toBeCloseTo((source[t] + 1) / (frames + 1), 6);
      }
      expect(source[0]).toBeLessThanOrEqual(Math.ceil(frames / outFrames));
      expect(out.keypoints!.length).toBe(outFrames * 2 * 2);
      // A span holds exactly the output frames whose source frame lay in the input span.
      out.spans!.forEach((span, g) => {
        const before = input.spans![g];
        expect(span.gloss).toBe(before.gloss);
        for (let t = 0; t < outFrames; t++) {
          const inside = t >= span.start && t < span.end;
          expect(inside).toBe(source[t] >= before.start && source[t] < before.end);
        }
        if (g > 0) expect(span.start).toBe(out.spans![g - 1].end);
      });
      expect(out.spans![out.spans!.length - 1].end).toBe(outFrames);
    },
  );

  it('resamples both ways across seeds, and the lengths scale about ±20 %', () => {
    const input = coded(50, 4);
    const lengths = Array.from(
      { length: 200 },
      (_, seed) => augmentSample(input, { timeScale: 0.2 }, new SeededRandom(seed)).frameShape[0],
    );
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(60);
    expect(Math.min(...lengths)).toBeLessThan(43);
    expect(Math.max(...lengths)).toBeGreaterThan(57);
  });

  test.prop([fc.integer(), fc.integer({ min: 1, max: 12 })], { numRuns: 40 })(
    'keeps every value in [0, 1] with all transforms on',
    (seed, frames) => {
      const input = coded(frames, 1, 6);
      // Include extremes so brightness must clamp.
      input.frames[0] = 0;
      input.frames[1] = 1;
      const out = augmentSample(
        input,
        { timeScale: 0.2, cropScale: [0.5, 1], brightness: 0.5 },
        new SeededRandom(seed),
      );
      expect(out.frames.every((v) => v >= 0 && v <= 1)).toBe(true);
    },
  );

  it('moves keypoints with the crop', () => {
    const size = 32;
    const input = coded(1, 1, size, 1);
    input.frames.fill(0);
    // One bright pixel, and a keypoint at its centre.
    const [px, py] = [19, 12];
    for (let c = 0; c < 3; c++) input.frames[(py * size + px) * 3 + c] = 1;
    input.keypoints = new Float32Array([(px + 0.5) / size, (py + 0.5) / size]);
    let checked = 0;
    for (let seed = 0; seed < 40; seed++) {
      const out = augmentSample(input, { cropScale: [0.6, 0.6] }, new SeededRandom(seed));
      const [kx, ky] = out.keypoints!;
      if (kx < 0.05 || kx > 0.95 || ky < 0.05 || ky > 0.95) continue; // the pixel left the window
      let best = 0;
      for (let i = 1; i < size * size; i++) if (out.frames[i * 3] > out.frames[best * 3]) best = i;
      const [bx, by] = [((best % size) + 0.5) / size, (Math.floor(best / size) + 0.5) / size];
      expect(Math.abs(bx - kx)).toBeLessThanOrEqual(1 / size);
      expect(Math.abs(by - ky)).toBeLessThanOrEqual(1 / size);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('shifts brightness uniformly within the bound', () => {
    const input = coded(3, 1);
    input.frames.fill(0.5);
    const deltas = Array.from({ length: 100 }, (_, seed) => {
      const out = augmentSample(input, { brightness: 0.1 }, new SeededRandom(seed));
      expect(out.frames.every((v) => v === out.frames[0])).toBe(true);
      expect(out.keypoints).toBe(input.keypoints); // untouched arrays are shared
      return out.frames[0] - 0.5;
    });
    expect(Math.max(...deltas.map(Math.abs))).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(Math.min(...deltas)).toBeLessThan(-0.05);
    expect(Math.max(...deltas)).toBeGreaterThan(0.05);
  });

  it('is deterministic for the generator’s seed and leaves its input alone', () => {
    const input = coded(20, 3, 8);
    const copy = structuredClone(input);
    const options = { timeScale: 0.2, cropScale: [0.7, 1] as [number, number], brightness: 0.2 };
    const a = augmentSample(input, options, new SeededRandom(3));
    const b = augmentSample(input, options, new SeededRandom(3));
    const c = augmentSample(input, options, new SeededRandom(4));
    expect(a).toEqual(b);
    expect(Array.from(a.frames)).not.toEqual(Array.from(c.frames));
    expect(input).toEqual(copy);
  });

  it('names the bad option', () => {
    const input = coded(4, 1);
    const rng = new SeededRandom(0);
    expect(() => augmentSample(input, { timeScale: 1 }, rng)).toThrow(
      "Argument 'options.timeScale' passed to 'augmentSample' must be a finite number in [0, 1), but got 1.",
    );
    expect(() => augmentSample(input, { timeScale: -0.1 }, rng)).toThrow(
      /'options.timeScale' passed to 'augmentSample' .*, but got -0\.1\./,
    );
    expect(() => augmentSample(input, { cropScale: [0, 1] }, rng)).toThrow(
      "Argument 'options.cropScale' passed to 'augmentSample' must be [min, max] with 0 < min <= max <= 1, " +
        'but got [0, 1].',
    );
    expect(() => augmentSample(input, { cropScale: [0.9, 0.8] }, rng)).toThrow(
      /'options.cropScale' passed to 'augmentSample' .*, but got \[0\.9, 0\.8\]\./,
    );
    expect(() => augmentSample(input, { brightness: 2 }, rng)).toThrow(
      "Argument 'options.brightness' passed to 'augmentSample' must be a finite number in [0, 1], but got 2.",
    );
    expect(() => augmentSample({ ...input, frames: new Float32Array(3) }, {}, rng)).toThrow(
      /'sample' passed to 'augmentSample' must have .*, but got sample 'coded-4' with 3 frame values\./,
    );
    expect(() => augmentSample(input, null as unknown as AugmentOptions, rng)).toThrow(
      "Argument 'options' passed to 'augmentSample' must be an object or undefined, but got null.",
    );
    expect(() => augmentSample(input, {}, undefined as unknown as SeededRandom)).toThrow(
      "Argument 'rng' passed to 'augmentSample' must be a SeededRandom, but got undefined.",
    );
  });
});
