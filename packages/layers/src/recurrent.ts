import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNumber } from '@slr/core';
import { checkSeed } from './mask-stream';
import { initializerSeed } from './random-stream';

/** An initialiser as `tf.initializers` makes them. */
export type LstmInitializer = ReturnType<typeof tf.initializers.randomUniform>;

/**
 * Initialisers for an LSTM of `units` units as PyTorch's `nn.LSTM` draws them: every kernel
 * uniform in ±1/√units. tfjs-layers' default recurrent initialiser (orthogonal, through a QR
 * decomposition in JavaScript) takes minutes for a 256-unit LSTM; this takes milliseconds.
 * `seed` makes the draw repeatable (the recurrent kernel uses `seed + 1`; a seed of 0 works,
 * see {@link initializerSeed}).
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
    kernelInitializer: tf.initializers.randomUniform({
      minval: -limit,
      maxval: limit,
      seed: initializerSeed(seed),
    }),
    recurrentInitializer: tf.initializers.randomUniform({
      minval: -limit,
      maxval: limit,
      seed: initializerSeed(seed === undefined ? undefined : seed + 1),
    }),
  };
}

/** Options of {@link bidirectionalLstm}. */
export interface BidirectionalLstmOptions {
  /** Units of each direction. */
  units: number;
  /** Return the whole sequence (`[B, T, 2·units]`) rather than the last step. Default true. */
  returnSequences?: boolean;
  /** Name of the `Bidirectional` layer. */
  name?: string;
  /** Name of the wrapped LSTM (its config's name). */
  lstmName?: string;
  /**
   * Base seed (a safe integer): the forward direction's kernels are drawn with `seed` and
   * `seed + 1`, the backward direction's with `seed + 2` and `seed + 3` (a builder's seed
   * sequence hands the layer four seeds). Default: unseeded.
   */
  seed?: number;
}

/**
 * A bidirectional LSTM (`mergeMode: 'concat'`) initialised as PyTorch's `nn.LSTM(...,
 * bidirectional=True)` ({@link lstmInitializers}), each direction from its own seeds:
 * `tf.layers.bidirectional` clones the wrapped layer's config, seeds included, so that a seeded
 * LSTM would start with both directions equal; here the backward direction draws from
 * `seed + 2` and `seed + 3`.
 *
 * @example
 * ```ts
 * const input = tf.input({ shape: [null, 32] });
 * const output = bidirectionalLstm({ units: 16, seed: 7, name: 'bilstm' }).apply(input); // [B, T, 32]
 * ```
 */
export function bidirectionalLstm(options: BidirectionalLstmOptions): tf.layers.Layer {
  const fn = 'bidirectionalLstm';
  const units = checkInteger(fn, 'options.units', options.units, { min: 1 });
  const seed = options.seed === undefined ? undefined : checkSeed(fn, 'options.seed', options.seed);
  const layer = tf.layers.bidirectional({
    layer: tf.layers.lstm({
      units,
      returnSequences: options.returnSequences ?? true,
      ...(options.lstmName === undefined ? {} : { name: options.lstmName }),
      ...lstmInitializers(units, seed),
    }),
    mergeMode: 'concat',
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  if (seed !== undefined) {
    // The backward LSTM's cell is built (its weights drawn) on the first apply: give it its own
    // initialisers before that.
    const backward = (layer as unknown as { backwardLayer: { cell: Record<string, unknown> } })
      .backwardLayer.cell;
    const fresh = lstmInitializers(units, seed + 2);
    backward['kernelInitializer'] = fresh.kernelInitializer;
    backward['recurrentInitializer'] = fresh.recurrentInitializer;
  }
  return layer;
}
