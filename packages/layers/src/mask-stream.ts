/**
 * The random numbers of the stochastic layers (dropout masks), internal to the package.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';

/** A safe integer, or an ArgumentError naming `argument` of `fn`. */
export function checkSeed(fn: string, argument: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new ArgumentError(fn, argument, 'be a safe integer', seed);
  return seed;
}

/** lowbias32 (Chris Wellons): a 32-bit bijection with a good avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit key hashed from safe integers (both halves of each). */
function hashWords(words: readonly number[]): number {
  let h = 0x243f6a88;
  for (const word of words) {
    h = mix32(h ^ (word >>> 0));
    h = mix32(h ^ (Math.floor(word / 4294967296) >>> 0));
  }
  return h;
}

const TRAINING_STREAM = 1;
const LAYER_STREAM = 2;

/**
 * A stochastic layer's stream of dropout masks: counter-based (each mask is a hash of its
 * position, drawn in JavaScript), so that the masks are the same on every backend and any
 * position can be reached at once. Positioned by `setRandomStep`, it draws from
 * `(run seed, step, layer index, call)`; otherwise from `(layer seed, call)` for a seeded layer,
 * and from `Math.random` for an unseeded one (as tfjs and PyTorch).
 */
export class MaskStream {
  private words: number[] | null;
  private calls = 0;

  constructor(seed: number | null) {
    this.words = seed == null ? null : [LAYER_STREAM, seed];
  }

  /** Positions the stream at step `step` of a run seeded with `seed` (see `setRandomStep`). */
  setRandomStep(seed: number, step: number, index: number): void {
    this.words = [TRAINING_STREAM, seed, step, index];
    this.calls = 0;
  }

  /**
   * The next mask of `shape`: 0 with probability `rate`, `1 / (1 − rate)` otherwise (as
   * `tf.dropout` and PyTorch scale), float32.
   */
  mask(shape: readonly number[], rate: number): tf.Tensor {
    const key =
      this.words === null
        ? (Math.random() * 4294967296) >>> 0
        : hashWords([...this.words, this.calls]);
    this.calls++;
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const scale = 1 / (1 - rate);
    for (let i = 0; i < size; i++) {
      // 24 random bits: u in [0, 1) exactly representable; kept when u ≥ rate.
      const u = (mix32(key ^ mix32(i ^ 0x9e3779b9)) >>> 8) / 16777216;
      values[i] = u >= rate ? scale : 0;
    }
    return tf.tensor(values, [...shape], 'float32');
  }
}
