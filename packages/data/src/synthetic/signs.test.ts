import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { generateSignCorpus } from './corpus';
import { syntheticGlossNames } from './glosses';
import {
  generateSyntheticSigns,
  nearestSignDistance,
  SYNTHETIC_SIGN_PARAMETERS,
  signParameterDistance,
} from './signs';
import type { SignSample } from '../types';

/**
 * Root-mean-square difference of two samples' frames, compared at `steps` matching relative times
 * (so different lengths compare) after average-pooling `pool × pool` pixel blocks (which damps
 * i.i.d. pixel noise the way any spatial feature extractor would).
 *
 * @example
 * ```ts
 * frameDistance(a, b); // 0 for identical renders
 * ```
 */
function frameDistance(a: SignSample, b: SignSample, steps = 12, pool = 4): number {
  const [ta, h, w] = a.frameShape;
  const tb = b.frameShape[0];
  if (b.frameShape[1] !== h || b.frameShape[2] !== w) throw new Error('frame sizes differ');
  const ph = Math.floor(h / pool);
  const pw = Math.floor(w / pool);
  let total = 0;
  for (let j = 0; j < steps; j++) {
    const ka = Math.min(ta - 1, Math.floor(((j + 0.5) * ta) / steps));
    const kb = Math.min(tb - 1, Math.floor(((j + 0.5) * tb) / steps));
    for (let by = 0; by < ph; by++) {
      for (let bx = 0; bx < pw; bx++) {
        for (let c = 0; c < 3; c++) {
          let sa = 0;
          let sb = 0;
          for (let y = by * pool; y < (by + 1) * pool; y++) {
            for (let x = bx * pool; x < (bx + 1) * pool; x++) {
              sa += a.frames[((ka * h + y) * w + x) * 3 + c];
              sb += b.frames[((kb * h + y) * w + x) * 3 + c];
            }
          }
          const d = (sa - sb) / (pool * pool);
          total += d * d;
        }
      }
    }
  }
  return Math.sqrt(total / (steps * ph * pw * 3));
}

describe('synthetic signs', () => {
  test.prop(
    [fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 6 })],
    { numRuns: 30 },
  )(
    'have raw parameters in [0, 1], one vector per gloss, stable per index',
    (seed, difficulty, familySize) => {
      const names = syntheticGlossNames(12);
      const signs = generateSyntheticSigns(names, { seed, difficulty, familySize });
      const prefix = generateSyntheticSigns(names.slice(0, 7), { seed, difficulty, familySize });
      expect(signs.map((sign) => sign.gloss)).toEqual(names);
      for (const sign of signs) {
        expect(sign.vector.length).toBe(SYNTHETIC_SIGN_PARAMETERS.length);
        for (const value of sign.vector) expect(value >= 0 && value <= 1).toBe(true);
      }
      prefix.forEach((sign, i) => expect(sign.vector).toEqual(signs[i].vector));
      expect(nearestSignDistance(signs)).toBeGreaterThan(0);
    },
  );

  it('bring the nearest signs closer as difficulty grows (parameters), also at G = 1295', () => {
    for (const count of [30, 1295]) {
      const names = syntheticGlossNames(count);
      const distances = [0, 0.25, 0.5, 0.75, 1].map((difficulty) =>
        nearestSignDistance(generateSyntheticSigns(names, { seed: 5, difficulty })),
      );
      for (let i = 1; i < distances.length; i++)
        expect(distances[i]).toBeLessThan(distances[i - 1]);
      expect(distances[4]).toBeLessThan(distances[0] / 2);
    }
  });

  it('bring the nearest signs closer as difficulty grows (renders)', () => {
    const nearestRender = (difficulty: number): number => {
      const corpus = generateSignCorpus({
        seed: 2,
        glosses: 9,
        difficulty,
        trainSamples: 0,
        devSamples: 0,
        testSamples: 0,
      });
      const renders = corpus.vocabulary.glosses.map((gloss) =>
        corpus.renderSample(corpus.specFor([gloss], { signer: 0, seed: 1 }), {
          height: 32,
          width: 32,
          noise: 0,
        }),
      );
      let best = Infinity;
      for (let i = 0; i < renders.length; i++)
        for (let j = i + 1; j < renders.length; j++)
          best = Math.min(best, frameDistance(renders[i], renders[j], 12, 2));
      return best;
    };
    const easy = nearestRender(0);
    const hard = nearestRender(1);
    expect(hard).toBeGreaterThan(0);
    expect(hard).toBeLessThan(easy * 0.6);
  });

  it('render distinct glosses further apart than the same gloss with different noise', () => {
    for (const seed of [11, 13]) {
      const corpus = generateSignCorpus({
        seed,
        glosses: 12,
        trainSamples: 0,
        devSamples: 0,
        testSamples: 0,
      });
      const options = { height: 64, width: 64 };
      const glosses = corpus.vocabulary.glosses;
      const render = (gloss: string, noiseSeed?: number) =>
        corpus.renderSample(corpus.specFor([gloss], { signer: 1, seed: 3 }), {
          ...options,
          noiseSeed,
        });
      const renders = glosses.map((gloss) => render(gloss));
      let nearestDifferent = Infinity;
      for (let i = 0; i < glosses.length; i++)
        for (let j = i + 1; j < glosses.length; j++)
          nearestDifferent = Math.min(nearestDifferent, frameDistance(renders[i], renders[j]));
      let farthestSame = 0;
      for (const [i, gloss] of glosses.entries()) {
        const again = render(gloss, 1000 + i);
        expect(again.frames).not.toEqual(renders[i].frames); // the noise did change
        farthestSame = Math.max(farthestSame, frameDistance(renders[i], again));
      }
      expect(nearestDifferent).toBeGreaterThan(1.5 * farthestSame);
    }
  });

  it('measures parameter distance as a symmetric RMS difference', () => {
    const [a, b] = generateSyntheticSigns(['A', 'B'], { seed: 1 });
    expect(signParameterDistance(a, a)).toBe(0);
    expect(signParameterDistance(a, b)).toBeCloseTo(signParameterDistance(b, a), 12);
    expect(signParameterDistance(a, b)).toBeGreaterThan(0.1);
  });
});
