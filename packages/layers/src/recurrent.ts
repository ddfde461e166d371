import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNumber } from '@slr/core';

/** An initialiser as `tf.initializers` makes them. */
export type LstmInitializer = ReturnType<typeof tf.initializers.randomUniform>;

/**
 * Initialisers for an LSTM of `units` units as PyTorch's `nn.LSTM` draws them: every kernel
 * uniform in ±1/√units. tfjs-layers' default recurrent initialiser (orthogonal, through a QR
 * decomposition in JavaScript) takes minutes for a 256-unit LSTM; this takes milliseconds.
 * `seed` makes the draw repeatable (the recurrent kernel uses `seed + 1`).
 *
 * @example
 * ```ts
 * const lstm = tf.layers.lstm({ units: 256, returnSequences: true, ...lstmInitializers(256) });
 * ```
 */
export function lstmInitializers(
  units: number,
  seed?: number,
): {
  /** Initialiser of the input kernel. */
  kernelInitializer: LstmInitializer;
  /** Initialiser of the recurrent kernel (seeded with `seed + 1`). */
  recurrentInitializer: LstmInitializer;
} {
  checkInteger('lstmInitializers', 'units', units, { min: 1 });
  if (seed !== undefined) checkNumber('lstmInitializers', 'seed', seed);
  const limit = 1 / Math.sqrt(units);
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed }),
    recurrentInitializer: tf.initializers.randomUniform({
      minval: -limit,
      maxval: limit,
      seed: seed === undefined ? undefined : seed + 1,
    }),
  };
}
