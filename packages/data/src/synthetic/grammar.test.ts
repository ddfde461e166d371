import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createSyntheticGrammar } from './grammar';
import {
  SYNTHETIC_BUILT_IN_GLOSS_COUNT,
  syntheticGlossCategory,
  syntheticGlossNames,
} from './glosses';

describe('synthetic gloss names', () => {
  it('are PHOENIX-style words, then GLOSS_nnnn, all distinct, and prefixes of each other', () => {
    const names = syntheticGlossNames(1295);
    expect(names.slice(0, 4)).toEqual(['REGEN', 'MORGEN', 'NORD', 'STARK']);
    expect(names[SYNTHETIC_BUILT_IN_GLOSS_COUNT]).toBe(`GLOSS_0${SYNTHETIC_BUILT_IN_GLOSS_COUNT}`);
    expect(names[1294]).toBe('GLOSS_1294');
    expect(new Set(names).size).toBe(1295);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(syntheticGlossNames(20)).toEqual(names.slice(0, 20));
    expect(syntheticGlossCategory(0)).toBe('WEATHER');
  });
});

describe('synthetic grammar', () => {
  test.prop(
    [
      fc.integer({ min: 2, max: 60 }),
      fc.integer(),
      fc.integer({ min: 1, max: 10 }),
      fc.double({ min: 0.02, max: 0.5, noNaN: true }),
      fc.integer({ min: 2, max: 8 }),
    ],
    { numRuns: 40 },
  )(
    'keeps held-out bigrams out of train, puts one in every dev and test sentence, obeys maxSentenceLength',
    (count, seed, successors, heldOutFraction, maxSentenceLength) => {
      const grammar = createSyntheticGrammar(syntheticGlossNames(count), {
        seed,
        successors,
        heldOutFraction,
        maxSentenceLength,
      });
      expect(grammar.heldOut.dev.length).toBeGreaterThan(0);
      expect(grammar.heldOut.test.length).toBeGreaterThan(0);
      for (let i = 0; i < 30; i++) {
        for (const split of ['train', 'dev', 'test'] as const) {
          const sentence = grammar.sample(split, seed + i);
          expect(sentence.length).toBeGreaterThanOrEqual(split === 'train' ? 1 : 2);
          expect(sentence.length).toBeLessThanOrEqual(maxSentenceLength);
          const kinds = sentence
            .slice(1)
            .map((gloss, k) => grammar.bigramSplit(sentence[k], gloss));
          // Only grammar bigrams, and none held out for another split.
          expect(kinds.every((kind) => kind === 'train' || kind === split)).toBe(true);
          if (split !== 'train') expect(kinds).toContain(split);
          for (let k = 1; k < sentence.length; k++) expect(sentence[k]).not.toBe(sentence[k - 1]);
        }
      }
    },
  );

  it('puts the pivot gloss into a train sentence', () => {
    const grammar = createSyntheticGrammar(syntheticGlossNames(40), { seed: 1 });
    for (let g = 0; g < 40; g++) expect(grammar.sample('train', g, g)).toContain(g);
  });

  it('is deterministic for a seed and changes with it', () => {
    const names = syntheticGlossNames(30);
    const a = createSyntheticGrammar(names, { seed: 4 });
    const b = createSyntheticGrammar(names, { seed: 4 });
    const c = createSyntheticGrammar(names, { seed: 5 });
    expect(a.successors).toEqual(b.successors);
    expect(a.heldOut).toEqual(b.heldOut);
    expect(a.successors).not.toEqual(c.successors);
    expect(a.sample('dev', 9)).toEqual(b.sample('dev', 9));
  });

  it('rejects fewer than two glosses and sentence limits outside 2 … 8', () => {
    expect(() => createSyntheticGrammar(['REGEN'])).toThrow(
      "Argument 'glosses' passed to 'createSyntheticGrammar' " +
        'must hold at least 2 glosses (held-out bigrams need two), but got 1 gloss.',
    );
    expect(() => createSyntheticGrammar(syntheticGlossNames(5), { maxSentenceLength: 1 })).toThrow(
      "Argument 'options.maxSentenceLength' passed to 'createSyntheticGrammar' must be an integer in [2, 8], " +
        'but got 1.',
    );
    expect(() => createSyntheticGrammar(syntheticGlossNames(5), { maxSentenceLength: 9 })).toThrow(
      "Argument 'options.maxSentenceLength' passed to 'createSyntheticGrammar' must be an integer in [2, 8], " +
        'but got 9.',
    );
    expect(() => createSyntheticGrammar(syntheticGlossNames(5), null as never)).toThrow(
      "Argument 'options' passed to 'createSyntheticGrammar' must be an object or undefined, but got null.",
    );
    const grammar = createSyntheticGrammar(syntheticGlossNames(5));
    expect(() => grammar.sample('dev', 1, 0)).toThrow(
      "Argument 'pivot' passed to 'SyntheticGrammar.sample' must be undefined for a dev sentence, but got 0.",
    );
  });

  it('keeps the default corpus unchanged: the default limit is the full 1–8 range', () => {
    const names = syntheticGlossNames(20);
    const a = createSyntheticGrammar(names, { seed: 3 });
    const b = createSyntheticGrammar(names, { seed: 3, maxSentenceLength: 8 });
    for (let i = 0; i < 20; i++) expect(a.sample('train', i)).toEqual(b.sample('train', i));
    const lengths = new Set(Array.from({ length: 300 }, (_, i) => a.sample('train', i).length));
    expect(Math.max(...lengths)).toBe(8);
  });
});
