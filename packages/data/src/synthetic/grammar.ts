/**
 * The sentence model of the synthetic corpus: a sparse bigram chain over glosses, shaped by
 * gloss categories, with held-out bigrams that make dev and test sentences new compositions.
 */
import { ArgumentError } from '@slr/core';
import { isArray } from '../checks';
import type { Split } from '../types';
import { checkGrammarOptions } from './checks';
import { SYNTHETIC_GLOSS_CATEGORIES } from './glosses';
import { mixSeed, Mulberry32 } from './random';

/** Category transition weights, rows and columns in SYNTHETIC_GLOSS_CATEGORIES order. */
const CATEGORY_START = [0.3, 0.35, 0.2, 0.05, 0.1];
const CATEGORY_NEXT = [
  [0.1, 0.05, 0.2, 0.35, 0.3], // WEATHER → QUALITY / ACTION / PLACE
  [0.35, 0.1, 0.4, 0.05, 0.1], // TIME → PLACE / WEATHER
  [0.45, 0.05, 0.15, 0.15, 0.2], // PLACE → WEATHER
  [0.3, 0.1, 0.2, 0.1, 0.3], // QUALITY → WEATHER / ACTION
  [0.25, 0.2, 0.25, 0.2, 0.1], // ACTION → anything
];
/** Weights of sentence lengths 1 … 8 (MAX_SENTENCE_LENGTH of checks.ts). */
const LENGTH_WEIGHTS = [6, 12, 16, 18, 16, 13, 11, 8];

/** Which split a bigram is reserved for: 0 none (allowed everywhere), 1 dev, 2 test. */
const SPLIT_CODE: Record<Split, number> = { train: 0, dev: 1, test: 2 };

/** Options of {@link createSyntheticGrammar}. */
export interface SyntheticGrammarOptions {
  /** Seed (default 0). */
  seed?: number;
  /** Successors each gloss may be followed by (default 8; at most G − 1). */
  successors?: number;
  /**
   * Fraction of the grammar's bigrams held out of train (default 0.1, at least 2 bigrams when
   * there are 2): the first half (rounded up) is reserved for dev, the rest for test.
   */
  heldOutFraction?: number;
  /** Longest sentence, 2 … 8 glosses (default 8): lengths keep their weights, cut at this one. */
  maxSentenceLength?: number;
}

/**
 * A bigram grammar over glosses `0 … G − 1`. Each gloss has a category and a short list of
 * successors (drawn by category transitions, then by a Zipf-like gloss frequency) with Zipf
 * weights `1, 1/2, 1/3, …`; a sentence has 1–8 glosses (at most `maxSentenceLength`; length
 * drawn first, the chain stops early at a gloss with no allowed successor) and never repeats a
 * gloss back to back.
 *
 * Held-out rule: a random `heldOutFraction` of the bigrams (successor edges) is held out.
 * Train sentences contain none of them. Every dev sentence contains at least one dev bigram
 * and no test bigram; every test sentence at least one test bigram and no dev bigram. So no dev
 * or test sentence equals a train sentence (nor each other's), yet every gloss and most
 * bigrams are seen in training.
 *
 * @example
 * ```ts
 * const grammar = createSyntheticGrammar(syntheticGlossNames(20), { seed: 1 });
 * const sentence = grammar.sample('dev', 42); // gloss indices, with a held-out dev bigram
 * grammar.bigramSplit(sentence[0], sentence[1]); // 'train' | 'dev' | 'test' | undefined
 * ```
 */
export class SyntheticGrammar {
  /** Per gloss: successor indices, best first. */
  readonly successors: readonly (readonly number[])[];
  /** Per gloss: successor weights (unnormalised), matching {@link successors}. */
  readonly weights: readonly (readonly number[])[];
  /** Start weight of every gloss (unnormalised). */
  readonly startWeights: Float64Array;
  /** The held-out bigrams `[first, second]` (gloss indices) of dev and of test. */
  readonly heldOut: {
    /** Bigrams only dev sentences contain. */
    readonly dev: readonly [number, number][];
    /** Bigrams only test sentences contain. */
    readonly test: readonly [number, number][];
  };
  /** Longest sentence (glosses). */
  readonly maxSentenceLength: number;
  private readonly reserved = new Map<number, number>();
  private readonly predecessors: { from: number; weight: number }[][];

  constructor(
    /** The gloss names, index = gloss index. */
    readonly glosses: readonly string[],
    options: SyntheticGrammarOptions = {},
  ) {
    if (!isArray(glosses))
      throw new ArgumentError(
        'createSyntheticGrammar',
        'glosses',
        'be an array of glosses',
        glosses,
      );
    const count = glosses.length;
    const {
      seed,
      successors: successorLimit,
      heldOutFraction,
      maxSentenceLength,
    } = checkGrammarOptions(count, options, 'createSyntheticGrammar', 'glosses');
    const successorCount = Math.min(successorLimit, count - 1);
    this.maxSentenceLength = maxSentenceLength;
    const random = new Mulberry32(mixSeed(seed, 0x6a11));

    // Zipf-like unigram frequencies over a random ranking.
    const frequency = new Float64Array(count);
    random
      .shuffle([...Array(count).keys()])
      .forEach((gloss, rank) => (frequency[gloss] = 1 / Math.pow(rank + 1, 0.6)));
    const categoryCount = SYNTHETIC_GLOSS_CATEGORIES.length;
    const members: number[][] = Array.from({ length: categoryCount }, () => []);
    for (let g = 0; g < count; g++) members[g % categoryCount].push(g);
    const cumulative = members.map((list) => {
      const sums = new Float64Array(list.length);
      let total = 0;
      list.forEach((g, i) => (sums[i] = total += frequency[g]));
      return sums;
    });
    const pickInCategory = (category: number): number => {
      const sums = cumulative[category];
      const u = random.next() * sums[sums.length - 1];
      let low = 0;
      let high = sums.length - 1;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (sums[mid] > u) high = mid;
        else low = mid + 1;
      }
      return members[category][low];
    };

    this.startWeights = new Float64Array(count);
    for (let g = 0; g < count; g++)
      this.startWeights[g] = CATEGORY_START[g % categoryCount] * frequency[g];

    const successors: number[][] = [];
    const weights: number[][] = [];
    for (let g = 0; g < count; g++) {
      const row = CATEGORY_NEXT[g % categoryCount].map((w, c) =>
        members[c].length > (c === g % categoryCount ? 1 : 0) ? w : 0,
      );
      const chosen: number[] = [];
      for (
        let attempt = 0;
        chosen.length < successorCount && attempt < 40 * successorCount;
        attempt++
      ) {
        const next = pickInCategory(random.weighted(row));
        if (next !== g && !chosen.includes(next)) chosen.push(next);
      }
      for (let next = 0; chosen.length < successorCount; next++)
        if (next !== g && !chosen.includes(next)) chosen.push(next);
      successors.push(chosen);
      weights.push(chosen.map((_, rank) => 1 / (rank + 1)));
    }
    this.successors = successors;
    this.weights = weights;

    const edges: [number, number][] = [];
    successors.forEach((list, g) => list.forEach((next) => edges.push([g, next])));
    const heldOutCount =
      heldOutFraction === 0 ? 0 : Math.max(2, Math.round(heldOutFraction * edges.length));
    const shuffled = random.shuffle(edges).slice(0, heldOutCount);
    const devCount = Math.ceil(shuffled.length / 2);
    this.heldOut = { dev: shuffled.slice(0, devCount), test: shuffled.slice(devCount) };
    this.heldOut.dev.forEach(([a, b]) => this.reserved.set(a * count + b, 1));
    this.heldOut.test.forEach(([a, b]) => this.reserved.set(a * count + b, 2));

    this.predecessors = Array.from({ length: count }, () => []);
    successors.forEach((list, g) =>
      list.forEach((next, rank) =>
        this.predecessors[next].push({ from: g, weight: weights[g][rank] }),
      ),
    );
  }

  /**
   * Where bigram `a b` may occur: `'train'` (anywhere), `'dev'` or `'test'` (held out, only
   * there), or `undefined` when `b` is not a successor of `a`.
   */
  bigramSplit(a: number, b: number): Split | undefined {
    if (!this.successors[a]?.includes(b)) return undefined;
    const code = this.reserved.get(a * this.glosses.length + b) ?? 0;
    return code === 0 ? 'train' : code === 1 ? 'dev' : 'test';
  }

  /**
   * A sentence (gloss indices) for `split`, deterministic for `seed`. With `pivot` (train only),
   * the sentence contains that gloss at a random position (used to cover every gloss in train).
   */
  sample(split: Split, seed: number, pivot?: number): number[] {
    const random = new Mulberry32(mixSeed(seed, 0x5e47));
    const code = SPLIT_CODE[split];
    // Allowed bigrams: unreserved ones, plus this split's own reserved ones.
    const allowed = (a: number, b: number): boolean => {
      const reserved = this.reserved.get(a * this.glosses.length + b) ?? 0;
      return reserved === 0 || reserved === code;
    };
    const lengthWeights = LENGTH_WEIGHTS.slice(0, this.maxSentenceLength);
    const forward = (sentence: number[], length: number): number[] => {
      while (sentence.length < length) {
        const last = sentence[sentence.length - 1];
        const options = this.successors[last];
        const w = options.map((next, rank) => (allowed(last, next) ? this.weights[last][rank] : 0));
        if (!w.some((x) => x > 0)) break;
        sentence.push(options[random.weighted(w)]);
      }
      return sentence;
    };
    if (code === 0) {
      const length = 1 + random.weighted(lengthWeights);
      if (pivot === undefined) return forward([random.weighted(this.startWeights)], length);
      const prefix = [pivot];
      const before = random.int(length);
      while (prefix.length <= before) {
        const candidates = this.predecessors[prefix[0]].filter((p) => allowed(p.from, prefix[0]));
        if (candidates.length === 0) break;
        prefix.unshift(candidates[random.weighted(candidates.map((p) => p.weight))].from);
      }
      return forward(prefix, length);
    }
    const fn = 'SyntheticGrammar.sample';
    if (pivot !== undefined)
      throw new ArgumentError(fn, 'pivot', `be undefined for a ${split} sentence`, pivot);
    const mine = code === 1 ? this.heldOut.dev : this.heldOut.test;
    if (mine.length === 0) {
      throw new ArgumentError(
        fn,
        'split',
        `be 'train' for a grammar that holds out no ${split} bigrams (raise heldOutFraction or the gloss count)`,
        split,
      );
    }
    const hasMine = (sentence: number[]): boolean =>
      sentence.some(
        (g, i) =>
          i > 0 && (this.reserved.get(sentence[i - 1] * this.glosses.length + g) ?? 0) === code,
      );
    const atLeastTwo = lengthWeights.map((w, i) => (i === 0 ? 0 : w));
    for (let attempt = 0; attempt < 500; attempt++) {
      const sentence = forward(
        [random.weighted(this.startWeights)],
        1 + random.weighted(atLeastTwo),
      );
      if (hasMine(sentence)) return sentence;
    }
    // Rare fallback: start at a held-out bigram of this split.
    const [a, b] = mine[random.int(mine.length)];
    return forward([a, b], 2 + random.int(this.maxSentenceLength - 1));
  }
}

/**
 * Builds the {@link SyntheticGrammar} of `glosses` (needs at least 2).
 *
 * @example
 * ```ts
 * const grammar = createSyntheticGrammar(syntheticGlossNames(1295), { seed: 0 });
 * grammar.heldOut.dev.length; // about 5 % of the 1295 · 8 bigrams
 * ```
 */
export function createSyntheticGrammar(
  glosses: readonly string[],
  options: SyntheticGrammarOptions = {},
): SyntheticGrammar {
  return new SyntheticGrammar(glosses, options);
}
