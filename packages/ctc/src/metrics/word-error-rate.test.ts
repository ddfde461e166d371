import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@slr/core';
import { fc, test } from '@fast-check/vitest';
import { editDistance } from './edit-distance';
import { wordErrorRate } from './word-error-rate';

const sentence = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 10 });
/** Pairs of reference/hypothesis sentences. */
const corpus = fc.array(fc.tuple(sentence, sentence), { maxLength: 8 });

describe('wordErrorRate: hand examples', () => {
  it('the documented example', () => {
    const r = wordErrorRate(
      [['the', 'cat', 'sat'], ['hello']],
      [['the', 'bat', 'sat', 'down'], []],
    );
    expect(r).toEqual({
      wer: 0.75,
      substitutions: 1,
      deletions: 1,
      insertions: 1,
      referenceLength: 4,
      errors: 3,
      sentences: 2,
    });
    expect(wordErrorRate([['a', 'b']], [['a']])).toEqual({
      wer: 0.5,
      substitutions: 0,
      deletions: 1,
      insertions: 0,
      referenceLength: 2,
      errors: 1,
      sentences: 1,
    });
  });

  it('is 0 for a perfect transcription', () => {
    const refs = [['a', 'b'], ['c'], []];
    expect(
      wordErrorRate(
        refs,
        refs.map((s) => [...s]),
      ),
    ).toMatchObject({ wer: 0, errors: 0, referenceLength: 3, sentences: 3 });
  });

  it('is a corpus-level rate, not an average of sentence rates', () => {
    // Sentence rates 1/1 and 0/4 would average 0.5; the corpus rate is 1/5.
    const r = wordErrorRate([['a'], ['b', 'c', 'd', 'e']], [['x'], ['b', 'c', 'd', 'e']]);
    expect(r.wer).toBeCloseTo(0.2, 15);
    expect(r).toMatchObject({ substitutions: 1, referenceLength: 5, errors: 1 });
  });

  it('can exceed 1 with insertions', () => {
    const r = wordErrorRate([['a']], [['x', 'y', 'z']]);
    expect(r).toMatchObject({ wer: 3, substitutions: 1, insertions: 2, errors: 3 });
  });

  it('works on numeric gloss ids and on characters (CER)', () => {
    expect(wordErrorRate([[3, 1, 4, 1, 5]], [[3, 1, 1, 5]]).wer).toBeCloseTo(0.2, 15);
    expect(wordErrorRate([[...'kitten']], [[...'sitting']]).wer).toBeCloseTo(3 / 6, 15);
  });

  it('passes options.equals to editDistance', () => {
    const equals = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    expect(wordErrorRate([['Hello', 'World']], [['hello', 'world']], { equals }).wer).toBe(0);
    expect(wordErrorRate([['Hello', 'World']], [['hello', 'world']]).wer).toBe(1);
  });
});

describe('wordErrorRate: empty references', () => {
  it('is 0 for an empty corpus', () => {
    expect(wordErrorRate([], [])).toEqual({
      wer: 0,
      substitutions: 0,
      deletions: 0,
      insertions: 0,
      referenceLength: 0,
      errors: 0,
      sentences: 0,
    });
  });

  it('is 0 when every reference and hypothesis is empty', () => {
    expect(wordErrorRate([[], []], [[], []])).toMatchObject({
      wer: 0,
      errors: 0,
      referenceLength: 0,
      sentences: 2,
    });
  });

  it('is Infinity when the references are empty but the hypotheses are not, with the counts kept', () => {
    expect(wordErrorRate([[], []], [['a'], []])).toEqual({
      wer: Infinity,
      substitutions: 0,
      deletions: 0,
      insertions: 1,
      referenceLength: 0,
      errors: 1,
      sentences: 2,
    });
  });
});

describe('wordErrorRate: properties', () => {
  test.prop([corpus])(
    'sums the per-sentence edit operations and divides by the reference length',
    (pairs) => {
      const refs = pairs.map(([r]) => r);
      const hyps = pairs.map(([, h]) => h);
      const result = wordErrorRate(refs, hyps);
      let s = 0;
      let d = 0;
      let i = 0;
      for (const [r, h] of pairs) {
        const e = editDistance(r, h);
        s += e.substitutions;
        d += e.deletions;
        i += e.insertions;
      }
      const n = refs.reduce((sum, r) => sum + r.length, 0);
      expect(result).toMatchObject({
        substitutions: s,
        deletions: d,
        insertions: i,
        errors: s + d + i,
        referenceLength: n,
        sentences: pairs.length,
      });
      if (n > 0) expect(result.wer).toBe((s + d + i) / n);
      else expect(result.wer).toBe(s + d + i === 0 ? 0 : Infinity);
    },
  );

  test.prop([corpus])('is 0 against itself', (pairs) => {
    const refs = pairs.map(([r]) => r);
    expect(
      wordErrorRate(
        refs,
        refs.map((r) => [...r]),
      ).wer,
    ).toBe(0);
  });

  test.prop([corpus])('is non-negative and at most max(N, hyp length)/N', (pairs) => {
    const refs = pairs.map(([r]) => r);
    const hyps = pairs.map(([, h]) => h);
    const r = wordErrorRate(refs, hyps);
    expect(r.wer).toBeGreaterThanOrEqual(0);
    const bound = pairs.reduce((sum, [a, b]) => sum + Math.max(a.length, b.length), 0);
    expect(r.errors).toBeLessThanOrEqual(bound);
  });

  test.prop([corpus, corpus])('is additive over concatenated corpora', (p, q) => {
    const split = (pairs: [number[], number[]][]) =>
      [pairs.map(([r]) => r), pairs.map(([, h]) => h)] as const;
    const [r1, h1] = split(p);
    const [r2, h2] = split(q);
    const a = wordErrorRate(r1, h1);
    const b = wordErrorRate(r2, h2);
    const all = wordErrorRate([...r1, ...r2], [...h1, ...h2]);
    expect(all.errors).toBe(a.errors + b.errors);
    expect(all.referenceLength).toBe(a.referenceLength + b.referenceLength);
    expect(all.sentences).toBe(a.sentences + b.sentences);
  });
});

describe('wordErrorRate: argument errors', () => {
  it('rejects refs or hyps that are not arrays', () => {
    expect(() => wordErrorRate('a b' as unknown as string[][], [])).toThrow(ArgumentError);
    expect(() => wordErrorRate('a b' as unknown as string[][], [])).toThrow(
      "Argument 'refs' passed to 'wordErrorRate' must be an array, but got 'a b'.",
    );
    expect(() => wordErrorRate([], undefined as unknown as string[][])).toThrow(
      "Argument 'hyps' passed to 'wordErrorRate' must be an array, but got undefined.",
    );
  });

  it('rejects different numbers of sentences, naming both lengths', () => {
    expect(() => wordErrorRate([['a'], ['b'], ['c']], [['a'], ['b']])).toThrow(ArgumentError);
    expect(() => wordErrorRate([['a'], ['b'], ['c']], [['a'], ['b']])).toThrow(
      "Argument 'hyps' passed to 'wordErrorRate' must have the same length as 'refs' (3), but got 2 sentences.",
    );
    expect(() => wordErrorRate([], [['a']])).toThrow(
      /same length as 'refs' \(0\), but got 1 sentence\./,
    );
  });

  it('rejects a sentence that is not an array, naming its index', () => {
    expect(() => wordErrorRate([['a'], 'b' as unknown as string[]], [['a'], ['b']])).toThrow(
      "Argument 'refs[1]' passed to 'wordErrorRate' must be an array, but got 'b'.",
    );
    expect(() => wordErrorRate([['a']], [null as unknown as string[]])).toThrow(
      "Argument 'hyps[0]' passed to 'wordErrorRate' must be an array, but got null.",
    );
  });

  it('throws instances of Error', () => {
    expect(() => wordErrorRate([['a']], [])).toThrow(Error);
  });
});

describe('wordErrorRate: speed', () => {
  it('scores a 2000-sentence corpus of 20-token sentences quickly', () => {
    const rand = fc.sample(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 20, maxLength: 20 }),
      { numRuns: 4000, seed: 42 },
    );
    const refs = rand.slice(0, 2000);
    const hyps = rand.slice(2000);
    const start = performance.now();
    const r = wordErrorRate(refs, hyps);
    const elapsed = performance.now() - start;
    expect(r.referenceLength).toBe(40_000);
    expect(elapsed).toBeLessThan(1000); // ~10 ms in practice; generous for slow CI
  });
});
