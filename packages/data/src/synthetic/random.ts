/**
 * Seeded pseudo-random numbers for the synthetic corpus (internal: not re-exported from the
 * package). Everything the corpus generator draws goes through these, so a seed fixes the corpus.
 *
 * The package's public generator is `SeededRandom` (xoshiro128**, in `batch/random.ts`), which
 * shuffles and augments. The corpus keeps its own, {@link Mulberry32}, because its stream is
 * what makes a seed give the same corpus in every version: drawing the corpus from another
 * generator would turn every corpus, and every result measured on one, into a different one.
 * Its small state and 32-bit output are enough for drawing sign parameters and sentences.
 */

/**
 * Mixes integers into one 32-bit seed (a murmur3-style finaliser over each part), so that
 * `(seed, split, index)` tuples give unrelated streams.
 *
 * @example
 * ```ts
 * const sampleSeed = mixSeed(42, 2, 17); // corpus seed 42, split 2 (dev), sample 17
 * ```
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.floor(part) | 0;
    k = Math.imul(k ^ (k >>> 16), 0x85ebca6b);
    k = Math.imul(k ^ (k >>> 13), 0xc2b2ae35);
    k ^= k >>> 16;
    h = Math.imul(h ^ k, 0x27d4eb2f) + 0x165667b1;
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The synthetic corpus's seeded generator: mulberry32 (one 32-bit word of state, 2^32 draws per
 * stream), seeded through {@link mixSeed}. Not `SeededRandom`: see the file's comment.
 *
 * @example
 * ```ts
 * const random = new Mulberry32(42);
 * random.next();        // in [0, 1)
 * random.int(10);       // in {0, …, 9}
 * random.range(-1, 1);  // in [-1, 1)
 * ```
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = mixSeed(seed) | 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A float in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** An index drawn with probability proportional to `weights[i]` (non-negative, not all 0). */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return 0;
  }

  /** A uniformly shuffled copy of `items` (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = copy[i];
      copy[i] = copy[j];
      copy[j] = swap;
    }
    return copy;
  }
}
