/**
 * A small seeded pseudo-random number generator (xoshiro128**), so that shuffling and
 * augmentation are reproducible for a seed on every platform (no `Math.random`).
 */
import { ArgumentError, checkInteger } from '@slr/core';

const GOLDEN = 0x9e3779b9;

/** A 32-bit finaliser (lowbias32, by Chris Wellons): a good avalanche for seeding. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x21f0aaad);
  h ^= h >>> 15;
  h = Math.imul(h, 0x735a2d97);
  h ^= h >>> 15;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The seed words of a number: low and high 32 bits of a safe integer. */
function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** The seed as a list of safe integers, or an ArgumentError naming the constructor's `seed`. */
function seedList(seed: unknown): number[] {
  const list = typeof seed === 'number' ? [seed] : seed;
  if (!Array.isArray(list))
    throw new ArgumentError('SeededRandom', 'seed', 'be a safe integer or a list of them', seed);
  list.forEach((value: unknown, index) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      const argument = typeof seed === 'number' ? 'seed' : `seed[${index}]`;
      throw new ArgumentError('SeededRandom', argument, 'be a safe integer', value);
    }
  });
  return list as number[];
}

/**
 * A seeded generator of uniform numbers (xoshiro128**, period 2^128 − 1). The same seed always
 * gives the same stream; {@link SeededRandom.fork} splits off independent streams, so that one
 * consumer's draws never shift another's.
 *
 * A seed is a safe integer or a list of them (for example `[seed, epoch]`): every word is mixed
 * into the state, so `[7, 0]` and `[7, 1]` give unrelated streams.
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(42);
 * rng.next();            // a float in [0, 1), the same for every run with seed 42
 * rng.int(10);           // an integer in [0, 10)
 * const order = rng.shuffle([0, 1, 2, 3]);
 * const epochRng = new SeededRandom([42, 3]); // seed 42, epoch 3
 * const augmentRng = epochRng.fork();         // an independent stream
 * ```
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number | readonly number[] = 0) {
    const words: number[] = [];
    for (const value of seedList(seed)) words.push(...seedWords(value));
    let h = mix32(GOLDEN ^ words.length);
    for (const word of words) h = mix32((h + GOLDEN) ^ word);
    this.s0 = mix32(h + 1 * GOLDEN);
    this.s1 = mix32(h + 2 * GOLDEN);
    this.s2 = mix32(h + 3 * GOLDEN);
    this.s3 = mix32(h + 4 * GOLDEN);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = GOLDEN;
  }

  /**
   * The next 32-bit unsigned integer of the stream.
   *
   * @example
   * ```ts
   * new SeededRandom(1).nextUint32(); // an integer in [0, 2^32)
   * ```
   */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniform float in [0, 1) (53 random bits).
   *
   * @example
   * ```ts
   * const u = new SeededRandom(1).next(); // 0 <= u < 1
   * ```
   */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * A uniform float in [low, high).
   *
   * @example
   * ```ts
   * new SeededRandom(1).uniform(-0.1, 0.1);
   * ```
   */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /**
   * A uniform integer in [0, n), without modulo bias; n is an integer in [1, 2^32].
   *
   * @example
   * ```ts
   * new SeededRandom(1).int(6); // 0 … 5
   * ```
   */
  int(n: number): number {
    checkInteger('SeededRandom.int', 'n', n, { min: 1, max: 4294967296 });
    const limit = Math.floor(4294967296 / n) * n;
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /**
   * A normal deviate (Box–Muller).
   *
   * @example
   * ```ts
   * new SeededRandom(1).normal(0, 0.05);
   * ```
   */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Shuffles `array` in place (Fisher–Yates) and returns it.
   *
   * @example
   * ```ts
   * new SeededRandom(7).shuffle([1, 2, 3, 4]); // the same permutation for every run with seed 7
   * ```
   */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = array[i];
      array[i] = array[j];
      array[j] = swap;
    }
    return array;
  }

  /**
   * A new generator seeded from this one's next draws: an independent stream. Forking
   * advances this generator, so a fixed sequence of forks is itself reproducible.
   *
   * @example
   * ```ts
   * const root = new SeededRandom(42);
   * const shuffleRng = root.fork();
   * const augmentRng = root.fork(); // drawing from one never changes the other
   * ```
   */
  fork(): SeededRandom {
    return new SeededRandom([
      this.nextUint32(),
      this.nextUint32(),
      this.nextUint32(),
      this.nextUint32(),
    ]);
  }
}
