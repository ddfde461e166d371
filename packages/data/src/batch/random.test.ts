import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SeededRandom } from './random';

const draws = (rng: SeededRandom, n: number): number[] =>
  Array.from({ length: n }, () => rng.nextUint32());

describe('SeededRandom', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(draws(new SeededRandom(42), 8)).toEqual(draws(new SeededRandom(42), 8));
    expect(draws(new SeededRandom(42), 8)).not.toEqual(draws(new SeededRandom(43), 8));
    expect(draws(new SeededRandom([42, 0]), 8)).not.toEqual(draws(new SeededRandom([42, 1]), 8));
    expect(draws(new SeededRandom(2 ** 40), 8)).not.toEqual(draws(new SeededRandom(0), 8));
    expect(draws(new SeededRandom(-1), 8)).not.toEqual(draws(new SeededRandom(1), 8));
  });

  it('forks independent, reproducible streams', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const forkA = a.fork();
    const forkB = b.fork();
    draws(forkA, 100); // drawing from a fork does not move its parent
    expect(draws(a, 4)).toEqual(draws(b, 4));
    expect(draws(forkA, 4)).not.toEqual(draws(a, 4));
    draws(forkB, 104);
    expect(draws(forkA, 4)).toEqual(draws(forkB, 4));
  });

  test.prop([fc.integer(), fc.integer({ min: 1, max: 1000 })])(
    'next, uniform and int stay in range',
    (seed, n) => {
      const rng = new SeededRandom(seed);
      for (let i = 0; i < 50; i++) {
        const u = rng.next();
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
        const v = rng.uniform(-2, 3);
        expect(v).toBeGreaterThanOrEqual(-2);
        expect(v).toBeLessThan(3);
        const k = rng.int(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
      }
    },
  );

  it('is roughly uniform and normal() has the right moments', () => {
    const rng = new SeededRandom(1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[rng.int(10)]++;
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < 20000; i++) {
      const x = rng.normal(1, 2);
      sum += x;
      squares += x * x;
    }
    const mean = sum / 20000;
    expect(mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(squares / 20000 - mean * mean)).toBeCloseTo(2, 1);
  });

  test.prop([fc.array(fc.integer(), { maxLength: 30 }), fc.integer()])(
    'shuffle is a permutation, in place',
    (items, seed) => {
      const copy = [...items];
      const result = new SeededRandom(seed).shuffle(copy);
      expect(result).toBe(copy);
      expect([...result].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
    },
  );

  it('rejects bad seeds and bounds', () => {
    expect(() => new SeededRandom(1.5)).toThrow(
      "Argument 'seed' passed to 'SeededRandom' must be a safe integer, but got 1.5.",
    );
    expect(() => new SeededRandom(Number.NaN)).toThrow(
      "Argument 'seed' passed to 'SeededRandom' must be a safe integer, but got NaN.",
    );
    expect(() => new SeededRandom([7, 2 ** 60])).toThrow(
      `Argument 'seed[1]' passed to 'SeededRandom' must be a safe integer, but got ${2 ** 60}.`,
    );
    expect(() => new SeededRandom(1).int(0)).toThrow(
      "Argument 'n' passed to 'SeededRandom.int' must be an integer in [1, 4294967296], but got 0.",
    );
  });
});
